"""One-point PDF of standardised maps (paper Fig. 5) and a distance between two such PDFs.

To score a prediction, standardise it with the *true* map's mean and std (`reference`): a prediction that is too
smooth (0.5 δ) or offset (δ + 0.3) then has a different PDF, while standardising each map by its own statistics
would hide both.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from deep21_tf.stats._maps import as_map_stack, check_same_shape

#: The PDF covers x = (δ − mean)/std in [-X_MAX, X_MAX], as the paper's Fig. 5.
X_MAX = 3.0


def pdf(fields, bins: int = 60, reference=None) -> Tuple[np.ndarray, np.ndarray]:
    """PDF of each map standardised to x = (δ − mean)/std, in `bins` equal bins over [-3, 3].

    fields: (H, W) or (N, H, W). reference: None (each map's own mean and std) or maps of the same shape whose
    mean and std standardise the corresponding map of `fields` (e.g. the true δ for a predicted δ).
    Returns the bin centres x (bins,) and the density (bins,) or (N, bins): the fraction of all the map's
    pixels per unit x, so that pixels beyond |x| = 3 count in the normalisation and a Gaussian map matches the
    standard normal density.
    """
    maps, single = as_map_stack(fields, "fields")
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins}")
    flat = maps.reshape(len(maps), -1)
    if reference is None:
        scale_maps = flat
    else:
        reference_maps, _ = as_map_stack(reference, "reference")
        check_same_shape(reference_maps, maps, "reference", "fields")
        scale_maps = reference_maps.reshape(len(maps), -1)
    std = scale_maps.std(axis=1)
    if np.any(std == 0):
        raise ValueError(f"map(s) {np.flatnonzero(std == 0).tolist()} are constant and cannot be normalised")
    normalised = (flat - scale_maps.mean(axis=1, keepdims=True)) / std[:, np.newaxis]
    edges = np.linspace(-X_MAX, X_MAX, bins + 1)
    width = edges[1] - edges[0]
    density = np.stack([np.histogram(row, edges)[0] for row in normalised]) / (flat.shape[1] * width)
    centres = 0.5 * (edges[1:] + edges[:-1])
    return centres, density[0] if single else density


def pdf_distance(pdf_a, pdf_b, x) -> float:
    """Total-variation distance ½ ∫ |p_a − p_b| dx between two PDFs from `pdf` on the same bin centres `x`.

    pdf_a, pdf_b: (bins,) or (N, bins); a stack is first averaged over its maps (the mean PDF). 0 for equal PDFs,
    1 for PDFs with disjoint support; only the binned range [-3, 3] counts.
    """
    x = np.asarray(x, dtype=np.float64)
    mean_a, mean_b = (np.asarray(p, dtype=np.float64) for p in (pdf_a, pdf_b))
    mean_a, mean_b = (p.mean(axis=0) if p.ndim == 2 else p for p in (mean_a, mean_b))
    check_same_shape(mean_a, mean_b, "mean pdf_a", "mean pdf_b")
    if x.ndim != 1 or x.size < 2 or mean_a.shape != x.shape:
        raise ValueError(f"x must be the 1D bin centres (at least 2) matching the PDFs; got x {x.shape}, "
                         f"PDFs {mean_a.shape}")
    widths = np.diff(x)
    if not np.allclose(widths, widths[0]) or widths[0] <= 0:
        raise ValueError("x must be equally spaced, increasing bin centres, as returned by pdf")
    return float(0.5 * np.sum(np.abs(mean_a - mean_b)) * widths[0])
