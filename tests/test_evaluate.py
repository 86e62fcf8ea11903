"""deep21-evaluate end to end on tiny trained models, and the metrics and D4 averaging behind it."""
from __future__ import annotations

import json
import os

import numpy as np
import powerbox
import pytest

from deep21_tf.evaluation.metrics import DensityScores, compare_to_baseline, parameter_scores
from deep21_tf.evaluation.parameter_baseline import (KERNEL_ALPHAS, KERNEL_LENGTH_SCALES, POWER_BINS, RIDGE_ALPHAS,
                                                   map_features)
from deep21_tf.simulation.config import FAST_PHYSICS_NOTE
from tests.conftest import run_cli

BOX_MPC = 48.0
PNG_MAGIC = b"\x89PNG"


def gaussian_maps(n_maps: int, seed: int) -> np.ndarray:
    """Real powerbox Gaussian fields (n_maps, 32, 32), P(k) ∝ k^-2, side 48 Mpc."""
    box = powerbox.PowerBox(shape=(32, 32), size=(BOX_MPC, BOX_MPC), pk=lambda k: 0.5 * k ** -2.0, seed=seed,
                            nthreads=1)
    return np.stack([box.delta_x() for _ in range(n_maps)])


def test_density_scores_of_a_perfect_and_a_noisy_prediction():
    true = gaussian_maps(6, seed=1)
    noise = 0.3 * gaussian_maps(6, seed=2)
    perfect, noisy = DensityScores(BOX_MPC), DensityScores(BOX_MPC)
    for batch in (slice(0, 4), slice(4, 6)):  # batch by batch, as the evaluation streams them
        perfect.add(true[batch], true[batch])
        noisy.add(true[batch], 0.8 * true[batch] + noise[batch], std=np.full_like(true[batch], 0.1))
    best, worse = perfect.summary(), noisy.summary()
    assert best["num_maps"] == 6 and len(best["k_mpc^-1"]) == 16
    np.testing.assert_allclose(best["transfer_mean"], 1.0)
    np.testing.assert_allclose(best["crosscorr_mean"], 1.0)
    np.testing.assert_allclose(best["error_power_fraction_mean"], 0.0, atol=1e-12)
    assert best["mse_delta^2"] == 0.0 and best["pdf_distance"] == 0.0
    assert best["headline"]["k_le_0.7_mpc^-1"] == {"max_abs_1_minus_T": pytest.approx(0.0, abs=1e-12),
                                                   "max_abs_1_minus_r": pytest.approx(0.0, abs=1e-12)}
    assert 0.0 < worse["headline"]["k_le_2_mpc^-1"]["max_abs_1_minus_r"] < 1.0
    assert worse["mean_pixel_std_delta"] == pytest.approx(0.1)
    versus = compare_to_baseline(best, worse)
    assert versus["beats_baseline_at_every_k"] and versus["min_error_power_reduction"] == pytest.approx(1.0)
    assert not compare_to_baseline(worse, best)["beats_baseline_at_k"][0]


def test_density_intervals_resample_boxes():
    """A perfect prediction has zero-width intervals; a noisy one brackets its headline; no box ids, no intervals."""
    true = gaussian_maps(6, seed=1)
    noisy_pred = 0.8 * true + 0.3 * gaussian_maps(6, seed=2)
    boxes = np.array(["a", "a", "b", "b", "c", "c"])
    perfect, noisy, anonymous = DensityScores(BOX_MPC), DensityScores(BOX_MPC), DensityScores(BOX_MPC)
    for batch in (slice(0, 3), slice(3, 6)):
        perfect.add(true[batch], true[batch], box_ids=boxes[batch])
        noisy.add(true[batch], noisy_pred[batch], box_ids=boxes[batch])
        anonymous.add(true[batch], noisy_pred[batch])
    best, worse = perfect.summary(), noisy.summary()
    assert best["num_boxes"] == 3 and "interval_68" not in anonymous.summary()
    assert best["interval_68"]["crosscorr_at_k_mpc^-1"]["1"] == pytest.approx([1.0, 1.0])
    assert best["interval_68"]["k_le_2_mpc^-1"]["max_abs_1_minus_T"] == pytest.approx([0.0, 0.0], abs=1e-12)
    low, high = worse["interval_68"]["mse_delta^2"]["mean"]
    assert low <= worse["mse_delta^2"] <= high and low < high


def test_parameter_scores_r2_and_the_undefined_case():
    rng = np.random.default_rng(0)
    true = rng.uniform([8, 40, 3], [9, 41, 4], size=(20, 3))
    names = ["log10_mturn", "log10_lx", "log10_ngamma"]
    scores = parameter_scores(true, true + 0.01 * rng.normal(size=true.shape), names)
    assert all(0.99 < scores["r2_log10"][name] <= 1.0 for name in names)
    constant = parameter_scores(np.tile(true[:1], (5, 1)), true[:5], names)
    assert constant["r2_log10_overall"] is None and "undefined" in constant["r2_note"]


def test_parameter_scores_per_box_and_intervals_known_answers():
    """10 boxes of 4 maps: a perfect predictor scores 1 with a zero-width interval, a constant one 0 (R²) and an
    undefined correlation; per-box scores average each box's maps first."""
    rng = np.random.default_rng(1)
    names = ["log10_mturn", "log10_lx", "log10_ngamma"]
    true = np.repeat(rng.uniform([8, 40, 3], [9, 41, 4], size=(10, 3)), 4, axis=0)
    perfect = parameter_scores(true, true, names)
    assert perfect["num_boxes"] == 10 and perfect["num_maps"] == 40
    for scores in (perfect, perfect["per_box"]):
        for key in ("r2_log10", "pearson_r2_log10"):
            assert all(scores[key][n] == pytest.approx(1.0) for n in names)
            assert all(scores["interval_68"][key][n] == pytest.approx([1.0, 1.0]) for n in names)
    constant = parameter_scores(true, np.broadcast_to(true.mean(axis=0), true.shape), names)
    assert all(constant["r2_log10"][n] == pytest.approx(0.0) for n in names)
    assert all(constant["pearson_r2_log10"][n] is None for n in names)
    # map noise that cancels in each box's mean: the per-box scores are perfect, the per-map ones are not
    noise = np.tile([[0.1], [-0.1], [0.1], [-0.1]], (10, 3))
    noisy = parameter_scores(true, true + noise, names)
    assert all(noisy["per_box"]["rmse_log10"][n] == pytest.approx(0.0, abs=1e-12) for n in names)
    assert all(noisy["rmse_log10"][n] == pytest.approx(0.1) for n in names)
    assert all(noisy["r2_log10"][n] < 1 for n in names)
    low, high = noisy["interval_68"]["r2_log10"][names[0]]
    assert low <= noisy["r2_log10"][names[0]] <= high


def test_d4_average_maps_predictions_back_and_measures_their_spread():
    from deep21_tf.data.d4 import d4_average

    maps = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype(np.float32)
    mean, std = d4_average(lambda x: 2 * x, maps)  # an equivariant "network": every copy agrees once mapped back
    np.testing.assert_allclose(mean, 2 * maps, rtol=1e-6)
    np.testing.assert_allclose(std, 0.0, atol=1e-6)
    ramp = np.arange(8, dtype=np.float32)[None, :, None, None]
    _, std = d4_average(lambda x: x + ramp, maps)  # not equivariant: the copies disagree
    assert std.shape == maps.shape and std.max() > 1
    mean, std = d4_average(lambda x: x.sum(axis=(1, 2)), maps, spatial_output=False)  # invariant outputs
    np.testing.assert_allclose(mean, maps.sum(axis=(1, 2)), rtol=1e-5)
    assert mean.shape == (2, 1) and np.all(std < 1e-5)


def read_metrics(output_dir) -> dict:
    with open(os.path.join(output_dir, "metrics.json"), encoding="utf-8") as handle:
        return json.load(handle)


def assert_png(path) -> None:
    with open(path, "rb") as handle:
        assert handle.read(4) == PNG_MAGIC, path


@pytest.mark.slow
def test_unet_evaluation_with_tta_against_the_wiener_baseline(trained_unet_dir, tiny_data_dir, tmp_path):
    result = run_cli("deep21_tf.apps.evaluate", f"--model_dir={trained_unet_dir}", f"--data_dir={tiny_data_dir}",
                     f"--output_dir={tmp_path}", "--tta", "--batch_size=3", "--progress=false")
    assert "beats Wiener at every k" in result.stdout
    assert FAST_PHYSICS_NOTE in result.stdout.splitlines()  # the session suite is the tiny preset's
    metrics = read_metrics(tmp_path)
    assert metrics["fast_physics"] is True
    assert metrics["model"] == "unet" and metrics["split"] == "test" and metrics["test_time_augmentation"]
    z15 = metrics["redshifts"]["15"]
    assert set(z15) == {"network", "wiener", "network_tta", "network_vs_wiener", "network_tta_vs_wiener"}
    for name in ("network", "wiener", "network_tta"):
        summary = z15[name]
        n_k = len(summary["k_mpc^-1"])
        assert summary["num_maps"] == 8 and n_k == 16
        for key in ("transfer_mean", "transfer_std", "crosscorr_mean", "crosscorr_std", "power_true_mean_mpc^2",
                    "power_pred_std_mpc^2", "error_power_fraction_mean"):
            assert len(summary[key]) == n_k and all(np.isfinite(summary[key])), key
        assert all(-1 <= r <= 1 for r in summary["crosscorr_mean"])
        assert set(summary["headline"]) == {"k_le_0.7_mpc^-1", "k_le_2_mpc^-1"}
        assert all(v >= 0 for band in summary["headline"].values() for v in band.values())
        assert 0 <= summary["pdf_distance"] <= 1 and summary["mse_delta^2"] > 0
        assert summary["num_boxes"] == 1  # the test split: one simulation, a zero-width interval
        low, high = summary["interval_68"]["k_le_0.7_mpc^-1"]["max_abs_1_minus_r"]
        assert low == pytest.approx(summary["headline"]["k_le_0.7_mpc^-1"]["max_abs_1_minus_r"]) == high
    assert z15["network_tta"]["mean_pixel_std_delta"] > 0
    versus = z15["network_vs_wiener"]
    assert len(versus["beats_baseline_at_k"]) == 16
    assert versus["beats_baseline_at_every_k"] == all(versus["beats_baseline_at_k"])
    assert versus["min_error_power_reduction"] == pytest.approx(min(versus["error_power_reduction"]))
    for name in ("fig3_maps_z15.png", "fig3_tta_z15.png", "fig4_power_z15.png", "fig5_pdf_z15.png"):
        assert_png(tmp_path / name)
    with np.load(tmp_path / "wiener_z15.npz") as wiener:
        assert np.all(np.isfinite(wiener["values"])) and np.any(wiener["values"] != 0)
    assert not [name for name in os.listdir(tmp_path) if ".partial-" in name]
    check_transfer_against_the_stats_package(trained_unet_dir, tiny_data_dir, z15["network"])


def check_transfer_against_the_stats_package(model_dir, data_dir, network):
    """The streamed T(k) and r(k) equal those of `deep21_tf.stats` on the model's predictions of the whole split."""
    from deep21_tf.data import load_normalization, make_dataset
    from deep21_tf.training.trained_model import TrainedModel
    from deep21_tf.stats import cross_correlation, transfer_function

    norm = load_normalization(data_dir, "z15")
    inputs, targets = zip(*make_dataset(data_dir, "z15", "test", batch_size=8).as_numpy_iterator())
    maps = norm.denormalize("map_21cm", np.concatenate(inputs))
    delta = norm.denormalize("density", np.concatenate(targets))
    pred = TrainedModel.load(model_dir).predict(maps)
    _, transfer = transfer_function(pred[..., 0], delta[..., 0], BOX_MPC)
    _, crosscorr = cross_correlation(pred[..., 0], delta[..., 0], BOX_MPC)
    np.testing.assert_allclose(network["transfer_mean"], transfer.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(network["crosscorr_mean"], crosscorr.mean(axis=0), rtol=1e-4, atol=1e-5)


def test_parameter_baseline_features_are_mean_std_and_log_power_per_channel():
    maps = np.moveaxis(gaussian_maps(6, seed=5).reshape(3, 2, 32, 32), 1, -1) * 20.0 - 15.0  # 3 two-channel maps, mK
    features = map_features(maps, BOX_MPC)
    assert features.shape == (3, 2 * (2 + POWER_BINS)) and np.all(np.isfinite(features))
    per_channel = features.reshape(3, 2, 2 + POWER_BINS)
    np.testing.assert_allclose(per_channel[..., 0], maps.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(per_channel[..., 1], maps.std(axis=(1, 2)), rtol=1e-6)
    # A steep spectrum: the log power falls from the first k bin to the last.
    assert np.all(per_channel[..., 2] > per_channel[..., -1])
    # Without the means: a constant added to each map (what an interferometer cannot see) changes no feature.
    blind = map_features(maps, BOX_MPC, with_mean=False)
    assert blind.shape == (3, 2 * (1 + POWER_BINS))
    np.testing.assert_allclose(blind, np.delete(features, [0, 2 + POWER_BINS], axis=1))
    np.testing.assert_allclose(map_features(maps + np.array([4.0, -9.0]), BOX_MPC, with_mean=False), blind,
                               rtol=1e-6, atol=1e-9)


@pytest.mark.slow
def test_astronet_evaluation_reports_r2_and_parameter_figures(trained_astro_dir, tiny_data_dir, tmp_path):
    # The train split holds 2 simulations (the test split only 1, whose parameters never vary: R² undefined).
    run_cli("deep21_tf.apps.evaluate", f"--model_dir={trained_astro_dir}", f"--data_dir={tiny_data_dir}",
            "--split=train", f"--output_dir={tmp_path}", "--tta", "--max_maps=12", "--progress=false")
    metrics = read_metrics(tmp_path)
    assert metrics["model"] == "astro"
    for name in ("network", "network_tta"):
        scores = metrics[name]
        assert scores["num_maps"] == 12
        assert set(scores["r2_log10"]) == {"log10_mturn", "log10_lx", "log10_ngamma"}
        assert all(np.isfinite(v) and v <= 1 for v in scores["r2_log10"].values())
        assert scores["r2_log10_overall"] == pytest.approx(np.mean(list(scores["r2_log10"].values())))
    assert all(v >= 0 for v in metrics["network_tta"]["mean_d4_std_log10"].values())
    # The linear baseline: ridge on each map's summary statistics, its strength chosen on the validation split.
    baseline = metrics["baseline"]
    assert baseline["num_maps"] == 12 and baseline["ridge_alpha"] in RIDGE_ALPHAS
    assert all(np.isfinite(v) and v <= 1 for v in baseline["r2_log10"].values())
    assert "ridge regression" in baseline["description"]
    kernel = metrics["baseline_kernel"]  # the nonlinear baseline on the same statistics
    assert kernel["num_maps"] == 12 and kernel["kernel_alpha"] in KERNEL_ALPHAS
    assert kernel["kernel_length_scale"] in KERNEL_LENGTH_SCALES and "kernel ridge" in kernel["description"]
    assert all(np.isfinite(v) and v <= 1 for v in kernel["r2_log10"].values())
    assert set(kernel["interval_68"]) == {"rmse_log10", "r2_log10", "pearson_r2_log10"}
    assert metrics["network"]["num_boxes"] == 2 and "per_box" in metrics["network"]
    assert_png(tmp_path / "fig6_params.png")
    assert_png(tmp_path / "fig6_params_tta.png")


@pytest.mark.slow
def test_evaluate_rejects_an_unknown_split_in_one_line(trained_unet_dir, tiny_data_dir, tmp_path):
    result = run_cli("deep21_tf.apps.evaluate", f"--model_dir={trained_unet_dir}", f"--data_dir={tiny_data_dir}",
                     "--split=nosuch", f"--output_dir={tmp_path / 'out'}", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("deep21-evaluate: error: --split=nosuch")
    assert not (tmp_path / "out").exists()
