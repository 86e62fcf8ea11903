"""The suite's settings, its Latin-hypercube design, slab projection and bad-input handling (no 21cmFAST runs)."""
from __future__ import annotations

import dataclasses
import json
import os

import h5py
import numpy as np
import pytest

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.simulation.config import MAX_TRAINING_SEED, ConfigError, SuiteConfig
from deep21_tf.simulation.design import draw_design
from deep21_tf.simulation.manifest import SuiteMismatchError, open_or_create_suite, read_manifest
from deep21_tf.simulation.slabs import project_slabs
from deep21_tf.simulation.storage import incompleteness, simulation_path
from tests.conftest import TINY_FLAGS, run_cli

TINY = SuiteConfig(num_sims=10, hii_dim=32, box_len=48.0, slab_thickness=4, slab_spacing=4, design_seed=7)


def assert_latin_hypercube(config: SuiteConfig, design) -> None:
    """Every parameter has exactly one point in each of the num_sims equal strata of its range."""
    for name in PARAMETER_NAMES:
        low, high = config.parameter_ranges()[name]
        values = np.array([getattr(spec, name) for spec in design])
        assert np.all((values >= low) & (values <= high))
        strata = np.floor((values - low) / (high - low) * config.num_sims).astype(int)
        assert sorted(strata) == list(range(config.num_sims)), name


def test_design_is_a_seeded_latin_hypercube_with_distinct_seeds():
    design = draw_design(TINY)
    assert_latin_hypercube(TINY, design)
    seeds = [spec.seed for spec in design]
    assert len(set(seeds)) == len(seeds) and all(1 <= s < MAX_TRAINING_SEED for s in seeds)
    assert draw_design(TINY) == design
    assert draw_design(dataclasses.replace(TINY, design_seed=8)) != design
    assert [spec.index for spec in design] == list(range(TINY.num_sims))


def test_slabs_average_cells_along_the_last_axis():
    box = np.arange(4 * 4 * 8, dtype=np.float32).reshape(4, 4, 8)
    maps = project_slabs(box, starts=(0, 4), thickness=4)
    assert maps.shape == (2, 4, 4) and maps.dtype == np.float32
    np.testing.assert_allclose(maps[0], box[:, :, :4].mean(-1))
    np.testing.assert_allclose(maps[1], box[:, :, 4:].mean(-1))
    with pytest.raises(ValueError, match="do not fit"):
        project_slabs(box, starts=(6,), thickness=4)


def test_paper_geometry_gives_twenty_maps():
    paper = SuiteConfig(num_sims=1000, hii_dim=200, box_len=300.0, slab_thickness=4, slab_spacing=10).validate()
    assert len(paper.slab_starts) == 20 and paper.cell_size == 1.5


@pytest.mark.parametrize("change, flag", [
    (dict(num_sims=0), "num_sims"),
    (dict(hii_dim=30), "hii_dim"),
    (dict(box_len=30.0), "box_len"),
    (dict(redshifts=(5.0,)), "redshift"),
    (dict(redshifts=(40.0,)), "redshift"),
    (dict(slab_thickness=40), "slab_thickness"),
    (dict(slab_spacing=2), "slab_spacing"),
    (dict(log10_mturn_range=(9.0, 8.0)), "log10_mturn_range"),
    (dict(log10_lx_range=(40.0, 50.0)), "log10_lx_range"),
    (dict(density_redshifts=(15.0,)), "density_redshifts=\\[15.0\\] is only for a compact suite"),
    (dict(compact=True, density_redshifts=(12.0,)), "density_redshifts=\\[12.0\\] is not allowed"),
])
def test_bad_settings_name_the_setting_and_the_allowed_values(change, flag):
    with pytest.raises(ConfigError, match=flag) as error:
        dataclasses.replace(TINY, **change).validate()
    assert "use" in str(error.value)


def test_manifest_is_reused_and_a_different_design_is_refused(tmp_path):
    design = open_or_create_suite(str(tmp_path), TINY)
    manifest_before = (tmp_path / "manifest.json").read_text()
    assert open_or_create_suite(str(tmp_path), TINY) == design
    with pytest.raises(SuiteMismatchError, match="num_sims: suite has 10, flags give 11"):
        open_or_create_suite(str(tmp_path), dataclasses.replace(TINY, num_sims=11))
    assert (tmp_path / "manifest.json").read_text() == manifest_before
    assert read_manifest(str(tmp_path)) == (TINY, design)


def test_a_suite_with_a_design_size_resizes_to_prefixes_of_one_design(tmp_path):
    """Growing or cutting num_sims under a fixed design_size keeps the points (and seeds) already drawn; any other
    change is still refused."""
    growing = dataclasses.replace(TINY, num_sims=4, design_size=10)
    full = draw_design(dataclasses.replace(TINY, design_size=10))
    assert full == draw_design(TINY)  # design_size = num_sims: the design without it
    assert draw_design(growing) == full[:4]
    assert open_or_create_suite(str(tmp_path), growing) == full[:4]
    assert open_or_create_suite(str(tmp_path), dataclasses.replace(growing, num_sims=7)) == full[:7]
    assert read_manifest(str(tmp_path)) == (dataclasses.replace(growing, num_sims=7), full[:7])
    assert open_or_create_suite(str(tmp_path), dataclasses.replace(growing, num_sims=2)) == full[:2]
    with pytest.raises(SuiteMismatchError, match="design_seed: suite has 7, flags give 8"):
        open_or_create_suite(str(tmp_path), dataclasses.replace(growing, num_sims=5, design_seed=8))
    with pytest.raises(SuiteMismatchError, match="design_size: suite has 10, flags give 12"):
        open_or_create_suite(str(tmp_path), dataclasses.replace(growing, design_size=12))
    with pytest.raises(ConfigError, match="design_size=10 is not allowed: use 0 .* num_sims=11 <= design_size"):
        dataclasses.replace(growing, num_sims=11).validate()
    assert read_manifest(str(tmp_path))[0].num_sims == 2


def test_partial_or_corrupt_files_are_never_complete(tmp_path):
    spec = draw_design(TINY)[0]
    path = simulation_path(str(tmp_path), spec)
    assert incompleteness(path, spec, TINY) == "missing"
    with open(path, "wb") as handle:
        handle.write(b"\x89HDF\r\n\x1a\n truncated")
    assert incompleteness(path, spec, TINY).startswith("unreadable")
    with h5py.File(path, "w") as handle:
        handle.attrs.update(seed=spec.seed, **spec.parameters())
    assert incompleteness(path, spec, TINY) == "not marked complete"


@pytest.mark.parametrize("args, message", [
    (["--num_sims=0"], "num_sims=0 is not allowed"),
    (["--hii_dim=36"], "hii_dim=36 is not allowed: use a multiple of 8"),
    (["--redshifts=10,50"], "redshift 50 is not allowed: use redshifts in [6, 35]"),
    (["--log10_lx_range=41,40"], "log10_lx_range=(41, 40) is not allowed"),
    (["--log10_ngamma_range=3"], "--log10_ngamma_range=3 must have exactly 2 numbers"),
    (["--slab_thickness=4", "--slab_spacing=40"], "slab_spacing=40 is not allowed"),
    (["--workers=0"], "workers"),
])
def test_cli_rejects_bad_flags_and_writes_nothing(tmp_path, args, message):
    suite_dir = tmp_path / "suite"
    process = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite_dir}", *args,
                      check=False)
    assert process.returncode != 0
    assert message in process.stderr
    assert not suite_dir.exists()


def test_cli_rejects_an_unwritable_suite_dir_and_a_different_design(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    process = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={blocker}/suite",
                      check=False)
    assert process.returncode != 0 and "suite_dir" in process.stderr

    open_or_create_suite(str(tmp_path / "suite"), dataclasses.replace(TINY, num_sims=3))
    process = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={tmp_path / 'suite'}",
                      check=False)
    assert process.returncode != 0 and "already holds a different suite" in process.stderr
    assert "fast_physics: suite has False, flags give True" in process.stderr  # the tiny preset's recipe
    assert sorted(os.listdir(tmp_path / "suite")) == ["manifest.json"]
    assert json.loads((tmp_path / "suite" / "manifest.json").read_text())["config"]["num_sims"] == 3


def test_a_failing_simulation_is_reported_with_its_log(tmp_path):
    from deep21_tf.simulation.design import SimulationSpec
    from deep21_tf.simulation.runner import describe, simulate_isolated

    open_or_create_suite(str(tmp_path), dataclasses.replace(TINY, num_sims=1))
    ghost = SimulationSpec(index=5, seed=1, log10_mturn=8.5, log10_lx=40.5, log10_ngamma=3.5)  # not in the manifest
    outcome = simulate_isolated(str(tmp_path), ghost, n_threads=1)
    assert outcome.error is not None and "IndexError" in outcome.error
    assert (tmp_path / "logs" / "sim_00005.log").read_text().strip()
    assert not (tmp_path / "sim_00005.h5").exists()
    assert describe(ghost).startswith("sim_00005 (index 5, seed 1, log10_mturn=8.5000")
