"""Collect a learning curve from evaluated U-Net directories (the pipeline's last stage with --learning_curve).

  python -m deep21_tf.apps.learning_curve --run_dir=RUN --model_dirs=RUN/unet_train0.25 --model_dirs=RUN/unet

Writes RUN/learning_curve.json (r(k = 1, 2 Mpc⁻¹) and MSE against the number of training maps) and .png.
"""
from __future__ import annotations

from absl import app, flags

from deep21_tf.apps.common import run_work

PROGRAM = "deep21-learning-curve"
FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Where learning_curve.json and learning_curve.png are written.")
flags.DEFINE_multi_string("model_dirs", [], "Evaluated U-Net model directories (deep21-evaluate run on each).")
flags.mark_flag_as_required("run_dir")


def main(argv):
    def work():
        from deep21_tf.driver.learning_curve import write_learning_curve

        if len(FLAGS.model_dirs) < 2:
            raise ValueError(f"--model_dirs names {len(FLAGS.model_dirs)} model directories: give at least 2")
        return {"points": write_learning_curve(FLAGS.run_dir, FLAGS.model_dirs)}

    return run_work(PROGRAM, argv, work, start_tensorflow=False)


def run():
    """Entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
