"""Compare the models a pipeline run trained at each redshift (the pipeline's last stage with --redshifts).

  python -m deep21_tf.apps.redshift_study --run_dir=RUN --datasets=z10,z15,z20 [--astro_encoder=trainable]

Writes RUN/redshift_study.json, redshift_power.png (T(k), r(k) per redshift with the Wiener baselines),
redshift_r2.png (AstroNet R² per parameter per redshift) and redshift_saliency.png (the same map at each redshift).
"""
from __future__ import annotations

from absl import app, flags

from deep21_tf.apps.common import check_choices, run_work
from deep21_tf.contracts import TRANSFER_ENCODERS

PROGRAM = "deep21-redshift-study"
FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "The pipeline run directory (models of dataset D in RUN_DIR/D).")
flags.DEFINE_list("datasets", None, "The single-redshift datasets of the run, e.g. z10,z15,z20 (at least 2).")
flags.DEFINE_enum("astro_encoder", None, TRANSFER_ENCODERS, "The AstroNet to compare (and whose saliency to show); "
                  "unset: the U-Nets only.")
flags.mark_flags_as_required(["run_dir", "datasets"])


def main(argv):
    def work():
        from deep21_tf.contracts import SINGLE_REDSHIFT_DATASETS
        from deep21_tf.driver.redshift_study import write_study
        from deep21_tf.driver.layout import RunLayout

        check_choices("datasets", FLAGS.datasets, list(SINGLE_REDSHIFT_DATASETS.values()), least=2)
        study = write_study(RunLayout(FLAGS.run_dir, tuple(FLAGS.datasets)), FLAGS.astro_encoder)
        return {"redshifts": study["redshifts"], "saliency_same_box": study.get("saliency_same_box")}

    return run_work(PROGRAM, argv, work, start_tensorflow=False)


def run():
    """Entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
