"""Shared fixtures: one tiny real 21cmFAST suite per test session, made with the CLI as a user would.

`make test` runs the tests on two pytest-xdist workers (`-n 2 --dist loadfile`: a file's tests, and so its module
fixtures, stay on one worker); the session fixtures are made once per run by whichever worker needs them first
(`made_once`), the other waits for them.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from typing import Callable

import pytest

from deep21_tf.contracts import LOCAL_BEAM_RUNNER

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_FLAGS = os.path.join(REPO, "flags", "tiny.flags")
#: The session suite: 4 simulations (2 train / 1 validation / 1 test), real-space 21 cm kept for the RSD tests.
SESSION_SUITE_ARGS = ("--num_sims=4", "--keep_real_space_21cm", "--progress=false")


def run_cli(module: str, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `python -m module args...` as a user would; fail the test with its output when `check` and it fails."""
    process = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                             cwd=REPO)
    if check and process.returncode != 0:
        pytest.fail(f"{module} {' '.join(args)} exited {process.returncode}:\n{process.stdout}\n{process.stderr}")
    return process


def _run_root(tmp_path_factory) -> str:
    """The temporary directory every xdist worker of this run shares (the base temp without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return str(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


def session_dir(tmp_path_factory, name: str) -> str:
    """The run's directory `name` (shared by the xdist workers), or `$DEEP21_TEST_CACHE/name` when that variable is
    set (developers: the resumable CLIs then find their work done and return at once; CI leaves it unset)."""
    cache = os.environ.get("DEEP21_TEST_CACHE")
    if cache:
        os.makedirs(cache, exist_ok=True)
        return os.path.join(cache, name)
    return os.path.join(_run_root(tmp_path_factory), name)


def made_once(tmp_path_factory, name: str, make: Callable[[str], None], cached: bool = True) -> str:
    """`session_dir(name)` (`cached=False`: always the run's own directory) after `make(path)` ran on it exactly once
    in this run: the first worker to ask makes it (under a file lock), the others wait and reuse it. A failed `make`
    leaves no mark, so the next worker that asks tries again (and its tests fail the same way)."""
    root = _run_root(tmp_path_factory)
    path = session_dir(tmp_path_factory, name) if cached else os.path.join(root, name)
    with open(os.path.join(root, f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = os.path.join(root, f"{name}.done")
        if not os.path.exists(done):
            make(path)
            open(done, "w").close()
    return path


@pytest.fixture(scope="session")
def tiny_suite(tmp_path_factory) -> str:
    """Directory of a real tiny suite (32^3 cells, 48 Mpc, z = 10, 15, 20, 4 simulations, 8 maps each)."""
    return made_once(tmp_path_factory, "suite", lambda suite_dir: run_cli(
        "deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite_dir}", *SESSION_SUITE_ARGS))


TFDS_CLI = "tensorflow_datasets.scripts.cli.main"
#: Beam's in-process runner with 2 worker processes (Prism, which DirectRunner may pick, ignores these options).
BEAM_MULTIPROCESSING = (f"--beam_pipeline_options=runner={LOCAL_BEAM_RUNNER},direct_running_mode=multi_processing,"
                        "direct_num_workers=2")


def tfds_build(suite_dir: str, data_dir: str, config: str, *extra: str, check: bool = True):
    """`tfds build datasets/hi21cm` as a user runs it."""
    return run_cli(TFDS_CLI, "build", "datasets/hi21cm", f"--manual_dir={suite_dir}", f"--data_dir={data_dir}",
                   f"--config={config}", *extra, check=check)


@pytest.fixture(scope="session")
def tiny_data_dir(tiny_suite, tmp_path_factory) -> str:
    """TFDS data dir of the tiny suite: z15 (FnApiRunner, 2 worker processes) and all_z (`tfds build`'s default
    runner, as a user who types it gets: Prism where Beam can download it, else FnApiRunner)."""
    def build(data_dir: str) -> None:
        tfds_build(tiny_suite, data_dir, "z15", BEAM_MULTIPROCESSING)
        tfds_build(tiny_suite, data_dir, "all_z")

    return made_once(tmp_path_factory, "tfds_data", build)


#: deep21-pipeline's --train_args of the end-to-end tests: a tiny U-Net, 2 epochs.
PIPELINE_TRAIN_ARGS = "--base_filters=4,--epochs=2,--batch_size=4,--shuffle_buffer=64,--monitor_maps=2"
TINY_TRAINING = ("--dataset=z15", "--base_filters=4", "--batch_size=4", "--shuffle_buffer=64", "--epochs=2")
#: The session U-Net's training: 3 epochs of 10 of the 16 training maps (3 steps each), cosine schedule. One run
#: serves the training tests (artefacts, TensorBoard, selection) and is the kill test's uninterrupted twin.
UNET_TRAINING = ("--dataset=z15", "--base_filters=4", "--batch_size=4", "--shuffle_buffer=64", "--epochs=3",
                 "--maps_per_epoch=10", "--lr_schedule=cosine", "--monitor_maps=2")


@pytest.fixture(scope="session")
def trained_unet_dir(tiny_data_dir, tmp_path_factory) -> str:
    """A tiny U-Net (4 base filters, `UNET_TRAINING` on z15) trained with the CLI; shared by training, evaluate,
    saliency and predict tests (read only)."""
    return made_once(tmp_path_factory, "trained_unet", lambda model_dir: run_cli(
        "deep21_tf.apps.train", f"--data_dir={tiny_data_dir}", f"--model_dir={model_dir}", *UNET_TRAINING),
        cached=False)


@pytest.fixture(scope="session")
def trained_astro_dir(tiny_data_dir, tmp_path_factory) -> str:
    """A tiny AstroNet (encoder from scratch, 2 epochs on z15) trained with the CLI."""
    return made_once(tmp_path_factory, "trained_astro", lambda model_dir: run_cli(
        "deep21_tf.apps.train", f"--data_dir={tiny_data_dir}", f"--model_dir={model_dir}", *TINY_TRAINING,
        "--model=astro", "--encoder=scratch"), cached=False)


@pytest.fixture(scope="session")
def tiny_maps_mK(tiny_data_dir):
    """The 8 test-split 21 cm maps of the z15 dataset in mK, in stored order, (8, 32, 32)."""
    from deep21_tf.data import load_normalization, make_dataset

    inputs, _ = next(make_dataset(tiny_data_dir, "z15", "test", batch_size=8).as_numpy_iterator())
    return load_normalization(tiny_data_dir, "z15").denormalize("map_21cm", inputs)[..., 0]


#: Test files by measured cost, dearest first (`--durations`): with `--dist loadfile --no-loadscope-reorder` the two
#: workers take whole files in collection order, so the long ones start first and the short ones fill in at the end
#: (the option came with pytest-xdist 3.8; since 3.5 it otherwise puts the files with the most tests first).
DEAREST_FILES = ("test_training.py", "test_pipeline.py", "test_all_redshifts.py", "test_packaging.py",
                 "test_corrupt_dataset.py", "test_instrument.py", "test_simulation_suite.py",
                 "test_evaluate.py", "test_predict.py", "test_benchmarks.py", "test_lines_of_sight.py",
                 "test_tfds_build.py")


def pytest_collection_modifyitems(items):
    """Run the dearest files first (the order within a file is kept)."""
    def rank(item) -> int:
        name = os.path.basename(str(item.fspath))
        return DEAREST_FILES.index(name) if name in DEAREST_FILES else len(DEAREST_FILES)

    items.sort(key=rank)
