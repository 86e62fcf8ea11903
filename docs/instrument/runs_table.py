"""The instrument runs' table for REPORT.md, printed as Markdown from the metrics that final_round.sh copies into
docs/instrument/runs/ (RUN_metrics.json), so every number in the report is read from its JSON, never typed. Per run
and predictor: r(k) at a few large scales (means over the test maps), r(k = 1 Mpc⁻¹) and max|1 − r| to k = 0.7 Mpc⁻¹
with their 68 % intervals over test boxes, T(k = 0.08 Mpc⁻¹) and the MSE. Runs not made yet are left out.

    .venv/bin/python docs/instrument/runs_table.py [RUNS_DIR]
"""
import json
import os
import sys

import numpy as np

from deep21_tf.util.text import format_number, format_with_interval

RUNS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")
#: Runs in the report's order, with their row labels.
RUNS = {"unet_z15_aa4_1000h": "AA4, 1,000 h", "unet_z15_aa4_10000h": "AA4, 10,000 h",
        "unet_z15_on_wedge_suite": "wedge suite, full maps (the noiseless U-Net, no fine-tuning)",
        "unet_z15_wedge": "wedge removed", "unet_z15_wedge_aa4_10000h": "wedge removed, AA4, 10,000 h"}
PREDICTORS = {"network": "U-Net", "network_tta": "U-Net, D4-averaged", "wiener": "Wiener filter"}
#: The large scales (Mpc⁻¹) where observed maps keep signal.
LARGE_SCALES = (0.08, 0.14, 0.2, 0.46)


def run_rows(scores: dict, label: str) -> list:
    """One row per predictor of one run's redshift entry."""
    rows = []
    for key, predictor in PREDICTORS.items():
        entry = scores[key]
        k, interval = entry["k_mpc^-1"], entry["interval_68"]
        cells = [format_number(float(np.interp(x, k, entry["crosscorr_mean"])), 2) for x in LARGE_SCALES]
        cells.append(format_with_interval(float(np.interp(1.0, k, entry["crosscorr_mean"])),
                                          interval["crosscorr_at_k_mpc^-1"]["1"], 2))
        cells.append(format_with_interval(entry["headline"]["k_le_0.7_mpc^-1"]["max_abs_1_minus_r"],
                                          interval["k_le_0.7_mpc^-1"]["max_abs_1_minus_r"], 2))
        cells.append(format_number(float(np.interp(0.08, k, entry["transfer_mean"])), 2))
        cells.append(format_with_interval(entry["mse_delta^2"], interval["mse_delta^2"]["mean"], 4))
        rows.append(f"| {label} | {predictor} | " + " | ".join(cells) + " |")
    return rows


def main(runs_dir: str = RUNS_DIR) -> None:
    header = ("| maps | predictor | " + " | ".join(f"r(k = {x:g})" for x in LARGE_SCALES)
              + " | r(k = 1) | max\\|1−r\\| k ≤ 0.7 | T(k = 0.08) | MSE (δ²) |")
    lines = [header, "|---" * 10 + "|"]
    for run, label in RUNS.items():
        path = os.path.join(runs_dir, f"{run}_metrics.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                metrics = json.load(handle)
            lines += run_rows(next(iter(metrics["redshifts"].values())), label)
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
