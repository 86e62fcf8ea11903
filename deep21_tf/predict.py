"""Predict δ maps (U-Net) or the astrophysical parameters (AstroNet) for a user's own 21 cm maps in mK.

Input (`load_maps`): an .npy, .npz or .h5/.hdf5 file holding one float array (`key` picks one when the file holds
several): one map (H, W), a stack (N, H, W), or (N, H, W, C) with the model's C redshift channels (a C > 1 model
also takes one map as (H, W, C)). H and W must be multiples of 8; AstroNet takes its training size only.
Or a FITS image (`deep21_tf.fits_image`: K or mK, pixel scale from the WCS, redshift from the header or
`redshift`), whose pixel size in comoving Mpc is checked against the model's cells.
Output: U-Net → an .npy of δ shaped as the input (float32), or for a FITS input a .fits under its header (with
HISTORY of what was done); with D4 test-time averaging it holds the D4-averaged δ and `<output stem>_std.npy`
(`.fits`) its per-pixel std. AstroNet → a .json with each map's log10 and physical parameters
(and, averaged, their D4 std in log10). An optional PNG shows the first map (first channel).
All checks run before anything is predicted (and before TensorFlow loads); outputs are written atomically, all
or none. Maps whose mean, spread or size, or a `cell_size` that, differs from the training data's get warnings.
The summary (and AstroNet's .json) names the model used and the geometry of the maps it was trained on.
"""
from __future__ import annotations

import contextlib
import json
import os
import zipfile
from typing import Callable, Dict, List, Optional, Tuple

import h5py
import numpy as np

from deep21_tf import cosmology
from deep21_tf.contracts import (INFERENCE_BATCH_SIZE, MODEL_NAMES, PARAMETER_UNITS, PREDICTION_TARGETS,
                                 SIZE_MULTIPLE, bare_name)
from deep21_tf.data.normalization import Normalization
from deep21_tf.figures import figure_to_png, prediction_panels
from deep21_tf.fits_image import FITS_SUFFIXES, FitsError, is_fits, read_fits_image, write_fits_like
from deep21_tf.instrument.settings import InstrumentSettings
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_path
from deep21_tf.util.paths import SHIPPED_MODELS

INPUT_SUFFIXES = (".npy", ".npz", ".h5", ".hdf5")
#: The first bytes of each input format (NumPy array, zip archive, HDF5 superblock).
SIGNATURES = {".npy": (b"\x93NUMPY", "a NumPy .npy file"), ".npz": (b"PK", "a NumPy .npz (zip) archive"),
              ".h5": (b"\x89HDF\r\n\x1a\n", "an HDF5 file"), ".hdf5": (b"\x89HDF\r\n\x1a\n", "an HDF5 file")}
#: What each model kind writes to --output.
OUTPUT_SUFFIX = {"unet": ".npy", "astro": ".json"}
#: A U-Net's δ maps of a FITS input may also go to FITS.
FITS_OUTPUT_SUFFIX = ".fits"
#: Warn when a FITS image's redshift differs from the model's by more than this.
WARN_REDSHIFT_DIFFERENCE = 0.5
#: Warn when a map's mean lies more than this many training pixel stds from the training mean.
WARN_MEAN_STDS = 5.0
#: Warn ("are they in mK?") when a map's pixel std differs from the training one by more than this factor.
WARN_SPREAD_FACTOR = 10.0
#: Warn, naming the paper's 4-cell sums, when a map's pixel std is this many times the training one (up to the above).
WARN_SUMMED_FACTOR = 2.0
#: Cells per slab the paper sums δTb over (its maps are this many times our slab-averaged mK values).
PAPER_SLAB_CELLS = 4
#: Warn when a map's side exceeds the training maps' side by more than this factor (scales never seen).
WARN_SIZE_FACTOR = 2.0
#: Warn when --cell_size differs from the training maps' pixel size by more than this fraction.
WARN_CELL_SIZE_FRACTION = 0.1


class InputError(ValueError):
    """Unusable input, output path or model dir; the message names the problem and what is allowed."""


def choose_model(model_dir: Optional[str], target: Optional[str]) -> Tuple[str, Optional[str]]:
    """(the model dir to predict with, a note naming the shipped model when one was chosen).

    `target` (a key of PREDICTION_TARGETS, or None) picks the shipped model when `model_dir` is None (None: the
    shipped U-Net); with a `model_dir` it must be what that model predicts. InputError otherwise.
    """
    if target is not None and target not in PREDICTION_TARGETS:
        raise InputError(f"--target={target} is not allowed: use one of {', '.join(PREDICTION_TARGETS)}")
    if model_dir is None:
        target = target or "density"
        shipped_dir, name = SHIPPED_MODELS[target]
        return shipped_dir, f"no --model_dir: using the {name} ({shipped_dir}, see MODEL_CARD.md there)"
    if target is not None:
        model = read_model_dir(model_dir)[0]["model"]
        if model != PREDICTION_TARGETS[target]:
            predicts = {kind: name for name, kind in PREDICTION_TARGETS.items()}[model]
            raise InputError(f"--target={target}, but --model_dir={model_dir} holds {MODEL_NAMES[model]}, which "
                             f"predicts {predicts}: drop --target or give the model dir of "
                             f"{MODEL_NAMES[PREDICTION_TARGETS[target]]}")
    return model_dir, None


def read_model_dir(model_dir: str) -> Tuple[dict, Normalization]:
    """model_info.json and the normalisation of `model_dir`, after checking it holds a trained network."""
    try:
        info = run_files.read(model_dir, run_files.INFO_FILE)
        norm = Normalization.from_dict(run_files.read(model_dir, run_files.NORMALIZATION_FILE))
    except FileNotFoundError as error:
        raise InputError(f"--model_dir: {error}; train one with deep21-train") from None
    if not os.path.isfile(run_files.path(model_dir, run_files.EXPORTED_FILE)):
        raise InputError(f"--model_dir={model_dir} holds no trained model ({run_files.EXPORTED_FILE} is missing)")
    return info, norm


def load_maps(path: str, key: Optional[str] = None) -> np.ndarray:
    """The float array of maps (mK) stored in `path`; InputError for a missing, unreadable or unusable file."""
    if not os.path.isfile(path):
        raise InputError(f"--input={path} does not exist")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in INPUT_SUFFIXES:
        raise InputError(f"--input={path}: unsupported file type {suffix!r}; use one of "
                         f"{', '.join(INPUT_SUFFIXES + FITS_SUFFIXES)}")
    _check_signature(path, suffix)
    try:
        if suffix == ".npy":
            if key is not None:
                raise InputError(f"--key={key} applies to .npz and .h5 inputs only; --input={path} is an .npy file")
            array = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                array = data[_pick(data.files, key, path)]
        else:
            with h5py.File(path, "r") as handle:
                names = []
                handle.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
                array = handle[_pick(names, key, path)][()]
    except InputError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise InputError(f"--input={path} holds Python objects (an object array); give a float array of maps "
                             "in mK") from None
        raise InputError(f"--input={path} cannot be read: {error}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise InputError(f"--input={path} cannot be read: {error or type(error).__name__} (truncated or damaged?)") \
            from None
    return _check_values(np.asarray(array), path)


def _check_signature(path: str, suffix: str) -> None:
    """InputError unless the file is non-empty and starts with the signature of its format."""
    signature, what = SIGNATURES[suffix]
    with open(path, "rb") as handle:
        head = handle.read(len(signature))
    if not head:
        raise InputError(f"--input={path} is empty; give {what} holding 21 cm maps in mK")
    if head != signature:
        raise InputError(f"--input={path} is not {what} (its first bytes are not the {suffix} signature); give "
                         f"{what} holding 21 cm maps in mK")


def _pick(names: List[str], key: Optional[str], path: str) -> str:
    """The array `key` of a file holding `names`, or its only array."""
    if key is not None:
        if key not in names:
            raise InputError(f"--key={key} is not in --input={path}; it holds {sorted(names)}")
        return key
    if len(names) != 1:
        raise InputError(f"--input={path} holds {len(names)} arrays {sorted(names)}; pick one with --key")
    return names[0]


def _check_values(array: np.ndarray, path: str) -> np.ndarray:
    if array.dtype.kind != "f":
        raise InputError(f"--input={path} holds {array.dtype} values; give floating-point maps (float16/32/64) in mK")
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise InputError(f"--input={path} holds {bad} NaN or infinite value(s); every pixel must be a finite "
                         "brightness temperature in mK")
    return array


def as_stack(array: np.ndarray, info: dict) -> np.ndarray:
    """`array` as a float32 stack (N, H, W, C) the model takes (see the module docstring for the shapes)."""
    channels, shape = int(info["input_shape"][-1]), array.shape
    allowed = f"give one map (H, W), a stack (N, H, W) or (N, H, W, C) with C = {channels}" if channels == 1 else \
        f"give one map (H, W, {channels}) or a stack (N, H, W, {channels}) (one channel per redshift " \
        f"{info['redshifts']})"
    if array.ndim == 2 and channels == 1:
        stack = array[np.newaxis, ..., np.newaxis]
    elif array.ndim == 3 and channels == 1:
        stack = array[..., np.newaxis]
    elif array.ndim == 3 and shape[-1] == channels:
        stack = array[np.newaxis]
    elif array.ndim == 4 and shape[-1] == channels:
        stack = array
    else:
        raise InputError(f"the maps have shape {shape}; {allowed}")
    n, height, width = stack.shape[:3]
    if n == 0 or height < SIZE_MULTIPLE or width < SIZE_MULTIPLE or height % SIZE_MULTIPLE or width % SIZE_MULTIPLE:
        raise InputError(f"the maps have shape {shape}: need at least one map, with height and width multiples of "
                         f"{SIZE_MULTIPLE} (the network halves them three times)")
    train_height, train_width = info["input_shape"][:2]
    if info["model"] == "astro" and (height, width) != (train_height, train_width):
        raise InputError(f"the maps are {height}x{width} pixels; this AstroNet takes {train_height}x{train_width} "
                         "maps only (its dense layer fixes the size)")
    return stack.astype(np.float32)


def input_warnings(stack: np.ndarray, norm: Normalization, info: dict, cell_size: Optional[float] = None) -> List[str]:
    """Warnings when the maps (N, H, W, C) or `cell_size` (Mpc) look unlike the training data.

    The spread is compared with the training maps' pixel std (over all training pixels); only a larger spread
    gets the moderate warning: a genuine map's own std is mostly below that std, which also holds the spread of
    the training maps' means.
    """
    mean, std = np.asarray(norm.map_21cm_mean), np.asarray(norm.map_21cm_std)
    means, spreads = stack.mean(axis=(1, 2), dtype=np.float64), stack.std(axis=(1, 2), dtype=np.float64)
    far = np.abs(means - mean) > WARN_MEAN_STDS * std
    ratio = spreads / std
    odd = (ratio > WARN_SPREAD_FACTOR) | (ratio < 1 / WARN_SPREAD_FACTOR)
    summed = (ratio >= WARN_SUMMED_FACTOR) & ~odd
    found = []
    if far.any():
        redshifts = ", ".join(f"{z:g}" for z in info["redshifts"])
        found.append(f"{_which(far, means)} mean δTb, more than {WARN_MEAN_STDS:g} training stds ({_mK(std)}) from "
                     f"the training mean ({_mK(mean)}): are they in mK, at z = {redshifts}? Predictions far outside "
                     "the training data are unreliable")
    if odd.any():
        found.append(f"{_which(odd, spreads)} pixel std, more than {WARN_SPREAD_FACTOR:g}x off the training maps' "
                     f"{_mK(std)}: are they in mK?")
    if summed.any():
        found.append(f"{_which(summed, spreads)} pixel std {WARN_SUMMED_FACTOR:g}-{WARN_SPREAD_FACTOR:g}x the training "
                     f"maps' {_mK(std)} (up to {ratio[summed].max():.2g}x). Likely cause: the paper's convention, δTb "
                     f"summed over its {PAPER_SLAB_CELLS}-cell slabs, {PAPER_SLAB_CELLS}x the slab averages (mK) this "
                     f"model was trained on; if so, divide the maps by {PAPER_SLAB_CELLS}")
    train_side = np.asarray(info["input_shape"][:2])
    if np.any(np.asarray(stack.shape[1:3]) > WARN_SIZE_FACTOR * train_side):
        found.append(f"the maps are {stack.shape[1]}x{stack.shape[2]} pixels, more than {WARN_SIZE_FACTOR:g}x the "
                     f"training maps' {train_side[0]}x{train_side[1]} ({info['box_len']:g} Mpc): the network never "
                     "saw their largest scales, so δ on those scales is extrapolation")
    if cell_size is not None:
        trained = float(info["cell_size"])
        if abs(cell_size / trained - 1) > WARN_CELL_SIZE_FRACTION:
            found.append(f"--cell_size={cell_size:g} Mpc differs from the training maps' {trained:g} Mpc per pixel by "
                         f"more than {WARN_CELL_SIZE_FRACTION:.0%}: the network will see structures at the wrong scale")
    return found


def _which(flagged: np.ndarray, values: np.ndarray) -> str:
    """"map(s) 0, 3 (first: -46.2 mK) have a": the maps (N,) with any flagged channel (N, C), at most 5 listed."""
    indices = np.flatnonzero(flagged.any(axis=-1)).tolist()
    listed = ", ".join(map(str, indices[:5])) + (f" and {len(indices) - 5} more" if len(indices) > 5 else "")
    return f"map(s) {listed} (first: {_mK(values[indices[0]])}) have a"


def _mK(values: np.ndarray) -> str:
    """One value per channel, e.g. "-46.2 mK" or "[-46.2, -12.1] mK"."""
    numbers = [f"{v:.4g}" for v in np.ravel(values)]
    return (numbers[0] if len(numbers) == 1 else "[" + ", ".join(numbers) + "]") + " mK"


def output_files(output: str, kind: str, tta: bool, png: Optional[str],
                 fits_input: bool = False) -> Dict[str, str]:
    """{"prediction": ..., ["std": ...], ["png": ...]}: the files a run writes, checked before anything runs."""
    suffix = OUTPUT_SUFFIX[kind]
    if kind == "unet" and fits_input and output.lower().endswith(FITS_OUTPUT_SUFFIX):
        suffix = FITS_OUTPUT_SUFFIX
    if not output.lower().endswith(suffix):
        what = "δ maps" if kind == "unet" else "parameters"
        also = f" (or {FITS_OUTPUT_SUFFIX} for a FITS input)" if kind == "unet" else ""
        raise InputError(f"--output={output}: this {kind} model writes {what}; give a path ending in {suffix}{also}")
    files = {"prediction": output}
    if tta and kind == "unet":
        files["std"] = os.path.splitext(output)[0] + "_std" + suffix
    if png:
        if not png.lower().endswith(".png"):
            raise InputError(f"--png={png} must end in .png")
        files["png"] = png
    for name, path in files.items():
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InputError(f"the directory of {path} does not exist; create it first")
    return files


def run_prediction(model_dir: str, input_path: str, output: str, key: Optional[str] = None,
                   png: Optional[str] = None, tta: bool = False, cell_size: Optional[float] = None,
                   batch_size: int = INFERENCE_BATCH_SIZE, warn: Callable[[str], None] = lambda message: None,
                   redshift: Optional[float] = None, say: Callable[[str], None] = lambda line: None) -> dict:
    """Check everything, predict, write the files; return a summary. InputError (a ValueError) says what is wrong.
    `redshift`: of a FITS input whose header does not say (overrides the header). An AstroNet's parameters are
    also told to `say`, one line per map (`parameter_lines`)."""
    if batch_size < 1:
        raise InputError(f"--batch_size={batch_size} must be >= 1")
    if cell_size is not None and not cell_size > 0:
        raise InputError(f"--cell_size={cell_size} must be a pixel size in Mpc > 0")
    info, norm = read_model_dir(model_dir)
    image = _read_fits(input_path, redshift, info, cell_size, warn) if is_fits(input_path) else None
    array = image.maps_mk if image else load_maps(input_path, key)
    stack = as_stack(array, info)
    files = output_files(output, info["model"], tta, png, fits_input=image is not None)
    for message in input_warnings(stack, norm, info, cell_size):
        warn(message)
    # Imported here: every check above runs, and fails, without loading TensorFlow.
    from deep21_tf.util.quiet import start_tensorflow_quietly

    start_tensorflow_quietly()
    from deep21_tf.training.trained_model import TrainedModel

    model = TrainedModel.load(model_dir)
    prediction, std = model.predict_tta(stack, batch_size) if tta else (model.predict(stack, batch_size), None)
    writers, lines = {}, []
    if info["model"] == "unet" and files["prediction"].lower().endswith(FITS_OUTPUT_SUFFIX):
        history = _fits_history(model_dir, info, image, tta)
        writers["prediction"] = _fits_writer(prediction, image, history + ["this image: delta (D4 mean)" if tta else
                                                                           "this image: delta"])
        if tta:
            writers["std"] = _fits_writer(std, image, history + ["this image: per-pixel std of delta over D4"])
    elif info["model"] == "unet":
        writers["prediction"] = _npy_writer(prediction.reshape(array.shape))
        if tta:
            writers["std"] = _npy_writer(std.reshape(array.shape))
    else:
        report = _parameter_report(prediction, std, info, input_path, model_dir)
        writers["prediction"] = _json_writer(report)
        lines = parameter_lines(report)
    if png:
        writers["png"] = _png_writer(stack[0, ..., 0], prediction[0], std, info,
                                     image.cell_size_mpc if image and cell_size is None else cell_size)
    with contextlib.ExitStack() as pending:  # all files appear together at the end, or none on an error
        for name, write in writers.items():
            write(pending.enter_context(atomic_path(files[name])))
    for line in lines:  # told once every file is written
        say(line)
    summary = dict(num_maps=len(stack), map_shape=list(stack.shape[1:]), model=info["model"],
                   trained_model=model_summary(model_dir, info), tta=tta, files=files,
                   instrument=InstrumentSettings.from_json(info.get("instrument")).to_json())
    if image is not None:
        summary["fits_input"] = dict(redshift=image.redshift, redshift_source=image.redshift_source,
                                     pixel_deg=image.pixel_deg, cell_size_mpc=image.cell_size_mpc)
    return summary


def _read_fits(path: str, redshift: Optional[float], info: dict, cell_size: Optional[float],
               warn: Callable[[str], None]):
    """The FITS image at `path` (InputError if unusable), warning where it and the model disagree."""
    if not os.path.isfile(path):
        raise InputError(f"--input={path} does not exist")
    try:
        image = read_fits_image(path, redshift)
    except FitsError as error:
        raise InputError(str(error)) from None
    for message in image.warnings:
        warn(message)
    trained_z = [float(z) for z in info["redshifts"]]
    if min(abs(image.redshift - z) for z in trained_z) > WARN_REDSHIFT_DIFFERENCE:
        warn(f"the image is at z = {image.redshift:.4g} ({image.redshift_source}); the model was trained at "
             f"z = {', '.join(f'{z:g}' for z in trained_z)}")
    trained = float(info["cell_size"])
    if abs(image.cell_size_mpc / trained - 1) > WARN_CELL_SIZE_FRACTION:
        warn(f"the image's pixels are {image.pixel_deg:.6g} deg = {image.cell_size_mpc:.4g} Mpc at z = "
             f"{image.redshift:.4g} ({cosmology.TRAINING_COSMOLOGY_NAME}), the model's training maps {trained:g} Mpc "
             f"per pixel (more than {WARN_CELL_SIZE_FRACTION:.0%} apart): the network will see structures at the "
             "wrong scale")
    if cell_size is not None and abs(cell_size / image.cell_size_mpc - 1) > WARN_CELL_SIZE_FRACTION:
        warn(f"--cell_size={cell_size:g} Mpc differs from the FITS header's {image.cell_size_mpc:.4g} Mpc")
    if not InstrumentSettings.from_json(info.get("instrument")).enabled:
        warn("the model was trained on noiseless simulated maps (no --telescope): an observed image has noise and "
             "a uv coverage it never saw")
    return image


def _fits_history(model_dir: str, info: dict, image, tta: bool) -> List[str]:
    """HISTORY lines of a written FITS image: who made it from what, with which model and geometry."""
    instrument = InstrumentSettings.from_json(info.get("instrument"))
    trained_for = (f"{instrument.telescope}, {instrument.obs_hours:g} h" if instrument.enabled else "no telescope "
                   "(noiseless maps)")
    return ["deep21-predict: matter density contrast delta (dimensionless) from 21 cm maps in mK",
            f"model: {os.path.abspath(model_dir)} (U-Net, dataset {info['dataset']}, cells {info['cell_size']:.4g} "
            f"Mpc, trained for {trained_for})", image.describe(),
            f"D4 test-time averaging: {'yes' if tta else 'no'}"]


def _fits_writer(maps: np.ndarray, image, history: List[str]) -> Callable[[str], None]:
    return lambda path: write_fits_like(path, maps.reshape(image.maps_mk.shape), image, history)


def model_summary(model_dir: str, info: dict) -> dict:
    """Which model predicts (a shipped model, by its name in SHIPPED_MODELS, or "model dir") and its training maps:
    dataset, redshifts (z), map size (cells), cell size and box length (Mpc)."""
    shipped = [name for path, name in SHIPPED_MODELS.values() if os.path.realpath(path) == os.path.realpath(model_dir)]
    return dict(source=shipped[0] if shipped else "model dir", model_dir=os.path.abspath(model_dir),
                dataset=info["dataset"], redshifts=list(info["redshifts"]), map_cells=list(info["input_shape"][:2]),
                cell_size_mpc=float(info["cell_size"]), box_length_mpc=float(info["box_len"]))


def _parameter_report(log10_params: np.ndarray, std: Optional[np.ndarray], info: dict, input_path: str,
                      model_dir: str) -> dict:
    """JSON-friendly parameters per map: log10 (keyed by the log10 names) and physical (keyed by the bare names)."""
    names = info["parameter_names"]
    bare = [bare_name(name) for name in names]
    maps = []
    for index, values in enumerate(np.asarray(log10_params, np.float64)):
        entry = {"log10": dict(zip(names, values.tolist())), "physical": dict(zip(bare, (10.0 ** values).tolist()))}
        if std is not None:
            entry["d4_std_log10"] = dict(zip(names, np.asarray(std[index], np.float64).tolist()))
        maps.append(entry)
    return dict(trained_model=model_summary(model_dir, info), input=os.path.abspath(input_path),
                parameter_names=names, units={b: PARAMETER_UNITS[n] for b, n in zip(bare, names)},
                test_time_augmentation=std is not None, maps=maps)


def parameter_lines(report: dict) -> List[str]:
    """One line per map of a parameter report (`_parameter_report`): each parameter in physical units, then its
    log10 and, with D4 averaging, ± the D4 std of the log10 (dex)."""
    lines = []
    for index, entry in enumerate(report["maps"]):
        values = []
        for name in report["parameter_names"]:
            bare = bare_name(name)
            spread = f" ± {entry['d4_std_log10'][name]:.2g}" if "d4_std_log10" in entry else ""
            values.append(f"{bare} = {entry['physical'][bare]:.3g} {report['units'][bare]} "
                          f"(log10 {entry['log10'][name]:.3f}{spread})")
        lines.append(f"map {index}: " + ", ".join(values))
    return lines


def _npy_writer(array: np.ndarray) -> Callable[[str], None]:
    return lambda path: np.save(path, np.asarray(array, np.float32), allow_pickle=False)


def _json_writer(data: dict) -> Callable[[str], None]:
    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
    return write


def _png_writer(map_21cm: np.ndarray, prediction: np.ndarray, std: Optional[np.ndarray], info: dict,
                cell_size: Optional[float]) -> Callable[[str], None]:
    """The first map's figure: 21 cm | δ (| D4 std) for the U-Net, the 21 cm map titled with the parameters."""
    cell_size = cell_size or float(info["cell_size"])
    if info["model"] == "unet":
        figure = prediction_panels(map_21cm, cell_size, prediction[..., 0], None if std is None else std[0, ..., 0],
                                   title=f"map 0, z = {info['redshifts'][0]:g}")
    else:
        values = "\n".join(f"{bare_name(name)} = {10.0 ** value:.3g} {PARAMETER_UNITS[name]}"
                            for name, value in zip(info["parameter_names"], np.asarray(prediction, np.float64)))
        figure = prediction_panels(map_21cm, cell_size, title=f"map 0\n{values}")
    data = figure_to_png(figure, dpi=100)

    def write(path: str) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
    return write
