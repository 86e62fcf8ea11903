"""deep21-pipeline: the whole job, each stage with the command a user would type, skipping finished stages.

  deep21-pipeline --preset=demo                          # = make demo, into runs/demo (or --flagfile=flags/demo.flags)
  deep21-pipeline --preset=demo --redshifts=10,15,20 --run_dir=runs/redshifts   # the redshift study

Writes RUN_DIR/REPORT.md at the end. Re-running is fast; a killed run resumes. A stage is reused only when it was
made with the same settings, inputs and deep21-tf version; otherwise it reruns with every stage after it — except
the suite and trained networks, which rerun only with --rerun_changed or --rerun (the run stops and says so).
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import check_choices, fail, parse_floats, run_work  # noqa: E402
from deep21_tf.apps.presets import expand_presets, flagfile  # noqa: E402
from deep21_tf.apps.settings_flags import define_settings_flags, settings_from_flags  # noqa: E402
from deep21_tf.contracts import DEFAULT_DATASET, MAP_DATASETS, TRANSFER_ENCODERS, redshift_datasets  # noqa: E402
from deep21_tf.driver.stages import PipelineSettings, run_pipeline  # noqa: E402

PROGRAM = "deep21-pipeline"
FLAGS = flags.FLAGS
HELP = {
    "run_dir": "Where every stage writes (suite/, tfds/, unet/, astro_*/, REPORT.md).",
    "simulate_flagfile": "Flagfile of deep21-simulate, or a shipped preset's name (tiny, small, repro, params, paper).",
    "train_flagfile": "Flagfile of deep21-train (U-Net and AstroNet), or a shipped preset's name (train_tiny, "
                      "train_small, train_repro, train_paper).",
    "simulate_args": "Extra flags for deep21-simulate, e.g. --num_sims=4.",
    "train_args": "Extra flags for deep21-train, e.g. --epochs=2.",
    "tta": "Also evaluate the U-Net with D4 test-time averaging.",
    "astro_encoders": "AstroNets to train: frozen and/or trainable U-Net encoder (empty: none); saliency explains "
                      "the last one.",
    "astro_args": "Extra flags for AstroNet's deep21-train, e.g. --epochs=20 (the paper's).",
    "learning_curve": "Fractions of the training simulations for extra U-Nets, e.g. 0.25,0.5: a learning curve "
                      "(r(k) and MSE against training maps) in learning_curve.png.",
    "rerun": "Stages to rerun even if unchanged, with every stage after them, e.g. 'train U-Net' (in a redshift "
             "study a name without its [z10] reruns it for every redshift).",
    "rerun_changed": "Rerun the suite and trained networks whose settings or inputs changed (without it the run "
                     "stops and names them; other stages rerun when they change).",
    "adopt": "Keep outputs made without a record of their settings (by an older deep21-tf, or by hand) or whose "
             "record differs only in the deep21-tf version, and record today's settings for them.",
}
define_settings_flags(PipelineSettings, HELP, defaults={"run_dir": "runs/demo"}, skip=["datasets"])
flags.DEFINE_string("preset", None, "A shipped preset read as a flagfile, found wherever the package is installed: "
                    "demo, repro_pipeline or paper_pipeline; later flags override it.")
flags.DEFINE_enum("dataset", DEFAULT_DATASET, list(MAP_DATASETS), "Dataset config (redshifts as channels).")
flags.DEFINE_list("redshifts", [], "The paper's redshift study instead of --dataset: a U-Net, AstroNets and saliency "
                  "per redshift (of 10, 15, 20; models in RUN_DIR/z10, …), then a comparison (redshift_*.png).")


def main(argv):
    def work():
        for name in ("simulate_flagfile", "train_flagfile"):
            flagfile(name, FLAGS[name].value)
        check_choices("astro_encoders", FLAGS.astro_encoders, TRANSFER_ENCODERS)
        redshifts = parse_floats("redshifts", FLAGS.redshifts)
        datasets = redshift_datasets(redshifts) if redshifts else (FLAGS.dataset,)
        settings = settings_from_flags(PipelineSettings, FLAGS, skip=["datasets"], datasets=datasets)
        if any(not 0 < f < 1 for f in settings.learning_curve):
            raise ValueError(f"--learning_curve={','.join(FLAGS.learning_curve)}: use fractions 0 < f < 1 (the full "
                             "training split is the U-Net of the run)")
        run_pipeline(settings)

    return run_work(PROGRAM, argv, work, start_tensorflow=False, errors=(RuntimeError, ValueError, OSError))


def parse_flags(argv):
    """absl's parser after `--preset=NAME` became `--flagfile=` that preset's file (a wrong name: one line, exit 2)."""
    try:
        return app.parse_flags_with_usage(expand_presets(argv))
    except ValueError as error:
        fail(PROGRAM, str(error))


def run():
    """Console-script entry point."""
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    run()
