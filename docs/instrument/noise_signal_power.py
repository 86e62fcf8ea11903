"""Where the 21 cm signal rises above SKA-Low's thermal noise in a slab map: the power spectrum of the parameter
suite's noiseless maps (64² pixels / 96 Mpc, 6 Mpc slabs, z = 10, 15, 20; every map's mean removed, as an
interferometer has no zero spacing) against the noise power of the instrument model (`deep21_tf.instrument`) for
AA4 and AA* at 100, 1,000 and 10,000 h, averaged over the uv cells the array samples in each k bin. Writes
noise_signal_power.json and noise_signal_power.png beside this script.

    .venv/bin/python docs/instrument/noise_signal_power.py datasets/params_suite     # ~1 min on 2 cores
"""
import glob
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deep21_tf.instrument.model import build_instrument  # noqa: E402
from deep21_tf.instrument.settings import InstrumentSettings  # noqa: E402
from deep21_tf.simulation.storage import read_maps  # noqa: E402
from deep21_tf.stats import power_spectrum  # noqa: E402
from deep21_tf.stats.power import k_bin_edges  # noqa: E402

REDSHIFTS = (10.0, 15.0, 20.0)
TELESCOPES = ("ska_low_aa4", "ska_low_aastar")
HOURS = (100.0, 1000.0, 10000.0)
HERE = os.path.dirname(os.path.abspath(__file__))


def suite_maps(suite_dir):
    """(maps (N, n, n, 3) in mK with each map's mean removed, box side in Mpc, slab depth in Mpc)."""
    maps, attrs = [], None
    for path in sorted(glob.glob(os.path.join(suite_dir, "sim_*.h5"))):
        box_maps, _, _, attrs = read_maps(path, REDSHIFTS)
        maps.append(box_maps)
    maps = np.concatenate(maps)
    box_len = float(attrs["box_len"])
    slab_depth = box_len / int(attrs["hii_dim"]) * int(attrs["slab_thickness"])
    return maps - maps.mean(axis=(1, 2), keepdims=True), box_len, slab_depth


def main(suite_dir):
    maps, box_len, slab_depth = suite_maps(suite_dir)
    n = maps.shape[1]
    edges = k_bin_edges(n, box_len)
    result = {"suite_dir": os.path.basename(os.path.abspath(suite_dir)), "maps": len(maps), "box_len_mpc": box_len,
              "slab_depth_mpc": slab_depth, "convention": "P(k) in mK^2 Mpc^2, powerbox's (map variance = "
              "integral d^2k/(2 pi)^2 P); noise: mean over the sampled uv cells of each bin", "redshifts": {}}
    figure, axes = plt.subplots(1, len(REDSHIFTS), figsize=(5 * len(REDSHIFTS), 4), sharey=True)
    for channel, (z, axis) in enumerate(zip(REDSHIFTS, axes)):
        k, power = power_spectrum(maps[..., channel], box_len, bins=edges)
        low, median, high = np.percentile(power, [16, 50, 84], axis=0)
        entry = {"k_mpc_inv": k.tolist(), "signal_median": median.tolist(), "signal_16": low.tolist(),
                 "signal_84": high.tolist(), "noise": {}}
        axis.fill_between(k, low, high, color="0.8", label="signal, 16–84 % of maps")
        axis.loglog(k, median, color="k", label="signal, median map")
        for telescope, style in zip(TELESCOPES, ("-", ":")):
            for hours, colour in zip(HOURS, ("C3", "C1", "C2")):
                settings = InstrumentSettings(telescope, hours)
                instrument = build_instrument(settings, (z,), box_len, n, slab_depth)
                noise = instrument.binned_noise(edges)[0][0, :len(k)]
                above = k[median > noise]
                entry["noise"][f"{telescope}_{hours:g}h"] = {
                    "noise_power": [None if np.isnan(v) else v for v in noise.tolist()],
                    "pixel_noise_mk": float(instrument.pixel_noise_mk[0]),
                    "k_where_median_signal_exceeds_noise": above.tolist()}
                axis.loglog(k, noise, style, color=colour, label=f"noise {settings.label}")
        entry["pixel_signal_std_mk"] = float(maps[..., channel].std())
        result["redshifts"][f"{z:g}"] = entry
        axis.set_title(f"z = {z:g}, {slab_depth:g} Mpc slabs")
        axis.set_xlabel("k [Mpc⁻¹]")
    axes[0].set_ylabel("P(k) [mK² Mpc²]")
    axes[-1].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(os.path.join(HERE, "noise_signal_power.png"), dpi=110)
    with open(os.path.join(HERE, "noise_signal_power.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    for z, entry in result["redshifts"].items():
        for name, noise in entry["noise"].items():
            print(f"z = {z}: {name}: pixel noise {noise['pixel_noise_mk']:.1f} mK (signal {entry['pixel_signal_std_mk']:.1f}"
                  f" mK); signal above noise at k = {np.round(noise['k_where_median_signal_exceeds_noise'], 2).tolist()}")


if __name__ == "__main__":
    main(*sys.argv[1:])
