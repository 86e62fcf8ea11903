"""Run one simulation of a suite in this process and write its file: ``python -m deep21_tf.simulation.worker``.

Usage: ``python -m deep21_tf.simulation.worker SUITE_DIR INDEX THREADS``. Exit status 0 when the file was written.
"""
from __future__ import annotations

import sys

from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.physics import run_simulation
from deep21_tf.simulation.storage import simulation_path, write_simulation_file


def simulate_and_write(suite_dir: str, index: int, n_threads: int) -> str:
    """Run simulation `index` of the suite in `suite_dir` with `n_threads` OpenMP threads; return the file path."""
    config, design = read_manifest(suite_dir)
    spec = design[index]
    result = run_simulation(spec, config, n_threads=n_threads)
    path = simulation_path(suite_dir, spec)
    write_simulation_file(path, spec, config, result)
    return path


def main(argv) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    simulate_and_write(argv[1], int(argv[2]), int(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
