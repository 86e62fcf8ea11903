"""Every figure of the project, in physical units (Mpc, mK, M☉), like the paper's: map panels (Fig. 3; also in
TensorBoard), Fig. 4 (P(k), T(k), r(k)), Fig. 5 (PDF), Fig. 6/8 (predicted vs true parameters), prediction panels
(21 cm | predicted δ | D4 std) for maps without a truth, and saliency maps (Figs. 9–10).

Every function takes the summaries of `deep21_tf.evaluation.metrics` or plain arrays and returns a Figure;
`figure_to_png` renders it, `save_figure` writes it atomically as PNG. Importing this module selects matplotlib's
Agg backend (no display needed).
"""
from __future__ import annotations

import io
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

from deep21_tf.util.atomic import atomic_path  # noqa: E402

#: Axis labels of the parameters in physical units (paper Table I).
PARAMETER_LABELS = {
    "log10_mturn": r"$M_{\rm turn}$ [M$_\odot$]",
    "log10_lx": r"$L_{X<2\,{\rm keV}}/{\rm SFR}$ [erg s$^{-1}$ M$_\odot^{-1}$ yr]",
    "log10_ngamma": r"$N_{\gamma}/b$",
}
K_LABEL = r"$k$ [Mpc$^{-1}$]"
TRUE_STYLE = dict(color="tab:red", label="true")
PRED_STYLE = dict(color="tab:blue", label="predicted (U-Net)")
TTA_STYLE = dict(color="tab:green", label="predicted, D4-averaged")
WIENER_STYLE = dict(color="0.4", linestyle="--", label="Wiener filter")


def figure_to_png(figure: plt.Figure, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes and close it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()


def map_panels(map_21cm: np.ndarray, true_delta: np.ndarray, pred_delta: np.ndarray, box_length: float,
               title: str = "", clean_21cm: Optional[np.ndarray] = None, observation: str = "observed") -> plt.Figure:
    """One row: 21 cm δTb [mK] | true δ | predicted δ | log10 |δ_true − δ_pred|; axes in Mpc. With `clean_21cm`
    (the simulated map of which `map_21cm` is a version `observation` says, e.g. "observed", "wedge removed"), it
    comes first: as simulated | observed | true | predicted | residual.

    Maps are 2D (H, W); box_length is the map side in Mpc.
    """
    extent = (0.0, box_length, 0.0, box_length)
    residual = np.log10(np.abs(true_delta - pred_delta) + 1e-6)
    limit = float(np.max(np.abs(true_delta)))
    clean = [] if clean_21cm is None else [(clean_21cm, "21 cm δTb, as simulated", "mK", dict(cmap="viridis"))]
    panels = clean + [
        (map_21cm, "21 cm δTb (redshift space)" if clean_21cm is None else f"21 cm δTb, {observation}", "mK",
         dict(cmap="viridis")),
        (true_delta, "true δ (real space)", "δ", dict(cmap="magma", vmin=-limit, vmax=limit)),
        (pred_delta, "predicted δ", "δ", dict(cmap="magma", vmin=-limit, vmax=limit)),
        (residual, "log10 |δ_true − δ_pred|", "log10 |Δδ|", dict(cmap="cividis"))]
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.9), constrained_layout=True)
    for axis, (image, label, unit, style) in zip(axes, panels):
        shown = axis.imshow(np.asarray(image).T, origin="lower", extent=extent, **style)
        axis.set_title(label)
        axis.set_xlabel("x [Mpc]")
        axis.set_ylabel("y [Mpc]")
        figure.colorbar(shown, ax=axis, label=unit, shrink=0.85)
    if title:
        figure.suptitle(title)
    return figure


def save_figure(figure: plt.Figure, path: str, dpi: int = 100) -> None:
    """Write `figure` to `path` as PNG atomically, and close it."""
    data = figure_to_png(figure, dpi=dpi)
    with atomic_path(path) as temp_path:
        with open(temp_path, "wb") as handle:
            handle.write(data)


def log_k_axis(axis) -> None:
    """A logarithmic k axis labelled 0.1, 0.2, 0.5, 1, 2 ("3×10⁻¹"-style labels collide within one decade)."""
    axis.set_xscale("log")
    axis.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    axis.xaxis.set_minor_formatter(ticker.NullFormatter())


def _band(axis, x, mean, std, style, band: bool = True) -> None:
    mean, std = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    axis.plot(x, mean, **style)
    if band:
        axis.fill_between(x, mean - std, mean + std, color=style["color"], alpha=0.25, linewidth=0)


def power_figure(network: dict, wiener: Optional[dict] = None, tta: Optional[dict] = None,
                 title: str = "") -> plt.Figure:
    """Paper Fig. 4: P(k) of true and predicted δ (mean ± std over maps), T(k) and r(k) with their bands.

    network, wiener, tta: `DensityScores.summary()` of the U-Net, the Wiener baseline and the D4-averaged U-Net.
    """
    figure = plt.figure(figsize=(12, 5.5), constrained_layout=True)
    grid = figure.add_gridspec(2, 2)
    power, transfer, crosscorr = (figure.add_subplot(grid[:, 0]), figure.add_subplot(grid[0, 1]),
                                  figure.add_subplot(grid[1, 1]))
    k = network["k_mpc^-1"]
    _band(power, k, network["power_true_mean_mpc^2"], network["power_true_std_mpc^2"], TRUE_STYLE)
    curves = [(network, PRED_STYLE, True), (tta, TTA_STYLE, False), (wiener, WIENER_STYLE, False)]
    for summary, style, band in curves:
        if summary is None:
            continue
        _band(power, k, summary["power_pred_mean_mpc^2"], summary["power_pred_std_mpc^2"], style, band)
        _band(transfer, k, summary["transfer_mean"], summary["transfer_std"], style, band)
        _band(crosscorr, k, summary["crosscorr_mean"], summary["crosscorr_std"], style, band)
    power.set(xscale="log", yscale="log", xlabel=K_LABEL, ylabel=r"$P(k)$ [Mpc$^2$]")
    transfer.set(xscale="log", ylabel=r"$T(k)$")
    crosscorr.set(xscale="log", xlabel=K_LABEL, ylabel=r"$r(k)$")
    for axis in (transfer, crosscorr):
        axis.axhline(1.0, color="k", linewidth=0.8)
    for axis in (power, transfer, crosscorr):
        log_k_axis(axis)
    power.legend()
    if title:
        figure.suptitle(title)
    return figure


def noise_figure(entry: dict, instrument: str, title: str = "") -> plt.Figure:
    """P(k) of the clean and the observed 21 cm maps (mean ± std over maps) and the thermal noise per sampled uv
    cell, in mK² Mpc² (`evaluation.noise_power.signal_and_noise`); `instrument` names the telescope and hours."""
    figure, axis = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    k = entry["k_mpc^-1"]
    _band(axis, k, entry["signal_power_mean"], entry["signal_power_std"], dict(color="tab:red", label="21 cm signal"))
    _band(axis, k, entry["observed_power_mean"], entry["observed_power_std"],
          dict(color="tab:blue", label="observed maps"))
    noise = np.array([np.nan if v is None else v for v in entry["noise_power"]])
    axis.plot(k, noise, color="k", linestyle="--", label=f"thermal noise, {instrument}")
    axis.set(yscale="log", xlabel=K_LABEL, ylabel=r"$P_{21}(k)$ [mK$^2$ Mpc$^2$]",
             title=f"{title}  (noise per sampled uv cell)".strip())
    log_k_axis(axis)
    axis.legend()
    return figure


def pdf_figure(network: dict, title: str = "") -> plt.Figure:
    """Paper Fig. 5: PDF of the true and predicted normalised δ maps, mean ± std over maps."""
    figure, axis = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
    x = network["pdf_x_delta_over_sigma"]
    _band(axis, x, network["pdf_true_mean"], network["pdf_true_std"], TRUE_STYLE)
    _band(axis, x, network["pdf_pred_mean"], network["pdf_pred_std"], PRED_STYLE)
    axis.set(xlabel=r"$(\delta - \bar\delta)/\sigma_\delta$", ylabel="PDF",
             title=f"{title}  (PDF distance {network['pdf_distance']:.3f})".strip())
    axis.legend()
    return figure


def parameter_figure(true_log10: np.ndarray, pred_log10: np.ndarray, names: Sequence[str], scores: dict,
                     pred_std: Optional[np.ndarray] = None, title: str = "") -> plt.Figure:
    """Paper Fig. 6/8: predicted vs true value of each parameter in physical units (log axes), with R².

    true_log10, pred_log10, pred_std: (N, P) log10 values and their D4 spread; scores: `parameter_scores`.
    """
    true_log10, pred_log10 = (np.asarray(a, np.float64) for a in (true_log10, pred_log10))  # 1e40 overflows float32
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4.6), constrained_layout=True)
    for index, (axis, name) in enumerate(zip(np.atleast_1d(axes), names)):
        true, pred = 10.0 ** true_log10[:, index], 10.0 ** pred_log10[:, index]
        if pred_std is None:
            axis.scatter(true, pred, s=12, alpha=0.7)
        else:  # the log10 spread as asymmetric errors in physical units
            spread = pred_std[:, index]
            errors = np.stack([pred - 10.0 ** (pred_log10[:, index] - spread),
                               10.0 ** (pred_log10[:, index] + spread) - pred])
            axis.errorbar(true, pred, yerr=errors, fmt="o", markersize=3, alpha=0.7)
        low, high = min(true.min(), pred.min()), max(true.max(), pred.max())
        axis.plot([low, high], [low, high], color="k", linewidth=0.8)
        r2 = scores["r2_log10"][name]
        label = PARAMETER_LABELS.get(name, name)
        axis.set(xscale="log", yscale="log", xlabel=f"true {label}", ylabel=f"predicted {label}",
                 title="R² (log10) = " + ("undefined" if r2 is None else f"{r2:.3f}"))
    if title:
        figure.suptitle(title)
    return figure


def prediction_panels(map_21cm: np.ndarray, cell_size: float, pred_delta: Optional[np.ndarray] = None,
                      std_delta: Optional[np.ndarray] = None, title: str = "") -> plt.Figure:
    """21 cm δTb [mK] | predicted δ | D4 std of δ, the last two when given: maps (H, W), axes in Mpc.

    cell_size: Mpc per pixel.
    """
    extent = (0.0, map_21cm.shape[0] * cell_size, 0.0, map_21cm.shape[1] * cell_size)
    panels = [(map_21cm, "21 cm δTb", "mK", "viridis"), (pred_delta, "predicted δ", "δ", "magma"),
              (std_delta, "D4 std of predicted δ", r"$\sigma_\delta$", "cividis")]
    panels = [panel for panel in panels if panel[0] is not None]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.6, 3.9), constrained_layout=True,
                                squeeze=False)
    for axis, (image, label, unit, cmap) in zip(axes[0], panels):
        shown = axis.imshow(np.asarray(image).T, origin="lower", extent=extent, cmap=cmap)
        axis.set(title=label, xlabel="x [Mpc]", ylabel="y [Mpc]")
        figure.colorbar(shown, ax=axis, label=unit, shrink=0.85)
    if title:
        figure.suptitle(title)
    return figure


def salient_pixels(saliency: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the pixels whose saliency exceeds `threshold` × the mean over their map (…, H, W)."""
    return saliency > threshold * saliency.mean(axis=(-2, -1), keepdims=True)


def saliency_figure(maps_21cm: np.ndarray, saliency: np.ndarray, names: Sequence[str], threshold: float,
                    cell_size: float, row_titles: Sequence[str] = (), title: str = "") -> plt.Figure:
    """Paper Figs. 9–10: each 21 cm map (R, H, W) in mK overlaid with the salient pixels of each parameter
    (saliency (R, P, H, W)) as red dots, darker where larger; one row per map, one column per parameter.

    cell_size: Mpc per pixel; row_titles: a prefix of each row's panel titles (e.g. its redshift).
    """
    rows = len(maps_21cm)
    extent = (0.0, maps_21cm.shape[1] * cell_size, 0.0, maps_21cm.shape[2] * cell_size)
    figure, axes = plt.subplots(rows, len(names), figsize=(4.6 * len(names), 4.2 * rows), constrained_layout=True,
                                squeeze=False)
    for row in range(rows):
        prefix = f"{row_titles[row]}: " if row < len(row_titles) else ""
        for axis, name, grads in zip(axes[row], names, saliency[row]):
            shown = axis.imshow(maps_21cm[row].T, origin="lower", extent=extent, cmap="Greys_r")
            xs, ys = np.nonzero(salient_pixels(grads, threshold))
            if xs.size:  # a flat saliency map can have no pixel above the threshold
                strength = grads[xs, ys] / grads.max()
                axis.scatter((xs + 0.5) * cell_size, (ys + 0.5) * cell_size, s=9, c="red",
                             alpha=np.clip(0.3 + 0.7 * strength, 0, 1), linewidths=0)
            label = PARAMETER_LABELS.get(name, name).split(" [")[0]
            axis.set(title=f"{prefix}{label}: {xs.size} px > {threshold:g}× mean", xlabel="x [Mpc]",
                     ylabel="y [Mpc]")
            figure.colorbar(shown, ax=axis, label="δTb [mK]", shrink=0.85)
    if title:
        figure.suptitle(title)
    return figure


def redshift_power_figure(study: dict) -> plt.Figure:
    """The redshift study (`deep21_tf.driver.redshift_study`): T(k) and r(k) (mean ± std over test maps) of the U-Net at each redshift, its Wiener baseline dashed."""
    figure, (transfer, crosscorr) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for index, (z, scores) in enumerate(study["density"].items()):
        color, k = f"C{index}", scores["k_mpc^-1"]
        for axis, key in ((transfer, "transfer"), (crosscorr, "crosscorr")):
            mean, std = (np.asarray(scores["network"][f"{key}_{s}"], np.float64) for s in ("mean", "std"))
            axis.plot(k, mean, color=color, label=f"U-Net, z = {z}")
            axis.fill_between(k, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
            axis.plot(k, scores["wiener"][f"{key}_mean"], color=color, linestyle="--", label=f"Wiener, z = {z}")
    transfer.set(xlabel=K_LABEL, ylabel=r"$T(k)$ (test split)")
    crosscorr.set(xlabel=K_LABEL, ylabel=r"$r(k)$ (test split)")
    for axis in (transfer, crosscorr):
        log_k_axis(axis)
        axis.axhline(1.0, color="k", linewidth=0.8)
        axis.grid(alpha=0.3)
    transfer.legend(fontsize="small")
    figure.suptitle("21 cm → δ at each redshift (paper Figs. 4 and 7)")
    return figure


def redshift_r2_figure(study: dict) -> plt.Figure:
    """The redshift study: R² of AstroNet's log10 parameters at each redshift: one group of bars per parameter."""
    per_z = study["parameters"]
    names = next(iter(per_z.values()))["parameter_names"]
    figure, axis = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    width = 0.8 / len(per_z)
    for index, (z, scores) in enumerate(per_z.items()):
        values = [np.nan if scores["r2_log10"][n] is None else scores["r2_log10"][n] for n in names]
        axis.bar(np.arange(len(names)) + (index - (len(per_z) - 1) / 2) * width, values, width, label=f"z = {z}")
    axis.set_xticks(np.arange(len(names)), [PARAMETER_LABELS.get(n, n).split(" [")[0] for n in names])
    axis.axhline(0.0, color="k", linewidth=0.8)
    axis.set(ylabel="R² of log10 parameter (test split)", xlabel="parameter",
             title=f"AstroNet ({study['astro_encoder']} encoder) at each redshift (paper Figs. 6 and 8)")
    axis.legend()
    return figure


#: How a parameter learning curve draws each score of `parameter_curve_figure`.
CURVE_SCORE_STYLES = {"network": dict(label="AstroNet", marker="o", linestyle="-"),
                      "baseline_kernel": dict(label="kernel ridge on map summaries", marker="s", linestyle="--")}


def _or_nan(value) -> float:
    return np.nan if value is None else float(value)


def parameter_curve_figure(points: Sequence[dict], scores: Sequence[str]) -> plt.Figure:
    """AstroNet's learning curve (`deep21_tf.driver.learning_curve`): per parameter, R² (log10, test maps) of each
    of `scores` against the number of training boxes, with its bootstrap 68 % interval over test boxes."""
    boxes = [p["train_simulations"] for p in points]
    names = list(points[0][scores[0]]["r2_log10"])
    figure, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), sharey=True)
    for axis, name in zip(np.atleast_1d(axes), names):
        for score in scores:
            r2 = np.array([_or_nan(p[score]["r2_log10"][name]) for p in points])
            band = np.array([[_or_nan(v) for v in ((p[score]["r2_log10_interval_68"] or {}).get(name) or (None, None))]
                             for p in points])  # (points, 2): the 68 % interval, NaN where undefined
            errors = np.nan_to_num(np.abs(np.stack([r2 - band[:, 0], band[:, 1] - r2])))
            axis.errorbar(boxes, r2, yerr=errors, capsize=3, **CURVE_SCORE_STYLES.get(score, dict(label=score)))
        axis.axhline(0.0, color="k", linewidth=0.6)
        axis.set(xscale="log", xlabel="training boxes (simulations)",
                 title=PARAMETER_LABELS.get(name, name).split(" [")[0])
        axis.set_ylim(max(-1.0, axis.get_ylim()[0]), 1.02)  # R² below −1 (worse than the mean, twice over) is cut
        axis.xaxis.set_major_formatter(ticker.ScalarFormatter())
        axis.xaxis.set_minor_formatter(ticker.NullFormatter())
        axis.set_xticks(boxes)
        axis.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("R² of log10 parameter (test maps)")
    np.atleast_1d(axes)[0].legend()
    figure.suptitle("AstroNet learning curve: same validation and test boxes")
    figure.tight_layout()
    return figure


def learning_curve_figure(points: Sequence[dict], k_values: Sequence[float]) -> plt.Figure:
    """The learning curve (`deep21_tf.driver.learning_curve`): r at each of `k_values` (Mpc⁻¹) and the MSE of δ on
    the test split against the number of training maps; `points` hold train_maps, r_k{k} and mse_delta^2."""
    maps = [p["train_maps"] for p in points]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for k_value, marker in zip(k_values, "os^Dv"):
        left.plot(maps, [p[f"r_k{k_value:g}"] for p in points], marker=marker, label=f"k = {k_value:g} Mpc$^{{-1}}$")
    left.set(xscale="log", xlabel="training maps", ylabel="r(k) of predicted and true δ (test split)")
    left.legend()
    right.plot(maps, [p["mse_delta^2"] for p in points], marker="o", color="tab:red")
    right.set(xscale="log", yscale="log", xlabel="training maps", ylabel=r"MSE of $\delta$ (test split)")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.suptitle("U-Net learning curve: same validation and test simulations")
    figure.tight_layout()
    return figure
