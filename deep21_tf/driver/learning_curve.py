"""Learning curves: the same network trained on a fraction of the training simulations, scored on the same test
split, against the amount of training data (how much simulation a target accuracy needs). A U-Net's curve (the
pipeline's --learning_curve) follows r(k) and the MSE of δ against training maps; an AstroNet's follows R² per
parameter against training boxes, with the kernel-ridge baseline fitted on the same boxes beside it."""
from __future__ import annotations

import json
import os
from typing import List, Sequence

import numpy as np

from deep21_tf.figures import learning_curve_figure, parameter_curve_figure, save_figure
from deep21_tf.driver.layout import CURVE_FIGURE, CURVE_FILE
from deep21_tf.evaluation.files import read_metrics
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_write_text

#: Scales (Mpc⁻¹) at which r(k) is read off the test-split mean r(k).
CURVE_K = (1.0, 2.0)


#: The scores of an AstroNet evaluation a curve point keeps: the network's and the kernel-ridge baseline's.
PARAMETER_CURVE_SCORES = ("network", "baseline_kernel")


def curve_point(model_dir: str) -> dict:
    """One evaluated model directory as a point: {model, train_simulations, train_maps, …}; a U-Net adds r_k1, r_k2
    and mse_delta^2 (first redshift), an AstroNet per score of PARAMETER_CURVE_SCORES its R² per parameter (maps
    of the test split) and their bootstrap 68 % intervals over test boxes."""
    info = run_files.read(model_dir, run_files.INFO_FILE)
    metrics = read_metrics(model_dir)
    point = {"model_dir": os.path.basename(os.path.normpath(model_dir)), "model": info["model"],
             "train_simulations": info["train_simulations"], "train_maps": info["train_maps"]}
    if info["model"] != "unet":
        point.update({name: {"r2_log10": metrics[name]["r2_log10"],
                             "r2_log10_interval_68": metrics[name]["interval_68"].get("r2_log10")}
                      for name in PARAMETER_CURVE_SCORES})
        return point
    network = next(iter(metrics["redshifts"].values()))["network"]
    k, r = np.asarray(network["k_mpc^-1"], np.float64), np.asarray(network["crosscorr_mean"], np.float64)
    point["mse_delta^2"] = network["mse_delta^2"]
    point.update({f"r_k{k_value:g}": float(np.interp(k_value, k, r)) for k_value in CURVE_K})
    return point


def write_learning_curve(run_dir: str, model_dirs: Sequence[str]) -> List[dict]:
    """Collect the points of `model_dirs` (all U-Nets or all AstroNets), write RUN_DIR/learning_curve.json and .png
    (RUN_DIR made if missing); return the points. Raises ValueError when the directories hold both kinds."""
    points = sorted((curve_point(d) for d in model_dirs), key=lambda p: p["train_simulations"])
    kinds = sorted({p["model"] for p in points})
    if len(kinds) > 1:
        raise ValueError(f"--model_dirs hold {' and '.join(kinds)} models: a learning curve takes one kind")
    figure = (learning_curve_figure(points, CURVE_K) if kinds == ["unet"]
              else parameter_curve_figure(points, PARAMETER_CURVE_SCORES))
    os.makedirs(run_dir, exist_ok=True)
    atomic_write_text(os.path.join(run_dir, CURVE_FILE), json.dumps(points, indent=1))
    save_figure(figure, os.path.join(run_dir, CURVE_FIGURE))
    return points
