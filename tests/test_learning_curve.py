"""AstroNet's learning curve in training boxes, from evaluated model directories (scores made by the real scorer)."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.driver.learning_curve import write_learning_curve
from deep21_tf.evaluation.files import metrics_path
from deep21_tf.evaluation.metrics import parameter_scores
from deep21_tf.training import run_files


def _evaluated_model(root, name: str, model: str, train_simulations: int, noise: float) -> str:
    """A model dir holding what deep21-train and deep21-evaluate write that the curve reads: model_info.json, and
    metrics.json with the network's and the kernel baseline's scores of predictions `noise` dex off 6 test boxes."""
    model_dir = os.path.join(root, name)
    rng = np.random.default_rng(train_simulations)
    true = np.repeat(rng.uniform([8, 40, 3], [9, 41, 4], size=(6, 3)), 4, axis=0)  # 6 boxes × 4 maps
    boxes = np.repeat([f"sim_{i:05d}" for i in range(6)], 4)
    metrics = {name: parameter_scores(true, true + rng.normal(0, scale, true.shape), PARAMETER_NAMES, box_ids=boxes)
               for name, scale in (("network", noise), ("baseline_kernel", 0.2))}
    os.makedirs(os.path.dirname(metrics_path(model_dir)))
    with open(metrics_path(model_dir), "w", encoding="utf-8") as handle:
        json.dump(metrics, handle)
    with open(os.path.join(model_dir, run_files.INFO_FILE), "w", encoding="utf-8") as handle:
        json.dump({"model": model, "train_simulations": train_simulations, "train_maps": 16 * train_simulations},
                  handle)
    return model_dir


def test_an_astronet_curve_holds_r2_per_parameter_beside_the_kernel_baseline(tmp_path):
    dirs = [_evaluated_model(str(tmp_path), f"astro_{n}", "astro", n, noise)
            for n, noise in ((70, 0.05), (17, 0.3), (35, 0.1))]
    points = write_learning_curve(str(tmp_path / "curve"), dirs)  # a run dir that does not exist yet
    assert [p["train_simulations"] for p in points] == [17, 35, 70]  # sorted by training boxes
    for point in points:
        for score in ("network", "baseline_kernel"):
            r2, intervals = point[score]["r2_log10"], point[score]["r2_log10_interval_68"]
            assert sorted(r2) == sorted(PARAMETER_NAMES)
            assert all(intervals[name][0] <= r2[name] <= intervals[name][1] for name in PARAMETER_NAMES)
    network_r2 = [np.mean(list(p["network"]["r2_log10"].values())) for p in points]
    assert network_r2[0] < network_r2[1] < network_r2[2] <= 1  # less noise with more boxes: a rising curve
    assert json.loads((tmp_path / "curve" / "learning_curve.json").read_text()) == points
    assert (tmp_path / "curve" / "learning_curve.png").read_bytes().startswith(b"\x89PNG")


def test_a_curve_refuses_models_of_two_kinds(tmp_path):
    astro = _evaluated_model(str(tmp_path), "astro", "astro", 10, 0.1)
    unet = os.path.join(str(tmp_path), "unet")
    os.makedirs(unet)
    with open(os.path.join(unet, run_files.INFO_FILE), "w", encoding="utf-8") as handle:
        json.dump({"model": "unet", "train_simulations": 10, "train_maps": 160}, handle)
    os.makedirs(os.path.dirname(metrics_path(unet)))
    with open(metrics_path(unet), "w", encoding="utf-8") as handle:
        json.dump({"redshifts": {"15": {"network": {"k_mpc^-1": [0.5, 1.0, 2.0], "crosscorr_mean": [0.9, 0.8, 0.5],
                                                    "mse_delta^2": 0.1}}}}, handle)
    with pytest.raises(ValueError, match="astro and unet models: a learning curve takes one kind"):
        write_learning_curve(str(tmp_path), [astro, unet])
    assert not (tmp_path / "learning_curve.json").exists()
