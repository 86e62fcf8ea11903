"""hi21cm: the TFDS entry point for `tfds build datasets/hi21cm --manual_dir=SUITE_DIR --config=z15`.

The implementation lives in `deep21_tf.data.tfds_builder` so that library code can read and build the dataset
without this folder; this `Builder` only gives `tfds build` the class it looks for by convention.
"""
from deep21_tf.data.tfds_builder import NAME, Hi21cm


class Builder(Hi21cm, skip_registration=True):
    """The hi21cm dataset (registered once, by `deep21_tf.data.tfds_builder.Hi21cm`)."""

    name = NAME
