"""Real tiny 21cmFAST suites made with the CLI: contents, physics sanity, resume after a kill, the Beam runner."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.storage import incompleteness, redshift_group, simulation_path
from tests.conftest import REPO, SESSION_SUITE_ARGS, TINY_FLAGS, run_cli
from tests.test_simulation_design import assert_latin_hypercube

pytestmark = pytest.mark.slow


def read_maps(path: str, redshift: float) -> dict:
    with h5py.File(path, "r") as handle:
        group = handle[redshift_group(redshift)]
        return {name: group[name][()] for name in group} | dict(group.attrs)


def test_suite_files_are_complete_and_physically_sane(tiny_suite):
    config, design = read_manifest(tiny_suite)
    assert config.num_sims == 4 and config.redshifts == (10.0, 15.0, 20.0)
    assert_latin_hypercube(config, design)
    # 4-cell slabs every 4 cells tile the whole 32-cell line of sight, so map averages are box averages.
    assert config.slab_starts == (0, 4, 8, 12, 16, 20, 24, 28)
    for spec in design:
        path = simulation_path(tiny_suite, spec)
        assert incompleteness(path, spec, config) is None
        with h5py.File(path, "r") as handle:
            assert handle.attrs["seed"] == spec.seed and handle.attrs["box_len"] == 48.0
            assert np.isclose(handle.attrs["m_turn"], 10 ** spec.log10_mturn)
            assert handle.attrs["code_version"].startswith("4.") and handle.attrs["n_threads"] == 1
        for z in config.redshifts:
            maps = read_maps(path, z)
            tb, tb_real, delta = maps["brightness_temp"], maps["brightness_temp_real_space"], maps["density"]
            assert tb.shape == delta.shape == (8, 32, 32) and tb.dtype == np.float32
            assert np.all(np.isfinite(tb)) and np.all(np.isfinite(delta))
            assert abs(delta.mean()) < 1e-5 and 0.05 < delta.std() < 0.5  # a density contrast
            # Redshift-space distortions move signal along the line of sight but conserve the mean.
            assert np.std(tb - tb_real) > 0.02 * np.std(tb_real)
            assert np.isclose(tb.mean(), tb_real.mean(), atol=1e-3)
            assert np.isclose(tb.mean(), maps["mean_brightness_temp"], atol=1e-3)
            assert 0.0 < maps["mean_neutral_fraction"] <= 1.0
    # z = 15 is in absorption for the whole prior (global-evolution runs: -3 to -90 mK).
    assert all(read_maps(simulation_path(tiny_suite, s), 15.0)["mean_brightness_temp"] < 0 for s in design)


def file_identity(path: str) -> tuple:
    stat = os.stat(path)
    return stat.st_ino, stat.st_mtime_ns


def test_kill_then_resume_loses_nothing_and_reruns_nothing_complete(tiny_suite, tmp_path):
    suite = str(tmp_path / "suite")
    shutil.copytree(tiny_suite, suite)
    config, design = read_manifest(suite)
    paths = [simulation_path(suite, spec) for spec in design]
    os.remove(paths[3])
    with open(paths[1], "r+b") as handle:  # a file cut short, as a crash of another tool would leave it
        handle.truncate(1000)
    untouched = {p: file_identity(p) for p in (paths[0], paths[2])}

    command = [sys.executable, "-m", "deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite}",
               *SESSION_SUITE_ARGS, "--workers=2"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(8)  # the two missing simulations are running now
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1)
    assert incompleteness(paths[3], design[3], config) is not None
    assert {p: file_identity(p) for p in untouched} == untouched

    result = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite}",
                     *SESSION_SUITE_ARGS, "--workers=2")
    assert "4/4 simulations complete" in result.stdout and "2 already there, 2 run now, 0 failed" in result.stdout
    assert {p: file_identity(p) for p in untouched} == untouched
    assert not [name for name in os.listdir(suite) if "partial" in name]
    # A re-run simulation reproduces the original exactly (same seed, parameters and threads: 21cmFAST draws
    # its initial conditions with one random stream per OpenMP thread).
    for index in (1, 3):
        original = read_maps(simulation_path(tiny_suite, design[index]), 15.0)
        rerun = read_maps(paths[index], 15.0)
        np.testing.assert_array_equal(rerun["brightness_temp"], original["brightness_temp"])
        np.testing.assert_array_equal(rerun["density"], original["density"])


def test_beam_runner_makes_the_same_files(tiny_suite, tmp_path):
    """With its default options (FnApiRunner: every step in this process) the Beam runner remakes a deleted file."""
    suite = str(tmp_path / "suite")
    shutil.copytree(tiny_suite, suite)
    config, design = read_manifest(suite)
    os.remove(simulation_path(suite, design[2]))
    result = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite}",
                     *SESSION_SUITE_ARGS, "--runner=beam")
    assert "4/4 simulations complete" in result.stdout and "1 run now" in result.stdout
    original = read_maps(simulation_path(tiny_suite, design[2]), 10.0)
    rerun = read_maps(simulation_path(suite, design[2]), 10.0)
    np.testing.assert_array_equal(rerun["brightness_temp"], original["brightness_temp"])


def test_beam_runner_says_why_a_simulation_has_no_file(tiny_suite, tmp_path):
    """A failed worker's last log line and log path, or, with no log at all, that the runner never ran the step."""
    from deep21_tf.simulation.beam_runner import NEVER_RAN, missing_file_reason
    from deep21_tf.simulation.runner import worker_log_path

    _, design = read_manifest(tiny_suite)
    suite = str(tmp_path)
    assert missing_file_reason(suite, design[1]) == NEVER_RAN and "--runner=FnApiRunner" in NEVER_RAN
    log_path = worker_log_path(suite, design[1])
    os.makedirs(os.path.dirname(log_path))
    with open(log_path, "w", encoding="utf-8") as handle:
        handle.write("Traceback (most recent call last):\nMemoryError: out of memory\n")
    assert missing_file_reason(suite, design[1]) == f"MemoryError: out of memory (log: {log_path})"
