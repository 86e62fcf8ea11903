"""The paper's redshift study (Figs. 7–10): the U-Net, AstroNet and saliency of one pipeline run trained on each
redshift separately, compared on the same test simulations.

Reads each dataset's evaluated models (`deep21_tf.driver.layout`) and writes into the run directory:
redshift_study.json, redshift_power.png (T(k) and r(k) of every redshift with its Wiener baseline),
redshift_r2.png (R² of each parameter at each redshift) and redshift_saliency.png (the same test map at each
redshift with its salient pixels per parameter).
"""
from __future__ import annotations

import json
import os
from typing import Dict, Optional

import numpy as np

from deep21_tf.contracts import DATASET_REDSHIFTS
from deep21_tf.figures import K_LABEL, PARAMETER_LABELS, log_k_axis, saliency_figure, save_figure
from deep21_tf.driver.layout import (SALIENCY_FILE, SALIENCY_SUBDIR, STUDY_FILE, STUDY_POWER_FIGURE, STUDY_R2_FIGURE,
                                  STUDY_SALIENCY_FIGURE, RunLayout, read_json, read_metrics)
from deep21_tf.training import model_dir
from deep21_tf.util.atomic import atomic_write_text

import matplotlib.pyplot as plt  # noqa: E402  (isort: skip; deep21_tf.figures selected the Agg backend)

#: Per-k and headline scores of the U-Net and the Wiener baseline carried into the study.
DENSITY_KEYS = ("transfer_mean", "transfer_std", "crosscorr_mean", "crosscorr_std", "headline", "mse_delta^2",
                "pdf_distance")


def _density(layout: RunLayout, dataset: str) -> dict:
    """The U-Net's and the Wiener filter's test scores of `dataset` (its only redshift)."""
    summary = next(iter(read_metrics(layout.unet(dataset))["redshifts"].values()))
    result = {"k_mpc^-1": summary["network"]["k_mpc^-1"]}
    for name in ("network", "wiener"):
        result[name] = {key: summary[name][key] for key in DENSITY_KEYS}
    return result


def _parameters(layout: RunLayout, dataset: str, encoder: str) -> dict:
    scores = read_metrics(layout.astro(dataset, encoder))["network"]
    return {"parameter_names": scores["parameter_names"], "r2_log10": scores["r2_log10"],
            "r2_log10_overall": scores["r2_log10_overall"]}


def _saliency_files(layout: RunLayout, encoder: str) -> Dict[str, dict]:
    result = {}
    for dataset in layout.datasets:
        with np.load(os.path.join(layout.astro(dataset, encoder), SALIENCY_SUBDIR, SALIENCY_FILE)) as saved:
            result[dataset] = {key: saved[key] for key in saved.files}
    return result


def collect_study(layout: RunLayout, encoder: Optional[str], saliency: Dict[str, dict]) -> dict:
    """The study's numbers: per redshift, the U-Net and Wiener T(k), r(k) and headline scores and, when `encoder`
    is given, the R² of that AstroNet and whether its saliency maps (`saliency`: saliency.npz contents per
    dataset) show the same test box at every redshift."""
    redshifts = {dataset: DATASET_REDSHIFTS[dataset][0] for dataset in layout.datasets}
    study = {"datasets": list(layout.datasets), "redshifts": list(redshifts.values()),
             "density": {f"{z:g}": _density(layout, d) for d, z in redshifts.items()}}
    if encoder:
        study["astro_encoder"] = encoder
        study["parameters"] = {f"{z:g}": _parameters(layout, d, encoder) for d, z in redshifts.items()}
        first = [saliency[d]["log10_params_true"][0] for d in layout.datasets]
        study["saliency_same_box"] = bool(all(np.array_equal(first[0], p) for p in first))
    return study


def power_figure(study: dict) -> plt.Figure:
    """T(k) and r(k) (mean ± std over test maps) of the U-Net at each redshift, its Wiener baseline dashed."""
    figure, (transfer, crosscorr) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for index, (z, scores) in enumerate(study["density"].items()):
        color, k = f"C{index}", scores["k_mpc^-1"]
        for axis, key in ((transfer, "transfer"), (crosscorr, "crosscorr")):
            mean, std = (np.asarray(scores["network"][f"{key}_{s}"], np.float64) for s in ("mean", "std"))
            axis.plot(k, mean, color=color, label=f"U-Net, z = {z}")
            axis.fill_between(k, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
            axis.plot(k, scores["wiener"][f"{key}_mean"], color=color, linestyle="--", label=f"Wiener, z = {z}")
    transfer.set(xlabel=K_LABEL, ylabel=r"$T(k)$ (test split)")
    crosscorr.set(xlabel=K_LABEL, ylabel=r"$r(k)$ (test split)")
    for axis in (transfer, crosscorr):
        log_k_axis(axis)
        axis.axhline(1.0, color="k", linewidth=0.8)
        axis.grid(alpha=0.3)
    transfer.legend(fontsize="small")
    figure.suptitle("21 cm → δ at each redshift (paper Figs. 4 and 7)")
    return figure


def r2_figure(study: dict) -> plt.Figure:
    """R² of the log10 parameters at each redshift: one group of bars per parameter."""
    per_z = study["parameters"]
    names = next(iter(per_z.values()))["parameter_names"]
    figure, axis = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    width = 0.8 / len(per_z)
    for index, (z, scores) in enumerate(per_z.items()):
        values = [np.nan if scores["r2_log10"][n] is None else scores["r2_log10"][n] for n in names]
        axis.bar(np.arange(len(names)) + (index - (len(per_z) - 1) / 2) * width, values, width, label=f"z = {z}")
    axis.set_xticks(np.arange(len(names)), [PARAMETER_LABELS.get(n, n).split(" [")[0] for n in names])
    axis.axhline(0.0, color="k", linewidth=0.8)
    axis.set(ylabel="R² of log10 parameter (test split)", xlabel="parameter",
             title=f"AstroNet ({study['astro_encoder']} encoder) at each redshift (paper Figs. 6 and 8)")
    axis.legend()
    return figure


def write_study(layout: RunLayout, encoder: Optional[str]) -> dict:
    """Collect the study, write its figures and (last, as the mark of completion) RUN_DIR/redshift_study.json."""
    saved = _saliency_files(layout, encoder) if encoder else {}
    study = collect_study(layout, encoder, saved)
    save_figure(power_figure(study), layout.path(STUDY_POWER_FIGURE))
    if encoder:
        save_figure(r2_figure(study), layout.path(STUDY_R2_FIGURE))
        first = [saved[d] for d in layout.datasets]
        same = "the same test map" if study["saliency_same_box"] else "the first test map (boxes differ)"
        figure = saliency_figure(np.stack([s["maps_21cm_mK"][0, ..., 0] for s in first]),
                                 np.stack([s["saliency"][0] for s in first]),
                                 [str(n) for n in first[0]["parameter_names"]], float(first[0]["threshold"]),
                                 _cell_size(layout), row_titles=[f"z = {z:g}" for z in study["redshifts"]],
                                 title=f"Saliency of AstroNet ({encoder} encoder): {same} at each redshift")
        save_figure(figure, layout.path(STUDY_SALIENCY_FIGURE))
    atomic_write_text(layout.path(STUDY_FILE), json.dumps(study, indent=1))
    return study


def _cell_size(layout: RunLayout) -> float:
    """Mpc per pixel of the run's maps (from the first dataset's U-Net)."""
    return float(read_json(model_dir.path(layout.unet(layout.datasets[0]), model_dir.INFO_FILE))["cell_size"])
