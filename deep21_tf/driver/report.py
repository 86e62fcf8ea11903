"""REPORT.md of a pipeline run: what ran, how long each stage took, the headline numbers and the figures; for a
redshift study, the comparison across redshifts and then one section per redshift."""
from __future__ import annotations

import glob
import os

import numpy as np

from deep21_tf.contracts import HEADLINE_K_LIMITS, TRANSFER_ENCODERS
from deep21_tf.data.splits import HELD_OUT_FRACTION
from deep21_tf.driver.layout import (CURVE_FIGURE, CURVE_FILE, REPORT_FILE, STUDY_FILE, STUDY_POWER_FIGURE,
                                  STUDY_R2_FIGURE, STUDY_SALIENCY_FIGURE, RunLayout)
from deep21_tf.evaluation.files import headline_scores, metrics_path, read_metrics
from deep21_tf.saliency_files import SALIENCY_FILE, SALIENCY_SUBDIR
from deep21_tf.simulation.config import FAST_PHYSICS_NOTE
from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.json_file import read_json
from deep21_tf.util.text import format_number

#: The paper's headline numbers, quoted beside ours.
PAPER_DENSITY = "Paper (z = 15, 200² maps, 1000 simulations): T and r within 5 % to k ≈ 0.7 Mpc⁻¹ and 8 % to 2 Mpc⁻¹."
PAPER_ASTRO = "Paper: R² = 0.76 (z = 15) with the frozen U-Net encoder, 0.89 when it is trained too; 0.97 at z = 10."
#: Under the title of a report whose suite was made with `SuiteConfig.fast_physics`.
FAST_PHYSICS_WARNING = (f"> **{FAST_PHYSICS_NOTE}**: the suite was made with `--fast_physics` (coarse 21cmFAST time "
                        "steps and initial conditions), not with the paper's physics.")


def _link(layout: RunLayout, path: str) -> str:
    return os.path.relpath(path, layout.run_dir)


def _what_ran(layout: RunLayout, times: dict, outcomes: dict) -> list:
    config, _ = read_manifest(layout.suite)
    flags = read_json(run_files.path(layout.unet(layout.datasets[0]), run_files.FLAGS_FILE), required=False) or {}
    datasets = ", ".join(f"`{d}`" for d in layout.datasets)
    lines = ["## What ran", "",
             f"- Suite: {config.num_sims} 21cmFAST simulations, {config.hii_dim}³ cells, {config.box_len:g} Mpc "
             f"({config.cell_size:g} Mpc cells), z = {', '.join(f'{z:g}' for z in config.redshifts)}; "
             f"{config.maps_per_box} maps per box and redshift ({config.slab_thickness}-cell slabs every "
             f"{config.slab_spacing} cells, {config.lines_of_sight} line(s) of sight); Latin hypercube seed "
             f"{config.design_seed}.",
             f"- Dataset{'s' if layout.is_study else ''}: {datasets}, split {_split_percentages()} by simulation"
             f"{' (the same simulations at every redshift)' if layout.is_study else ''}.",
             f"- U-Net: base width {flags.get('base_filters', '?')} (paper: 64), "
             f"{flags.get('epochs', '?')} epochs, batch {flags.get('batch_size', '?')} per replica, "
             f"Adam lr {flags.get('learning_rate', '?')}, L2 weight decay {flags.get('weight_decay', '?')}"
             f"{', mixed bfloat16' if flags.get('mixed_precision') else ''}; AstroNet the same, for the epochs "
             "in its table.",
             *_training_rates(layout),
             "", _stage_counts(outcomes), "",
             "| stage | this run | seconds (last run that did work) |", "|---|---|---|"]
    seconds = {name: times.get(name) for name in outcomes}
    lines += [f"| {name} | {outcome.replace('|', '/')} | {'–' if seconds[name] is None else f'{seconds[name]:.1f}'} |"
              for name, outcome in outcomes.items()]
    lines += [f"| **total** | | **{sum(s for s in seconds.values() if s is not None):.1f}** |", ""]
    return lines


def _stage_counts(outcomes: dict) -> str:
    """'This run: 3 stages ran, 9 reused.' (and adopted ones) from {stage: what this run did with it}."""
    ran = sum(outcome.startswith("ran") for outcome in outcomes.values())
    adopted = sum(outcome.startswith("adopted") for outcome in outcomes.values())
    reused = len(outcomes) - ran - adopted
    return (f"This run: {ran} stage{'s' if ran != 1 else ''} ran, {reused} reused"
            f"{f', {adopted} adopted (kept without a matching record)' if adopted else ''}; a stage is reused only "
            f"when its output was made with the same settings, inputs and deep21-tf version (`stage_records.json`).")


def _training_rates(layout: RunLayout) -> list:
    """One line per trained model: end-to-end deep21-train maps/s of its last run (input, callbacks included)."""
    lines = []
    for dataset in layout.datasets:
        pattern = os.path.join(layout.models(dataset), "*", run_files.INFO_FILE)
        for info_path in sorted(glob.glob(pattern)):
            info = read_json(info_path, required=False)
            if info.get("fit_epochs") and info.get("fit_seconds"):
                per_epoch = info.get("maps_per_epoch", info["train_maps"])
                rate = info["fit_epochs"] * per_epoch / info["fit_seconds"]
                lines.append(f"- `{_link(layout, os.path.dirname(info_path))}`: {info['train_simulations']} "
                             f"training simulations ({info['train_maps']} maps), {info['fit_epochs']} epochs of "
                             f"{per_epoch} maps in {info['fit_seconds']:.0f} s = {rate:.1f} maps/s end to end.")
    return lines


def _learning_curve_section(layout: RunLayout, dataset: str) -> list:
    models = layout.models(dataset)
    points = read_json(os.path.join(models, CURVE_FILE), required=False)
    if not points:
        return []
    lines = ["## Learning curve (U-Net, same validation and test simulations)", "",
             "| training simulations | training maps | r(k = 1 Mpc⁻¹) | r(k = 2 Mpc⁻¹) | MSE (δ²) |",
             "|---|---|---|---|---|"]
    lines += [f"| {p['train_simulations']} | {p['train_maps']} | {format_number(p['r_k1'])} | "
              f"{format_number(p['r_k2'])} | {format_number(p['mse_delta^2'], 4)} |" for p in points]
    return lines + ["", f"![learning curve]({_link(layout, os.path.join(models, CURVE_FIGURE))})", ""]


def _density_rows(summary: dict) -> list:
    """Table rows (U-Net, D4-averaged, Wiener) of one redshift's density metrics."""
    rows = []
    for name, label in (("network", "U-Net"), ("network_tta", "U-Net, D4-averaged"), ("wiener", "Wiener filter")):
        if name not in summary:
            continue
        scores = summary[name]
        bands = " | ".join(f"{format_number(band.max_abs_1_minus_t)} | {format_number(band.max_abs_1_minus_r)}"
                           for band in headline_scores(scores).values())
        rows.append(f"| {label} | {bands} | {format_number(scores['pdf_distance'])} | "
                    f"{format_number(scores['mse_delta^2'], 4)} |")
    return rows


DENSITY_HEADER = ["| predictor | " + "".join(f"max\\|1−T\\| k≤{k:g} | max\\|1−r\\| k≤{k:g} | " for k in HEADLINE_K_LIMITS)
                  + "PDF distance | MSE (δ²) |", "|---" * (3 + 2 * len(HEADLINE_K_LIMITS)) + "|"]


def _density_section(layout: RunLayout, dataset: str) -> list:
    unet = layout.unet(dataset)
    metrics = read_metrics(unet, required=False)
    if metrics is None:
        return []
    lines = ["## U-Net: 21 cm → δ (test split)", "", PAPER_DENSITY, ""]
    evaluation = os.path.dirname(metrics_path(unet))
    for z, summary in metrics["redshifts"].items():
        lines += [f"### z = {z}", "", *DENSITY_HEADER, *_density_rows(summary)]
        versus = summary["network_vs_wiener"]
        beaten = sum(versus["beats_baseline_at_k"])
        lines += ["", f"Against the Wiener baseline the U-Net has lower error power at {beaten} of "
                      f"{len(versus['beats_baseline_at_k'])} k bins (every k: {versus['beats_baseline_at_every_k']}); "
                      f"smallest error-power reduction {format_number(versus['min_error_power_reduction'], 2)}, "
                      f"MSE ratio network/baseline {format_number(versus['mse_ratio_network_over_baseline'], 2)}.", ""]
        lines += [f"![maps]({_link(layout, os.path.join(evaluation, name))})" for name in
                  sorted(os.listdir(evaluation)) if name.endswith(f"_z{z}.png")]
        lines.append("")
    return lines


#: AstroNet's baselines in metrics.json and their rows in the R² table.
BASELINE_LABELS = {"baseline": "linear baseline: ridge on each map's mean, std and P(k)",
                   "baseline_kernel": "nonlinear baseline: kernel ridge on the same statistics"}


def _r2_row(label: str, epochs, scores: dict) -> str:
    r2 = " | ".join(format_number(scores["r2_log10"][n]) for n in scores["parameter_names"])
    return f"| {label} | {epochs} | {r2} | {format_number(scores['r2_log10_overall'])} |"


def _astro_section(layout: RunLayout, dataset: str) -> list:
    rows, figures, names, baselines = [], [], None, {}
    for encoder in TRANSFER_ENCODERS:
        astro = layout.astro(dataset, encoder)
        metrics = read_metrics(astro, required=False)
        if metrics is None:
            continue
        epochs = (read_json(run_files.path(astro, run_files.FLAGS_FILE), required=False) or {}).get("epochs", "?")
        names = list(metrics["network"]["parameter_names"])
        rows.append(_r2_row(f"{encoder} encoder", epochs, metrics["network"]))
        if "network_tta" in metrics:
            rows.append(_r2_row(f"{encoder} encoder, D4-averaged", epochs, metrics["network_tta"]))
        baselines.update({key: metrics[key] for key in BASELINE_LABELS if key in metrics})  # one fit: shown once
        figure = os.path.join(os.path.dirname(metrics_path(astro)), "fig6_params.png")
        figures.append(f"![{encoder}]({_link(layout, figure)})")
    if not rows:
        return []
    rows += [_r2_row(label, "–", baselines[key]) for key, label in BASELINE_LABELS.items() if key in baselines]
    return ["## AstroNet: 21 cm → parameters (test split, R² of log10 values)", "", PAPER_ASTRO, "",
            "| encoder | epochs | " + " | ".join(names) + " | overall |", "|---" * (len(names) + 3) + "|", *rows, "",
            *figures, ""]


def _split_percentages() -> str:
    held_out = round(100 * HELD_OUT_FRACTION)
    return f"{100 - 2 * held_out}/{held_out}/{held_out}"


def _saliency_section(layout: RunLayout, dataset: str) -> list:
    folders = sorted(glob.glob(os.path.join(layout.models(dataset), "astro_*", SALIENCY_SUBDIR)))
    pictures = [p for folder in folders for p in sorted(glob.glob(os.path.join(folder, "*.png")))]
    if not pictures:
        return []
    with np.load(os.path.join(folders[-1], SALIENCY_FILE)) as saved:
        threshold = float(saved["threshold"])
    return ["## Saliency (AstroNet)", "",
            f"Pixels whose vanilla-gradient saliency exceeds {threshold:g}× the map's mean, per parameter "
            "(paper Figs. 9–10).", "",
            *[f"![saliency]({_link(layout, p)})" for p in pictures[:2]], ""]


def _study_section(layout: RunLayout) -> list:
    study = read_json(layout.path(STUDY_FILE), required=False)
    if study is None:
        return []
    lines = ["## Redshift study (test split, the same simulations at every redshift)", "",
             "### U-Net and Wiener baseline per redshift", "", *DENSITY_HEADER]
    for z, scores in study["density"].items():
        lines += [row.replace("| U-Net |", f"| U-Net, z = {z} |").replace("| Wiener filter |", f"| Wiener, z = {z} |")
                  for row in _density_rows(scores)]
    lines += ["", f"![transfer and correlation per redshift]({STUDY_POWER_FIGURE})", ""]
    if "parameters" in study:
        per_z = study["parameters"]
        names = next(iter(per_z.values()))["parameter_names"]
        lines += [f"### AstroNet ({study['astro_encoder']} encoder) per redshift: R² of log10 values", "", PAPER_ASTRO,
                  "", "| z | " + " | ".join(names) + " | overall |", "|---" * (len(names) + 2) + "|"]
        lines += [f"| {z} | " + " | ".join(format_number(s["r2_log10"][n]) for n in names) +
                  f" | {format_number(s['r2_log10_overall'])} |" for z, s in per_z.items()]
        same = ("the same test map" if study["saliency_same_box"]
                else "the first test map of each dataset (not the same box)")
        lines += ["", f"![R² per redshift]({STUDY_R2_FIGURE})", "",
                  f"Saliency of {same} at each redshift (paper Figs. 9–10):", "",
                  f"![saliency per redshift]({STUDY_SALIENCY_FIGURE})", ""]
    return lines


def _dataset_sections(layout: RunLayout, dataset: str) -> list:
    return (_density_section(layout, dataset) + _astro_section(layout, dataset) + _saliency_section(layout, dataset)
            + _learning_curve_section(layout, dataset))


def write_report(layout: RunLayout, times: dict, outcomes: dict) -> str:
    """Write RUN_DIR/REPORT.md from the run's files, `times` ({stage: seconds of its last run}) and `outcomes`
    ({stage: what this run did with it, e.g. 'reused', 'ran (epochs: 2 → 3)'}, in order); return its path."""
    lines = ["# deep21-tf pipeline report", ""]
    if read_manifest(layout.suite)[0].fast_physics:
        lines += [FAST_PHYSICS_WARNING, ""]
    lines += [f"Watch training in TensorBoard: `tensorboard --logdir {layout.run_dir}`", ""]
    lines += _what_ran(layout, times, outcomes)
    if layout.is_study:
        lines += _study_section(layout)
        for dataset in layout.datasets:
            section = _dataset_sections(layout, dataset)
            lines += [f"## Dataset `{dataset}`", ""]
            lines += [f"#{line}" if line.startswith("#") else line for line in section]  # one heading level down
    else:
        lines += _dataset_sections(layout, layout.datasets[0])
    path = layout.path(REPORT_FILE)
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
