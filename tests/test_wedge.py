"""The foreground wedge: its horizon slope, the exact set of Fourier modes it removes, and the suite settings that
switch it on (off by default: old manifests load and compare equal)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from astropy import constants
from astropy.cosmology import Planck18

from deep21_tf.simulation.config import ConfigError, SuiteConfig
from deep21_tf.simulation.manifest import MANIFEST_NAME, open_or_create_suite, read_manifest
from deep21_tf.simulation.wedge import horizon_slope, remove_wedge
from tests.conftest import TINY_FLAGS, run_cli


@pytest.mark.parametrize("z, slope", [(10.0, 4.03), (15.0, 5.28), (20.0, 6.34)])
def test_horizon_slope_is_dc_h_over_c_one_plus_z(z, slope):
    by_hand = (Planck18.comoving_distance(z) * Planck18.H(z) / (constants.c * (1 + z))).decompose().value
    assert np.isclose(horizon_slope(z), by_hand, rtol=1e-9) and round(horizon_slope(z), 2) == slope


@pytest.mark.parametrize("slope, buffer", [(5.28, 0.0), (1.0, 0.3), (0.0, 0.5)])
def test_the_wedge_filter_removes_exactly_the_modes_inside_the_wedge(slope, buffer):
    n, box_len = 16, 24.0
    box = np.random.default_rng(0).normal(size=(n, n, n)).astype(np.float32)
    before, after = np.fft.fftn(box.astype(np.float64)), np.fft.fftn(remove_wedge(box, box_len, slope, buffer))
    k = 2 * np.pi * np.fft.fftfreq(n, box_len / n)
    inside = np.zeros((n, n, n), bool)
    for i, j, m in np.ndindex(n, n, n):  # the wedge, mode by mode: k∥ along the last axis
        inside[i, j, m] = abs(k[m]) < slope * np.hypot(k[i], k[j]) + buffer
    assert 0 < inside.sum() < inside.size
    assert np.abs(after[inside]).max() < 1e-4 * np.abs(before).mean()
    assert np.allclose(after[~inside], before[~inside], rtol=1e-5, atol=1e-4)


def test_wedge_settings_default_to_off_and_old_manifests_load_equal(tmp_path):
    config = SuiteConfig(num_sims=3, hii_dim=32, box_len=48.0)
    assert (config.wedge, config.wedge_slope, config.wedge_buffer) == (False, 1.0, 0.0)
    open_or_create_suite(str(tmp_path), config)
    path = tmp_path / MANIFEST_NAME
    data = json.loads(path.read_text())
    for name in ("wedge", "wedge_slope", "wedge_buffer", "fast_physics"):  # as written before these settings
        data["config"].pop(name, None)
    path.write_text(json.dumps(data))
    assert read_manifest(str(tmp_path))[0] == config
    open_or_create_suite(str(tmp_path), config)  # the same flags resume it


@pytest.mark.parametrize("field, value, message", [
    ("wedge_slope", -1.0, "wedge_slope=-1 is not allowed: use a slope >= 0 in units of the horizon slope"),
    ("wedge_buffer", -0.1, "wedge_buffer=-0.1 is not allowed: use a buffer >= 0 in Mpc^-1"),
])
def test_bad_wedge_settings_name_the_allowed_values(field, value, message):
    with pytest.raises(ConfigError, match=message.replace("^", r"\^")):
        SuiteConfig(num_sims=3, hii_dim=32, box_len=48.0, wedge=True, **{field: value}).validate()


def test_deep21_simulate_refuses_a_negative_wedge_slope_and_writes_nothing(tmp_path):
    suite_dir = tmp_path / "suite"
    result = run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite_dir}", "--wedge",
                     "--wedge_slope=-1", check=False)
    assert result.returncode == 2 and "wedge_slope=-1 is not allowed" in result.stderr
    assert not suite_dir.exists()
