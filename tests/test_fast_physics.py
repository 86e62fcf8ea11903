"""The fast-physics suite setting (`SuiteConfig.fast_physics`, the tiny preset's): recorded in the manifest and in
every simulation file, never mixed with a suite of today's recipe, carried into reports (no 21cmFAST runs)."""
from __future__ import annotations

import dataclasses
import json

import h5py
import pytest

from deep21_tf.simulation.config import FAST_PHYSICS_NOTE
from deep21_tf.simulation.manifest import SuiteMismatchError, open_or_create_suite, read_manifest
from deep21_tf.simulation.design import draw_design
from deep21_tf.simulation.physics import build_inputs
from deep21_tf.simulation.storage import incompleteness, simulation_path
from tests.test_simulation_design import TINY


def test_fast_physics_sets_21cmfasts_coarse_recipe_and_otherwise_leaves_it():
    spec = draw_design(TINY)[0]
    today = build_inputs(spec, TINY, n_threads=1)
    fast = build_inputs(spec, dataclasses.replace(TINY, fast_physics=True), n_threads=1)
    assert (today.simulation_options.ZPRIME_STEP_FACTOR, today.simulation_options.DIM) == (1.02, 96)
    assert (fast.simulation_options.ZPRIME_STEP_FACTOR, fast.simulation_options.DIM) == (1.2, 64)
    assert len(fast.node_redshifts) < len(today.node_redshifts) / 5  # the spin-temperature steps: 8 instead of 61
    assert fast.astro_params == today.astro_params and fast.cosmo_params == today.cosmo_params


def test_fast_physics_is_in_the_manifest_and_never_mixed_with_todays_recipe(tmp_path):
    fast = dataclasses.replace(TINY, fast_physics=True)
    design = open_or_create_suite(str(tmp_path / "fast"), fast)
    assert json.loads((tmp_path / "fast" / "manifest.json").read_text())["config"]["fast_physics"] is True
    assert read_manifest(str(tmp_path / "fast")) == (fast, design)
    with pytest.raises(SuiteMismatchError, match="fast_physics: suite has True, flags give False"):
        open_or_create_suite(str(tmp_path / "fast"), TINY)
    open_or_create_suite(str(tmp_path / "today"), TINY)
    with pytest.raises(SuiteMismatchError, match="fast_physics: suite has False, flags give True"):
        open_or_create_suite(str(tmp_path / "today"), fast)


def test_a_manifest_written_before_fast_physics_loads_as_todays_recipe(tmp_path):
    design = open_or_create_suite(str(tmp_path), TINY)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["config"]["fast_physics"]  # as the code before the setting wrote it
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert read_manifest(str(tmp_path)) == (TINY, design) and not TINY.fast_physics
    assert open_or_create_suite(str(tmp_path), TINY) == design  # resumable as before, the manifest kept
    assert "fast_physics" not in json.loads((tmp_path / "manifest.json").read_text())["config"]
    with pytest.raises(SuiteMismatchError, match="fast_physics: suite has False, flags give True"):
        open_or_create_suite(str(tmp_path), dataclasses.replace(TINY, fast_physics=True))


def test_a_file_of_the_other_recipe_is_never_complete(tmp_path):
    from deep21_tf.data.synthetic import write_synthetic_suite

    fast = dataclasses.replace(TINY, num_sims=1, fast_physics=True)
    write_synthetic_suite(str(tmp_path), fast)
    spec = read_manifest(str(tmp_path))[1][0]
    path = simulation_path(str(tmp_path), spec)
    with h5py.File(path, "r") as handle:
        assert bool(handle.attrs["fast_physics"])
    assert incompleteness(path, spec, fast) is None
    today = dataclasses.replace(fast, fast_physics=False)
    assert incompleteness(path, spec, today) == "made with fast_physics=True, the manifest says False"
    with h5py.File(path, "r+") as handle:
        del handle.attrs["fast_physics"]  # a file written before the setting existed: today's recipe
    assert incompleteness(path, spec, today) is None
    assert incompleteness(path, spec, fast) == "made with fast_physics=False, the manifest says True"


def test_reports_of_a_fast_suite_say_so_and_others_do_not(tmp_path):
    from deep21_tf.driver.layout import RunLayout
    from deep21_tf.driver.report import write_report

    for fast in (True, False):
        layout = RunLayout(str(tmp_path / str(fast)))
        open_or_create_suite(layout.suite, dataclasses.replace(TINY, fast_physics=fast))
        report = open(write_report(layout, {"simulate": 1.0}, {"simulate": "ran"}), encoding="utf-8").read()
        assert (FAST_PHYSICS_NOTE in report) == fast
