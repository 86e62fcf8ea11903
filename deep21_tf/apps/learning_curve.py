"""Collect a learning curve from evaluated model directories of one kind: U-Nets (the pipeline's last stage with
--learning_curve) or AstroNets (R² per parameter against training boxes, the kernel-ridge baseline beside it).

  python -m deep21_tf.apps.learning_curve --run_dir=RUN --model_dirs=RUN/unet_train0.25 --model_dirs=RUN/unet

Writes RUN/learning_curve.json (U-Nets: r(k = 1, 2 Mpc⁻¹) and MSE of δ; AstroNets: R² per parameter of the network
and of the kernel-ridge baseline, with 68 % intervals; with the training boxes and maps of each point) and .png.
"""
from __future__ import annotations

from absl import app, flags

from deep21_tf.apps.common import run_work

PROGRAM = "deep21-learning-curve"
FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Where learning_curve.json and learning_curve.png are written.")
flags.DEFINE_multi_string("model_dirs", [], "Evaluated model directories, all U-Nets or all AstroNets (deep21-evaluate "
                          "run on each).")
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
