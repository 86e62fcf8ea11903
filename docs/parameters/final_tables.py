"""The final round's tables for REPORT.md, printed as Markdown from the files final_round.sh copies into
docs/parameters/final/ (RUN_metrics.json, RUN_history.csv, RUN_model_info.json, astro_learning_curve.json), so
every number in the report is read from its JSON, never typed. Runs not made yet are left out. `unet_repro28` is
the shipped reproduction U-Net (28 training boxes of another suite of the same physics) scored on this suite's
test boxes (`deep21-evaluate --model_dir=deep21_tf/pretrained/unet_z15 --tta`), its history and model record
copied from docs/reproduction/ and the package.

    .venv/bin/python docs/parameters/final_tables.py [FINAL_DIR]
"""
import csv
import json
import os
import sys

import numpy as np

from deep21_tf.contracts import PARAMETER_TEXT
from deep21_tf.util.text import format_number, format_with_interval

FINAL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "final")
#: AstroNet runs of final_round.sh, in the report's order, with their row labels.
ASTRO_RUNS = {"all_z": "all_z", "all_z_long": "all_z, 40 epochs", "all_z_no_mean": "all_z, map means removed",
              "z10": "z = 10", "z15": "z = 15", "z20": "z = 20", "z15_trainable": "z = 15, base 64, from the U-Net",
              "z15_frozen": "z = 15, base 64, the U-Net's frozen encoder"}
#: The baselines of each evaluation and their row labels.
BASELINES = {"baseline": "ridge on map summaries", "baseline_kernel": "kernel ridge on map summaries"}
#: U-Net predictors of a metrics.json redshift entry and their row labels.
UNET_PREDICTORS = {"network": "U-Net", "network_tta": "U-Net, D4-averaged", "wiener": "Wiener filter"}


def r2_cells(scores):
    """Per parameter 'R² [68 %]' over maps, then the mean R² over the parameters."""
    names = scores["parameter_names"]
    cells = [format_with_interval(scores["r2_log10"][name], scores["interval_68"]["r2_log10"][name]) for name in names]
    return cells + [format_number(sum(scores["r2_log10"][name] for name in names) / len(names), 2)]


def read_run(final_dir, run):
    """(metrics, model_info, history rows) of one copied run, or None when it has not been made."""
    path = os.path.join(final_dir, f"{run}_metrics.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        metrics = json.load(handle)
    with open(os.path.join(final_dir, f"{run}_model_info.json"), encoding="utf-8") as handle:
        info = json.load(handle)
    with open(os.path.join(final_dir, f"{run}_history.csv"), encoding="utf-8") as handle:
        history = list(csv.DictReader(handle))
    return metrics, info, history


def kept_epoch(history):
    """'0.035 (16)': the lowest validation MSE and its epoch (from 0), the epoch a run keeps."""
    best = min(history, key=lambda row: float(row["val_mse"]))
    return f"{format_number(float(best['val_mse']), 3)} ({best['epoch']})"


def astro_table(final_dir):
    """AstroNet runs (D4-averaged) and, per input they were trained on, the two baselines fitted on the same boxes."""
    lines = ["| run (test R², D4-averaged) | val MSE (kept epoch) | " + " | ".join(PARAMETER_TEXT.values()) + " | mean |",
             "|---|---|---|---|---|---|"]
    baselines = {}
    for run, label in ASTRO_RUNS.items():
        found = read_run(final_dir, run)
        if found is None:
            continue
        metrics, info, history = found
        lines.append(f"| {label} | {kept_epoch(history)} | " + " | ".join(r2_cells(metrics["network_tta"])) + " |")
        inputs = ("z = " + ", ".join(f"{z:g}" for z in info["redshifts"])
                  + (", map means removed" if info.get("remove_map_mean") else ""))
        baselines.setdefault(inputs, metrics)
    for inputs, metrics in baselines.items():
        for key, label in BASELINES.items():
            lines.append(f"| {inputs}: {label} | — | " + " | ".join(r2_cells(metrics[key])) + " |")
    return lines


def detail_table(final_dir):
    """Per run and parameter: RMSE (dex), R² of the per-box mean predictions and the squared Pearson correlation."""
    lines = ["| run | predictor | " + " | ".join(f"{label}: RMSE, per-box R², Pearson r²" for label in PARAMETER_TEXT.values())
             + " |", "|---|---|---|---|---|"]
    for run in ASTRO_RUNS:
        found = read_run(final_dir, run)
        if found is None:
            continue
        for key, label in {"network_tta": "AstroNet, D4-averaged", "baseline_kernel": "kernel ridge"}.items():
            scores = found[0][key]
            cells = [f"{format_number(scores['rmse_log10'][name], 3)}, "
                     f"{format_number(scores['per_box']['r2_log10'][name], 2)}, "
                     f"{format_number(scores['pearson_r2_log10'][name], 2)}" for name in scores["parameter_names"]]
            lines.append(f"| {run} | {label} | " + " | ".join(cells) + " |")
    return lines


def curve_table(final_dir):
    """The learning curve: R² [68 %] per parameter of AstroNet and the kernel ridge against training boxes."""
    path = os.path.join(final_dir, "astro_learning_curve.json")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as handle:
        points = json.load(handle)
    lines = ["| training boxes | " + " | ".join(f"AstroNet {label}" for label in PARAMETER_TEXT.values()) + " | "
             + " | ".join(f"kernel ridge {label}" for label in PARAMETER_TEXT.values()) + " |", "|---" * 7 + "|"]
    for point in points:
        cells = [format_with_interval(point[key]["r2_log10"][name], point[key]["r2_log10_interval_68"][name])
                 for key in ("network", "baseline_kernel") for name in PARAMETER_TEXT]
        lines.append(f"| {point['train_simulations']} | " + " | ".join(cells) + " |")
    return lines


def unet_table(final_dir, run="unet_z15"):
    """The U-Net at z = 15: r(k = 1, 2 Mpc⁻¹), max |1 − T| and |1 − r| to k = 0.7 and 2 Mpc⁻¹, MSE, each with its
    68 % interval over test boxes, against the Wiener filter."""
    found = read_run(final_dir, run)
    if found is None:
        return []
    lines = ["| predictor | r(k = 1) | r(k = 2) | max\\|1−T\\| k ≤ 0.7 | max\\|1−r\\| k ≤ 0.7 | max\\|1−T\\| k ≤ 2 | "
             "max\\|1−r\\| k ≤ 2 | MSE (δ²) |", "|---" * 8 + "|"]
    for key, label in UNET_PREDICTORS.items():
        scores = next(iter(found[0]["redshifts"].values()))[key]
        interval = scores["interval_68"]
        cells = [format_with_interval(float(np.interp(k, scores["k_mpc^-1"], scores["crosscorr_mean"])),
                               interval["crosscorr_at_k_mpc^-1"][f"{k:g}"], 3) for k in (1.0, 2.0)]
        for band in ("k_le_0.7_mpc^-1", "k_le_2_mpc^-1"):
            cells += [format_with_interval(scores["headline"][band][name], interval[band][name], 3)
                      for name in ("max_abs_1_minus_T", "max_abs_1_minus_r")]
        cells.append(format_with_interval(scores["mse_delta^2"], interval["mse_delta^2"]["mean"], 4))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main(final_dir=FINAL_DIR):
    for title, lines in (("AstroNet and the baselines", astro_table(final_dir)),
                         ("RMSE, per-box R² and Pearson r²", detail_table(final_dir)),
                         ("Learning curve", curve_table(final_dir)),
                         ("U-Net z = 15, 28 training boxes (the shipped reproduction U-Net)",
                          unet_table(final_dir, "unet_repro28")),
                         ("U-Net z = 15, 252 training boxes", unet_table(final_dir)),
                         ("U-Net z = 15, 252 training boxes, cosine schedule",
                          unet_table(final_dir, "unet_z15_cosine"))):
        if lines:
            print(f"### {title}\n")
            print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
