"""Statistics on real powerbox Gaussian random fields with known spectra: P(k), T(k), r(k), PDF, R², Wiener filter."""
from __future__ import annotations

import numpy as np
import powerbox
import pytest
from scipy import stats as scipy_stats

from deep21_tf.stats import (WienerFilter, apply_wiener, band_average, cross_correlation, fit_ridge, fit_wiener,
                             k_bin_edges, mean_and_std, pdf, pdf_distance, power_spectrum, r2_score,
                             transfer_function)

N_PIXELS = 64
BOX_MPC = 100.0
N_MAPS = 20


def input_power(k):
    """The test spectrum, P(k) = 3 (k Mpc)^-1.5 Mpc²."""
    return 3.0 * k ** -1.5


def gaussian_maps(n_maps: int, seed: int, pk=input_power) -> np.ndarray:
    """`n_maps` independent powerbox realisations (n_maps, 64, 64) of side 100 Mpc with spectrum `pk`."""
    box = powerbox.PowerBox(shape=(N_PIXELS, N_PIXELS), size=(BOX_MPC, BOX_MPC), pk=pk, seed=seed, nthreads=1)
    return np.stack([box.delta_x() for _ in range(n_maps)])


def grid_k() -> np.ndarray:
    """|k| (Mpc⁻¹) of every mode of the 64×64 Fourier grid."""
    k = 2 * np.pi * np.fft.fftfreq(N_PIXELS, d=BOX_MPC / N_PIXELS)
    return np.hypot(k[:, None], k[None, :])


def shell_modes(edges: np.ndarray) -> np.ndarray:
    """Number of modes of the 64×64 Fourier grid in each |k| bin."""
    return np.bincount(np.digitize(grid_k(), edges).ravel(), minlength=edges.size + 1)[1:-1]


def shell_means(values_on_grid: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean of a function of the Fourier grid over the modes in each |k| bin."""
    index = np.digitize(grid_k(), edges).ravel()
    return np.bincount(index, weights=values_on_grid.ravel(), minlength=edges.size + 1)[1:-1] / shell_modes(edges)


def fourier_filter(maps: np.ndarray, gain_of_k) -> np.ndarray:
    """Apply the isotropic filter gain_of_k(|k|) to each map by FFT."""
    return np.real(np.fft.ifft2(gain_of_k(grid_k()) * np.fft.fft2(maps)))


@pytest.fixture(scope="module")
def delta() -> np.ndarray:
    return gaussian_maps(N_MAPS, seed=1)


# ---------------------------------------------------------------------------------------------- power spectrum

def test_power_spectrum_recovers_input_spectrum_within_cosmic_variance(delta):
    edges = k_bin_edges(N_PIXELS, BOX_MPC)
    k, power = power_spectrum(delta, BOX_MPC)
    assert power.shape == (N_MAPS, N_PIXELS // 2) and k.shape == (N_PIXELS // 2,)
    assert np.all((k >= edges[:-1]) & (k < edges[1:]))
    k_grid = grid_k()
    expected = shell_means(np.where(k_grid > 0, input_power(np.maximum(k_grid, 1e-30)), 0.0), edges)
    mean, std = mean_and_std(power)
    # Every bin within 5 standard errors of the realisations, and the normalisation to 3 % over all bins.
    assert np.all(np.abs(mean - expected) < 5 * std / np.sqrt(N_MAPS))
    assert abs(np.mean(mean / expected) - 1) < 0.03


def test_power_spectrum_binning_and_zero_mode(delta):
    k_f = 2 * np.pi / BOX_MPC
    edges = k_bin_edges(N_PIXELS, BOX_MPC)
    np.testing.assert_allclose(edges[[0, -1]], [0.5 * k_f, (N_PIXELS // 2 + 0.5) * k_f])
    np.testing.assert_allclose(np.diff(edges), k_f)
    k, power = power_spectrum(delta, BOX_MPC)
    # A constant offset lives in k = 0 only, which enters no bin; a single map gives one row of the stack.
    _, shifted = power_spectrum(delta[0] + 5.0, BOX_MPC)
    np.testing.assert_allclose(shifted, power[0], rtol=1e-9)
    # Integer bins span the same range; edges starting at 0 still leave the k = 0 mode out.
    k8, power8 = power_spectrum(delta, BOX_MPC, bins=8)
    assert power8.shape == (N_MAPS, 8) and k8[0] > 0.5 * k_f
    _, from_zero = power_spectrum(delta[0] + 5.0, BOX_MPC, bins=np.array([0.0, 3 * k_f]))
    _, without_offset = power_spectrum(delta[0], BOX_MPC, bins=np.array([0.0, 3 * k_f]))
    np.testing.assert_allclose(from_zero, without_offset, rtol=1e-9)


def test_power_spectrum_drops_empty_bins(delta):
    k_f = 2 * np.pi / BOX_MPC
    edges = np.array([0.5, 1.5, 1.55, 1.6, 3.5]) * k_f  # no mode has 1.5 <= |k|/k_f < 1.6
    k, power = power_spectrum(delta, BOX_MPC, bins=edges)
    assert k.shape == (2,) and power.shape == (N_MAPS, 2)
    assert np.all(np.isfinite(power))


def test_cross_power_of_a_field_with_itself_is_its_power(delta):
    _, auto = power_spectrum(delta, BOX_MPC)
    _, cross = power_spectrum(delta, BOX_MPC, other=delta)
    np.testing.assert_allclose(cross, auto, rtol=1e-12)


# ---------------------------------------------------------------------------------------------- T(k) and r(k)

def test_transfer_and_correlation_of_a_field_with_itself_and_twice_itself(delta):
    _, t_same = transfer_function(delta, delta, BOX_MPC)
    _, r_same = cross_correlation(delta, delta, BOX_MPC)
    _, t_double = transfer_function(2 * delta, delta, BOX_MPC)
    _, r_double = cross_correlation(2 * delta, delta, BOX_MPC)
    np.testing.assert_allclose(t_same, 1.0, rtol=1e-12)
    np.testing.assert_allclose(r_same, 1.0, rtol=1e-12)
    np.testing.assert_allclose(t_double, 2.0, rtol=1e-12)
    np.testing.assert_allclose(r_double, 1.0, rtol=1e-12)


def test_independent_fields_are_uncorrelated(delta):
    other = gaussian_maps(N_MAPS, seed=2)
    k, r = cross_correlation(other, delta, BOX_MPC)
    mean, std = mean_and_std(r)
    assert np.all(np.abs(mean) < 5 * std / np.sqrt(N_MAPS))
    # Pooled over maps and the bins above 10 k_f (≥ 60 modes each), r is 0 to within its scatter.
    pooled = band_average(k, r, 10 * 2 * np.pi / BOX_MPC, np.inf)
    assert abs(pooled.mean()) < 5 * pooled.std() / np.sqrt(N_MAPS)
    assert np.all(np.abs(r) <= 1 + 1e-12)


def test_fourier_space_filter_gives_its_transfer_function_and_full_correlation(delta):
    radius_mpc = 1.0

    def gain(k):
        return np.exp(-0.5 * (k * radius_mpc) ** 2)

    smoothed = fourier_filter(delta, gain)
    k, t = transfer_function(smoothed, delta, BOX_MPC)
    _, r = cross_correlation(smoothed, delta, BOX_MPC)
    t_mean, _ = mean_and_std(t)
    np.testing.assert_allclose(t_mean, gain(k), rtol=0.03)
    assert np.all(r > 0.995) and np.all(r <= 1 + 1e-12)
    assert band_average(k, t_mean, 0.0, 0.5) == pytest.approx(np.mean(gain(k[k < 0.5])), rel=0.01)


# ---------------------------------------------------------------------------------------------- Wiener filter

def test_wiener_filter_recovers_expected_filter_and_beats_trivial_predictors(tmp_path):
    bias, radius_mpc, noise_sigma = 2.0, 2.0, 1.0

    def make_pairs(seed: int):
        truth = gaussian_maps(N_MAPS, seed=seed)
        signal = bias * fourier_filter(truth, lambda k: np.exp(-0.5 * (k * radius_mpc) ** 2))
        noise = np.random.default_rng(seed).normal(0.0, noise_sigma, truth.shape)
        return signal + noise + 10.0, truth  # a 21 cm map has a non-zero mean

    maps_21cm, truth = make_pairs(seed=3)
    batches = [(maps_21cm[i:i + 5], truth[i:i + 5]) for i in range(0, N_MAPS, 5)]
    wiener = fit_wiener(iter(batches), BOX_MPC)
    np.testing.assert_allclose(fit_wiener([(maps_21cm, truth)], BOX_MPC).values, wiener.values, rtol=1e-10)

    # Expected W = <P_cross>/<P_21> summed over the modes of each shell: b G P / (b² G² P + P_noise).
    k_grid = grid_k()
    p_delta = np.where(k_grid > 0, input_power(np.maximum(k_grid, 1e-30)), 0.0)
    gain = np.exp(-0.5 * (k_grid * radius_mpc) ** 2)
    p_noise = noise_sigma ** 2 * (BOX_MPC / N_PIXELS) ** 2
    edges = wiener.bin_edges
    assert edges[-1] > k_grid.max() and np.all(shell_modes(edges) > 0)  # the shells cover the grid to its corners
    p_21cm = shell_means(bias ** 2 * gain ** 2 * p_delta + p_noise, edges)
    expected = shell_means(bias * gain * p_delta, edges) / p_21cm
    assert expected[0] > 10 * expected[-1]  # the filter really varies with k
    # Standard error of the fit: residual power over 21 cm power, over the independent modes (half the grid's).
    p_residual = shell_means(p_delta, edges) - expected ** 2 * p_21cm
    standard_error = np.sqrt(p_residual / (p_21cm * shell_modes(edges) * N_MAPS / 2))
    assert np.all(np.abs(wiener.values - expected) < 5 * standard_error)

    test_maps, test_truth = make_pairs(seed=4)
    predicted = apply_wiener(wiener, test_maps, BOX_MPC)
    assert predicted.shape == test_maps.shape
    mse = np.mean((predicted - test_truth) ** 2)
    assert mse < 0.8 * np.mean(test_truth ** 2)  # the zero predictor
    assert mse < 0.8 * np.mean((test_maps - test_maps.mean(axis=(1, 2), keepdims=True) - test_truth) ** 2)
    np.testing.assert_allclose(predicted.mean(axis=(1, 2)), 0.0, atol=1e-10)
    np.testing.assert_allclose(apply_wiener(wiener, test_maps[0], BOX_MPC), predicted[0], atol=1e-12)

    path = tmp_path / "wiener.npz"
    wiener.save(str(path))
    loaded = WienerFilter.load(str(path))
    np.testing.assert_array_equal(loaded.bin_edges, wiener.bin_edges)
    np.testing.assert_array_equal(loaded.values, wiener.values)


# ---------------------------------------------------------------------------------------------- PDF

def test_pdf_of_gaussian_field_is_standard_normal(delta):
    x, density = pdf(delta, bins=30)
    assert x.shape == (30,) and density.shape == (N_MAPS, 30)
    edges = np.linspace(-3, 3, 31)
    normal = np.diff(scipy_stats.norm.cdf(edges)) / np.diff(edges)
    np.testing.assert_allclose(x, 0.5 * (edges[1:] + edges[:-1]))
    mean, _ = mean_and_std(density)
    np.testing.assert_allclose(mean, normal, atol=0.025)  # correlated pixels: a few % of the peak
    # Normalising removes mean and amplitude: 3 δ + 1 has the same PDF.
    np.testing.assert_allclose(pdf(3 * delta[0] + 1, bins=30)[1], density[0], atol=1e-12)


def test_pdf_distance(delta):
    x, gaussian = pdf(delta)
    _, other_gaussian = pdf(gaussian_maps(N_MAPS, seed=5))
    _, lognormal = pdf(np.exp(delta))
    assert pdf_distance(gaussian, gaussian, x) == 0.0
    assert pdf_distance(gaussian, other_gaussian, x) < 0.03
    assert pdf_distance(gaussian, lognormal, x) > 0.3
    assert pdf_distance(gaussian, lognormal, x) == pytest.approx(pdf_distance(lognormal, gaussian, x))
    # Scored in the truth's own units, a too-smooth, offset or noisy prediction is off; δ itself is not
    # (standardising each map by itself would put 0.5 δ + 0.3 at distance 0).
    smooth = pdf(0.5 * delta + 0.3, reference=delta)[1]
    noisy = pdf(delta + 0.5 * gaussian_maps(N_MAPS, seed=9), reference=delta)[1]
    assert pdf_distance(pdf(0.5 * delta + 0.3)[1], gaussian, x) < 1e-12
    assert pdf_distance(smooth, gaussian, x) > 0.3
    assert pdf_distance(noisy, gaussian, x) > 0.03  # wider by sqrt(1.25)
    assert pdf_distance(pdf(delta, reference=delta)[1], gaussian, x) == 0.0
    with pytest.raises(ValueError, match="reference"):
        pdf(delta, reference=delta[:1])
    # Disjoint supports are at distance 1.
    step = x[1] - x[0]
    assert pdf_distance(np.eye(2)[0] / step, np.eye(2)[1] / step, x[:2]) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------- R² and summaries

def test_r2_score_perfect_mean_and_hand_computed():
    true = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 6.0]])
    per_parameter, overall = r2_score(true, true)
    np.testing.assert_allclose(per_parameter, 1.0)
    assert overall == 1.0
    per_parameter, overall = r2_score(true, np.broadcast_to(true.mean(axis=0), true.shape))
    np.testing.assert_allclose(per_parameter, 0.0)
    pred = np.array([[1.0, 0.0], [2.0, 1.0], [4.0, 5.0]])
    # Column 0: SS_res 1, SS_tot 2. Column 1: SS_res 2, SS_tot 24.
    per_parameter, overall = r2_score(true, pred)
    np.testing.assert_allclose(per_parameter, [0.5, 11 / 12])
    assert overall == pytest.approx(17 / 24)
    # The overall R² standardises each parameter, so it does not depend on units.
    scale = np.array([1000.0, 0.01])
    assert r2_score(true * scale, pred * scale)[1] == pytest.approx(17 / 24)
    np.testing.assert_allclose(r2_score(true[:, 0], pred[:, 0])[0], [0.5])


def test_ridge_recovers_a_linear_law_and_shrinks_to_the_mean():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(400, 4)) * [1.0, 10.0, 0.1, 0.0]  # the last feature never varies
    law = np.array([[2.0, 0.0], [0.3, -0.1], [-5.0, 1.0], [0.0, 0.0]])
    targets = features @ law + [1.0, -2.0] + 0.01 * rng.normal(size=(400, 2))
    fit = fit_ridge(features, targets, alpha=1e-6)
    unseen = rng.normal(size=(50, 4)) * [1.0, 10.0, 0.1, 0.0]
    np.testing.assert_allclose(fit.predict(unseen), unseen @ law + [1.0, -2.0], atol=0.01)
    shrunk = fit_ridge(features, targets, alpha=1e9)  # an infinite penalty leaves the targets' mean
    np.testing.assert_allclose(shrunk.predict(unseen), np.broadcast_to(targets.mean(axis=0), (50, 2)), atol=1e-4)
    with pytest.raises(ValueError, match="alpha=-1 is not allowed: use alpha >= 0"):
        fit_ridge(features, targets, alpha=-1)
    with pytest.raises(ValueError, match="same N >= 2"):
        fit_ridge(features, targets[:10], alpha=1.0)


def test_mean_and_std_and_band_average():
    values = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    mean, std = mean_and_std(values)
    np.testing.assert_allclose(mean, [2.0, 3.0, 4.0])
    np.testing.assert_allclose(std, [1.0, 1.0, 1.0])
    k = np.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(band_average(k, values, 0.0, 0.7), [1.5, 3.5])
    np.testing.assert_allclose(band_average(k, values, 0.5, 2.0), [2.5, 4.5])


# ---------------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, message", [
    (lambda d: power_spectrum(d[0, 0], BOX_MPC), "one map"),
    (lambda d: power_spectrum(d[None], BOX_MPC), "one map"),
    (lambda d: power_spectrum(d[:, :, :10], BOX_MPC), "square"),
    (lambda d: power_spectrum(d, 0.0), "box_length"),
    (lambda d: power_spectrum(d, -5.0), "box_length"),
    (lambda d: power_spectrum(d, BOX_MPC, other=d[:3]), "same shape"),
    (lambda d: power_spectrum(d, BOX_MPC, bins=0), "bins"),
    (lambda d: power_spectrum(d, BOX_MPC, bins=[0.3, 0.1]), "increasing"),
    (lambda d: power_spectrum(np.where(d > 2, np.nan, d), BOX_MPC), "NaN"),
    (lambda d: transfer_function(d[:3], d, BOX_MPC), "same shape"),
    (lambda d: cross_correlation(d, d[:, :32, :32], BOX_MPC), "same shape"),
    (lambda d: pdf(np.ones((8, 8))), "constant"),
    (lambda d: pdf(d, bins=2.5), "bins"),
    (lambda d: pdf_distance(np.ones(3), np.ones(4), np.arange(3.0)), "same shape"),
    (lambda d: pdf_distance(np.ones(3), np.ones(3), np.array([0.0, 1.0, 3.0])), "equally spaced"),
    (lambda d: r2_score(np.ones((4, 2)), np.ones((4, 3))), "same shape"),
    (lambda d: r2_score(np.ones((4, 2)), np.zeros((4, 2))), "constant"),
    (lambda d: band_average(np.arange(3.0), np.ones(4), 0.0, 1.0), "len\\(k\\)"),
    (lambda d: band_average(np.arange(3.0), np.ones(3), 1.0, 1.0), "below k_max"),
    (lambda d: band_average(np.arange(3.0), np.ones(3), 5.0, 6.0), "no k bin"),
    (lambda d: mean_and_std(np.ones((0, 3))), "at least one"),
    (lambda d: fit_wiener([], BOX_MPC), "no training pairs"),
    (lambda d: fit_wiener([(d, d[:, :32, :32])], BOX_MPC), "same shape"),
    (lambda d: fit_wiener([(d, d), (d[:, :32, :32], d[:, :32, :32])], BOX_MPC), "64x64"),
    (lambda d: apply_wiener(WienerFilter(np.array([0.1, 0.2]), np.ones(1)), d, -1.0), "box_length"),
    (lambda d: WienerFilter(np.array([0.1, 0.2]), np.ones(2)), "one entry per bin"),
])
def test_bad_inputs_raise_clear_errors(delta, call, message):
    with pytest.raises(ValueError, match=message):
        call(delta)


def test_pearson_r2_known_answers():
    from deep21_tf.stats import pearson_r2

    true = np.array([[1.0, 2.0], [2.0, 0.0], [3.0, 5.0], [4.0, 1.0]])
    np.testing.assert_allclose(pearson_r2(true, true), [1.0, 1.0])
    np.testing.assert_allclose(pearson_r2(true, 2 * true + 1), [1.0, 1.0])  # offsets and scale do not count
    constant = np.broadcast_to(true.mean(axis=0), true.shape)
    assert np.all(np.isnan(pearson_r2(true, constant)))  # undefined, while R² of the mean predictor is 0
    np.testing.assert_allclose(r2_score(true, constant)[0], [0.0, 0.0])
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 2.0, 1.0, 3.0])
    assert pearson_r2(x, y)[0] == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)


def test_group_bootstrap_resamples_whole_groups():
    from deep21_tf.stats import group_bootstrap

    values = np.array([1.0, 1.0, 3.0, 3.0, 5.0, 5.0])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    low, high = group_bootstrap(lambda idx: values[idx].mean(), groups, resamples=2000, seed=1)
    assert 1.0 < low < 3.0 < high < 5.0
    # a statistic that is the same for every resample has a zero-width interval
    low, high = group_bootstrap(lambda idx: np.array([1.0, 2.0]), groups, resamples=10)
    np.testing.assert_allclose(low, [1.0, 2.0])
    np.testing.assert_allclose(high, [1.0, 2.0])
    # members of one group always travel together: the mean over a resample is a mean of group means
    seen = []
    group_bootstrap(lambda idx: seen.append(np.sort(idx)) or 0.0, groups, resamples=20, seed=2)
    assert all(len(idx) == 6 and all(np.sum(idx == 2 * g) == np.sum(idx == 2 * g + 1) for g in range(3))
               for idx in seen)
    with pytest.raises(ValueError, match="groups must be"):
        group_bootstrap(lambda idx: 0.0, np.array([]))


def test_kernel_ridge_fits_a_nonlinear_law_that_ridge_cannot():
    from deep21_tf.stats import fit_kernel_ridge

    rng = np.random.default_rng(0)
    features = rng.uniform(-1, 1, (300, 2))
    targets = np.stack([np.sin(3 * features[:, 0]), features[:, 0] * features[:, 1]], axis=1)
    test = rng.uniform(-0.9, 0.9, (100, 2))
    truth = np.stack([np.sin(3 * test[:, 0]), test[:, 0] * test[:, 1]], axis=1)
    kernel = fit_kernel_ridge(features, targets, alpha=1e-3, length_scale=0.3)
    linear = fit_ridge(features, targets, alpha=1e-6)
    assert r2_score(truth, kernel.predict(test))[1] > 0.95 > 0.6 > r2_score(truth, linear.predict(test))[1]
    shrunk = fit_kernel_ridge(features, targets, alpha=1e9, length_scale=0.3)  # infinite penalty: the mean
    np.testing.assert_allclose(shrunk.predict(test), np.broadcast_to(targets.mean(axis=0), truth.shape), atol=1e-6)
    with pytest.raises(ValueError, match="alpha=0"):
        fit_kernel_ridge(features, targets, alpha=0, length_scale=1.0)
