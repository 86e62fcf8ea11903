"""Scores of predictions against the truth, accumulated batch by batch so a test set never has to fit in memory.

Density maps (per redshift channel): P(k) of the true and predicted δ, T(k) = sqrt(P_pred/P_true) (paper Eq. 4.3),
r(k) = P_cross/sqrt(P_pred P_true) (Eq. 4.4), the error power fraction e(k) = P(δ_pred − δ_true)/P_true
= T² + 1 − 2Tr, the one-point PDF, and the MSE; each per map, then mean and std over the maps (ddof 0).
Parameters: R² and RMSE of log10 values (the quantity the network regresses; the prior is uniform in log10).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from deep21_tf.contracts import HEADLINE_K_LIMITS
from deep21_tf.evaluation.files import headline_key
from deep21_tf.stats import group_bootstrap, mean_and_std, pdf, pdf_distance, pearson_r2, power_spectrum, r2_score

#: Scales (Mpc⁻¹) at which r(k) is read off the mean r(k) for its interval.
INTERVAL_K = (1.0, 2.0)
#: What the keys of a density evaluation mean (written into metrics.json).
DENSITY_DEFINITIONS = {
    "k_mpc^-1": "mean |k| of the modes in each bin (shells of width 2π/L), Mpc^-1",
    "power_*_mpc^2": "P(k) of the true / predicted δ maps (powerbox convention), Mpc^2",
    "transfer": "T(k) = sqrt(P_pred / P_true) per map (paper Eq. 4.3)",
    "crosscorr": "r(k) = P_cross / sqrt(P_pred P_true) per map (paper Eq. 4.4)",
    "error_power_fraction": "e(k) = P(δ_pred − δ_true) / P_true per map = T² + 1 − 2 T r; 0 is perfect",
    "*_mean, *_std": "mean and standard deviation (ddof 0) over the scored maps",
    "headline": "max over the bins with k <= limit of |1 − mean T(k)| and |1 − mean r(k)|",
    "pdf_*": "PDF of (δ − mean_true)/std_true on [-3, 3] per map (true and predicted alike standardised with the "
             "true map's mean and std), mean and std over maps",
    "pdf_distance": "total variation ½ ∫ |PDF_pred − PDF_true| dx of the mean PDFs, in [0, 1]",
    "mse_delta^2": "mean over all pixels of (δ_pred − δ_true)²",
    "mean_pixel_std_delta": "mean over all pixels of the std of δ over the 8 D4 transforms (test-time averaging)",
    "interval_68": "central 68 % interval [low, high] over 1000 bootstrap resamples of the scored boxes (whole "
                   "simulations: their slabs are not independent) of the headline figures, of r(k) at k = 1 and "
                   "2 Mpc^-1 (linear interpolation of the mean r(k)) and of the MSE",
    "wiener": "linear baseline δ̂(k) = W(k) δTb(k) + mean train δ, W = <P_cross>/<P_21cm> fitted on the train split",
    "*_vs_wiener": "per k: beats_baseline_at_k = e_net < e_wiener; error_power_reduction = 1 − e_net/e_wiener; "
                   "crosscorr_gain = r_net − r_wiener; mse_ratio_network_over_baseline = MSE_net / MSE_wiener",
}
#: What the keys of a parameter evaluation mean (written into metrics.json).
PARAMETER_DEFINITIONS = {
    "r2_log10": "R² = 1 − SS_res/SS_tot of the log10 parameters, per parameter; overall: their mean",
    "pearson_r2_log10": "squared Pearson correlation of predicted vs true log10 parameters (the paper's 'linear "
                        "correlation coefficient R²'); ignores offsets and scale errors",
    "per_box": "the same scores of the per-box mean predictions (one point per simulation)",
    "interval_68": "central 68 % interval [low, high] of each score over 1000 bootstrap resamples of the test boxes "
                   "(whole boxes: neighbouring slabs of one box are not independent)",
    "rmse_log10": "root mean square error of the log10 parameters (dex)",
    "mean_d4_std_log10": "mean over maps of the std of the log10 prediction over the 8 D4 transforms (dex)",
}


def _listed(value):
    """JSON-friendly: arrays become lists of floats, NaN becomes None."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return None if not np.isfinite(array) else float(array)
    return [None if not np.isfinite(v) else float(v) for v in array]


class DensityScores:
    """Per-map statistics of (true, predicted) δ maps of side `box_length` (Mpc), added batch by batch."""

    def __init__(self, box_length: float):
        self.box_length = float(box_length)
        self._spectra = {"true": [], "pred": [], "cross": []}
        self._pdfs = {"true": [], "pred": []}
        self.k = self._pdf_x = None
        self._std_sum = 0.0
        self._std_count = 0
        self._box_ids: list = []
        self._squared_error_per_map: list = []

    @property
    def num_maps(self) -> int:
        return sum(len(p) for p in self._spectra["true"])

    def add(self, true: np.ndarray, pred: np.ndarray, std: Optional[np.ndarray] = None,
            box_ids: Optional[Sequence[str]] = None) -> None:
        """Add maps (N, H, W) of true and predicted δ; `std`: an optional per-pixel uncertainty of `pred` (δ);
        `box_ids` (N,): each map's simulation, for intervals over boxes (given with every batch or never)."""
        self._box_ids.extend(box_ids if box_ids is not None else [None] * len(true))
        self.k, p_true = power_spectrum(true, self.box_length)
        _, p_pred = power_spectrum(pred, self.box_length)
        _, p_cross = power_spectrum(pred, self.box_length, other=true)
        for name, spectrum in (("true", p_true), ("pred", p_pred), ("cross", p_cross)):
            self._spectra[name].append(spectrum)
        for name, maps in (("true", true), ("pred", pred)):
            self._pdf_x, density = pdf(maps, reference=true)  # both in the true map's units: amplitude counts
            self._pdfs[name].append(density)
        difference = np.asarray(pred, np.float64) - np.asarray(true, np.float64)
        self._squared_error_per_map.append(np.mean(difference ** 2, axis=(1, 2)))
        if std is not None:
            self._std_sum += float(np.sum(std))
            self._std_count += np.size(std)

    def summary(self) -> dict:
        """Mean and std over the maps of every statistic, the headline figures, the PDF distance and the MSE."""
        if not self.num_maps:
            raise ValueError("no maps were scored")
        p_true, p_pred, p_cross = (np.concatenate(self._spectra[name]) for name in ("true", "pred", "cross"))
        per_map = {
            "power_true": p_true, "power_pred": p_pred,
            "transfer": np.sqrt(p_pred / p_true),
            "crosscorr": p_cross / np.sqrt(p_pred * p_true),
            "error_power_fraction": (p_pred + p_true - 2 * p_cross) / p_true,  # P is bilinear: P(a−b) = Pa+Pb−2Pab
        }
        result = {"num_maps": self.num_maps, "k_mpc^-1": _listed(self.k)}
        for name, values in per_map.items():
            mean, std = mean_and_std(values)
            unit = "_mpc^2" if name.startswith("power") else ""
            result[f"{name}_mean{unit}"], result[f"{name}_std{unit}"] = _listed(mean), _listed(std)
        transfer, crosscorr = np.mean(per_map["transfer"], axis=0), np.mean(per_map["crosscorr"], axis=0)
        result["headline"] = {headline_key(limit): {
            "max_abs_1_minus_T": _max_deviation(self.k, transfer, limit),
            "max_abs_1_minus_r": _max_deviation(self.k, crosscorr, limit)} for limit in HEADLINE_K_LIMITS}
        pdf_true, pdf_pred = np.concatenate(self._pdfs["true"]), np.concatenate(self._pdfs["pred"])
        result["pdf_x_delta_over_sigma"] = _listed(self._pdf_x)
        for name, values in (("true", pdf_true), ("pred", pdf_pred)):
            mean, std = mean_and_std(values)
            result[f"pdf_{name}_mean"], result[f"pdf_{name}_std"] = _listed(mean), _listed(std)
        result["pdf_distance"] = pdf_distance(pdf_pred, pdf_true, self._pdf_x)
        result["mse_delta^2"] = float(np.concatenate(self._squared_error_per_map).mean())  # maps of equal size
        if all(box is not None for box in self._box_ids):
            result["num_boxes"] = len(set(self._box_ids))
            result["interval_68"] = self._intervals(per_map)
        if self._std_count:
            result["mean_pixel_std_delta"] = self._std_sum / self._std_count
        return result


    def _intervals(self, per_map: dict) -> dict:
        """Bootstrap 68 % intervals over boxes of the headline figures, r(k) at `INTERVAL_K` and the MSE."""
        transfer, crosscorr = per_map["transfer"], per_map["crosscorr"]
        squared_error = np.concatenate(self._squared_error_per_map)
        figures = {headline_key(limit): {
            "max_abs_1_minus_T": lambda rows, limit=limit: _max_deviation(self.k, transfer[rows].mean(0), limit),
            "max_abs_1_minus_r": lambda rows, limit=limit: _max_deviation(self.k, crosscorr[rows].mean(0), limit)}
            for limit in HEADLINE_K_LIMITS}
        figures["crosscorr_at_k_mpc^-1"] = {f"{k:g}": lambda rows, k=k: np.interp(k, self.k, crosscorr[rows].mean(0))
                                            for k in INTERVAL_K}
        figures["mse_delta^2"] = {"mean": lambda rows: squared_error[rows].mean()}
        return {group: {name: _listed(np.stack(group_bootstrap(statistic, np.asarray(self._box_ids))))
                        for name, statistic in statistics.items()} for group, statistics in figures.items()}


def _max_deviation(k: np.ndarray, values: np.ndarray, k_max: float) -> Optional[float]:
    """max |1 − value| over the bins with k <= k_max (Mpc⁻¹); None when no bin lies there."""
    inside = k <= k_max
    return float(np.max(np.abs(1.0 - values[inside]))) if inside.any() else None


def compare_to_baseline(network: dict, baseline: dict) -> dict:
    """How much the network beats the baseline, k by k, on the error power fraction e(k) (lower is better).

    `network`, `baseline`: `DensityScores.summary()` of the same maps. error_power_reduction = 1 − e_net/e_base
    (0.4: the network's error power is 40 % below the baseline's); crosscorr_gain = r_net − r_base.
    """
    e_net, e_base = (np.asarray(s["error_power_fraction_mean"], np.float64) for s in (network, baseline))
    with np.errstate(divide="ignore", invalid="ignore"):  # a perfect baseline: no finite ratio (reported as None)
        reduction = 1.0 - e_net / e_base
        mse_ratio = np.float64(network["mse_delta^2"]) / np.float64(baseline["mse_delta^2"])
    gain = np.asarray(network["crosscorr_mean"], np.float64) - np.asarray(baseline["crosscorr_mean"], np.float64)
    return {
        "k_mpc^-1": network["k_mpc^-1"],
        "beats_baseline_at_k": [bool(v) for v in e_net < e_base],
        "beats_baseline_at_every_k": bool(np.all(e_net < e_base)),
        "error_power_reduction": _listed(reduction),
        "min_error_power_reduction": _listed(np.min(reduction)),
        "crosscorr_gain": _listed(gain),
        "mse_ratio_network_over_baseline": _listed(mse_ratio),
    }


def parameter_scores(true_log10: np.ndarray, pred_log10: np.ndarray, names: Sequence[str],
                     pred_std: Optional[np.ndarray] = None, box_ids: Optional[np.ndarray] = None) -> dict:
    """Scores of predicted log10 parameters (N, P) against the truth, per parameter: R², the squared Pearson
    correlation and the RMSE (dex), over maps and over per-box mean predictions ("per_box"), each with a bootstrap
    68 % interval over boxes ("interval_68": [low, high]); `pred_std` (N, P): the D4 spread.

    box_ids (N,): the simulation of each map; None → maps with the same true parameters are one box. R² and the
    correlation are None (with a note) when the true values do not vary (e.g. a one-simulation split).
    """
    true_log10, pred_log10 = (np.asarray(a, np.float64) for a in (true_log10, pred_log10))
    if box_ids is None:
        box_ids = np.unique(true_log10, axis=0, return_inverse=True)[1].ravel()
    boxes, box_of_map = np.unique(np.asarray(box_ids), return_inverse=True)
    box_true = np.array([true_log10[box_of_map == b].mean(axis=0) for b in range(len(boxes))])
    box_pred = np.array([pred_log10[box_of_map == b].mean(axis=0) for b in range(len(boxes))])
    result = {"num_maps": len(true_log10), "num_boxes": len(boxes), "parameter_names": list(names),
              **_regression_scores(true_log10, pred_log10, names, box_of_map),
              "per_box": _regression_scores(box_true, box_pred, names, np.arange(len(boxes)))}
    if pred_std is not None:
        result["mean_d4_std_log10"] = dict(zip(names, _listed(np.mean(pred_std, axis=0))))
    return result


def _regression_scores(true: np.ndarray, pred: np.ndarray, names: Sequence[str], box_of_row: np.ndarray) -> dict:
    """R², squared Pearson correlation and RMSE per parameter of rows (N, P), with intervals from resampled boxes."""
    def rmse(rows):
        return np.sqrt(np.mean((pred[rows] - true[rows]) ** 2, axis=0))

    def r2(rows):
        try:
            return r2_score(true[rows], pred[rows])[0]
        except ValueError:  # a resample of one box: the true values do not vary
            return np.full(true.shape[1], np.nan)

    def correlation(rows):
        return pearson_r2(true[rows], pred[rows]) if len(rows) >= 2 else np.full(true.shape[1], np.nan)

    every = np.arange(len(true))
    result = {"rmse_log10": dict(zip(names, _listed(rmse(every))))}
    defined = len(true) >= 2 and np.all(np.ptp(true, axis=0) > 0)
    if defined:
        per_parameter, overall = r2_score(true, pred)
        result["r2_log10"], result["r2_log10_overall"] = dict(zip(names, _listed(per_parameter))), overall
        result["pearson_r2_log10"] = dict(zip(names, _listed(correlation(every))))
    else:
        result["r2_log10"], result["r2_log10_overall"] = dict.fromkeys(names), None
        result["pearson_r2_log10"] = dict.fromkeys(names)
        result["r2_note"] = "undefined: the true parameters do not vary across the scored maps"
    intervals = {"rmse_log10": rmse}
    if defined and len(np.unique(box_of_row)) >= 2:
        intervals.update(r2_log10=r2, pearson_r2_log10=correlation)
    result["interval_68"] = {}
    for key, statistic in intervals.items():
        low, high = group_bootstrap(statistic, box_of_row)
        result["interval_68"][key] = {name: [_listed(lo), _listed(hi)] for name, lo, hi in
                                      zip(names, np.atleast_1d(low), np.atleast_1d(high))}
    return result
