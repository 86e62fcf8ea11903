"""Running the simulations of a suite: each in a fresh process, N at a time, resumable, with progress."""
from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from typing import List, Optional

from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.design import SimulationSpec
from deep21_tf.simulation.manifest import open_or_create_suite
from deep21_tf.simulation.storage import incompleteness, simulation_path
from deep21_tf.util.atomic import remove_stale_partials
from deep21_tf.util.progress import progress_bar

LOG_DIR = "logs"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one simulation ended: `error` is None on success; seconds is wall time."""

    spec: SimulationSpec
    seconds: float
    error: Optional[str] = None


@dataclasses.dataclass
class SuiteSummary:
    """What a call to `run_suite` did."""

    total: int
    already_complete: int
    outcomes: List[Outcome]
    seconds: float

    @property
    def failed(self) -> List[Outcome]:
        return [o for o in self.outcomes if o.error is not None]

    def line(self, suite_dir: str) -> str:
        """One-line summary for the end of a run."""
        done = self.already_complete + len(self.outcomes) - len(self.failed)
        ran = [o.seconds for o in self.outcomes if o.error is None]
        per_sim = f", {sum(ran) / len(ran):.1f} s per simulation" if ran else ""
        return (f"{done}/{self.total} simulations complete in {suite_dir} ({self.already_complete} already there, "
                f"{len(ran)} run now, {len(self.failed)} failed) in {self.seconds:.1f} s{per_sim}")


def prepare_suite(suite_dir: str, config: SuiteConfig) -> tuple:
    """Create `suite_dir` and its manifest if needed, remove partial files; return (design, pending specs)."""
    design = open_or_create_suite(suite_dir, config)
    if not os.access(suite_dir, os.W_OK):
        raise PermissionError(f"--suite_dir={suite_dir} is not writable")
    remove_stale_partials(suite_dir)
    pending = []
    for spec in design:
        reason = incompleteness(simulation_path(suite_dir, spec), spec, config)
        if reason is not None:
            if reason != "missing":
                os.remove(simulation_path(suite_dir, spec))
            pending.append(spec)
    return design, pending


def _die_with_parent() -> None:  # runs in the child before exec (Linux): SIGTERM when the parent dies
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def worker_log_path(suite_dir: str, spec: SimulationSpec) -> str:
    """Where a failed simulation's worker output is kept: ``SUITE/logs/sim_NNNNN.log``."""
    return os.path.join(suite_dir, LOG_DIR, spec.sim_id + ".log")


def logged_failure(log_path: str) -> str:
    """A failed worker's error: the last line of its log, and where the log is."""
    with open(log_path, encoding="utf-8") as handle:
        lines = handle.read().strip().splitlines()
    return f"{lines[-1] if lines else 'empty log'} (log: {log_path})"


def simulate_isolated(suite_dir: str, spec: SimulationSpec, n_threads: int) -> Outcome:
    """Run one simulation in a fresh Python process (21cmFAST keeps C globals); keep its log if it fails."""
    start = time.perf_counter()
    log_path = worker_log_path(suite_dir, spec)
    with contextlib.suppress(FileNotFoundError):
        os.remove(log_path)  # a log left by an earlier failed try would describe that try, not this one
    command = [sys.executable, "-m", "deep21_tf.simulation.worker", suite_dir, str(spec.index), str(n_threads)]
    env = dict(os.environ, OMP_NUM_THREADS=str(n_threads))
    process = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=_die_with_parent)
    seconds = time.perf_counter() - start
    if process.returncode == 0:
        return Outcome(spec, seconds)
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as handle:
        handle.write((process.stdout + process.stderr) or f"exit status {process.returncode}\n")
    return Outcome(spec, seconds, error=logged_failure(log_path))


def run_suite(suite_dir: str, config: SuiteConfig, workers: int = 1, threads_per_sim: int = 2,
              show_progress: bool = True) -> SuiteSummary:
    """Run every simulation of the suite that has no complete file yet, `workers` at a time."""
    start = time.perf_counter()
    design, pending = prepare_suite(suite_dir, config)
    outcomes: List[Outcome] = []
    with progress_bar(total=len(design), initial=len(design) - len(pending), desc="simulations",
                      enabled=show_progress) as bar, \
            concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(simulate_isolated, suite_dir, spec, threads_per_sim) for spec in pending]
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if outcome.error:
                bar.write(f"FAILED {describe(outcome.spec)}: {outcome.error}")
            bar.update(1)
    return SuiteSummary(total=len(design), already_complete=len(design) - len(pending), outcomes=outcomes,
                        seconds=time.perf_counter() - start)


def describe(spec: SimulationSpec) -> str:
    """`sim_00003 (seed 123, log10_mturn=8.41, ...)`: a simulation named with its parameters."""
    params = ", ".join(f"{name}={value:.4f}" for name, value in spec.parameters().items())
    return f"{spec.sim_id} (index {spec.index}, seed {spec.seed}, {params})"

