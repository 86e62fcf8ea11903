"""The project's shared vocabulary, importable without TensorFlow: one home for every rule several stages obey.

Parameters, dataset configs and their redshifts, model kinds and what each predicts, the map-size rule of the
U-Net, the k bands of the headline scores, the batch size of inference (the split fractions: `data.splits`) and the
Beam runner of the local pipelines.
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

#: The three astrophysical parameters (paper Table I) as log10 of their physical values, in the order used
#: everywhere (manifest, simulation files, datasets, models).
PARAMETER_NAMES = ("log10_mturn", "log10_lx", "log10_ngamma")
#: Physical units of 10**parameter.
PARAMETER_UNITS = {"log10_mturn": "Msun", "log10_lx": "erg s^-1 (Msun/yr)^-1", "log10_ngamma": "photons per baryon"}
#: Plain-text names of the parameters for tables and console lines (figures use `figures.PARAMETER_LABELS`).
PARAMETER_TEXT = {"log10_mturn": "log10 M_turn", "log10_lx": "log10 L_X", "log10_ngamma": "log10 N_γ"}
LOG10_PREFIX = "log10_"


def bare_name(parameter: str) -> str:
    """The physical parameter a log10 name stands for: log10_mturn → mturn."""
    return parameter[len(LOG10_PREFIX):] if parameter.startswith(LOG10_PREFIX) else parameter


#: The hi21cm dataset configs that hold 21 cm and δ maps (the U-Net's and AstroNet's data): name → redshifts
#: packed as channels, in increasing order.
MAP_DATASETS: Dict[str, Tuple[float, ...]] = {
    "z10": (10.0,),
    "z15": (15.0,),
    "z20": (20.0,),
    "all_z": (10.0, 15.0, 20.0),
}
#: Each map config has a twin named with this prefix (params_z15, params_all_z, …) that holds the 21 cm maps and the
#: parameters but no δ maps: AstroNet's data, which also builds from a compact suite (`SuiteConfig.compact`).
PARAMETER_DATASET_PREFIX = "params_"
#: … and a twin with this suffix (z15_wedge, params_all_z_wedge, …) whose 21 cm maps are those with the foreground
#: wedge removed (the suite field of `SuiteConfig.wedge`).
WEDGE_DATASET_SUFFIX = "_wedge"
#: Every dataset config: name → redshifts as channels.
DATASET_REDSHIFTS: Dict[str, Tuple[float, ...]] = {
    prefix + name + suffix: redshifts for prefix in ("", PARAMETER_DATASET_PREFIX)
    for suffix in ("", WEDGE_DATASET_SUFFIX) for name, redshifts in MAP_DATASETS.items()}
#: The config names (the builder's configs, the choices of --dataset) and the default one.
DATASET_CONFIGS = tuple(DATASET_REDSHIFTS)
DEFAULT_DATASET = "z15"
#: The TFDS dataset: its registered name, the version its builder writes (DATA_DIR/hi21cm/CONFIG/VERSION/) and the
#: module whose import registers the builder (`tfds build hi21cm --imports=MODULE` builds from an installed package).
DATASET_NAME = "hi21cm"
DATASET_VERSION = "1.1.0"
BUILDER_MODULE = "deep21_tf.data.tfds_builder"
#: The Beam runner of deep21-tf's own local pipelines (`deep21-simulate --runner=beam`, the pipeline's `tfds build`
#: stages): Beam's in-process runner. Beam's default DirectRunner hands a pipeline to its Prism runner wherever it
#: can download Prism from GitHub, so online and offline hosts would run it two ways, and on CI (Beam 2.78) Prism
#: finished the simulation pipeline in 0.3 s without running its step.
LOCAL_BEAM_RUNNER = "FnApiRunner"
#: The single-redshift map configs, keyed by their redshift (a redshift study trains one model per entry).
SINGLE_REDSHIFT_DATASETS: Dict[float, str] = {zs[0]: name for name, zs in MAP_DATASETS.items() if len(zs) == 1}


def holds_density(dataset: str) -> bool:
    """Whether the dataset config `dataset` holds δ maps (all but the params_ twins do)."""
    return dataset in DATASET_REDSHIFTS and not dataset.startswith(PARAMETER_DATASET_PREFIX)


def wedge_removed(dataset: str) -> bool:
    """Whether the 21 cm maps of the dataset config `dataset` are those with the foreground wedge removed."""
    return dataset.endswith(WEDGE_DATASET_SUFFIX)


def plain_twin(dataset: str) -> str:
    """The config with the same maps as simulated: z15 for z15_wedge (`dataset` itself when it is not a _wedge twin)."""
    return dataset[:-len(WEDGE_DATASET_SUFFIX)] if wedge_removed(dataset) else dataset


#: The model kinds and the dataset field each predicts: the U-Net δ maps, AstroNet the log10 parameters.
MODEL_TARGET_FIELD = {"unet": "density", "astro": "log10_params"}
MODEL_KINDS = tuple(MODEL_TARGET_FIELD)
#: The model kinds as messages name them.
MODEL_NAMES = {"unet": "a U-Net", "astro": "an AstroNet"}
#: What deep21-predict can be asked for (--target) and the model kind that predicts it.
PREDICTION_TARGETS = {"density": "unet", "parameters": "astro"}
#: Where AstroNet's encoder comes from: the trained U-Net's, kept frozen or trained on, or a fresh one.
ENCODERS = ("frozen", "trainable", "scratch")
#: Learning-rate schedules: the paper's drop after a validation plateau, or a cosine decay over the run's epochs.
LR_SCHEDULES = ("plateau", "cosine")
#: The encoders taken from a trained U-Net (the pipeline's AstroNets; paper Sec. IV.3).
TRANSFER_ENCODERS = ENCODERS[:2]
#: Map sides must be multiples of this: the U-Net halves them three times.
SIZE_MULTIPLE = 8
#: Maps per inference batch (evaluation, prediction, test-time averaging).
INFERENCE_BATCH_SIZE = 16

#: k bands (Mpc⁻¹) of the paper's headline figures — T and r within 5 % to k ≈ 0.7 and 8 % to k ≈ 2 — followed
#: in TensorBoard during training and reported by evaluation.
K_BANDS = ((0.0, 0.7), (0.7, 2.0))
HEADLINE_K_LIMITS = tuple(high for _, high in K_BANDS)


def redshift_datasets(redshifts: Sequence[float]) -> Tuple[str, ...]:
    """The single-redshift dataset configs of `redshifts` (e.g. 10, 15, 20 → z10, z15, z20), in the given order.

    Raises ValueError naming the allowed redshifts when one has no dataset, or when one is repeated.
    """
    allowed = ", ".join(f"{z:g}" for z in SINGLE_REDSHIFT_DATASETS)
    unknown = [z for z in redshifts if float(z) not in SINGLE_REDSHIFT_DATASETS]
    if unknown or not redshifts:
        raise ValueError(f"--redshifts={','.join(f'{z:g}' for z in redshifts)}: no dataset for "
                         f"{', '.join(f'z = {z:g}' for z in unknown) or 'an empty list'}; allowed: {allowed}")
    if len(set(redshifts)) != len(redshifts):
        raise ValueError(f"--redshifts={','.join(f'{z:g}' for z in redshifts)} repeats a redshift")
    return tuple(SINGLE_REDSHIFT_DATASETS[float(z)] for z in redshifts)
