"""deep21-evaluate: score a trained model on its dataset's test split, like the paper's Sec. IV.

  deep21-evaluate --model_dir=runs/demo/unet --data_dir=DATA_DIR [--tta]

U-Net: metrics.json (per redshift: T(k), r(k), P(k) and PDF mean ± std over maps, max|1−T| and max|1−r| for
k <= 0.7 and k <= 2 Mpc⁻¹, PDF distance, MSE; the same for the Wiener-filter baseline fitted on the train split,
and how much the network beats it per k) and Figs. 3–5 as PNG. AstroNet: R² per parameter and Fig. 6.
--tta adds the D4-averaged network (and its per-pixel std). Files go to MODEL_DIR/evaluation unless --output_dir.
"""
from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import define_model_split_flags, run_work  # noqa: E402
from deep21_tf.contracts import INFERENCE_BATCH_SIZE  # noqa: E402
from deep21_tf.simulation.config import FAST_PHYSICS_NOTE  # noqa: E402
from deep21_tf.util.text import format_number  # noqa: E402

PROGRAM = "deep21-evaluate"
FLAGS = flags.FLAGS
define_model_split_flags("Model dir written by deep21-train (U-Net or AstroNet).", "metrics.json and the figures",
                         "MODEL_DIR/evaluation")
flags.DEFINE_bool("tta", False, "Also score the D4 test-time average (8 symmetric copies of each map).")
flags.DEFINE_integer("max_maps", None, "Score at most this many maps (default: the whole split).", lower_bound=1)
flags.DEFINE_integer("batch_size", INFERENCE_BATCH_SIZE, "Maps per prediction batch.", lower_bound=1)
flags.DEFINE_bool("progress", True, "Show progress bars.")


def headline(metrics: dict) -> str:
    """A few lines: the headline figures and how the network does against the linear baseline (U-Net: the Wiener
    filter; AstroNet: ridge regression on each map's summary statistics)."""
    if metrics["model"] == "astro":
        return "\n".join(f"{name}: R² of the log10 parameters: " + ", ".join(
            f"{parameter} {format_number(value)}" for parameter, value in scores["r2_log10"].items())
            + f"; overall {format_number(scores['r2_log10_overall'])}"
            for name, scores in metrics.items() if name in ("network", "network_tta", "baseline", "baseline_kernel"))
    lines = []
    for z, summary in metrics["redshifts"].items():
        for name in ("network", "network_tta"):
            if name not in summary:
                continue
            figures = "; ".join(f"{band}: max|1-T| {format_number(values['max_abs_1_minus_T'])}, "
                                f"max|1-r| {format_number(values['max_abs_1_minus_r'])}"
                                for band, values in summary[name]["headline"].items())
            versus = summary[f"{name}_vs_wiener"]
            lines.append(f"z={z} {name}: {figures}; beats Wiener at every k: {versus['beats_baseline_at_every_k']} "
                         f"(error power reduction >= {format_number(versus['min_error_power_reduction'])}, MSE ratio "
                         f"{format_number(versus['mse_ratio_network_over_baseline'])})")
    return "\n".join(lines)


def main(argv):
    def work():
        from deep21_tf.evaluation.run import evaluate

        return evaluate(FLAGS.model_dir, FLAGS.data_dir, split=FLAGS.split, output_dir=FLAGS.output_dir,
                        tta=FLAGS.tta, max_maps=FLAGS.max_maps, batch_size=FLAGS.batch_size, progress=FLAGS.progress)

    return run_work(PROGRAM, argv, work, report=report)


def report(metrics: dict) -> str:
    """The headline lines (first the fast-physics note, for a dataset of such a suite), then a JSON line with the
    path of metrics.json."""
    from deep21_tf.evaluation.files import METRICS_FILE

    note = FAST_PHYSICS_NOTE + "\n" if metrics.get("fast_physics") else ""
    return note + headline(metrics) + "\n" + json.dumps({"metrics": os.path.join(metrics["output_dir"], METRICS_FILE)})


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
