"""deep21-pipeline: the whole job, each stage with the command a user would type, skipping finished stages.

  deep21-pipeline --flagfile=flags/demo.flags            # = make demo, into runs/demo
  deep21-pipeline --flagfile=flags/demo.flags --redshifts=10,15,20 --run_dir=runs/redshifts   # the redshift study

Writes RUN_DIR/REPORT.md at the end. Re-running is fast; a killed run resumes.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import fail, parse_floats  # noqa: E402
from deep21_tf.contracts import DATASET_REDSHIFTS, redshift_datasets  # noqa: E402
from deep21_tf.driver.stages import PipelineSettings, run_pipeline  # noqa: E402

PROGRAM = "deep21-pipeline"
FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", "runs/demo", "Where every stage writes (suite/, tfds/, unet/, astro_*/, REPORT.md).")
flags.DEFINE_string("simulate_flagfile", "flags/tiny.flags", "Flagfile of deep21-simulate.")
flags.DEFINE_string("train_flagfile", "flags/train_tiny.flags", "Flagfile of deep21-train (U-Net and AstroNet).")
flags.DEFINE_string("dataset", "z15", "Dataset config (redshift): z10, z15, z20 or all_z.")
flags.DEFINE_list("redshifts", [], "The paper's redshift study instead of --dataset: a U-Net, AstroNets and saliency "
                  "per redshift (of 10, 15, 20; models in RUN_DIR/z10, …), then a comparison (redshift_*.png).")
flags.DEFINE_list("simulate_args", [], "Extra flags for deep21-simulate, e.g. --num_sims=4.")
flags.DEFINE_list("train_args", [], "Extra flags for deep21-train, e.g. --epochs=2.")
flags.DEFINE_bool("tta", True, "Also evaluate the U-Net with D4 test-time averaging.")
flags.DEFINE_list("astro_encoders", ["frozen", "trainable"], "AstroNets to train: frozen and/or trainable U-Net "
                  "encoder (empty: none); saliency explains the last one.")
flags.DEFINE_list("astro_args", [], "Extra flags for AstroNet's deep21-train, e.g. --epochs=20 (the paper's).")
flags.DEFINE_list("learning_curve", [], "Fractions of the training simulations for extra U-Nets, e.g. 0.25,0.5: "
                  "a learning curve (r(k) and MSE against training maps) in learning_curve.png.")


def main(argv):
    if len(argv) > 1:
        fail(PROGRAM, f"unexpected arguments {argv[1:]}")
    for name in ("simulate_flagfile", "train_flagfile"):
        if not os.path.isfile(FLAGS[name].value):
            fail(PROGRAM, f"--{name}={FLAGS[name].value} does not exist")
    for encoder in FLAGS.astro_encoders:
        if encoder not in ("frozen", "trainable"):
            fail(PROGRAM, f"--astro_encoders={','.join(FLAGS.astro_encoders)}: {encoder!r} is not allowed; "
                          "use frozen and/or trainable")
    if FLAGS.dataset not in DATASET_REDSHIFTS:
        fail(PROGRAM, f"--dataset={FLAGS.dataset} is not allowed; use one of {', '.join(DATASET_REDSHIFTS)}")
    try:
        fractions = tuple(parse_floats("learning_curve", FLAGS.learning_curve))
        redshifts = parse_floats("redshifts", FLAGS.redshifts)
        datasets = redshift_datasets(redshifts) if redshifts else (FLAGS.dataset,)
    except ValueError as error:
        fail(PROGRAM, str(error))
    if any(not 0 < f < 1 for f in fractions):
        fail(PROGRAM, f"--learning_curve={','.join(FLAGS.learning_curve)}: use fractions 0 < f < 1 (the full "
                      "training split is the U-Net of the run)")
    settings = PipelineSettings(run_dir=FLAGS.run_dir, simulate_flagfile=FLAGS.simulate_flagfile,
                                train_flagfile=FLAGS.train_flagfile, datasets=datasets,
                                simulate_args=tuple(FLAGS.simulate_args), train_args=tuple(FLAGS.train_args),
                                tta=FLAGS.tta, astro_encoders=tuple(FLAGS.astro_encoders),
                                astro_args=tuple(FLAGS.astro_args), learning_curve=fractions)
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
