"""Benchmark of the simulation stage (prints figures; run on an otherwise idle machine).

1. wall time per simulation by box size (HII_DIM 32/48 Mpc, 64/96 Mpc; 1.5 Mpc cells, z = 10, 15, 20);
2. throughput of 2 workers x 1 thread vs 1 worker x 2 threads (ratio);
3. overhead of the stage (fresh process, RSD, slabs, HDF5 write) over a bare `run_coeval` in a fresh process;
4. three lines of sight (x, y, z: 3x the maps) against one: extra wall time and peak memory per simulation.

    .venv/bin/python bench/bench_simulation.py [--sizes 32,64] [--pair_size 32] [--los_size 64] [--repeats 1]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time

from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.design import draw_design
from deep21_tf.simulation.manifest import open_or_create_suite
from deep21_tf.simulation.runner import run_suite, simulate_isolated


def suite_config(hii_dim: int, num_sims: int, lines_of_sight: int = 1) -> SuiteConfig:
    return SuiteConfig(num_sims=num_sims, hii_dim=hii_dim, box_len=1.5 * hii_dim, slab_thickness=4,
                       slab_spacing=4, design_seed=1, lines_of_sight=lines_of_sight).validate()


def bare_run_coeval(hii_dim: int, threads: int, with_rsd: bool) -> None:
    """Child mode: the plain py21cmfast call the stage wraps (same inputs), nothing else."""
    import py21cmfast as p21c

    from deep21_tf.simulation.physics import RSD_SUBCELLS, build_inputs

    config = suite_config(hii_dim, 1)
    inputs = build_inputs(draw_design(config)[0], config, threads)
    coevals = p21c.run_coeval(inputs=inputs, out_redshifts=list(config.redshifts), write=False)
    if with_rsd:
        for coeval in coevals:
            coeval.apply_rsds(field="brightness_temp", axis="z", periodic=True, n_rsd_subcells=RSD_SUBCELLS)


def timed_bare(hii_dim: int, threads: int, with_rsd: bool) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--bare", str(hii_dim), str(threads), str(int(with_rsd))], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def timed_stage(hii_dim: int, threads: int, lines_of_sight: int = 1) -> float:
    with tempfile.TemporaryDirectory() as suite_dir:
        config = suite_config(hii_dim, 1, lines_of_sight)
        spec = open_or_create_suite(suite_dir, config)[0]
        outcome = simulate_isolated(suite_dir, spec, threads)
        if outcome.error:
            raise RuntimeError(outcome.error)
        return outcome.seconds


def timed_suite(hii_dim: int, workers: int, threads: int) -> float:
    with tempfile.TemporaryDirectory() as suite_dir:
        summary = run_suite(suite_dir, suite_config(hii_dim, 2), workers=workers,
                            threads_per_sim=threads, show_progress=False)
        if summary.failed:
            raise RuntimeError(summary.failed[0].error)
        return summary.seconds


def best_of(repeats: int, measure, *args) -> float:
    return min(measure(*args) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="32,64", help="HII_DIM values for the per-simulation wall time")
    parser.add_argument("--pair_size", type=int, default=32, help="HII_DIM of the 2-worker vs 2-thread comparison")
    parser.add_argument("--los_size", type=int, default=64, help="HII_DIM of the lines-of-sight comparison")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs per figure")
    args = parser.parse_args()

    print("1. wall time per simulation (stage, 1 worker x 2 threads, z = 10, 15, 20)")
    for size in (int(s) for s in args.sizes.split(",")):
        seconds = best_of(args.repeats, timed_stage, size, 2)
        print(f"   HII_DIM {size:4d} ({1.5 * size:5.0f} Mpc): {seconds:7.1f} s")

    print(f"2. two simulations at HII_DIM {args.pair_size}: 2 workers x 1 thread vs 1 worker x 2 threads")
    parallel = best_of(args.repeats, timed_suite, args.pair_size, 2, 1)
    threaded = best_of(args.repeats, timed_suite, args.pair_size, 1, 2)
    print(f"   2 workers x 1 thread: {parallel:6.1f} s   1 worker x 2 threads: {threaded:6.1f} s   "
          f"speed-up of 2x1 over 1x2: {threaded / parallel:.2f}x")

    size = args.pair_size
    print(f"3. overhead of the stage over bare run_coeval (HII_DIM {size}, 2 threads, each in a fresh process)")
    bare = best_of(args.repeats, timed_bare, size, 2, False)
    bare_rsd = best_of(args.repeats, timed_bare, size, 2, True)
    stage = best_of(args.repeats, timed_stage, size, 2)
    print(f"   bare run_coeval: {bare:6.1f} s   + apply_rsds: {bare_rsd:6.1f} s   stage: {stage:6.1f} s")
    print(f"   overhead vs run_coeval: {100 * (stage / bare - 1):+.1f} %   "
          f"vs run_coeval + apply_rsds (same physics): {100 * (stage / bare_rsd - 1):+.1f} %  (goal <= 5 %)")

    size = args.los_size
    print(f"4. three lines of sight vs one (HII_DIM {size}, 1 worker x 2 threads; peak RSS of the simulation process)")
    one = best_of(args.repeats, timed_stage, size, 2, 1)
    one_rss = children_peak_rss_gb()
    three = best_of(args.repeats, timed_stage, size, 2, 3)
    three_rss = children_peak_rss_gb()  # the children's high-water mark: max(one, three) after both
    print(f"   1 line of sight: {one:6.1f} s, {one_rss:.2f} GB   3 lines of sight: {three:6.1f} s, {three_rss:.2f} GB")
    print(f"   time x{three / one:.2f} for 3x the maps: {3 * one / three:.2f}x the maps per CPU-second")


def children_peak_rss_gb() -> float:
    """Largest peak RSS (GB) of the finished child processes so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--bare":
        bare_run_coeval(int(sys.argv[2]), int(sys.argv[3]), bool(int(sys.argv[4])))
    else:
        main()
