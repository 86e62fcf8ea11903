"""The trained z = 15 U-Net shipped with the package: loads safely, holds inference weights only, is what
deep21-predict uses without --model_dir, and its model card quotes the reproduction's scores."""
from __future__ import annotations

import io
import json
import os
import re
import zipfile

import h5py
import keras
import numpy as np
import pytest

from deep21_tf.training import run_files
from deep21_tf.util.paths import MAX_SHIPPED_MODEL_MB, REPO_DIR, SHIPPED_UNET_DIR
from deep21_tf.util.text import format_number
from tests.conftest import run_cli

REPRODUCTION_METRICS = os.path.join(REPO_DIR, "docs", "reproduction", "unet_metrics.json")


def test_the_shipped_model_loads_safely_and_holds_inference_weights_only():
    path = run_files.path(SHIPPED_UNET_DIR, run_files.EXPORTED_FILE)
    assert os.path.getsize(path) <= MAX_SHIPPED_MODEL_MB * 1e6
    model = keras.saving.load_model(path, safe_mode=True)
    assert model.input_shape == (None, 64, 64, 1) and model.output_shape == (None, 64, 64, 1)
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as stored, \
            h5py.File(io.BytesIO(stored.read()), "r") as weights:
        names = []
        weights.visit(names.append)
    assert not [name for name in names if "optimizer" in name]
    info = run_files.read(SHIPPED_UNET_DIR, run_files.INFO_FILE)
    assert info["model"] == "unet" and info["redshifts"] == [15.0] and info["cell_size"] == 1.5


@pytest.mark.slow
def test_predict_without_model_dir_uses_the_shipped_model_on_a_64_map(tmp_path):
    norm = run_files.read(SHIPPED_UNET_DIR, run_files.NORMALIZATION_FILE)
    rng = np.random.default_rng(0)
    sky = rng.normal(norm["map_21cm_mean"][0], norm["map_21cm_std"][0], (64, 64)).astype(np.float32)
    np.save(tmp_path / "sky.npy", sky)
    result = run_cli("deep21_tf.apps.predict", f"--input={tmp_path / 'sky.npy'}", f"--output={tmp_path / 'd.npy'}")
    assert "no --model_dir: using the shipped U-Net z15" in result.stderr
    delta = np.load(tmp_path / "d.npy")
    assert delta.shape == (64, 64) and np.all(np.isfinite(delta))
    exported = keras.saving.load_model(run_files.path(SHIPPED_UNET_DIR, run_files.EXPORTED_FILE), safe_mode=True)
    np.testing.assert_allclose(delta, exported.predict(sky[None, ..., None], verbose=0)[0, ..., 0], rtol=1e-4,
                               atol=1e-5)


def test_the_model_card_quotes_the_reproduction_scores():
    card = open(os.path.join(SHIPPED_UNET_DIR, "MODEL_CARD.md"), encoding="utf-8").read()
    with open(REPRODUCTION_METRICS, encoding="utf-8") as handle:
        summary = json.load(handle)["redshifts"]["15"]
    for name in ("network", "network_tta", "wiener"):
        head = summary[name]["headline"]
        row = [format_number(head["k_le_0.7_mpc^-1"]["max_abs_1_minus_T"]),
               format_number(head["k_le_0.7_mpc^-1"]["max_abs_1_minus_r"]),
               format_number(head["k_le_2_mpc^-1"]["max_abs_1_minus_T"]),
               format_number(head["k_le_2_mpc^-1"]["max_abs_1_minus_r"]),
               format_number(summary[name]["mse_delta^2"], 4)]
        assert re.search(r"\| " + r" \| ".join(map(re.escape, row)) + r" \|", card), (name, row)
