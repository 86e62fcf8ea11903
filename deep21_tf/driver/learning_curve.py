"""The learning curve of a pipeline run: the same U-Net trained on a fraction of the training simulations, scored
on the same test split, against the number of training maps (how much simulation a target accuracy needs)."""
from __future__ import annotations

import json
import os
from typing import List, Sequence

import numpy as np

from deep21_tf.figures import learning_curve_figure, save_figure
from deep21_tf.driver.layout import CURVE_FIGURE, CURVE_FILE
from deep21_tf.evaluation.files import read_metrics
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_write_text

#: Scales (Mpc⁻¹) at which r(k) is read off the test-split mean r(k).
CURVE_K = (1.0, 2.0)


def curve_point(model_dir: str) -> dict:
    """{train_simulations, train_maps, r_k1, r_k2, mse} of one evaluated U-Net directory (first redshift)."""
    info = run_files.read(model_dir, run_files.INFO_FILE)
    network = next(iter(read_metrics(model_dir)["redshifts"].values()))["network"]
    k, r = np.asarray(network["k_mpc^-1"], np.float64), np.asarray(network["crosscorr_mean"], np.float64)
    point = {"model_dir": os.path.basename(os.path.normpath(model_dir)),
             "train_simulations": info["train_simulations"], "train_maps": info["train_maps"],
             "mse_delta^2": network["mse_delta^2"]}
    point.update({f"r_k{k_value:g}": float(np.interp(k_value, k, r)) for k_value in CURVE_K})
    return point


def write_learning_curve(run_dir: str, model_dirs: Sequence[str]) -> List[dict]:
    """Collect the points of `model_dirs`, write RUN_DIR/learning_curve.json and .png; return the points."""
    points = sorted((curve_point(d) for d in model_dirs), key=lambda p: p["train_maps"])
    atomic_write_text(os.path.join(run_dir, CURVE_FILE), json.dumps(points, indent=1))
    save_figure(learning_curve_figure(points, CURVE_K), os.path.join(run_dir, CURVE_FIGURE))
    return points
