"""The 21 cm signal against the telescope's thermal noise, per |k| bin, for a U-Net trained on observed maps: the
power spectra of a split's clean and observed 21 cm maps and the instrument's noise power (all in mK² Mpc²,
`stats.power_spectrum`'s convention), so a report shows at which scales the maps still carry the signal."""
from __future__ import annotations

from typing import List

import numpy as np

from deep21_tf.evaluation.data import physical_batches
from deep21_tf.stats import power_spectrum
from deep21_tf.stats.power import k_bin_edges


def _spectra(batches, box_length: float, edges: np.ndarray):
    """(k (nb,), P (N, C, nb)) of every 21 cm map of `batches` ((maps, _) pairs, maps (B, H, W, C) in mK)."""
    k, spectra = None, []
    for maps, _ in batches:
        per_channel = [power_spectrum(maps[..., c], box_length, bins=edges) for c in range(maps.shape[-1])]
        k = per_channel[0][0]
        spectra.append(np.stack([power for _, power in per_channel], axis=1))
    return k, np.concatenate(spectra)


def signal_and_noise(builder, split: str, box_length: float, batch_size: int, max_maps, progress: bool,
                     instrument) -> List[dict]:
    """Per redshift channel: k (Mpc⁻¹), the mean and std over maps of P(k) of the clean and the observed 21 cm maps,
    the noise P(k) per sampled uv cell (`Instrument.binned_noise`), the sampled fraction of each bin, and the k
    where the mean clean signal exceeds the noise."""
    n = instrument.n_pixels
    edges = k_bin_edges(n, box_length)
    k, clean = _spectra(physical_batches(builder, split, "unet", batch_size, max_maps, progress), box_length, edges)
    _, observed = _spectra(physical_batches(builder, split, "unet", batch_size, max_maps, progress, instrument),
                           box_length, edges)
    noise, fraction = instrument.binned_noise(edges)
    bins = np.digitize(k, edges) - 1  # the bin of each k that held modes
    entries = []
    for channel, z in enumerate(instrument.redshifts):
        signal, channel_noise = clean[:, channel].mean(axis=0), noise[channel, bins]
        entries.append({
            "redshift": float(z), "k_mpc^-1": k.tolist(),
            "signal_power_mean": signal.tolist(), "signal_power_std": clean[:, channel].std(axis=0).tolist(),
            "observed_power_mean": observed[:, channel].mean(axis=0).tolist(),
            "observed_power_std": observed[:, channel].std(axis=0).tolist(),
            "noise_power": [None if np.isnan(v) else float(v) for v in channel_noise],
            "sampled_fraction": fraction[channel, bins].tolist(),
            "k_signal_above_noise_mpc^-1": k[signal > np.nan_to_num(channel_noise, nan=np.inf)].tolist()})
    return entries
