"""Data stage: the hi21cm TFDS builder, the D4 group, normalisation, and the tf.data input pipeline.

    ds = make_dataset(DATA_DIR, "z15", "train", target="unet", augment="random", batch_size=30, shuffle_buffer=1000)
    norm = load_normalization(DATA_DIR, "z15")

Importing this package registers the builder, so ``tfds.builder("hi21cm/z15", data_dir=DATA_DIR)`` works too.
"""
from deep21_tf.data.d4 import D4_SIZE
from deep21_tf.data.normalization import Normalization
from deep21_tf.data.pipeline import AUGMENTATIONS, TARGETS, make_dataset
from deep21_tf.data.reading import load_normalization, open_builder
from deep21_tf.data.tfds_builder import Hi21cm

__all__ = ["AUGMENTATIONS", "D4_SIZE", "Hi21cm", "Normalization", "TARGETS", "load_normalization", "make_dataset",
           "open_builder"]
