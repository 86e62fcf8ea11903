"""The learning curve of a pipeline run: the same U-Net trained on a fraction of the training simulations, scored
on the same test split, against the number of training maps (how much simulation a target accuracy needs)."""
from __future__ import annotations

import json
import os
from typing import List, Sequence

import numpy as np

from deep21_tf.figures import save_figure
from deep21_tf.driver.layout import CURVE_FIGURE, CURVE_FILE, read_metrics
from deep21_tf.training import model_dir as layout
from deep21_tf.util.atomic import atomic_write_text

import matplotlib.pyplot as plt  # noqa: E402  (isort: skip; deep21_tf.figures selected the Agg backend)

#: Scales (Mpc⁻¹) at which r(k) is read off the test-split mean r(k).
CURVE_K = (1.0, 2.0)


def curve_point(model_dir: str) -> dict:
    """{train_simulations, train_maps, r_k1, r_k2, mse} of one evaluated U-Net directory (first redshift)."""
    info = layout.read_json(model_dir, layout.INFO_FILE)
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
    maps = [p["train_maps"] for p in points]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for k_value, marker in zip(CURVE_K, ("o", "s")):
        left.plot(maps, [p[f"r_k{k_value:g}"] for p in points], marker=marker, label=f"k = {k_value:g} Mpc$^{{-1}}$")
    left.set(xscale="log", xlabel="training maps", ylabel="r(k) of predicted and true δ (test split)")
    left.legend()
    right.plot(maps, [p["mse_delta^2"] for p in points], marker="o", color="tab:red")
    right.set(xscale="log", xlabel="training maps", ylabel=r"MSE of $\delta$ (test split)")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.suptitle("U-Net learning curve: same validation and test simulations")
    figure.tight_layout()
    save_figure(figure, os.path.join(run_dir, CURVE_FIGURE))
    return points
