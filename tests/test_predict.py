"""deep21-predict on a user's own maps: δ and parameters in physical units, any size, D4 averaging, bad input."""
from __future__ import annotations

import json
import os

import h5py
import keras
import numpy as np
import pytest

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.data.normalization import Normalization
from deep21_tf.predict import choose_model, input_warnings, parameter_lines, run_prediction
from deep21_tf.training import run_files
from deep21_tf.util.paths import SHIPPED_MODELS, SHIPPED_UNET_DIR
from tests.conftest import run_cli

PREDICT = "deep21_tf.apps.predict"


def exported_prediction(model_dir: str, maps_mK: np.ndarray) -> np.ndarray:
    exported = keras.saving.load_model(run_files.path(model_dir, run_files.EXPORTED_FILE), safe_mode=True)
    return exported.predict(maps_mK[..., np.newaxis], verbose=0)


@pytest.mark.slow
def test_unet_stack_gives_delta_in_the_inputs_shape_as_the_exported_model(trained_unet_dir, tiny_maps_mK, tmp_path):
    np.save(tmp_path / "maps.npy", tiny_maps_mK)
    result = run_cli(PREDICT, f"--model_dir={trained_unet_dir}", f"--input={tmp_path / 'maps.npy'}",
                     f"--output={tmp_path / 'delta.npy'}", f"--png={tmp_path / 'first.png'}")
    delta = np.load(tmp_path / "delta.npy")
    assert delta.shape == (8, 32, 32) and delta.dtype == np.float32
    np.testing.assert_allclose(delta, exported_prediction(trained_unet_dir, tiny_maps_mK)[..., 0], rtol=1e-4,
                               atol=1e-5)
    with open(tmp_path / "first.png", "rb") as handle:
        assert handle.read(4) == b"\x89PNG"
    assert json.loads(result.stdout.strip().splitlines()[-1])["num_maps"] == 8
    # a quiet start: on a CPU the app's own lines only (here a warning), no TensorFlow/CUDA start-up lines
    assert all(line.startswith("deep21-predict: ") for line in result.stderr.strip().splitlines()), result.stderr


@pytest.mark.slow
def test_unet_takes_a_larger_map_with_tta_and_warns_about_the_pixel_size(trained_unet_dir, tiny_maps_mK, tmp_path):
    from deep21_tf.training.trained_model import TrainedModel

    big = np.block([[tiny_maps_mK[0], tiny_maps_mK[1]], [tiny_maps_mK[2], tiny_maps_mK[3]]])  # a 64x64 map
    np.savez(tmp_path / "big.npz", sky=big)
    result = run_cli(PREDICT, f"--model_dir={trained_unet_dir}", f"--input={tmp_path / 'big.npz'}",
                     f"--output={tmp_path / 'delta.npy'}", "--tta", "--cell_size=3.0")
    assert "deep21-predict: warning: --cell_size=3 Mpc differs" in result.stderr
    delta, std = np.load(tmp_path / "delta.npy"), np.load(tmp_path / "delta_std.npy")
    assert delta.shape == std.shape == (64, 64) and np.all(std >= 0) and std.max() > 0
    model = TrainedModel.load(trained_unet_dir)
    resized = model.network_for((64, 64, 1))
    assert all(np.array_equal(a, b) for a, b in zip(resized.get_weights(), model.network.get_weights()))
    mean, _ = model.predict_tta(big[np.newaxis, ..., np.newaxis])
    np.testing.assert_allclose(delta, mean[0, ..., 0], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_astronet_writes_log10_and_physical_parameters(trained_astro_dir, tiny_maps_mK, tmp_path):
    with h5py.File(tmp_path / "maps.h5", "w") as handle:
        handle.create_dataset("sky/maps", data=tiny_maps_mK[:3])
        handle.create_dataset("sky/other", data=np.zeros(3))
    result = run_cli(PREDICT, f"--model_dir={trained_astro_dir}", "--target=parameters",
                     f"--input={tmp_path / 'maps.h5'}", "--key=sky/maps", f"--output={tmp_path / 'params.json'}",
                     "--tta")
    with open(tmp_path / "params.json", encoding="utf-8") as handle:
        report = json.load(handle)
    # each map's parameters are printed too, in physical units, with their log10 ± the D4 spread
    printed = result.stdout.strip().splitlines()[:-1]
    assert printed == parameter_lines(report) and len(printed) == 3
    first = report["maps"][0]
    assert printed[0].startswith(f"map 0: mturn = {first['physical']['mturn']:.3g} Msun (log10 "
                                 f"{first['log10']['log10_mturn']:.3f} ± {first['d4_std_log10']['log10_mturn']:.2g})")
    assert report["parameter_names"] == ["log10_mturn", "log10_lx", "log10_ngamma"] and len(report["maps"]) == 3
    assert set(report["units"]) == {"mturn", "lx", "ngamma"}
    assert report["trained_model"] == dict(source="model dir", model_dir=trained_astro_dir, dataset="z15",
                                           redshifts=[15.0], map_cells=[32, 32], cell_size_mpc=1.5,
                                           box_length_mpc=48.0)
    for entry in report["maps"]:
        for name, value in entry["log10"].items():
            assert entry["physical"][name[len("log10_"):]] == pytest.approx(10.0 ** value)
            assert entry["d4_std_log10"][name] >= 0
    # the D4 average lies within the spread of the single-orientation predictions around it
    plain = exported_prediction(trained_astro_dir, tiny_maps_mK[:3])
    averaged = np.array([list(entry["log10"].values()) for entry in report["maps"]])
    spread = np.array([list(entry["d4_std_log10"].values()) for entry in report["maps"]])
    assert np.all(np.abs(plain - averaged) <= 3 * spread + 1e-4)


def test_target_picks_the_shipped_model_or_must_match_the_model_dirs(trained_astro_dir, tmp_path):
    for target in (None, "density"):  # without --model_dir: the shipped U-Net, named in a note
        model_dir, note = choose_model(None, target)
        assert model_dir == SHIPPED_MODELS["density"][0] and "using the shipped U-Net z15" in note
    model_dir, note = choose_model(None, "parameters")
    assert model_dir == SHIPPED_MODELS["parameters"][0] and "using the shipped AstroNet all_z" in note
    assert choose_model(trained_astro_dir, "parameters") == (trained_astro_dir, None)
    with pytest.raises(ValueError, match="--target=parameters, but --model_dir=.* holds a U-Net, which predicts "
                                         "density: drop --target or give the model dir of an AstroNet"):
        choose_model(SHIPPED_UNET_DIR, "parameters")
    maps = tmp_path / "maps.npy"
    np.save(maps, np.zeros((32, 32), np.float32))
    result = run_cli(PREDICT, f"--model_dir={trained_astro_dir}", "--target=density", f"--input={maps}",
                     f"--output={tmp_path / 'delta.npy'}", check=False)
    assert result.returncode == 2 and "holds an AstroNet, which predicts parameters" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps.npy"]
    bad = run_cli(PREDICT, "--target=mass", f"--input={maps}", f"--output={tmp_path / 'delta.npy'}", check=False)
    assert bad.returncode != 0 and "--target=mass: value should be one of <density|parameters>" in bad.stderr


#: Training maps of mean -100 mK and std 10 mK, 16x16 pixels of 1.5 Mpc.
NORM = Normalization(redshifts=(15.0,), map_21cm_mean=(-100.0,), map_21cm_std=(10.0,), density_mean=(0.0,),
                     density_std=(1.0,), parameter_names=PARAMETER_NAMES, log10_params_mean=(8.5, 40.5, 3.5),
                     log10_params_std=(0.3, 0.3, 0.3), train_sim_ids=("sim_00000",))
INFO = {"cell_size": 1.5, "redshifts": [15.0], "input_shape": [16, 16, 1], "box_len": 24.0}


def maps_like_training(n: int = 2, side: int = 16, spread: float = 1.0) -> np.ndarray:
    """(n, side, side, 1) maps of the training mean whose pixel std is `spread` x the training std."""
    noise = np.random.default_rng(0).normal(size=(n, side, side, 1))
    noise = (noise - noise.mean(axis=(1, 2), keepdims=True)) / noise.std(axis=(1, 2), keepdims=True)
    return (-100 + spread * 10 * noise).astype(np.float32)


def test_warnings_for_maps_unlike_the_training_data():
    good = maps_like_training()
    assert input_warnings(good, NORM, INFO, cell_size=1.5) == []
    in_kelvin = good / 1000
    found = input_warnings(in_kelvin, NORM, INFO)
    assert len(found) == 2 and "mean δTb" in found[0] and "pixel std" in found[1]
    assert input_warnings(good + 30, NORM, INFO) == []  # another astrophysics: a shifted mean is still plausible
    assert "--cell_size=2 Mpc" in input_warnings(good, NORM, INFO, cell_size=2.0)[0]


@pytest.mark.parametrize("spread, expected", [(1.5, None), (2.5, "summed over its 4-cell slabs"),
                                              (4.0, "summed over its 4-cell slabs"),
                                              (8.0, "summed over its 4-cell slabs"), (12.0, "are they in mK?")])
def test_a_spread_2_to_10x_the_training_maps_names_the_papers_4_cell_sums(spread, expected):
    found = input_warnings(maps_like_training(spread=spread), NORM, INFO)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found
    if expected and "4-cell" in expected:
        assert f"(up to {spread:.2g}x)" in found[0] and "divide the maps by 4" in found[0]


def test_a_map_over_twice_the_training_side_gets_a_warning():
    assert input_warnings(maps_like_training(side=32), NORM, INFO) == []  # 2x: still warned about nothing
    found = input_warnings(maps_like_training(side=40), NORM, INFO)
    assert len(found) == 1 and "40x40 pixels, more than 2x the training maps' 16x16 (24 Mpc)" in found[0]
    assert "never saw their largest scales" in found[0]


def test_the_summary_names_the_shipped_model_and_its_training_geometry(tmp_path):
    norm = Normalization.from_dict(run_files.read(SHIPPED_UNET_DIR, run_files.NORMALIZATION_FILE))
    rng = np.random.default_rng(0)
    # the paper's convention: 4-cell sums, 4x the averaged fluctuations around the training mean
    summed = norm.map_21cm_mean[0] + 4 * norm.map_21cm_std[0] * rng.normal(size=(64, 64))
    np.save(tmp_path / "summed.npy", summed.astype(np.float32))
    warnings = []
    summary = run_prediction(SHIPPED_UNET_DIR, str(tmp_path / "summed.npy"), str(tmp_path / "delta.npy"),
                             warn=warnings.append)
    assert len(warnings) == 1 and "paper's convention" in warnings[0]
    assert summary["trained_model"] == dict(source="shipped U-Net z15", model_dir=SHIPPED_UNET_DIR, dataset="z15",
                                            redshifts=[15.0], map_cells=[64, 64], cell_size_mpc=1.5,
                                            box_length_mpc=96.0)
    assert np.load(tmp_path / "delta.npy").shape == (64, 64)


def _write(tmp_path, name, array, **savez):
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, array)
    else:
        np.savez(path, **savez)
    return path


def _text(path):
    path.write_text("-100 -100\n-100 -100\n")
    return path


BAD_INPUTS = {
    "missing file": (lambda d: d / "nowhere.npy", "does not exist"),
    "unsupported type": (lambda d: _text(d / "maps.txt"), "unsupported file type"),
    "NaN": (lambda d: _write(d, "nan.npy", np.where(np.eye(32) > 0, np.nan, -100.0)), "NaN or infinite"),
    "Inf": (lambda d: _write(d, "inf.npy", np.full((2, 32, 32), np.inf)), "NaN or infinite"),
    "rank 1": (lambda d: _write(d, "r1.npy", np.zeros(32)), "shape (32,)"),
    "rank 5": (lambda d: _write(d, "r5.npy", np.zeros((1, 1, 32, 32, 1))), "shape (1, 1, 32, 32, 1)"),
    "size not divisible by 8": (lambda d: _write(d, "odd.npy", np.zeros((30, 30))), "multiples of 8"),
    "integer data": (lambda d: _write(d, "int.npy", np.zeros((32, 32), np.int64)), "int64 values"),
    "object .npy": (lambda d: _write(d, "obj.npy", np.array([np.zeros((32, 32)), None], dtype=object)),
                    "Python objects"),
    "object .npz": (lambda d: _write(d, "obj.npz", None, maps=np.array([np.zeros(3), "x"], dtype=object)),
                    "Python objects"),
    "npz without key": (lambda d: _write(d, "two.npz", None, a=np.zeros((32, 32)), b=np.zeros((32, 32))),
                        "pick one with --key"),
    "empty .npy": (lambda d: _bytes(d / "empty.npy", b""), "is empty"),
    "empty .npz": (lambda d: _bytes(d / "empty.npz", b""), "is empty"),
    "random bytes .npy": (lambda d: _bytes(d / "noise.npy", np.random.default_rng(0).bytes(4096)),
                          "is not a NumPy .npy file"),
    "random bytes .h5": (lambda d: _bytes(d / "noise.h5", np.random.default_rng(1).bytes(4096)), "is not an HDF5 file"),
    "truncated .npy": (lambda d: _truncated(d / "cut.npy"), "cannot be read"),
    "truncated .npz": (lambda d: _truncated(d / "cut.npz"), "cannot be read"),
}


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _truncated(path):
    """A valid file of 8 maps cut to half its size, as an interrupted copy leaves it."""
    full = path.with_name("full" + path.suffix)
    (np.save if path.suffix == ".npy" else lambda p, a: np.savez(p, maps=a))(full, np.zeros((8, 32, 32)))
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    full.unlink()
    return path


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_in_one_line_and_writes_nothing(case, trained_unet_dir, tmp_path):
    make_input, expected = BAD_INPUTS[case]
    path = make_input(tmp_path)
    before = sorted(os.listdir(tmp_path))
    result = run_cli(PREDICT, f"--model_dir={trained_unet_dir}", f"--input={path}",
                     f"--output={tmp_path / 'delta.npy'}", f"--png={tmp_path / 'first.png'}", check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deep21-predict: error:") and expected in lines[0], lines
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.slow
@pytest.mark.parametrize("case", ["empty model dir", "no network", "astro size", "astro output suffix"])
def test_bad_model_dir_or_model_mismatch_fails_in_one_line(case, trained_unet_dir, trained_astro_dir, tmp_path):
    maps = tmp_path / "maps.npy"
    np.save(maps, np.full((64, 64), -100.0, np.float32))
    model_dir, output, expected = trained_astro_dir, tmp_path / "params.json", "takes 32x32 maps only"
    if case == "empty model dir":
        model_dir, expected = tmp_path / "empty", "is not a deep21-tf model directory"
        model_dir.mkdir()
    elif case == "no network":
        model_dir, expected = tmp_path / "copy", "exported.keras is missing"
        model_dir.mkdir()
        for name in (run_files.INFO_FILE, run_files.NORMALIZATION_FILE):
            (model_dir / name).write_text(open(run_files.path(trained_unet_dir, name), encoding="utf-8").read())
    elif case == "astro output suffix":
        np.save(maps, np.full((32, 32), -100.0, np.float32))
        output, expected = tmp_path / "params.npy", "give a path ending in .json"
    before = sorted(os.listdir(tmp_path))
    result = run_cli(PREDICT, f"--model_dir={model_dir}", f"--input={maps}", f"--output={output}", check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deep21-predict: error:") and expected in lines[0], lines
    assert sorted(os.listdir(tmp_path)) == before
