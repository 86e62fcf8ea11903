"""The trained networks shipped with the package (the z = 15 U-Net and the all_z AstroNet): each loads safely,
holds inference weights only, is what deep21-predict uses without --model_dir for its target, and its model card
quotes the scores of the run it came from."""
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
from deep21_tf.contracts import PARAMETER_TEXT, PREDICTION_TARGETS
from deep21_tf.util.paths import MAX_SHIPPED_MODEL_MB, REPO_DIR, SHIPPED_MODELS, SHIPPED_UNET_DIR
from deep21_tf.util.text import format_number, format_with_interval
from tests.conftest import run_cli

REPRODUCTION_METRICS = os.path.join(REPO_DIR, "docs", "reproduction", "unet_metrics.json")


#: Per deep21-predict target: the shipped network's input and output shapes and the redshifts it was trained on.
SHIPPED_GEOMETRY = {"density": ((None, 64, 64, 1), (None, 64, 64, 1), [15.0]),
                    "parameters": ((None, 64, 64, 3), (None, 3), [10.0, 15.0, 20.0])}
SHIPPED_ASTRONET_DIR = SHIPPED_MODELS["parameters"][0]


@pytest.mark.parametrize("target", sorted(SHIPPED_GEOMETRY))
def test_the_shipped_models_load_safely_and_hold_inference_weights_only(target):
    model_dir = SHIPPED_MODELS[target][0]
    path = run_files.path(model_dir, run_files.EXPORTED_FILE)
    assert os.path.getsize(path) <= MAX_SHIPPED_MODEL_MB * 1e6
    model = keras.saving.load_model(path, safe_mode=True)
    input_shape, output_shape, redshifts = SHIPPED_GEOMETRY[target]
    assert model.input_shape == input_shape and model.output_shape == output_shape
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as stored, \
            h5py.File(io.BytesIO(stored.read()), "r") as weights:
        names = []
        weights.visit(names.append)
    assert not [name for name in names if "optimizer" in name]
    info = run_files.read(model_dir, run_files.INFO_FILE)
    assert info["model"] == PREDICTION_TARGETS[target] and info["redshifts"] == redshifts
    assert info["cell_size"] == 1.5 and info.get("instrument", {}).get("telescope", "none") == "none"  # noiseless


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


@pytest.mark.slow
def test_predict_parameters_without_model_dir_uses_the_shipped_astronet(tmp_path):
    norm = run_files.read(SHIPPED_ASTRONET_DIR, run_files.NORMALIZATION_FILE)
    rng = np.random.default_rng(1)
    maps = rng.normal(norm["map_21cm_mean"], norm["map_21cm_std"], (2, 64, 64, 3)).astype(np.float32)
    np.save(tmp_path / "maps.npy", maps)
    result = run_cli("deep21_tf.apps.predict", "--target=parameters", f"--input={tmp_path / 'maps.npy'}",
                     f"--output={tmp_path / 'params.json'}")
    assert "no --model_dir: using the shipped AstroNet all_z" in result.stderr
    with open(tmp_path / "params.json", encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["trained_model"]["source"] == "shipped AstroNet all_z" and len(report["maps"]) == 2
    exported = keras.saving.load_model(run_files.path(SHIPPED_ASTRONET_DIR, run_files.EXPORTED_FILE),
                                       safe_mode=True)
    predicted = np.array([list(entry["log10"].values()) for entry in report["maps"]])
    np.testing.assert_allclose(predicted, exported.predict(maps, verbose=0), rtol=1e-4, atol=1e-5)
    assert result.stdout.startswith("map 0: mturn = ")


def test_the_astronet_card_quotes_its_runs_test_scores():
    card = open(os.path.join(SHIPPED_ASTRONET_DIR, "MODEL_CARD.md"), encoding="utf-8").read()
    source = re.search(r"Every number above: `(docs/parameters/final/[a-z0-9_.]+_metrics\.json)`", card)
    assert source, "the card names the metrics file of its run"
    with open(os.path.join(REPO_DIR, source.group(1)), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert metrics["split"] == "test" and metrics["model"] == "astro"
    for key in ("network_tta", "network", "baseline_kernel"):
        scores = metrics[key]
        for name in scores["parameter_names"]:
            row = [PARAMETER_TEXT[name],
                   format_with_interval(scores["r2_log10"][name], scores["interval_68"]["r2_log10"][name]),
                   format_number(scores["per_box"]["r2_log10"][name], 2),
                   format_number(scores["pearson_r2_log10"][name], 2),
                   format_number(scores["rmse_log10"][name], 3)]
            assert re.search(r"\| " + r" \| ".join(map(re.escape, row)) + r" \|", card), (key, row)
