"""The paper's redshift study (Figs. 7–10): the U-Net, AstroNet and saliency of one pipeline run trained on each
redshift separately, compared on the same test simulations.

Reads each dataset's evaluated models (`deep21_tf.driver.layout`) and writes into the run directory:
redshift_study.json, redshift_power.png (T(k) and r(k) of every redshift with its Wiener baseline),
redshift_r2.png (R² of each parameter at each redshift) and redshift_saliency.png (the same test map at each
redshift with its salient pixels per parameter).
"""
from __future__ import annotations

import json
from typing import Dict, Optional

import numpy as np

from deep21_tf.contracts import DATASET_REDSHIFTS
from deep21_tf.figures import redshift_power_figure, redshift_r2_figure, saliency_figure, save_figure
from deep21_tf.driver.layout import STUDY_FILE, STUDY_POWER_FIGURE, STUDY_R2_FIGURE, STUDY_SALIENCY_FIGURE, RunLayout
from deep21_tf.evaluation.files import read_metrics
from deep21_tf.saliency_files import saliency_path
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.json_file import read_json

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
        with np.load(saliency_path(layout.astro(dataset, encoder))) as saved:
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


def write_study(layout: RunLayout, encoder: Optional[str]) -> dict:
    """Collect the study, write its figures and (last, as the mark of completion) RUN_DIR/redshift_study.json."""
    saved = _saliency_files(layout, encoder) if encoder else {}
    study = collect_study(layout, encoder, saved)
    save_figure(redshift_power_figure(study), layout.path(STUDY_POWER_FIGURE))
    if encoder:
        save_figure(redshift_r2_figure(study), layout.path(STUDY_R2_FIGURE))
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
    return float(read_json(run_files.path(layout.unet(layout.datasets[0]), run_files.INFO_FILE))["cell_size"])
