"""The paper's redshift study end to end through deep21-pipeline --redshifts: per redshift a dataset, a U-Net, an
AstroNet and saliency, then the comparison across redshifts; and deep21-redshift-study's refusals."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from deep21_tf.util.quiet import STARTUP_NOISE, has_nvidia_gpu
from tests.conftest import PIPELINE_TRAIN_ARGS as TRAIN_ARGS
from tests.conftest import SESSION_SUITE_ARGS, run_cli


@pytest.mark.slow
def test_redshift_study_trains_per_redshift_then_compares(tiny_suite, tmp_path):
    run_dir = tmp_path / "study"
    shutil.copytree(tiny_suite, run_dir / "suite")
    args = ("--flagfile=flags/demo.flags", f"--run_dir={run_dir}", "--redshifts=10,20", f"--train_args={TRAIN_ARGS}",
            "--astro_encoders=trainable", "--astro_args=--epochs=1", "--notta",
            f"--simulate_args={','.join(SESSION_SUITE_ARGS)}")

    result = run_cli("deep21_tf.apps.pipeline", *args)
    assert has_nvidia_gpu() or not STARTUP_NOISE.search(result.stderr)  # a quiet start, `tfds build` included
    # the copied suite has no record: deep21-simulate checks it against its flags (and returns at once); per
    # redshift: tfds build, train + evaluate U-Net and AstroNet, saliency; then the comparison
    assert "[run ] simulate (no record of what it was run with: its command checks its output)" in result.stdout
    assert "[skip]" not in result.stdout and result.stdout.count("[run ]") == 1 + 2 * 6 + 1
    for dataset, z in (("z10", "10"), ("z20", "20")):
        metrics = json.loads((run_dir / dataset / "unet" / "evaluation" / "metrics.json").read_text())
        assert list(metrics["redshifts"]) == [z] and metrics["dataset"] == dataset
        assert (run_dir / dataset / "astro_trainable" / "saliency" / "saliency.npz").is_file()
    assert not (run_dir / "unet").exists()

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

    report = (run_dir / "REPORT.md").read_text()
    for text in ("## Redshift study", "| U-Net, z = 10 |", "| Wiener, z = 20 |", "### AstroNet (trainable encoder) per "
                 "redshift", "| 20 |", "## Dataset `z10`", "### U-Net: 21 cm → δ", "#### z = 20", "Datasets: `z10`, `z20`"):
        assert text in report, text
    for picture in [line[line.index("(") + 1:-1] for line in report.splitlines() if line.startswith("![")]:
        assert (run_dir / picture).is_file(), picture


@pytest.mark.parametrize("datasets, message", [
    ("z10,z12", "--datasets=z10,z12: 'z12' is not allowed; use at least 2 of z10, z15, z20"),
    ("z10", "--datasets=z10: 1 given; use at least 2 of z10, z15, z20"),
])
def test_redshift_study_rejects_bad_datasets(tmp_path, datasets, message):
    result = run_cli("deep21_tf.apps.redshift_study", f"--run_dir={tmp_path}", f"--datasets={datasets}", check=False)
    assert result.returncode == 2 and message in result.stderr
    assert not list(tmp_path.iterdir())
