"""Evaluate a trained model directory on a dataset split: metrics.json and the paper's figures.

U-Net, per redshift channel z: the network's δ maps, the Wiener baseline's, and (with `tta`) the D4-averaged
network's are scored by `metrics.DensityScores`; the network is compared with the baseline k by k. Files:
metrics.json, fig3_maps_z{z}.png (first map: 21 cm | true δ | predicted δ | log10 residual; for a model trained on
observed or wedge-filtered maps the 21 cm map as simulated first, then the one the model saw), fig4_power_z{z}.png, fig4_noise_z{z}.png (with an
instrument: signal and noise power),
fig5_pdf_z{z}.png, wiener_z{z}.npz (the fitted filter) and, with `tta`, fig3_tta_z{z}.png (21 cm | D4-averaged
δ | D4 std). AstroNet: metrics.json (R², squared Pearson correlation and RMSE of log10 parameters over maps and per box, with
bootstrap intervals over boxes, with and without D4 averaging, and those of two baselines on each map's mean, std
and P(k): ridge and kernel ridge regression),
fig6_params.png and, with `tta`, fig6_params_tta.png.
"""
from __future__ import annotations

import json
import os
from typing import Optional

import numpy as np

from deep21_tf.contracts import INFERENCE_BATCH_SIZE, wedge_removed
from deep21_tf.data import load_normalization, metadata, open_builder
from deep21_tf import figures
from deep21_tf.evaluation.baseline import fit_baselines, predict_baseline
from deep21_tf.evaluation.parameter_baseline import DESCRIPTION as BASELINE_DESCRIPTION
from deep21_tf.evaluation.noise_power import signal_and_noise
from deep21_tf.evaluation.parameter_baseline import (KERNEL_DESCRIPTION, WITHOUT_MEAN, fit_parameter_baselines,
                                                     map_features)
from deep21_tf.data.integrity import readable
from deep21_tf.evaluation.files import EVALUATION_SUBDIR, METRICS_FILE
from deep21_tf.evaluation.data import first_simulated_map, map_sim_ids, physical_batches, split_size
from deep21_tf.evaluation.metrics import (DENSITY_DEFINITIONS, PARAMETER_DEFINITIONS, DensityScores,
                                          compare_to_baseline, parameter_scores)
from deep21_tf.training.trained_model import TrainedModel
from deep21_tf.figures import map_panels
from deep21_tf.instrument.model import instrument_for_dataset
from deep21_tf.instrument.settings import InstrumentSettings
from deep21_tf.util.atomic import atomic_path, atomic_write_text, removed_on_error


def evaluate(model_dir: str, data_dir: str, split: str = "test", output_dir: Optional[str] = None,
             tta: bool = False, max_maps: Optional[int] = None, batch_size: int = INFERENCE_BATCH_SIZE, progress: bool = True) -> dict:
    """Score the model of `model_dir` on `split` of its dataset in `data_dir`; write the files into `output_dir`
    (default MODEL_DIR/evaluation) and return the metrics. ValueError/FileNotFoundError say what is wrong.
    """
    if batch_size < 1 or (max_maps is not None and max_maps < 1):
        raise ValueError("batch_size and max_maps must be integers >= 1")
    model = TrainedModel.load(model_dir)
    builder = open_builder(data_dir, model.info["dataset"])
    box_length = model.check_dataset(builder)
    split_size(builder, split)
    output_dir = output_dir or os.path.join(model_dir, EVALUATION_SUBDIR)
    with removed_on_error(output_dir), readable(builder):  # a failed evaluation leaves no folder behind
        os.makedirs(output_dir, exist_ok=True)
        return _evaluate(model, builder, data_dir, box_length, split, output_dir, tta, max_maps, batch_size, progress)


def _evaluate(model: TrainedModel, builder, data_dir, box_length: float, split: str, output_dir: str, tta: bool, max_maps,
              batch_size: int, progress: bool) -> dict:
    metrics = dict(model=model.kind, model_dir=os.path.abspath(model.model_dir),
                   output_dir=os.path.abspath(output_dir), dataset=model.info["dataset"], split=split,
                   box_length_mpc=box_length, fast_physics=metadata.fast_physics(builder),
                   test_time_augmentation=tta)
    # the maps as the model's telescope sees them (its settings travel in model_info.json; none: noiseless)
    instrument = instrument_for_dataset(InstrumentSettings.from_json(model.info.get("instrument")), builder)
    metrics["instrument"] = instrument.describe() if instrument else InstrumentSettings().to_json()
    options = dict(builder=builder, split=split, max_maps=max_maps, batch_size=batch_size, progress=progress,
                   instrument=instrument)
    if model.kind == "unet":
        metrics["definitions"] = DENSITY_DEFINITIONS
        metrics["redshifts"] = _evaluate_density(model, data_dir, box_length, tta, output_dir, **options)
    else:
        metrics["definitions"] = PARAMETER_DEFINITIONS
        metrics.update(_evaluate_parameters(model, box_length, tta, output_dir, **options))
    atomic_write_text(os.path.join(output_dir, METRICS_FILE), json.dumps(metrics, indent=1))
    return metrics


def _evaluate_density(model: TrainedModel, data_dir, box_length: float, tta: bool, output_dir: str, builder, split: str,
                      max_maps, batch_size: int, progress: bool, instrument) -> dict:
    """Per-redshift summaries of the network, the Wiener baseline and (tta) the D4-averaged network; writes the
    filters and Figs. 3–5 (`data_dir`: the TFDS dir, where a _wedge dataset's plain twin gives Fig. 3 its map as
    simulated)."""
    wieners = fit_baselines(builder, box_length, batch_size, progress, instrument)
    variants = ("network", "wiener") + (("network_tta",) if tta else ())
    scores = {name: [DensityScores(box_length) for _ in wieners] for name in variants}
    delta_mean = load_normalization(builder).density_mean
    box_ids = map_sim_ids(builder, split, max_maps)
    first, done = None, 0
    for maps, delta in physical_batches(builder, split, "unet", batch_size, max_maps, progress, instrument):
        pred = model.predict(maps, batch_size)
        tta_mean, tta_std = model.predict_tta(maps, batch_size) if tta else (None, None)
        boxes, done = box_ids[done:done + len(maps)], done + len(maps)
        for c, wiener in enumerate(wieners):
            scores["network"][c].add(delta[..., c], pred[..., c], box_ids=boxes)
            scores["wiener"][c].add(delta[..., c], predict_baseline(wiener, maps[..., c], box_length, delta_mean[c]),
                                    box_ids=boxes)
            if tta:
                scores["network_tta"][c].add(delta[..., c], tta_mean[..., c], tta_std[..., c], box_ids=boxes)
        if first is None:  # the split's first map, for the map figures
            first = [None if a is None else a[0] for a in (maps, delta, pred, tta_mean, tta_std)]
    if first is None:
        raise ValueError(f"split {split} holds no maps")
    results = {}
    powers = (signal_and_noise(builder, split, box_length, batch_size, max_maps, progress, instrument)
              if instrument is not None else None)
    # the first map as the simulation made it, shown beside the one the model saw (observed, wedge removed)
    clean = first_simulated_map(builder, data_dir, model.info["dataset"], split, first[1], instrument)
    observation = ", ".join((["observed"] if instrument is not None else [])
                            + (["wedge removed"] if wedge_removed(model.info["dataset"]) else []))
    for c, z in enumerate(model.info["redshifts"]):
        summary = {name: scores[name][c].summary() for name in variants}
        for name in (v for v in variants if v != "wiener"):
            summary[f"{name}_vs_wiener"] = compare_to_baseline(summary[name], summary["wiener"])
        if powers is not None:  # where the observed maps still carry the signal
            summary["instrument_power"] = powers[c]
            _save(figures.noise_figure(powers[c], instrument.settings.label,
                                       f"{model.info['dataset']} {split}, z = {z:g}"),
                  output_dir, f"fig4_noise_z{z:g}.png")
        results[f"{z:g}"] = summary
        with atomic_path(os.path.join(output_dir, f"wiener_z{z:g}.npz")) as temp_path:
            wieners[c].save(temp_path)
        _density_figures(summary, [None if a is None else a[..., c] for a in first + [clean]], observation,
                         box_length, model.info["cell_size"], f"{model.info['dataset']} {split}, z = {z:g}",
                         output_dir, f"z{z:g}")
    return results


def _density_figures(summary: dict, first: list, observation: str, box_length: float, cell_size: float, title: str,
                     output_dir: str, tag: str) -> None:
    """Figs. 3–5 of one redshift; `first`: the first map's 21 cm, true δ, δ, D4-averaged δ and D4 std (or None),
    and its 21 cm map as simulated when the model sees it otherwise (or None); `observation` says how it sees it."""
    maps, delta, pred, tta_mean, tta_std, clean = first
    _save(map_panels(maps, delta, pred, box_length, title, clean_21cm=clean, observation=observation), output_dir,
          f"fig3_maps_{tag}.png")
    _save(figures.power_figure(summary["network"], summary["wiener"], summary.get("network_tta"), title),
          output_dir, f"fig4_power_{tag}.png")
    _save(figures.pdf_figure(summary["network"], title), output_dir, f"fig5_pdf_{tag}.png")
    if tta_mean is not None:
        _save(figures.prediction_panels(maps, cell_size, tta_mean, tta_std, title + ", D4-averaged"), output_dir,
              f"fig3_tta_{tag}.png")


def _evaluate_parameters(model: TrainedModel, box_length: float, tta: bool, output_dir: str, builder, split: str,
                         max_maps, batch_size: int, progress: bool, instrument) -> dict:
    """R² and RMSE of the log10 parameters, without and (tta) with D4 averaging, the linear baseline's (ridge on
    each map's summary statistics, `parameter_baseline`), and the Fig. 6 scatter plots."""
    # the baselines see the boxes the network saw (a --train_fraction model: its subset; older model dirs: all),
    # and no map means where the network sees none
    train_ids = model.info.get("train_sim_ids")
    with_mean = not model.info.get("remove_map_mean", False)
    baseline, kernel = fit_parameter_baselines(builder, box_length, batch_size, progress, instrument, train_ids,
                                               with_mean)
    without = "" if with_mean else WITHOUT_MEAN
    fitted_on = len(train_ids or metadata.split_sim_ids(builder, "train"))
    true, pred, baseline_pred, kernel_pred, tta_mean, tta_std = [], [], [], [], [], []
    for maps, log10_params in physical_batches(builder, split, "astro", batch_size, max_maps, progress, instrument):
        true.append(log10_params)
        pred.append(model.predict(maps, batch_size))
        features = map_features(maps, box_length, with_mean)
        baseline_pred.append(baseline.predict(features))
        kernel_pred.append(kernel.predict(features))
        if tta:
            mean, std = model.predict_tta(maps, batch_size)
            tta_mean.append(mean)
            tta_std.append(std)
    if not true:
        raise ValueError(f"split {split} holds no maps")
    names = model.info["parameter_names"]
    true, pred = np.concatenate(true), np.concatenate(pred)
    box_ids = map_sim_ids(builder, split, max_maps)
    title = f"{model.info['dataset']} {split}"
    results = {"network": parameter_scores(true, pred, names, box_ids=box_ids),
               "baseline": {**parameter_scores(true, np.concatenate(baseline_pred), names, box_ids=box_ids),
                            "description": BASELINE_DESCRIPTION + without, "ridge_alpha": baseline.alpha,
                            "train_boxes": fitted_on},
               "baseline_kernel": {**parameter_scores(true, np.concatenate(kernel_pred), names, box_ids=box_ids),
                                   "description": KERNEL_DESCRIPTION + without, "kernel_alpha": kernel.alpha,
                                   "train_boxes": fitted_on,
                                   "kernel_length_scale": kernel.length_scale}}
    _save(figures.parameter_figure(true, pred, names, results["network"], title=title), output_dir, "fig6_params.png")
    if tta:
        tta_mean, tta_std = np.concatenate(tta_mean), np.concatenate(tta_std)
        results["network_tta"] = parameter_scores(true, tta_mean, names, tta_std, box_ids=box_ids)
        _save(figures.parameter_figure(true, tta_mean, names, results["network_tta"], tta_std,
                                       title + ", D4-averaged"), output_dir, "fig6_params_tta.png")
    return results


def _save(figure, output_dir: str, name: str) -> None:
    figures.save_figure(figure, os.path.join(output_dir, name))
