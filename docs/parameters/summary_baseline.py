"""The summary-statistics baselines on the parameter suite's finished boxes (flags/params.flags), read straight
from its HDF5 files: ridge and kernel ridge regression of the log10 parameters on each map's mean, std and
log10 P(k) per redshift channel, split 70/15/15 by box (deep21_tf.data.splits), hyperparameters chosen on
validation, scored on the test boxes with bootstrap intervals over boxes. For the three redshifts together also
without each map's mean ("all_z_without_mean"): an interferometer does not measure the k = 0 mode, so the mean of
an observed map carries no global signal. "all_z_without_mean_pdf" adds the skewness and excess kurtosis of each
map's pixel distribution (one-point statistics, blind to the mean too): do richer summaries close the gap to an
AstroNet that never sees the means?

    .venv/bin/python docs/parameters/summary_baseline.py SUITE_DIR OUTPUT.json [SET ...]   # all sets by default
"""
import glob
import json
import os
import sys

import numpy as np
import scipy.stats

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.data.splits import assign_splits
from deep21_tf.evaluation.metrics import parameter_scores
from deep21_tf.evaluation.parameter_baseline import KERNEL_ALPHAS, KERNEL_LENGTH_SCALES, RIDGE_ALPHAS, map_features
from deep21_tf.simulation.storage import read_maps
from deep21_tf.stats import fit_kernel_ridge, fit_ridge

REDSHIFT_SETS = {"z10": (10.0,), "z15": (15.0,), "z20": (20.0,), "all_z": (10.0, 15.0, 20.0),
                 "all_z_without_mean": (10.0, 15.0, 20.0), "all_z_without_mean_pdf": (10.0, 15.0, 20.0)}


def pdf_moments(maps):
    """(N, 2 C) skewness and excess kurtosis of each map's pixel values (N, H, W, C), per channel."""
    pixels = np.asarray(maps, np.float64).reshape(len(maps), -1, maps.shape[-1])
    return np.concatenate([scipy.stats.skew(pixels, axis=1), scipy.stats.kurtosis(pixels, axis=1)], axis=1)


def load(paths, redshifts, with_mean, with_pdf=False):
    features, targets, boxes = [], [], []
    for path in paths:
        maps, _, _, attrs = read_maps(path, redshifts)
        summaries = map_features(maps, float(attrs["box_len"]), with_mean)
        features.append(np.concatenate([summaries, pdf_moments(maps)], axis=1) if with_pdf else summaries)
        targets.append(np.tile([attrs[name] for name in PARAMETER_NAMES], (len(maps), 1)))
        boxes += [str(attrs["sim_id"])] * len(maps)
    return np.concatenate(features), np.concatenate(targets), np.array(boxes)


def main(suite_dir, output, *sets):
    unknown = sorted(set(sets) - set(REDSHIFT_SETS))
    if unknown:
        sys.exit(f"unknown set(s) {', '.join(unknown)}; use any of {', '.join(REDSHIFT_SETS)}")
    paths = {os.path.basename(p)[:-3]: p for p in sorted(glob.glob(os.path.join(suite_dir, "sim_*.h5")))}
    splits = assign_splits(paths)
    result = {"suite_dir": os.path.abspath(suite_dir), "boxes": {s: len(ids) for s, ids in splits.items()}}
    for name in sets or REDSHIFT_SETS:
        with_mean, with_pdf = "_without_mean" not in name, name.endswith("_pdf")
        data = {s: load([paths[i] for i in ids], REDSHIFT_SETS[name], with_mean, with_pdf)
                for s, ids in splits.items()}
        (tx, ty, _), (vx, vy, _), (sx, sy, sb) = data["train"], data["validation"], data["test"]
        scale = ty.std(axis=0)
        candidates = {"ridge": [fit_ridge(tx, ty, a) for a in RIDGE_ALPHAS],
                      "kernel_ridge": [fit_kernel_ridge(tx, ty, a, length) for a in KERNEL_ALPHAS
                                       for length in KERNEL_LENGTH_SCALES]}
        result[name] = {}
        for kind, fits in candidates.items():
            best = min(fits, key=lambda f: float(np.mean(((f.predict(vx) - vy) / scale) ** 2)))
            scores = parameter_scores(sy, best.predict(sx), list(PARAMETER_NAMES), box_ids=sb)
            scores["alpha"] = best.alpha
            scores["length_scale"] = getattr(best, "length_scale", None)
            result[name][kind] = scores
            print(name, kind, "R2 per map", scores["r2_log10"], "per box", scores["per_box"]["r2_log10"])
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
