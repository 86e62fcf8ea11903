"""The layout of a pipeline run directory, in one place for the driver, its stages and the report.

    RUN_DIR/suite/                 the 21cmFAST simulations (deep21-simulate)
    RUN_DIR/tfds/                  the TFDS data dir (tfds build), every dataset config of the run:
                                   tfds/hi21cm/{config}/{version}/, its metadata.json the dataset's fingerprint
    MODELS/unet/                   the U-Net (deep21-train), its evaluation/ (deep21-evaluate)
    MODELS/astro_{encoder}/        AstroNet with a frozen or trainable U-Net encoder, evaluation/ and saliency/
    MODELS/unet_train{fraction}/   learning-curve U-Nets on a fraction of the training simulations
    MODELS/learning_curve.json     the learning curve (and learning_curve.png)
    RUN_DIR/redshift_study.json    the redshift study (and redshift_{power,r2,saliency}.png), when several datasets ran
    RUN_DIR/stage_times.json, RUN_DIR/REPORT.md
    RUN_DIR/stage_records.json     what each stage was run with (`driver.records`): a stage reruns when it changes

The stages own the names of their own files (`training.run_files`, `evaluation.files`, `saliency_files`).
MODELS is RUN_DIR for a run on one dataset, RUN_DIR/{dataset} (e.g. RUN_DIR/z10) for each redshift of a study.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Tuple

from deep21_tf.contracts import DATASET_NAME, DATASET_VERSION, DEFAULT_DATASET

TIMES_FILE = "stage_times.json"
RECORDS_FILE = "stage_records.json"
#: The file TFDS keeps a builder's `info.metadata` in (the normalisation and the split: the dataset's fingerprint).
DATASET_METADATA_FILE = "metadata.json"
REPORT_FILE = "REPORT.md"
CURVE_FILE = "learning_curve.json"
CURVE_FIGURE = "learning_curve.png"
STUDY_FILE = "redshift_study.json"
STUDY_POWER_FIGURE = "redshift_power.png"
STUDY_R2_FIGURE = "redshift_r2.png"
STUDY_SALIENCY_FIGURE = "redshift_saliency.png"


@dataclasses.dataclass(frozen=True)
class RunLayout:
    """Paths of a run directory holding one dataset (models at the top) or several (one folder each)."""

    run_dir: str
    datasets: Tuple[str, ...] = (DEFAULT_DATASET,)

    def __post_init__(self):
        object.__setattr__(self, "datasets", tuple(self.datasets))

    @property
    def is_study(self) -> bool:
        """True when the run trains models on several datasets (a redshift study)."""
        return len(self.datasets) > 1

    def path(self, *parts: str) -> str:
        return os.path.join(self.run_dir, *parts)

    @property
    def suite(self) -> str:
        return self.path("suite")

    @property
    def data_dir(self) -> str:
        return self.path("tfds")

    def dataset_config_dir(self, dataset: str) -> str:
        """The folder of one dataset config, every version and TFDS' unfinished builds of it."""
        return os.path.join(self.data_dir, DATASET_NAME, dataset)

    def dataset_metadata(self, dataset: str) -> str:
        """The metadata.json of this package's version of a dataset config: present once its build finished."""
        return os.path.join(self.dataset_config_dir(dataset), DATASET_VERSION, DATASET_METADATA_FILE)

    def models(self, dataset: str) -> str:
        """The folder holding the models of `dataset`."""
        if dataset not in self.datasets:
            raise ValueError(f"dataset {dataset} is not one of this run's: {', '.join(self.datasets)}")
        return self.path(dataset) if self.is_study else self.run_dir

    def unet(self, dataset: str) -> str:
        return os.path.join(self.models(dataset), "unet")

    def astro(self, dataset: str, encoder: str) -> str:
        return os.path.join(self.models(dataset), f"astro_{encoder}")

    def curve_unet(self, dataset: str, fraction: float) -> str:
        """The learning curve's U-Net trained on `fraction` of the training simulations."""
        return os.path.join(self.models(dataset), f"unet_train{fraction:g}")

