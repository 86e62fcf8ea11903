"""The package works without its source checkout: the presets and the TFDS builder ship inside the wheel, and the
pipeline finds them by name from any directory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from deep21_tf.apps.presets import expand_presets, flagfile, preset_path
from deep21_tf.util.paths import PRESETS_DIR
from tests.conftest import REPO, SESSION_SUITE_ARGS, run_cli


def test_a_preset_expands_in_place_so_later_flags_override_it():
    demo = os.path.join(PRESETS_DIR, "demo.flags")
    assert expand_presets(["prog", "--epochs=1", "--preset=demo", "--run_dir=x"]) == [
        "prog", "--epochs=1", f"--flagfile={demo}", "--preset=demo", "--run_dir=x"]
    assert expand_presets(["prog", "--preset", "demo"]) == ["prog", f"--flagfile={demo}", "--preset=demo"]
    assert preset_path("tiny.flags") == preset_path("tiny") == os.path.join(PRESETS_DIR, "tiny.flags")
    assert flagfile("simulate_flagfile", "train_tiny") == os.path.join(PRESETS_DIR, "train_tiny.flags")
    with pytest.raises(ValueError, match=r"--preset=tinier: no such preset; use one of demo, paper, .*train_tiny, wedge_z15$"):
        preset_path("tinier")


def test_the_pipeline_refuses_an_unknown_preset_and_writes_nothing(tmp_path):
    result = run_cli("deep21_tf.apps.pipeline", "--preset=dem", f"--run_dir={tmp_path / 'run'}", check=False)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith(
        "deep21-pipeline: error: --preset=dem: no such preset; use one of demo, ")
    result = run_cli("deep21_tf.apps.pipeline", "--simulate_flagfile=tinyy", f"--run_dir={tmp_path / 'run'}",
                     check=False)
    assert result.returncode == 2 and "--simulate_flagfile=tinyy does not exist: give a flagfile or a preset (" \
        in result.stderr
    assert not (tmp_path / "run").exists()


def _source_copy(target: str) -> None:
    """What a wheel is built from (the checkout's files; a copy, as pip builds in the source tree)."""
    for name in ("setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(os.path.join(REPO, name), target)
    shutil.copytree(os.path.join(REPO, "flags"), os.path.join(target, "flags"))
    os.makedirs(os.path.join(target, "datasets", "hi21cm"))
    for name in ("README.md", "CITATIONS.bib"):
        shutil.copy(os.path.join(REPO, "datasets", "hi21cm", name), os.path.join(target, "datasets", "hi21cm"))
    shutil.copytree(os.path.join(REPO, "deep21_tf"), os.path.join(target, "deep21_tf"),
                    ignore=shutil.ignore_patterns("__pycache__"))


def _run(*args: str, cwd: str, env: dict = None, timeout: float = 900) -> subprocess.CompletedProcess:
    process = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env,
                             timeout=timeout)
    assert process.returncode == 0, f"{args} exited {process.returncode}:\n{process.stdout}\n{process.stderr}"
    return process


@pytest.mark.slow
def test_the_installed_wheel_runs_the_pipeline_and_a_learning_curve_from_another_directory(tiny_suite, tmp_path):
    source, wheels, target, elsewhere = (tmp_path / name for name in ("source", "wheels", "target", "elsewhere"))
    source.mkdir(), elsewhere.mkdir()
    _source_copy(str(source))
    _run("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source),
         cwd=str(tmp_path))
    (wheel,) = wheels.glob("deep21_tf-*.whl")
    _run("-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel), cwd=str(tmp_path))
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = _run("-c", "import deep21_tf.util.paths as p; print(p.__file__, p.PRESETS_DIR, p.BUILDER_FOLDER)",
                 cwd=str(elsewhere), env=env).stdout.split()
    assert all(path.startswith(str(target)) for path in where), where  # not the checkout's files

    run_dir = elsewhere / "run"
    shutil.copytree(tiny_suite, run_dir / "suite")
    _run("-m", "deep21_tf.apps.pipeline", "--preset=demo", f"--run_dir={run_dir}",
         f"--simulate_args={','.join(SESSION_SUITE_ARGS)}", "--astro_encoders=", "--notta", "--learning_curve=0.5",
         "--train_args=--base_filters=4,--epochs=1,--batch_size=4,--shuffle_buffer=64,--monitor_maps=2",
         cwd=str(elsewhere), env=env)
    records = json.loads((run_dir / "stage_records.json").read_text())
    half = "U-Net (0.5 of the training simulations)"
    assert list(records) == ["simulate", "tfds build", "train U-Net", "evaluate U-Net", f"train {half}",
                             f"evaluate {half}", "learning curve"]
    assert records["tfds build"]["command"]["arguments"] == ["build", "hi21cm"]  # the packaged builder, by import
    info = json.loads((run_dir / "tfds" / "hi21cm" / "z15" / "1.1.0" / "dataset_info.json").read_text())
    assert "redshift space" in info["description"] and "Villanueva-Domingo" in info["citation"]  # shipped README, bib
    assert (run_dir / "unet" / "evaluation" / "metrics.json").is_file()
    # the learning curve: the U-Net on 1 of the 2 training simulations, then on both
    curve = json.loads((run_dir / "learning_curve.json").read_text())
    assert [(p["train_simulations"], p["train_maps"]) for p in curve] == [(1, 8), (2, 16)]
    assert all(-1 <= p["r_k1"] <= 1 and p["mse_delta^2"] > 0 for p in curve)
    report = (run_dir / "REPORT.md").read_text()
    assert "## U-Net" in report and "## Learning curve" in report and "## AstroNet" not in report
