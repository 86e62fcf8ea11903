"""The files deep21-evaluate writes (importable without TensorFlow): their names, the headline keys of metrics.json
and its reader, for the stages and the report that read them.

    MODEL_DIR/evaluation/metrics.json   the scores (`evaluation.run`); a U-Net's per redshift, each predictor's
                                        "headline" keyed by `headline_key` of each `contracts.K_BANDS` upper limit
"""
from __future__ import annotations

import os
from typing import Dict, NamedTuple, Optional

from deep21_tf.contracts import HEADLINE_K_LIMITS
from deep21_tf.util.json_file import read_json

EVALUATION_SUBDIR = "evaluation"
METRICS_FILE = "metrics.json"


def headline_key(limit: float) -> str:
    """The metrics.json key of the headline scores up to `limit` (Mpc⁻¹), e.g. 0.7 → k_le_0.7_mpc^-1."""
    return f"k_le_{limit:g}_mpc^-1"


class BandScores(NamedTuple):
    """Largest |1 − T(k)| and |1 − r(k)| of a predictor up to one headline k limit."""

    max_abs_1_minus_t: float
    max_abs_1_minus_r: float


def metrics_path(model_dir: str) -> str:
    """Where deep21-evaluate writes the metrics of `model_dir` by default."""
    return os.path.join(model_dir, EVALUATION_SUBDIR, METRICS_FILE)


def read_metrics(model_dir: str, required: bool = True) -> Optional[dict]:
    """The metrics deep21-evaluate wrote for `model_dir` (a missing file: see `util.json_file.read_json`)."""
    return read_json(metrics_path(model_dir), required)


def headline_scores(scores: dict) -> Dict[float, BandScores]:
    """One predictor's headline scores in metrics.json (e.g. a redshift's "network"), by k limit (Mpc⁻¹)."""
    head = scores["headline"]
    return {limit: BandScores(float(head[headline_key(limit)]["max_abs_1_minus_T"]),
                              float(head[headline_key(limit)]["max_abs_1_minus_r"])) for limit in HEADLINE_K_LIMITS}
