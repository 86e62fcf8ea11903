"""The TFDS builder of the hi21cm dataset: a finished simulation suite packed into sharded TFRecords with Beam.

Build it with the TFDS CLI (the suite directory is the manual dir)::

    tfds build datasets/hi21cm --manual_dir=SUITE_DIR --data_dir=DATA_DIR --config=z15 \
        [--beam_pipeline_options=direct_running_mode=multi_processing,direct_num_workers=2]

or, from an installed package anywhere, ``tfds build hi21cm --imports=deep21_tf.data.tfds_builder …`` (this module
registers the builder).

One example is one slab map of one simulation. Splits are by simulation (`deep21_tf.data.splits`); the
normalisation statistics of the train split (`deep21_tf.data.normalization`), the split assignment and the
suite's settings are stored in the dataset's metadata (``metadata.json`` beside ``dataset_info.json``).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from typing import Dict, Tuple

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core.constants import INCOMPLETE_PREFIX

from deep21_tf.contracts import (DATASET_NAME, DATASET_REDSHIFTS, DATASET_VERSION, DEFAULT_DATASET, PARAMETER_NAMES,
                                 PARAMETER_UNITS, bare_name, holds_density, wedge_removed)
from deep21_tf.data.metadata import dataset_metadata
from deep21_tf.data.normalization import compute_normalization
from deep21_tf.data.splits import SPLITS, SplitError, assign_splits
from deep21_tf.data.suite import Suite, SuiteError, open_suite, read_examples
from deep21_tf.simulation.manifest import manifest_path
from deep21_tf.simulation.storage import BRIGHTNESS_FIELD, WEDGE_FIELD
from deep21_tf.util.paths import BUILDER_FOLDER

NAME = DATASET_NAME
#: TFDS' command-line package (`tfds build` runs from it).
TFDS_CLI_PACKAGE = "tensorflow_datasets.scripts.cli"

SUITE_INSTRUCTIONS = """\
The manual dir is a simulation suite made by the simulation stage (manifest.json + one sim_NNNNN.h5 per
simulation), e.g. `deep21-simulate --flagfile=flags/tiny.flags --suite_dir=SUITE_DIR`; pass it as
`tfds build datasets/hi21cm --manual_dir=SUITE_DIR`. Every simulation of the manifest must be complete.
"""


@dataclasses.dataclass
class Hi21cmConfig(tfds.core.BuilderConfig):
    """A builder config: the redshifts packed as channels, in increasing order; whether it holds δ maps; whether its
    21 cm maps are those with the foreground wedge removed."""

    redshifts: Tuple[float, ...] = ()
    with_density: bool = True
    wedge: bool = False

    @property
    def reading(self) -> dict:
        """How its examples are read from the suite's files (`read_examples` and `compute_normalization` options)."""
        return dict(with_density=self.with_density, field_21cm=WEDGE_FIELD if self.wedge else BRIGHTNESS_FIELD)


def _describe(redshifts: Tuple[float, ...], with_density: bool, wedge: bool) -> str:
    """E.g. `z = 10, 15, 20 as channels; 21 cm maps and parameters only (compact suites too), (H, W, 3).`"""
    channels = f"z = {', '.join(f'{z:g}' for z in redshifts)}{' as channels' if len(redshifts) > 1 else ''}"
    maps = "21 cm maps (foreground wedge removed; a suite made with --wedge)" if wedge else "21 cm maps"
    content = f"{maps} and density maps" if with_density else f"{maps} and parameters only (compact suites too)"
    return f"{channels}; {content}, (H, W, {len(redshifts)})."


def _builder_config(name: str, redshifts: Tuple[float, ...]) -> Hi21cmConfig:
    content = dict(redshifts=redshifts, with_density=holds_density(name), wedge=wedge_removed(name))
    return Hi21cmConfig(name=name, description=_describe(**content), **content)


BUILDER_CONFIGS = [_builder_config(name, redshifts) for name, redshifts in DATASET_REDSHIFTS.items()]


def _under_tfds_cli() -> bool:
    """True inside TFDS' own command line (`tfds build` or `python -m tensorflow_datasets.scripts.cli.main`)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return os.path.basename(sys.argv[0]) == "tfds" or (spec is not None and spec.name.startswith(TFDS_CLI_PACKAGE))


class Hi21cm(tfds.core.GeneratorBasedBuilder):
    """21 cm brightness-temperature maps (redshift space) and matter density maps (real space) from 21cmFAST."""

    VERSION = tfds.core.Version(DATASET_VERSION)
    RELEASE_NOTES = {"1.0.0": "First release: splits by simulation, train-split normalisation in metadata.",
                     "1.1.0": "los_axis feature: suites with three lines of sight per box (x, y, z)."}
    BUILDER_CONFIGS = BUILDER_CONFIGS
    DEFAULT_CONFIG_NAME = DEFAULT_DATASET
    MANUAL_DOWNLOAD_INSTRUCTIONS = SUITE_INSTRUCTIONS
    # the TFDS folder convention files (README.md, CITATIONS.bib; dummy_data/ in a checkout), in a wheel or a checkout
    pkg_dir_path = tfds.core.Path(BUILDER_FOLDER) if os.path.isdir(BUILDER_FOLDER) else None

    def _info(self) -> tfds.core.DatasetInfo:
        channels = len(self.builder_config.redshifts)
        maps = dict(shape=(None, None, channels), dtype=np.float32, encoding=tfds.features.Encoding.BYTES)
        units = ", ".join(f"{bare_name(name)} [{PARAMETER_UNITS[name]}]" for name in PARAMETER_NAMES)
        with_density = self.builder_config.with_density
        density = ({"density": tfds.features.Tensor(**maps, doc="matter density contrast δ, real space")}
                   if with_density else {})
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "map_21cm": tfds.features.Tensor(**maps, doc="21 cm brightness temperature, redshift space, mK"
                                                 + (", foreground wedge removed" if self.builder_config.wedge else "")),
                **density,
                # Raw bytes: tf.train.Example stores floats as float32, and L_X ~ 1e40 overflows float32.
                "params": tfds.features.Tensor(shape=(3,), dtype=np.float64, encoding=tfds.features.Encoding.BYTES,
                                               doc=f"parameters: {units}"),
                "log10_params": tfds.features.Tensor(shape=(3,), dtype=np.float32,
                                                     doc=f"log10 of {', '.join(PARAMETER_NAMES)}"),
                "sim_id": tfds.features.Text(doc="simulation id, e.g. sim_00042"),
                "seed": tfds.features.Scalar(dtype=np.int64, doc="21cmFAST random seed"),
                "slice_index": tfds.features.Scalar(dtype=np.int32, doc="map index within its simulation"),
                "los_axis": tfds.features.Scalar(dtype=np.int32,
                                                 doc="box axis of the map's line of sight: 0 = x, 1 = y, 2 = z"),
                "redshift": tfds.features.Tensor(shape=(channels,), dtype=np.float32, doc="redshift per channel"),
                "box_len": tfds.features.Scalar(dtype=np.float32, doc="box side, Mpc"),
                "cell_size": tfds.features.Scalar(dtype=np.float32, doc="cell size, Mpc"),
            }),
            supervised_keys=("map_21cm", "density" if with_density else "log10_params"),
            metadata=tfds.core.MetadataDict(),
            homepage="https://arxiv.org/abs/2006.14305",
        )

    def download_and_prepare(self, *, download_config=None, **kwargs):
        """Check the suite before TFDS writes anything to data_dir, build as usual, then remove what killed builds
        of this config left behind. Under `tfds build` a bad suite is one line on stderr and exit status 2."""
        manual_dir = download_config.manual_dir if download_config else None
        overwrite = download_config is not None and download_config.download_mode.overwrite_dataset
        if overwrite or not self.is_prepared():
            try:
                if manual_dir:
                    self._open_suite(manual_dir)
                elif _under_tfds_cli():  # (TFDS' test harness passes the dummy suite another way)
                    raise SuiteError("no --manual_dir given: " + " ".join(SUITE_INSTRUCTIONS.split()))
            except (SuiteError, SplitError) as error:
                if _under_tfds_cli():
                    sys.stderr.write(f"tfds build: error: {error}\n")
                    sys.exit(2)
                raise
        super().download_and_prepare(download_config=download_config, **kwargs)
        self._remove_killed_builds()

    def _remove_killed_builds(self) -> None:
        """Delete the `incomplete.*` folders a killed `tfds build` of this config and version left beside it."""
        config_dir = os.path.dirname(os.fspath(self.data_dir))
        for name in os.listdir(config_dir):
            if name.startswith(INCOMPLETE_PREFIX) and name.endswith(f"_{self.VERSION}"):
                shutil.rmtree(os.path.join(config_dir, name), ignore_errors=True)

    def _open_suite(self, manual_dir) -> Tuple[Suite, Dict[str, Tuple[str, ...]]]:
        """The checked suite and its {split: sim_ids}; raises SuiteError / SplitError naming the file."""
        config = self.builder_config
        suite = open_suite(os.fspath(manual_dir), config.redshifts, config.with_density, config.wedge)
        try:
            return suite, assign_splits(suite.files)  # fails loudly if a simulation would be in two splits
        except SplitError as error:
            raise SplitError(f"{manifest_path(suite.suite_dir)}: {error}") from error

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        suite, assignment = self._open_suite(dl_manager.manual_dir)
        train_files = [suite.files[sim_id] for sim_id in assignment["train"]]
        reading = self.builder_config.reading
        stats = compute_normalization(train_files, suite.redshifts, assignment["train"], **reading)
        height = suite.config.hii_dim
        self.info.metadata.update(dataset_metadata(stats, assignment, (height, height, len(suite.redshifts)),
                                                   suite.config.to_json()))
        return {split: self._generate_examples([suite.files[sim_id] for sim_id in assignment[split]],
                                               suite.redshifts, reading) for split in SPLITS}

    def _generate_examples(self, paths, redshifts, reading: dict):
        """A Beam transform: one element per simulation file, fanned out to its slab maps (`read_examples` with the
        config's `reading` options)."""
        beam = tfds.core.lazy_imports.apache_beam
        return (beam.Create(sorted(paths))
                | beam.Reshuffle()
                | beam.FlatMap(read_examples, redshifts=tuple(redshifts), **reading))
