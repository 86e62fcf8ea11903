"""deep21-pipeline: the whole job, each stage with the command a user would type, skipping finished stages.

  deep21-pipeline --flagfile=flags/demo.flags            # = make demo, into runs/demo
  deep21-pipeline --flagfile=flags/demo.flags --redshifts=10,15,20 --run_dir=runs/redshifts   # the redshift study

Writes RUN_DIR/REPORT.md at the end. Re-running is fast; a killed run resumes.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import check_choices, fail, parse_floats  # noqa: E402
from deep21_tf.apps.settings_flags import define_settings_flags, settings_from_flags  # noqa: E402
from deep21_tf.contracts import DATASET_REDSHIFTS, TRANSFER_ENCODERS, redshift_datasets  # noqa: E402
from deep21_tf.driver.stages import PipelineSettings, run_pipeline  # noqa: E402

PROGRAM = "deep21-pipeline"
FLAGS = flags.FLAGS
HELP = {
    "run_dir": "Where every stage writes (suite/, tfds/, unet/, astro_*/, REPORT.md).",
    "simulate_flagfile": "Flagfile of deep21-simulate.",
    "train_flagfile": "Flagfile of deep21-train (U-Net and AstroNet).",
    "simulate_args": "Extra flags for deep21-simulate, e.g. --num_sims=4.",
    "train_args": "Extra flags for deep21-train, e.g. --epochs=2.",
    "tta": "Also evaluate the U-Net with D4 test-time averaging.",
    "astro_encoders": "AstroNets to train: frozen and/or trainable U-Net encoder (empty: none); saliency explains "
                      "the last one.",
    "astro_args": "Extra flags for AstroNet's deep21-train, e.g. --epochs=20 (the paper's).",
    "learning_curve": "Fractions of the training simulations for extra U-Nets, e.g. 0.25,0.5: a learning curve "
                      "(r(k) and MSE against training maps) in learning_curve.png.",
}
define_settings_flags(PipelineSettings, HELP, defaults={"run_dir": "runs/demo"}, skip=["datasets"])
flags.DEFINE_string("dataset", "z15", f"Dataset config (redshift): {', '.join(DATASET_REDSHIFTS)}.")
flags.DEFINE_list("redshifts", [], "The paper's redshift study instead of --dataset: a U-Net, AstroNets and saliency "
                  "per redshift (of 10, 15, 20; models in RUN_DIR/z10, …), then a comparison (redshift_*.png).")


def main(argv):
    if len(argv) > 1:
        fail(PROGRAM, f"unexpected arguments {argv[1:]}")
    for name in ("simulate_flagfile", "train_flagfile"):
        if not os.path.isfile(FLAGS[name].value):
            fail(PROGRAM, f"--{name}={FLAGS[name].value} does not exist")
    try:
        check_choices("astro_encoders", FLAGS.astro_encoders, TRANSFER_ENCODERS)
        check_choices("dataset", [FLAGS.dataset], list(DATASET_REDSHIFTS))
        redshifts = parse_floats("redshifts", FLAGS.redshifts)
        datasets = redshift_datasets(redshifts) if redshifts else (FLAGS.dataset,)
        settings = settings_from_flags(PipelineSettings, FLAGS, skip=["datasets"], datasets=datasets)
    except ValueError as error:
        fail(PROGRAM, str(error))
    if any(not 0 < f < 1 for f in settings.learning_curve):
        fail(PROGRAM, f"--learning_curve={','.join(FLAGS.learning_curve)}: use fractions 0 < f < 1 (the full "
                      "training split is the U-Net of the run)")
    try:
        run_pipeline(settings)
    except RuntimeError as error:
        fail(PROGRAM, str(error))
    return 0


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
