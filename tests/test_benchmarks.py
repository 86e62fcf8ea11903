"""The tf.data benchmark's smoke run: the benchmark still runs against today's library and prints its figures.

Its figures (speed, memory) are not asserted: they belong to an idle machine, not to a test run.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_the_pipeline_benchmark_prints_throughput_and_the_memory_ratio(tmp_path):
    process = subprocess.run([sys.executable, "bench/bench_pipeline.py", f"--work_dir={tmp_path}", "--hii_dim=32",
                              "--num_sims=3", "--factor=2", "--seconds=1"],
                             capture_output=True, text=True, cwd=REPO, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    rate = re.search(r"pipeline throughput \(32² maps.*\): ([\d.]+) examples/s", process.stdout)
    ratio = re.search(r"ratio ([\d.]+) \(goal <= 1.10\)", process.stdout)
    assert rate and float(rate.group(1)) > 0, process.stdout
    assert ratio and float(ratio.group(1)) > 0, process.stdout
