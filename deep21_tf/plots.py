"""Figures in physical units (Mpc, mK): map panels like the paper's Fig. 3, shared by TensorBoard and evaluate."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def map_panels(map_21cm: np.ndarray, true_delta: np.ndarray, pred_delta: np.ndarray, box_length: float,
               title: str = "") -> plt.Figure:
    """One row: 21 cm δTb [mK] | true δ | predicted δ | log10 |δ_true − δ_pred|; axes in Mpc.

    Maps are 2D (H, W); box_length is the map side in Mpc.
    """
    extent = (0.0, box_length, 0.0, box_length)
    residual = np.log10(np.abs(true_delta - pred_delta) + 1e-6)
    limit = float(np.max(np.abs(true_delta)))
    panels = [(map_21cm, "21 cm δTb (redshift space)", "mK", dict(cmap="viridis")),
              (true_delta, "true δ (real space)", "δ", dict(cmap="magma", vmin=-limit, vmax=limit)),
              (pred_delta, "predicted δ", "δ", dict(cmap="magma", vmin=-limit, vmax=limit)),
              (residual, "log10 |δ_true − δ_pred|", "log10 |Δδ|", dict(cmap="cividis"))]
    figure, axes = plt.subplots(1, 4, figsize=(16, 3.9), constrained_layout=True)
    for axis, (image, label, unit, style) in zip(axes, panels):
        shown = axis.imshow(np.asarray(image).T, origin="lower", extent=extent, **style)
        axis.set_title(label)
        axis.set_xlabel("x [Mpc]")
        axis.set_ylabel("y [Mpc]")
        figure.colorbar(shown, ax=axis, label=unit, shrink=0.85)
    if title:
        figure.suptitle(title)
    return figure


def figure_to_png(figure: plt.Figure, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes and close it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()
