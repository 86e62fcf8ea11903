"""The pipeline driver end to end on a configuration even smaller than the demo; a second run skips everything, a
changed setting reruns what it affects or, for the suite and trained networks, stops and says how to go on. (The
redshift study end to end: tests/test_redshift_study.py, a file of its own so that the two run on both workers.)"""
from __future__ import annotations

import json
import os
import shutil

import h5py
import keras
import numpy as np
import pytest

from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.storage import simulation_path
from tests.conftest import PIPELINE_TRAIN_ARGS as TRAIN_ARGS
from tests.conftest import REPO, SESSION_SUITE_ARGS, run_cli

pytestmark = pytest.mark.slow



def test_pipeline_runs_every_stage_then_skips_them_all(tiny_suite, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_suite, run_dir / "suite")  # three simulations done, one left for the simulate stage
    _, design = read_manifest(str(run_dir / "suite"))
    os.remove(simulation_path(str(run_dir / "suite"), design[0]))
    args = ("--flagfile=flags/demo.flags", f"--run_dir={run_dir}", f"--simulate_args={','.join(SESSION_SUITE_ARGS)}",
            f"--train_args={TRAIN_ARGS}", "--astro_encoders=trainable", "--astro_args=--epochs=1",
            "--learning_curve=0.5")

    first = run_cli("deep21_tf.apps.pipeline", *args)
    assert first.stdout.count("[run ]") == 10 and "[skip]" not in first.stdout

    with h5py.File(simulation_path(str(run_dir / "suite"), design[0]), "r") as handle:
        assert handle.attrs["complete"]
    times = json.loads((run_dir / "stage_times.json").read_text())
    assert len(times) == 10 and all(seconds > 0 for seconds in times.values())
    assert not (run_dir / "astro_frozen").exists()  # --astro_encoders=trainable only
    for model in ("unet", "astro_trainable"):
        exported = keras.saving.load_model(str(run_dir / model / "exported.keras"), safe_mode=True)
        metrics = json.loads((run_dir / model / "evaluation" / "metrics.json").read_text())
        assert metrics["model"] == ("unet" if model == "unet" else "astro")
        assert exported.output_shape[-1] == (1 if model == "unet" else 3)
    unet_metrics = json.loads((run_dir / "unet" / "evaluation" / "metrics.json").read_text())["redshifts"]["15"]
    assert {"network", "network_tta", "wiener", "network_vs_wiener"} <= set(unet_metrics)
    for figure in ("fig3_maps_z15.png", "fig4_power_z15.png", "fig5_pdf_z15.png", "fig3_tta_z15.png"):
        assert (run_dir / "unet" / "evaluation" / figure).read_bytes().startswith(b"\x89PNG")
    assert len(history_rows(run_dir / "astro_trainable")) == 1 and len(history_rows(run_dir / "unet")) == 2
    # the learning curve: the U-Net on 1 of the 2 training simulations, then on both
    curve = json.loads((run_dir / "learning_curve.json").read_text())
    assert [(p["train_simulations"], p["train_maps"]) for p in curve] == [(1, 8), (2, 16)]
    assert all(-1 <= p["r_k1"] <= 1 and p["mse_delta^2"] > 0 for p in curve)
    saliency = np.load(run_dir / "astro_trainable" / "saliency" / "saliency.npz")
    assert saliency["saliency"].shape[1] == 3 and np.all(np.isfinite(saliency["saliency"]))

    report = (run_dir / "REPORT.md").read_text()
    for text in ("## What ran", "| train U-Net |", "## U-Net", "Wiener", "## AstroNet",
                 "trainable encoder", "tensorboard --logdir", "## Saliency", "## Learning curve", "maps/s end to end",
                 "1 line(s) of sight"):
        assert text in report, text
    for picture in [line[line.index("(") + 1:-1] for line in report.splitlines() if line.startswith("![")]:
        assert (run_dir / picture).is_file(), picture

    second = run_cli("deep21_tf.apps.pipeline", *args)
    assert second.stdout.count("[skip]") == 10 and "[run ]" not in second.stdout
    assert json.loads((run_dir / "stage_times.json").read_text()) == times

    records = (run_dir / "stage_records.json").read_text()
    for change, stage, difference in (
            (f"--train_args={TRAIN_ARGS},--epochs=3", "train U-Net", "epochs: 2 → 3"),  # a training setting
            (f"--simulate_args={','.join(SESSION_SUITE_ARGS)},--design_seed=7", "simulate", "design_seed: 2021 → 7")):
        refused = run_cli("deep21_tf.apps.pipeline", *args, change, check=False)
        assert refused.returncode == 2 and "[run ]" not in refused.stdout, change
        line = refused.stderr.strip().splitlines()[-1]
        assert line.startswith(f"deep21-pipeline: error: stage '{stage}' would rerun ({difference}), replacing "), line
        assert "--rerun_changed" in line and "new --run_dir" in line
        assert (run_dir / "stage_records.json").read_text() == records  # nothing ran

    # an evaluation setting reruns the evaluations and the learning curve read from them, nothing else (--rerun
    # and the other ways a stage reruns: tests/test_stage_records.py)
    curve_unet = "train U-Net (0.5 of the training simulations)"
    third = run_cli("deep21_tf.apps.pipeline", *args, "--notta")
    untta = "(tta: true → (unset)): "
    ran = [line for line in third.stdout.splitlines() if line.startswith("[run ]")]
    expected = [f"evaluate U-Net {untta}", f"evaluate AstroNet (trainable encoder) {untta}",
                "learning curve (its input from 'evaluate U-Net' is remade): "]
    assert len(ran) == len(expected), ran
    assert all(line.startswith(f"[run ] {start}") for line, start in zip(ran, expected)), ran
    assert third.stdout.count("[skip]") == 7
    metrics = json.loads((run_dir / "unet" / "evaluation" / "metrics.json").read_text())["redshifts"]["15"]
    assert "network" in metrics and "network_tta" not in metrics
    report = (run_dir / "REPORT.md").read_text()
    for text in ("This run: 3 stages ran, 7 reused", "| train U-Net | reused |", f"| {curve_unet} | reused |",
                 "| evaluate U-Net | ran (tta: true → (unset)) |", "| learning curve | ran (its input from "):
        assert text in report, text


def history_rows(model_dir) -> list:
    return (model_dir / "history.csv").read_text().strip().splitlines()[1:]


@pytest.mark.parametrize("flag, message", [
    ("--learning_curve=0.5,1", "use fractions 0 < f < 1"),
    ("--astro_encoders=melted", "--astro_encoders=melted: 'melted' is not allowed; use frozen, trainable"),
    ("--redshifts=10,12", "--redshifts=10,12: no dataset for z = 12; allowed: 10, 15, 20"),
    ("--redshifts=10,10", "--redshifts=10,10 repeats a redshift"),
])
def test_pipeline_rejects_bad_study_flags(tmp_path, flag, message):
    result = run_cli("deep21_tf.apps.pipeline", f"--run_dir={tmp_path / 'run'}", flag, check=False)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "run").exists()


def test_an_unknown_dataset_is_refused_by_the_flag_parser_with_the_configs():
    result = run_cli("deep21_tf.apps.pipeline", "--run_dir=never_made", "--dataset=z12", check=False)
    assert result.returncode != 0 and "--dataset=z12: value should be one of <z10|z15|z20|all_z>" in result.stderr
    assert not os.path.exists(os.path.join(REPO, "never_made"))


def test_pipeline_rejects_a_missing_flagfile(tmp_path):
    result = run_cli("deep21_tf.apps.pipeline", f"--run_dir={tmp_path / 'run'}",
                     "--train_flagfile=flags/nope.flags", check=False)
    assert result.returncode != 0 and "--train_flagfile=flags/nope.flags does not exist" in result.stderr
    assert not (tmp_path / "run").exists()
