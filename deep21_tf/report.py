"""REPORT.md of a pipeline run: what ran, how long each stage took, the headline numbers and the figures."""
from __future__ import annotations

import glob
import json
import os
from typing import Optional

from deep21_tf.learning_curve import CURVE_FIGURE, CURVE_FILE
from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.training import model_dir as layout
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.text import format_number

REPORT_FILE = "REPORT.md"
ASTRO_RUNS = (("frozen", "astro_frozen"), ("trainable", "astro_trainable"))


def _load(path: str) -> Optional[dict]:
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _what_ran(run_dir: str, times: dict) -> list:
    config, _ = read_manifest(os.path.join(run_dir, "suite"))
    flags = _load(layout.path(os.path.join(run_dir, "unet"), layout.FLAGS_FILE)) or {}
    lines = ["## What ran", "",
             f"- Suite: {config.num_sims} 21cmFAST simulations, {config.hii_dim}³ cells, {config.box_len:g} Mpc "
             f"({config.cell_size:g} Mpc cells), z = {', '.join(f'{z:g}' for z in config.redshifts)}; "
             f"{config.maps_per_box} maps per box and redshift ({config.slab_thickness}-cell slabs every "
             f"{config.slab_spacing} cells, {config.lines_of_sight} line(s) of sight); Latin hypercube seed "
             f"{config.design_seed}.",
             f"- Dataset: `{flags.get('dataset', '?')}`, split 70/15/15 by simulation.",
             f"- U-Net and AstroNet: base width {flags.get('base_filters', '?')} (paper: 64), "
             f"{flags.get('epochs', '?')} epochs, batch {flags.get('batch_size', '?')} per replica, "
             f"Adam lr {flags.get('learning_rate', '?')}, L2 weight decay {flags.get('weight_decay', '?')}"
             f"{', mixed bfloat16' if flags.get('mixed_precision') else ''}.",
             *_training_rates(run_dir),
             "", "| stage | seconds (last run that did work) |", "|---|---|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in times.items()]
    lines += [f"| **total** | **{sum(times.values()):.1f}** |", ""]
    return lines


def _training_rates(run_dir: str) -> list:
    """One line per trained model: end-to-end deep21-train maps/s of its last run (input, callbacks included)."""
    lines = []
    for info_path in sorted(glob.glob(os.path.join(run_dir, "*", layout.INFO_FILE))):
        info = _load(info_path)
        if info.get("fit_epochs") and info.get("fit_seconds"):
            rate = info["fit_epochs"] * info["train_maps"] / info["fit_seconds"]
            lines.append(f"- `{os.path.basename(os.path.dirname(info_path))}`: {info['train_simulations']} training "
                         f"simulations ({info['train_maps']} maps), {info['fit_epochs']} epochs in "
                         f"{info['fit_seconds']:.0f} s = {rate:.1f} maps/s end to end.")
    return lines


def _learning_curve_section(run_dir: str) -> list:
    points = _load(os.path.join(run_dir, CURVE_FILE))
    if not points:
        return []
    lines = ["## Learning curve (U-Net, same validation and test simulations)", "",
             "| training simulations | training maps | r(k = 1 Mpc⁻¹) | r(k = 2 Mpc⁻¹) | MSE (δ²) |", "|---|---|---|---|---|"]
    lines += [f"| {p['train_simulations']} | {p['train_maps']} | {format_number(p['r_k1'])} | "
              f"{format_number(p['r_k2'])} | {format_number(p['mse_delta^2'], 4)} |" for p in points]
    return lines + ["", f"![learning curve]({CURVE_FIGURE})", ""]


def _density_section(run_dir: str) -> list:
    metrics = _load(os.path.join(run_dir, "unet", "evaluation", "metrics.json"))
    if metrics is None:
        return []
    lines = ["## U-Net: 21 cm → δ (test split)", "",
             "Paper (z = 15, 200² maps, 1000 simulations): T and r within 5 % to k ≈ 0.7 Mpc⁻¹ and 8 % to 2 Mpc⁻¹.", ""]
    for z, summary in metrics["redshifts"].items():
        lines += [f"### z = {z}", "",
                  "| predictor | max\\|1−T\\| k≤0.7 | max\\|1−r\\| k≤0.7 | max\\|1−T\\| k≤2 | max\\|1−r\\| k≤2 | "
                  "PDF distance | MSE (δ²) |", "|---|---|---|---|---|---|---|"]
        for name, label in (("network", "U-Net"), ("network_tta", "U-Net, D4-averaged"), ("wiener", "Wiener filter")):
            if name not in summary:
                continue
            s, head = summary[name], summary[name]["headline"]
            low, high = head["k_le_0.7_mpc^-1"], head["k_le_2_mpc^-1"]
            lines.append(f"| {label} | {format_number(low['max_abs_1_minus_T'])} | {format_number(low['max_abs_1_minus_r'])} | "
                         f"{format_number(high['max_abs_1_minus_T'])} | {format_number(high['max_abs_1_minus_r'])} | "
                         f"{format_number(s['pdf_distance'])} | {format_number(s['mse_delta^2'], 4)} |")
        versus = summary["network_vs_wiener"]
        beaten = sum(versus["beats_baseline_at_k"])
        lines += ["", f"Against the Wiener baseline the U-Net has lower error power at {beaten} of "
                      f"{len(versus['beats_baseline_at_k'])} k bins (every k: {versus['beats_baseline_at_every_k']}); "
                      f"smallest error-power reduction {format_number(versus['min_error_power_reduction'], 2)}, "
                      f"MSE ratio network/baseline {format_number(versus['mse_ratio_network_over_baseline'], 2)}.", ""]
        lines += [f"![maps](unet/evaluation/{name})" for name in
                  sorted(os.listdir(os.path.join(run_dir, "unet", "evaluation"))) if name.endswith(f"_z{z}.png")]
        lines.append("")
    return lines


def _astro_section(run_dir: str) -> list:
    rows, figures = [], []
    names = None
    for encoder, folder in ASTRO_RUNS:
        metrics = _load(os.path.join(run_dir, folder, "evaluation", "metrics.json"))
        if metrics is None:
            continue
        for variant in ("network", "network_tta"):
            if variant in metrics:
                scores = metrics[variant]
                names = scores["parameter_names"]
                label = f"{encoder} encoder" + (", D4-averaged" if variant == "network_tta" else "")
                rows.append(f"| {label} | " + " | ".join(format_number(scores["r2_log10"][n]) for n in names) +
                            f" | {format_number(scores['r2_log10_overall'])} |")
        figures.append(f"![{encoder}]({folder}/evaluation/fig6_params.png)")
    if not rows:
        return []
    return ["## AstroNet: 21 cm → parameters (test split, R² of log10 values)", "",
            "Paper (z = 15): R² = 0.76 with the frozen U-Net encoder, 0.89 when it is trained too.", "",
            "| encoder | " + " | ".join(names) + " | overall |", "|---" * (len(names) + 2) + "|", *rows, "",
            *figures, ""]


def _saliency_section(run_dir: str) -> list:
    pictures = sorted(glob.glob(os.path.join(run_dir, "astro_*", "saliency", "*.png")))
    if not pictures:
        return []
    return ["## Saliency (AstroNet)", "",
            "Pixels whose vanilla-gradient saliency exceeds 5× the map's mean, per parameter (paper Figs. 9–10).", "",
            *[f"![saliency]({os.path.relpath(p, run_dir)})" for p in pictures[:2]], ""]


def write_report(run_dir: str, times: dict) -> str:
    """Write RUN_DIR/REPORT.md from the run's files and return its path."""
    lines = ["# deep21-tf pipeline report", "",
             f"Watch training in TensorBoard: `tensorboard --logdir {run_dir}`", ""]
    lines += _what_ran(run_dir, times) + _density_section(run_dir) + _astro_section(run_dir)
    lines += _saliency_section(run_dir) + _learning_curve_section(run_dir)
    path = os.path.join(run_dir, REPORT_FILE)
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
