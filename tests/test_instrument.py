"""The instrument model with real tools21cm on the tiny geometry (32² maps of 48 Mpc, 6 Mpc slabs, z = 15): noise
power per uv cell, the radiometer equation by hand, independence from the signal, fresh noise per epoch but not
per resume, unsampled uv cells, settings travelling with the model, bad values."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from astropy import constants, units
from astropy.cosmology import Planck18

from deep21_tf.data import load_normalization, make_dataset
from deep21_tf.data.normalization import Normalization
from deep21_tf.evaluation.baseline import fit_baselines
from deep21_tf.instrument import uv_coverage
from deep21_tf.instrument.model import build_instrument, instrument_for_dataset
from deep21_tf.instrument.observe import observe
from deep21_tf.instrument.settings import TELESCOPE_CHOICES, InstrumentSettings
from deep21_tf.stats import WienerFilter, power_spectrum
from deep21_tf.stats.power import k_bin_edges
from deep21_tf.training import run_files
from tests.conftest import TINY_TRAINING, run_cli, session_dir

Z, N, BOX, SLAB = 15.0, 32, 48.0, 6.0


@pytest.fixture(scope="module", autouse=True)
def uv_cache(tmp_path_factory):
    """One uv-coverage cache for the module (and the CLIs it starts): each geometry is gridded once."""
    previous = os.environ.get(uv_coverage.CACHE_ENV)
    os.environ[uv_coverage.CACHE_ENV] = session_dir(tmp_path_factory, "uv_cache")
    yield
    if previous is None:
        os.environ.pop(uv_coverage.CACHE_ENV)
    else:
        os.environ[uv_coverage.CACHE_ENV] = previous


def tiny_instrument(telescope: str, hours: float = 1000.0):
    return build_instrument(InstrumentSettings(telescope, hours), (Z,), BOX, N, SLAB)


#: Inputs in mK as they are (mean 0, std 1): the observed maps come back in mK times the observed std.
UNIT = Normalization(redshifts=(Z,), map_21cm_mean=(0.0,), map_21cm_std=(1.0,), density_mean=(0.0,),
                     density_std=(1.0,), parameter_names=("a", "b", "c"), log10_params_mean=(0.0,) * 3,
                     log10_params_std=(1.0,) * 3, train_sim_ids=("sim_00000",))


def observed_mk(instrument, maps_mk: np.ndarray, seed: int = 0, epoch: int = 0, split: str = "train") -> np.ndarray:
    """Observe (R, n, n) maps in mK through `observe`; (R, n, n) observed maps in mK."""
    pairs = tf.data.Dataset.from_tensor_slices((maps_mk[..., None].astype(np.float32), np.zeros(len(maps_mk))))
    scale = instrument.normalization(UNIT).map_21cm_std[0]
    batches = observe(pairs, instrument, UNIT, seed, epoch, split).batch(256)
    return np.concatenate([x[..., 0] for x, _ in batches.as_numpy_iterator()]) * scale


def test_noise_power_of_many_draws_matches_the_model_per_uv_cell():
    instrument = tiny_instrument("ska_low_aa1")
    draws = 4000
    noise = observed_mk(instrument, np.zeros((draws, N, N)))
    power = np.mean(np.abs(np.fft.fft2(noise.astype(np.float64))) ** 2, axis=0)
    model, sampled = instrument.noise_power[0], instrument.sampled[0]
    ratio = power[sampled] / model[sampled]
    # |ñ_k|² of a complex Gaussian is exponential: the mean of 4000 draws is within 1.6 % (1σ) per cell
    assert abs(ratio.mean() - 1) < 0.02 and np.abs(ratio - 1).max() < 6 / np.sqrt(draws)
    assert power[~sampled].max() < 1e-9 * power[sampled].mean()
    assert np.isclose(noise.std(), instrument.pixel_noise_mk[0], rtol=0.02)


def test_binned_noise_is_the_power_spectrum_of_the_noise_maps_per_sampled_cell():
    instrument = tiny_instrument("ska_low_aa1")
    edges = k_bin_edges(N, BOX)
    noise, fraction = instrument.binned_noise(edges)
    assert noise.shape == fraction.shape == (1, len(edges) - 1)
    assert np.all((fraction >= 0) & (fraction <= 1)) and np.isnan(noise[fraction == 0]).all()
    # powerbox's P(k) of pure-noise observed maps averages over every cell of a bin, the unsampled ones at 0
    k, power = power_spectrum(observed_mk(instrument, np.zeros((500, N, N))), BOX, bins=edges)
    bins = np.digitize(k, edges) - 1
    measured, expected = power.mean(axis=0), np.nan_to_num(noise[0, bins] * fraction[0, bins])
    filled = expected > 0
    assert filled.sum() >= 5 and np.allclose(measured[filled], expected[filled], rtol=0.1)
    assert np.all(measured[~filled] < 1e-9 * measured[filled].mean())


def test_noise_follows_the_radiometer_equation_worked_by_hand():
    """AA0.5: 4 stations, 6 baselines; the 122 m one (stations 2–3) is shorter than half a uv cell (~370 m here)
    and falls on the zero spacing, which no interferometer measures: 5 baselines remain. A point source's flux
    estimated from every sampled cell must then have the textbook variance SEFD² / (2 Δν t N_b) — derived here
    with astropy alone (SEFD = 2 k_B / (A/T) from the SKAO table's A/T column, interpolated as a power law
    between its 10 MHz steps). Tolerance 1 %: cells a track crosses for fewer than 0.01 baselines per snapshot count
    as unsampled (tools21cm's threshold), here 0.7 % of the measurements."""
    instrument = tiny_instrument("ska_low_aa0.5", hours=1000.0)
    nu = 1420.405751768 * units.MHz / (1 + Z)
    table = np.loadtxt(os.path.join(os.path.dirname(__import__("tools21cm").__file__), "input_data",
                                    "SEFD_SKAO-TEL-0000818-V2_SKA1.txt"))
    sefd_table = (2 * constants.k_B / (table[:, 1] * units.m ** 2 / units.K)).to_value(units.Jy)
    sefd = 10 ** np.interp(nu.to_value("MHz"), table[:, 0], np.log10(sefd_table)) * units.Jy  # a power law per step
    bandwidth = (1420.405751768 * units.MHz * Planck18.H(Z) * SLAB * units.Mpc
                 / (constants.c * (1 + Z) ** 2)).to(units.Hz)
    pixel = (BOX / N / Planck18.comoving_distance(Z).to_value("Mpc")) * units.rad
    jy_per_mk = (2 * constants.k_B * nu ** 2 / constants.c ** 2 * pixel ** 2 / units.sr * units.mK).to(units.Jy)
    expected_variance = (sefd ** 2 / (2 * bandwidth * 1000 * units.h * 5)).to_value(units.Jy ** 2)
    power = instrument.noise_power[0][instrument.sampled[0]]
    point_source_variance = 1.0 / np.sum(1.0 / (jy_per_mk.value ** 2 * power))
    assert np.isclose(point_source_variance, expected_variance, rtol=0.01, atol=0)
    channel = instrument.channels[0]
    assert np.isclose(channel["sefd_jy"], sefd.value, rtol=1e-4, atol=0)
    assert np.isclose(channel["jy_per_mk_pixel"], jy_per_mk.value, rtol=1e-9, atol=0)
    assert np.isclose(channel["bandwidth_mhz"], bandwidth.to_value("MHz"), rtol=1e-9, atol=0)
    # noise power ∝ 1/t_obs
    assert np.allclose(tiny_instrument("ska_low_aa0.5", hours=100.0).noise_power[0], 10 * instrument.noise_power[0])


def test_the_noise_matches_tools21cms_own_noise_map_without_its_uv_taper():
    """tools21cm's `noise_map` draws the same radiometer noise per uv cell, then tapers it with a Blackman–Harris
    window in the uv plane (and not the signal). Divided by that window, its noise power agrees with ours: no
    µJy/Jy/mK slip on either side (median over the sampled cells within 3 %)."""
    import contextlib
    import io

    from tools21cm import cosmo
    from tools21cm.radio_telescope_noise import noise_map, signal_window
    from tools21cm.radio_telescope_sensitivity import jansky_2_kelvin

    from deep21_tf.cosmology import comoving_distance_mpc
    from deep21_tf.instrument.noise import mirrored
    from deep21_tf.instrument.settings import TRACK_STEP_S

    instrument = tiny_instrument("ska_low_aa1")
    counts = uv_coverage.baselines_per_snapshot("AA1", Z, N, BOX).T  # back to tools21cm's (u, v)
    box = BOX / comoving_distance_mpc(Z) * float(cosmo.z_to_cdist(Z))
    rng, draws, power = np.random.default_rng(0), 400, np.zeros((N, N))
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(draws):
            image = noise_map(N, Z, instrument.channels[0]["bandwidth_mhz"], obs_time=1000, subarray_type="AA1",
                              boxsize=box, int_time=TRACK_STEP_S, uv_map=counts, sefd_data="SKA1-LOW", seed=rng,
                              verbose=False)
            power += np.abs(np.fft.fft2(jansky_2_kelvin(image, Z, boxsize=box).T)) ** 2 / draws
    window = np.fft.fftshift(signal_window(N, "blackmanharris", ndim=2)).T
    taper = (window ** 2 + mirrored(window) ** 2) / 2  # the real part of its image mixes k and −k
    sampled = instrument.sampled[0]
    assert np.isclose(np.median(power[sampled] / (instrument.noise_power[0][sampled] * taper[sampled])), 1, atol=0.03)


def test_noise_is_independent_of_the_signal_and_unsampled_cells_are_zero():
    instrument = tiny_instrument("ska_low_aa1")
    rng = np.random.default_rng(1)
    signal_a, signal_b = rng.normal(-10, 5, (2, 8, N, N))
    observed_a, observed_b = observed_mk(instrument, signal_a), observed_mk(instrument, signal_b)
    response = instrument.sampled[0]

    def through_uv(maps):
        return np.real(np.fft.ifft2(np.fft.fft2(maps) * response))

    noise_a, noise_b = observed_a - through_uv(signal_a), observed_b - through_uv(signal_b)
    # the same keys give the same noise whatever the signal: the noise draw never looks at the map
    assert np.allclose(noise_a, noise_b, atol=1e-3 * noise_a.std())
    spectrum = np.abs(np.fft.fft2(observed_a.astype(np.float64)))
    assert spectrum[:, ~response].max() < 1e-5 * spectrum[:, response].mean()
    assert not response[0, 0] and np.allclose(observed_a.mean(axis=(1, 2)), 0, atol=1e-5 * observed_a.std())
    assert 0.02 < response.mean() < 0.5  # AA1's 16 stations leave most of this grid unsampled


def test_aa4_samples_the_tiny_grid_and_settings_describe_the_instrument():
    instrument = tiny_instrument("ska_low_aa4")
    described = instrument.describe()
    assert described["telescope"] == "ska_low_aa4" and described["subarray"] == "AA4"
    assert described["obs_hours"] == 1000.0 and described["cosmology"] == "Planck18"
    channel = described["channels"][0]
    assert channel["sampled_uv_fraction"] > 0.95 and channel["k_max_sampled_mpc_inv"] > 2.5
    assert json.loads(json.dumps(described)) == described
    assert InstrumentSettings.from_json(described) == InstrumentSettings("ska_low_aa4", 1000.0)
    assert InstrumentSettings.from_json(None) == InstrumentSettings() and not InstrumentSettings().enabled


def test_an_instrument_refuses_maps_of_another_geometry():
    instrument = tiny_instrument("ska_low_aa0.5")
    instrument.check_geometry((Z,), (N, N, 1), BOX)
    with pytest.raises(ValueError, match=r"built for \(32, 32, 1\) maps at z = \[15.0\] of 48 Mpc, not \(64, 64, 1\)"):
        instrument.check_geometry((Z,), (64, 64, 1), 96.0)


@pytest.mark.parametrize("settings, message", [
    (InstrumentSettings("hubble"), "--telescope=hubble is not allowed: use one of none, ska_low_aa0.5"),
    (InstrumentSettings("ska_low_aa4", -5.0), "--obs_hours=-5 is not allowed"),
    (InstrumentSettings("ska_low_aa4", float("nan")), "--obs_hours=nan is not allowed"),
])
def test_bad_instrument_settings_name_the_allowed_values(settings, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        settings.validate()
    assert set(TELESCOPE_CHOICES) >= {"none", "ska_low_aa4", "ska_low_aastar"}


@pytest.mark.slow
def test_noise_is_new_each_epoch_identical_in_a_resumed_run_and_fixed_for_evaluation(tiny_data_dir):
    instrument = instrument_for_dataset(InstrumentSettings("ska_low_aa1"), make_builder(tiny_data_dir))
    plain = dict(source=tiny_data_dir, config_name="z15", batch_size=4, instrument=instrument)
    first, second = (list(make_dataset(split="train", epochs=[e], **plain).as_numpy_iterator()) for e in (0, 1))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))  # same maps (no shuffle) …
    assert not any(np.allclose(a[0], b[0]) for a, b in zip(first, second))  # … new noise
    training = dict(plain, augment="random", shuffle_buffer=16, seed=3)
    straight = list(make_dataset(split="train", epochs=range(0, 3), **training).as_numpy_iterator())
    resumed = list(make_dataset(split="train", epochs=range(1, 3), **training).as_numpy_iterator())
    assert len(resumed) == 2 * len(straight) // 3
    for (x_a, y_a), (x_b, y_b) in zip(straight[len(straight) // 3:], resumed):
        assert np.array_equal(x_a, x_b) and np.array_equal(y_a, y_b)
    test_a, test_b = (list(make_dataset(split="test", **plain).as_numpy_iterator()) for _ in range(2))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(test_a, test_b))
    head = next(make_dataset(split="test[:4]", **plain).as_numpy_iterator())
    assert np.array_equal(head[0], test_a[0][0][:4])  # a slice of a split keeps its maps' noise
    validation = next(make_dataset(split="validation", **plain).as_numpy_iterator())
    assert not np.allclose(validation[0], test_a[0][0])


def make_builder(data_dir: str):
    from deep21_tf.data import open_builder

    return open_builder(data_dir, "z15")


@pytest.mark.slow
def test_training_for_ska_low_aa4_at_1000_hours_end_to_end(tiny_data_dir, tmp_path):
    """deep21-train --telescope=ska_low_aa4 --obs_hours=1000 on the tiny data, then deep21-evaluate: the instrument
    travels with the model and evaluation and its noise-aware Wiener filter observe the maps the same way."""
    model_dir = str(tmp_path / "unet_aa4")
    training = [arg for arg in TINY_TRAINING if not arg.startswith("--epochs")]
    run_cli("deep21_tf.apps.train", f"--data_dir={tiny_data_dir}", f"--model_dir={model_dir}", *training,
            "--epochs=1", "--monitor_maps=2", "--telescope=ska_low_aa4", "--obs_hours=1000")
    info = run_files.read(model_dir, run_files.INFO_FILE)
    instrument = info["instrument"]
    assert instrument["telescope"] == "ska_low_aa4" and instrument["obs_hours"] == 1000.0
    assert run_files.read(model_dir, run_files.FLAGS_FILE)["telescope"] == "ska_low_aa4"
    norm = run_files.read(model_dir, run_files.NORMALIZATION_FILE)
    clean = load_normalization(tiny_data_dir, "z15")
    noise = instrument["channels"][0]["pixel_noise_mk"]
    assert norm["map_21cm_mean"] == [0.0]
    assert np.isclose(norm["map_21cm_std"][0], np.hypot(clean.map_21cm_std[0], noise))
    run_cli("deep21_tf.apps.evaluate", f"--model_dir={model_dir}", f"--data_dir={tiny_data_dir}", "--progress=false")
    with open(os.path.join(model_dir, "evaluation", "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert metrics["instrument"] == instrument
    # the signal against the noise per |k| bin, and its figure: at 1,000 h the ~4 K pixel noise swamps every mode
    power = metrics["redshifts"]["15"]["instrument_power"]
    k = np.array(power["k_mpc^-1"])
    assert len(power["signal_power_mean"]) == len(power["noise_power"]) == len(k) == N // 2
    noise = np.array([np.nan if v is None else v for v in power["noise_power"]])
    measured = ~np.isnan(noise)
    assert measured.sum() >= 5 and np.all(noise[measured] > 10 * np.array(power["signal_power_mean"])[measured])
    assert power["k_signal_above_noise_mpc^-1"] == []
    assert open(os.path.join(model_dir, "evaluation", "fig4_noise_z15.png"), "rb").read(4) == b"\x89PNG"
    # Fig. 3 shows the first test map noiseless, then observed: five panels of 4 inches at 100 dpi
    header = open(os.path.join(model_dir, "evaluation", "fig3_maps_z15.png"), "rb").read(24)
    assert int.from_bytes(header[16:20], "big") == 5 * 4 * 100  # the PNG's width in pixels
    noisy = WienerFilter.load(os.path.join(model_dir, "evaluation", "wiener_z15.npz"))
    clean = fit_baselines(make_builder(tiny_data_dir), BOX, 16, progress=False)[0]
    # fitted on the observed train maps: where the pixel noise (~4 K) swamps the signal the filter shuts (up to
    # the last sampled |k|; the outermost shell holds only the unsampled Nyquist corner, W there is 0/0)
    k_max = instrument["channels"][0]["k_max_sampled_mpc_inv"]
    small_scales = (noisy.bin_edges[:-1] > 1.0) & (noisy.bin_edges[:-1] < k_max)
    assert np.all(np.abs(noisy.values[small_scales]) < 0.1 * np.abs(clean.values[small_scales]))


@pytest.mark.slow
@pytest.mark.parametrize("flag, message", [
    ("--telescope=hubble", "ska_low_aa4"),
    ("--obs_hours=-5", "--obs_hours=-5 is not allowed"),
])
def test_bad_instrument_flags_fail_in_one_line_and_write_nothing(tiny_data_dir, tmp_path, flag, message):
    model_dir = tmp_path / "m"
    result = run_cli("deep21_tf.apps.train", f"--data_dir={tiny_data_dir}", f"--model_dir={model_dir}",
                     *TINY_TRAINING, flag, check=False)
    assert result.returncode != 0 and message in result.stderr
    assert not model_dir.exists()
