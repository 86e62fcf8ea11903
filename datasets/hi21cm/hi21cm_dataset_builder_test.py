"""Builder test on dummy data: a 3-simulation fake suite of 8x8 maps (see dummy_data/README.md)."""
import pytest

pytest.importorskip("dill", reason="tfds.testing imports dill (pip install dill)")

import tensorflow_datasets as tfds  # noqa: E402

from hi21cm import hi21cm_dataset_builder  # noqa: E402


class Hi21cmTest(tfds.testing.DatasetBuilderTestCase):
    """One- and three-channel configs (and a params_ twin, without δ) build with Beam; 1 simulation per split x 2 slab
    maps."""

    DATASET_CLASS = hi21cm_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["z15", "all_z", "params_all_z"]
    SPLITS = {"train": 2, "validation": 2, "test": 2}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
