"""Every preset flagfile parses into valid settings (checked by each app's own flag definitions and validators)."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from deep21_tf.apps.presets import preset_path
from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.storage import incompleteness, simulation_path
from tests.conftest import REPO

FLAGS_DIR = os.path.join(REPO, "flags")
PARAMS_SUITE = os.path.join(REPO, "datasets", "params_suite")
SIMULATE = """
import json, sys
from deep21_tf.apps import simulate
simulate.FLAGS([sys.argv[0], "--flagfile=" + sys.argv[1], "--suite_dir=unused"])
print(json.dumps(simulate.config_from_flags().to_json()))
"""
TRAIN = """
import dataclasses, json, sys
from deep21_tf.apps import train
from deep21_tf.training.settings import TrainSettings
train.FLAGS([sys.argv[0], "--flagfile=" + sys.argv[1], "--data_dir=unused", "--model_dir=unused"])
settings = TrainSettings(**{f.name: train.FLAGS[f.name].value for f in dataclasses.fields(TrainSettings)}).validate()
print(json.dumps(dataclasses.asdict(settings)))
"""
PIPELINE = """
import json, sys
from deep21_tf.apps import pipeline
pipeline.FLAGS([sys.argv[0], "--flagfile=" + sys.argv[1]])
print(json.dumps({name: pipeline.FLAGS[name].value for name in
                  ("simulate_flagfile", "train_flagfile", "astro_encoders", "astro_args", "learning_curve")}))
"""


def parsed(script: str, flagfile: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, os.path.join(FLAGS_DIR, flagfile)], capture_output=True,
                            text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flagfile", ["tiny.flags", "small.flags", "repro.flags", "paper.flags", "params.flags",
                                      "wedge_z15.flags"])
def test_simulation_presets_parse_into_valid_suites(flagfile):
    config = parsed(SIMULATE, flagfile)
    assert config["box_len"] == 1.5 * config["hii_dim"]  # the paper's 1.5 Mpc cells
    assert config["fast_physics"] == (flagfile == "tiny.flags")  # the science presets keep the paper's recipe
    assert config["wedge"] == (flagfile == "wedge_z15.flags")
    if flagfile == "repro.flags":
        assert config["lines_of_sight"] == 3 and config["num_sims"] == 40 and config["hii_dim"] == 64
    if flagfile == "wedge_z15.flags":  # the primary-beam wedge of a 38 m station at z = 15
        assert config["redshifts"] == [15.0] and config["wedge_slope"] == pytest.approx(0.0444, abs=1e-4)


def test_the_committed_parameter_suite_is_the_params_preset_with_complete_boxes():
    """datasets/params_suite is the prefix of flags/params.flags' design that is finished (so `tfds build` takes it
    as it is, and `deep21-simulate --flagfile=flags/params.flags` grows it on), every box of it complete."""
    config = parsed(SIMULATE, "params.flags")
    suite_config, design = read_manifest(PARAMS_SUITE)
    assert config["compact"] and config["design_size"] == config["num_sims"]
    assert dataclasses.replace(suite_config, num_sims=config["num_sims"]).to_json() == config
    assert all(incompleteness(simulation_path(PARAMS_SUITE, spec), spec, suite_config) is None for spec in design)


@pytest.mark.parametrize("flagfile", ["train_tiny.flags", "train_small.flags", "train_repro.flags",
                                      "train_paper.flags", "train_params.flags", "train_params_unet.flags"])
def test_training_presets_parse_into_valid_settings(flagfile):
    settings = parsed(TRAIN, flagfile)
    dataset = "params_all_z" if flagfile == "train_params.flags" else "z15"
    assert settings["dataset"] == dataset and settings["adam_epsilon"] == 1e-8
    if flagfile == "train_params.flags":  # the run selected on validation in docs/parameters/REPORT.md
        assert (settings["base_filters"], settings["lr_schedule"], settings["head_moments"]) == (32, "cosine", True)
    elif flagfile == "train_params_unet.flags":  # the reproduction's recipe and step budget on the parameter suite
        repro = parsed(TRAIN, "train_repro.flags")
        assert settings["maps_per_epoch"] == 1344 and settings["model"] == "unet"
        assert {k: v for k, v in settings.items() if k != "maps_per_epoch"} == \
            {k: v for k, v in repro.items() if k != "maps_per_epoch"}
    elif flagfile != "train_tiny.flags":
        assert settings["base_filters"] == 64 and settings["batch_size"] == 30  # the paper's network and batch


@pytest.mark.parametrize("flagfile", ["demo.flags", "repro_pipeline.flags", "paper_pipeline.flags"])
def test_pipeline_presets_name_existing_presets(flagfile):
    settings = parsed(PIPELINE, flagfile)
    for name in ("simulate_flagfile", "train_flagfile"):  # preset names: found wherever the package is installed
        assert os.path.isfile(preset_path(settings[name])), settings[name]
    if flagfile == "paper_pipeline.flags":
        assert settings["astro_args"] == ["--epochs=20"]  # the paper trains AstroNet for 20 epochs
    if flagfile == "repro_pipeline.flags":
        assert settings["learning_curve"] == ["0.25", "0.5"]
