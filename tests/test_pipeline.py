"""The pipeline driver end to end: the redshift study on a configuration even smaller than the demo (per redshift a
dataset, a U-Net, an AstroNet and saliency, then the comparison); a second run skips everything, a changed setting
reruns what it affects or, for the suite and trained networks, stops and says how to go on. (The single-dataset
pipeline with a learning curve end to end: tests/test_packaging.py, from the installed wheel.)"""
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
from deep21_tf.util.quiet import STARTUP_NOISE, has_nvidia_gpu
from tests.conftest import PIPELINE_TRAIN_ARGS as TRAIN_ARGS
from tests.conftest import REPO, SESSION_SUITE_ARGS, run_cli

STUDY_DATASETS = ("z10", "z20")


@pytest.mark.slow
def test_the_redshift_study_runs_every_stage_then_skips_them_all(tiny_suite, tmp_path):
    run_dir = tmp_path / "study"
    shutil.copytree(tiny_suite, run_dir / "suite")  # three simulations done, one left for the simulate stage
    _, design = read_manifest(str(run_dir / "suite"))
    os.remove(simulation_path(str(run_dir / "suite"), design[0]))
    args = ("--flagfile=flags/demo.flags", f"--run_dir={run_dir}", "--redshifts=10,20",
            f"--simulate_args={','.join(SESSION_SUITE_ARGS)}", f"--train_args={TRAIN_ARGS}",
            "--astro_encoders=trainable", "--astro_args=--epochs=1")

    first = run_cli("deep21_tf.apps.pipeline", *args)
    assert has_nvidia_gpu() or not STARTUP_NOISE.search(first.stderr)  # a quiet start, `tfds build` included
    # simulate; per redshift: tfds build, train + evaluate U-Net and AstroNet, saliency; then the comparison
    assert first.stdout.count("[run ]") == 1 + 2 * 6 + 1 and "[skip]" not in first.stdout
    with h5py.File(simulation_path(str(run_dir / "suite"), design[0]), "r") as handle:
        assert handle.attrs["complete"]
    times = json.loads((run_dir / "stage_times.json").read_text())
    assert len(times) == 14 and all(seconds > 0 for seconds in times.values())
    for dataset, z in zip(STUDY_DATASETS, ("10", "20")):
        check_models(run_dir / dataset, dataset, z)
    assert not (run_dir / "unet").exists() and not (run_dir / STUDY_DATASETS[0] / "astro_frozen").exists()
    check_study(run_dir)

    report = (run_dir / "REPORT.md").read_text()
    for text in ("## What ran", "| train U-Net [z10] |", "## Redshift study", "| U-Net, z = 10 |", "| Wiener, z = 20 |",
                 "### AstroNet (trainable encoder) per redshift", "| 20 |", "## Dataset `z10`", "### U-Net: 21 cm → δ",
                 "#### z = 20", "Datasets: `z10`, `z20`", "trainable encoder", "tensorboard --logdir",
                 "### Saliency", "maps/s end to end", "1 line(s) of sight"):
        assert text in report, text
    for picture in [line[line.index("(") + 1:-1] for line in report.splitlines() if line.startswith("![")]:
        assert (run_dir / picture).is_file(), picture

    second = run_cli("deep21_tf.apps.pipeline", *args)
    assert second.stdout.count("[skip]") == 14 and "[run ]" not in second.stdout
    assert json.loads((run_dir / "stage_times.json").read_text()) == times

    records = (run_dir / "stage_records.json").read_text()
    for change, stage, difference in (
            (f"--train_args={TRAIN_ARGS},--epochs=3", "train U-Net [z10]", "epochs: 2 → 3"),  # a training setting
            (f"--simulate_args={','.join(SESSION_SUITE_ARGS)},--design_seed=7", "simulate", "design_seed: 2021 → 7")):
        refused = run_cli("deep21_tf.apps.pipeline", *args, change, check=False)
        assert refused.returncode == 2 and "[run ]" not in refused.stdout, change
        line = refused.stderr.strip().splitlines()[-1]
        assert line.startswith(f"deep21-pipeline: error: stage '{stage}' would rerun ({difference}), replacing "), line
        assert "--rerun_changed" in line and "new --run_dir" in line
        assert (run_dir / "stage_records.json").read_text() == records  # nothing ran

    # an evaluation setting reruns the evaluations and the comparison read from them, nothing else (--rerun and the
    # other ways a stage reruns: tests/test_stage_records.py)
    third = run_cli("deep21_tf.apps.pipeline", *args, "--notta")
    untta = "(tta: true → (unset)): "
    ran = [line for line in third.stdout.splitlines() if line.startswith("[run ]")]
    expected = [f"evaluate {model} [{dataset}] {untta}" for dataset in STUDY_DATASETS
                for model in ("U-Net", "AstroNet (trainable encoder)")]
    expected.append("redshift study (its input from 'evaluate U-Net [z10]' is remade; ")  # and the 3 others
    assert len(ran) == len(expected), ran
    assert all(line.startswith(f"[run ] {start}") for line, start in zip(ran, expected)), ran
    assert third.stdout.count("[skip]") == 14 - len(expected)
    metrics = json.loads((run_dir / "z10" / "unet" / "evaluation" / "metrics.json").read_text())["redshifts"]["10"]
    assert "network" in metrics and "network_tta" not in metrics
    report = (run_dir / "REPORT.md").read_text()
    for text in ("This run: 5 stages ran, 9 reused", "| train U-Net [z20] | reused |", "| saliency [z10] | reused |",
                 "| evaluate U-Net [z10] | ran (tta: true → (unset)) |", "| redshift study | ran (its input from "):
        assert text in report, text


def check_models(models_dir, dataset: str, z: str) -> None:
    """The U-Net and AstroNet of one redshift: exported, evaluated (U-Net with D4 test-time averaging and the
    Wiener filter), trained for their epochs, and the AstroNet's saliency."""
    for model, outputs, epochs in (("unet", 1, 2), ("astro_trainable", 3, 1)):
        exported = keras.saving.load_model(str(models_dir / model / "exported.keras"), safe_mode=True)
        assert exported.output_shape[-1] == outputs
        metrics = json.loads((models_dir / model / "evaluation" / "metrics.json").read_text())
        assert metrics["model"] == ("unet" if model == "unet" else "astro") and metrics["dataset"] == dataset
        assert len((models_dir / model / "history.csv").read_text().strip().splitlines()[1:]) == epochs
    unet_metrics = json.loads((models_dir / "unet" / "evaluation" / "metrics.json").read_text())["redshifts"]
    assert list(unet_metrics) == [z]
    assert {"network", "network_tta", "wiener", "network_vs_wiener"} <= set(unet_metrics[z])
    for figure in (f"fig3_maps_z{z}.png", f"fig4_power_z{z}.png", f"fig5_pdf_z{z}.png", f"fig3_tta_z{z}.png"):
        assert (models_dir / "unet" / "evaluation" / figure).read_bytes().startswith(b"\x89PNG")
    saliency = np.load(models_dir / "astro_trainable" / "saliency" / "saliency.npz")
    assert saliency["saliency"].shape[1] == 3 and np.all(np.isfinite(saliency["saliency"]))


def check_study(run_dir) -> None:
    """The comparison across redshifts: the U-Net's and Wiener filter's scores, R² and saliency per redshift."""
    study = json.loads((run_dir / "redshift_study.json").read_text())
    assert study["redshifts"] == [10.0, 20.0] and study["astro_encoder"] == "trainable"
    for z in ("10", "20"):
        density = study["density"][z]
        assert len(density["network"]["crosscorr_mean"]) == len(density["k_mpc^-1"]) == \
            len(density["wiener"]["transfer_mean"])
        r2 = study["parameters"][z]["r2_log10"]  # undefined (None) here: the one test simulation has one truth
        assert sorted(r2) == ["log10_lx", "log10_mturn", "log10_ngamma"]
        assert all(value is None or np.isfinite(value) for value in r2.values())
    assert study["density"]["10"] != study["density"]["20"]
    assert study["saliency_same_box"]  # the test split's first map is the same box at every redshift
    for figure in ("redshift_power.png", "redshift_r2.png", "redshift_saliency.png"):
        assert (run_dir / figure).read_bytes().startswith(b"\x89PNG")


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


@pytest.mark.parametrize("datasets, message", [
    ("z10,z12", "--datasets=z10,z12: 'z12' is not allowed; use at least 2 of z10, z15, z20"),
    ("z10", "--datasets=z10: 1 given; use at least 2 of z10, z15, z20"),
])
def test_redshift_study_rejects_bad_datasets(tmp_path, datasets, message):
    result = run_cli("deep21_tf.apps.redshift_study", f"--run_dir={tmp_path}", f"--datasets={datasets}", check=False)
    assert result.returncode == 2 and message in result.stderr
    assert not list(tmp_path.iterdir())
