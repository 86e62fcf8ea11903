"""Data stage: the hi21cm TFDS builder, the D4 group, normalisation, splits, and the tf.data input pipeline.

    from deep21_tf.contracts import DEFAULT_DATASET
    from deep21_tf.data import load_normalization, make_dataset
    ds = make_dataset(DATA_DIR, DEFAULT_DATASET, "train", target="unet", augment="random", batch_size=30,
                      shuffle_buffer=1000)
    norm = load_normalization(DATA_DIR, DEFAULT_DATASET)

The names below load their module (and TensorFlow) on first use, so the pure-numpy modules (`normalization`,
`splits`, `suite`) import without TensorFlow. Importing `deep21_tf.data.tfds_builder` registers the builder, so
``tfds.builder("hi21cm/z15", data_dir=DATA_DIR)`` works too.
"""
import importlib

_HOMES = {"AUGMENTATIONS": "tfdata", "make_dataset": "tfdata", "D4_SIZE": "d4", "Normalization": "normalization",
          "load_normalization": "reading", "open_builder": "reading", "Hi21cm": "tfds_builder"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
