"""The same per-simulation step as the local runner, as an Apache Beam pipeline (FnApiRunner, Flink, Spark, Dataflow).

The suite directory must be a filesystem every Beam worker can write (e.g. a shared POSIX mount); each element
runs `simulate_isolated`, i.e. one fresh process per simulation, exactly as locally.
"""
from __future__ import annotations

import os
import time
from typing import List

from deep21_tf.contracts import LOCAL_BEAM_RUNNER
from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.design import SimulationSpec
from deep21_tf.simulation.runner import (Outcome, SuiteSummary, logged_failure, prepare_suite, simulate_isolated,
                                           worker_log_path)


#: A simulation with neither a file nor a worker log: its step never ran to its end (`LOCAL_BEAM_RUNNER`).
NEVER_RAN = ("no file and no worker log: the Beam runner did not run this simulation's step to its end "
             f"(--beam_pipeline_options=--runner={LOCAL_BEAM_RUNNER} runs it in this process)")


def missing_file_reason(suite_dir: str, spec: SimulationSpec) -> str:
    """Why simulation `spec` has no complete file after the pipeline: its worker's log, or that it never ran."""
    log_path = worker_log_path(suite_dir, spec)
    return logged_failure(log_path) if os.path.exists(log_path) else NEVER_RAN


def run_suite_beam(suite_dir: str, config: SuiteConfig, threads_per_sim: int, pipeline_args: List[str]) -> SuiteSummary:
    """Run the pending simulations of the suite with Beam; `pipeline_args` are Beam options (``--runner=...``)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    start = time.perf_counter()
    design, pending = prepare_suite(suite_dir, config)
    outcomes: List[Outcome] = []
    if pending:
        with beam.Pipeline(options=PipelineOptions(pipeline_args)) as pipeline:
            _ = (pipeline
                 | "pending simulations" >> beam.Create(pending)
                 | "reshuffle" >> beam.Reshuffle()
                 | "simulate" >> beam.Map(lambda spec: simulate_isolated(suite_dir, spec, threads_per_sim)))
        _, still_pending = prepare_suite(suite_dir, config)
        failed = {spec.index for spec in still_pending}
        seconds = time.perf_counter() - start
        outcomes = [Outcome(spec, seconds, error=missing_file_reason(suite_dir, spec) if spec.index in failed else None)
                    for spec in pending]
    return SuiteSummary(total=len(design), already_complete=len(design) - len(pending), outcomes=outcomes,
                        seconds=time.perf_counter() - start)
