"""deep21-simulate: run a Latin-hypercube suite of 21cmFAST simulations and cut 2D maps, one file per simulation.

  deep21-simulate --flagfile=flags/tiny.flags --suite_dir=runs/demo/suite

Re-running the same command resumes: complete files are kept, only missing simulations run.
"""
from __future__ import annotations

from absl import app, flags

from deep21_tf.apps.common import run_work
from deep21_tf.apps.settings_flags import define_settings_flags, settings_from_flags
from deep21_tf.contracts import LOCAL_BEAM_RUNNER, SIZE_MULTIPLE
from deep21_tf.simulation.config import DEFAULT_RANGES, FAST_PHYSICS_NOTE, SuiteConfig
from deep21_tf.simulation.physics import FAST_PHYSICS_OPTIONS

PROGRAM = "deep21-simulate"
FLAGS = flags.FLAGS
flags.DEFINE_string("suite_dir", None, "Directory of the suite (manifest + one HDF5 file per simulation).")
HELP = {
    "num_sims": "Number of simulations in the Latin hypercube.",
    "hii_dim": f"Cells per side of the box (multiple of {SIZE_MULTIPLE}).",
    "box_len": "Box side in Mpc (>= 45).",
    "redshifts": "Output redshifts, in [6, 35].",
    "slab_thickness": "Cells averaged along the line of sight per map.",
    "slab_spacing": "Cells between the starts of consecutive slabs (>= slab_thickness).",
    **{f"{name}_range": f"Prior range of {name} (low,high)." for name in DEFAULT_RANGES},
    "design_seed": "Seed of the Latin hypercube and of the per-simulation seeds.",
    "keep_real_space_21cm": "Also store the real-space 21 cm maps.",
    "lines_of_sight": "1: maps perpendicular to the box's z axis; 3: to x, y and z in turn (three redshift-space "
                      "maps of each box, ~1.2x the time per simulation).",
    "fast_physics": "21cmFAST's coarse recipe (" + ", ".join(f"{k}={v}" for k, v in FAST_PHYSICS_OPTIONS.items())
                    + "): ~5x faster, but other physics; for demos and tests only (the tiny preset).",
    "wedge": "Also store every 21 cm map with the foreground wedge removed (field brightness_temp_wedge).",
    "wedge_slope": "Wedge slope in units of the horizon slope D_C H / (c (1+z)) (4.0, 5.3, 6.3 at z = 10, 15, 20): "
                   "1 = horizon wedge, sin of the field of view's half-angle = primary-beam wedge; >= 0.",
    "wedge_buffer": "Wedge buffer b in Mpc^-1: modes with k_par < slope k_perp + b are removed; >= 0.",
    "design_size": "Draw the design for this many points and make the suite its first --num_sims (0: num_sims "
                   "points); such a suite resizes: another --num_sims keeps every finished box and grows or cuts the "
                   "suite to that prefix (pack what is finished, then go on).",
    "compact": "Store the maps in float16, compressed, and density maps only at --density_redshifts (~0.29 MB per "
               "64^3 box, +0.12 MB per density redshift): a suite small enough to commit, for AstroNet's params_* "
               "datasets (tfds build --config=params_all_z) and the U-Net's at those redshifts.",
    "density_redshifts": "With --compact: the redshifts whose density maps are kept (default none).",
}
#: Defaults of the suite settings that SuiteConfig leaves to its caller (a tiny suite).
SIZE_DEFAULTS = {"num_sims": 8, "hii_dim": 32, "box_len": 48.0}
define_settings_flags(SuiteConfig, HELP, defaults=SIZE_DEFAULTS)
flags.DEFINE_integer("workers", 1, "Simulations run at the same time (one process each).", lower_bound=1)
flags.DEFINE_integer("threads_per_sim", 2, "OpenMP threads per simulation.", lower_bound=1)
flags.DEFINE_enum("runner", "local", ["local", "beam"], "local process pool, or an Apache Beam pipeline.")
flags.DEFINE_list("beam_pipeline_options", [f"--runner={LOCAL_BEAM_RUNNER}"],
                  "Beam pipeline options for --runner=beam, e.g. --runner=FlinkRunner,--flink_master=host:8081. "
                  "The default runs in this process; --runner=DirectRunner may hand the pipeline to Beam's Prism "
                  "runner, which did not run the simulations in our tests.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.mark_flag_as_required("suite_dir")


def config_from_flags() -> SuiteConfig:
    """The SuiteConfig the flags describe, validated (ValueError names the bad flag)."""
    return settings_from_flags(SuiteConfig, FLAGS).validate()


def main(argv):
    def work():
        config = config_from_flags()
        try:
            if FLAGS.runner == "beam":
                from deep21_tf.simulation.beam_runner import run_suite_beam

                summary = run_suite_beam(FLAGS.suite_dir, config, FLAGS.threads_per_sim, FLAGS.beam_pipeline_options)
            else:
                from deep21_tf.simulation.runner import run_suite

                summary = run_suite(FLAGS.suite_dir, config, workers=FLAGS.workers,
                                    threads_per_sim=FLAGS.threads_per_sim, show_progress=FLAGS.progress)
        except OSError as error:
            raise OSError(f"--suite_dir={FLAGS.suite_dir} cannot be used: {error}") from None
        return config, summary

    return run_work(PROGRAM, argv, work, report=_summary_lines, start_tensorflow=False,
                    exit_status=lambda result: 1 if result[1].failed else 0)


def _summary_lines(result) -> str:
    """The suite's one-line summary, then one line per failed simulation."""
    config, summary = result
    lines = [summary.line(FLAGS.suite_dir) + (f" ({FAST_PHYSICS_NOTE})" if config.fast_physics else "")]
    if summary.failed:
        from deep21_tf.simulation.runner import describe

        lines += [f"  failed: {describe(outcome.spec)}: {outcome.error}" for outcome in summary.failed]
    return "\n".join(lines)


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
