"""An instrument for one map geometry: which uv cells it samples and the noise power in each, per redshift.

Built from `InstrumentSettings` for n×n maps of side `box_len` (Mpc), each the average over a slab `slab_depth`
(Mpc) deep along the line of sight (its bandwidth, `cosmology.bandwidth_mhz`), one channel per redshift. The
observed map of a true map T (mK) is  T_obs = IDFT[S_k T̃_k + ñ_k]:  S_k = 1 on the sampled cells, 0 elsewhere
(the resolution follows from the longest baselines that fall on the grid; the zero spacing — the map's mean — is
never measured), ñ_k complex Gaussian with E|ñ_k|² = P_k (`noise.noise_power`), Hermitian so T_obs is real.
Approximations: the uv coverage of the slab's central frequency for the whole slab, a primary beam of 1 over the
map (a 0.5° box against SKA-Low's ~5° station beam at 90 MHz), a coplanar array (tools21cm's w-less gridding).
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence, Tuple

import numpy as np

from deep21_tf import cosmology
from deep21_tf.data.normalization import Normalization
from deep21_tf.instrument.noise import jy_per_mk, noise_power, sampled_cells, sefd_jy
from deep21_tf.instrument.settings import InstrumentSettings
from deep21_tf.instrument.uv_coverage import baselines_per_snapshot
from deep21_tf.stats._maps import k_magnitude


@dataclasses.dataclass(frozen=True)
class Instrument:
    """`sampled` (C, n, n) bool and `noise_power` (C, n, n) mK² per uv cell (DFT order), C = len(redshifts)."""

    settings: InstrumentSettings
    redshifts: Tuple[float, ...]
    box_len: float
    slab_depth: float
    sampled: np.ndarray
    noise_power: np.ndarray
    channels: Tuple[dict, ...]  # per redshift: frequency, bandwidth, SEFD, pixel angle, C, pixel noise (JSON)

    @property
    def n_pixels(self) -> int:
        return int(self.sampled.shape[-1])

    @property
    def pixel_noise_mk(self) -> np.ndarray:
        """(C,) standard deviation of the noise per pixel, mK."""
        return np.sqrt(self.noise_power.sum(axis=(1, 2))) / self.n_pixels ** 2

    def binned_noise(self, edges: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(noise P(k), sampled fraction), each (C, len(edges) − 1), per |k| bin of `edges` (Mpc⁻¹): the mean noise
        power over the uv cells the array samples in the bin, in `stats.power_spectrum`'s convention (mK² Mpc²;
        NaN where the bin holds no sampled cell), and the fraction of the bin's cells that are sampled."""
        n = self.n_pixels
        k = k_magnitude(n, self.box_len)
        power = self.noise_power * self.box_len ** 2 / n ** 4  # |Δx² ñ_k|² / L², powerbox's normalisation
        noise = np.full((len(self.redshifts), len(edges) - 1), np.nan)
        fraction = np.zeros_like(noise)
        for index, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
            in_bin = (k >= low) & (k < high)
            for channel, sampled in enumerate(self.sampled):
                chosen = sampled & in_bin
                fraction[channel, index] = chosen.sum() / max(in_bin.sum(), 1)
                if chosen.any():
                    noise[channel, index] = power[channel][chosen].mean()
        return noise, fraction

    def check_geometry(self, redshifts: Sequence[float], shape: Sequence[int], box_len: float) -> None:
        """ValueError unless maps of `shape` (H, W, C) at `redshifts`, side `box_len` (Mpc), are this geometry's."""
        mine = (self.n_pixels, self.n_pixels, len(self.redshifts))
        if (tuple(shape) != mine or not np.allclose(redshifts, self.redshifts)
                or not np.isclose(box_len, self.box_len)):
            raise ValueError(f"the instrument was built for {mine} maps at z = {list(self.redshifts)} of "
                             f"{self.box_len:g} Mpc, not {tuple(shape)} maps at z = {list(redshifts)} of "
                             f"{box_len:g} Mpc")

    def normalization(self, norm: Normalization) -> Normalization:
        """`norm` with the 21 cm statistics of observed maps: mean 0 (no zero spacing), std √(σ_T² + σ_N²) from the
        clean maps' σ_T and the noise's σ_N (a fixed scale for the network's input, not a fitted statistic)."""
        std = np.sqrt(np.asarray(norm.map_21cm_std, np.float64) ** 2 + self.pixel_noise_mk ** 2)
        return dataclasses.replace(norm, map_21cm_mean=(0.0,) * len(self.redshifts),
                                   map_21cm_std=tuple(float(s) for s in std))

    def describe(self) -> dict:
        """What a model card records: the settings, the geometry and per redshift the derived numbers."""
        return dict(self.settings.to_json(), cosmology=cosmology.TRAINING_COSMOLOGY_NAME, box_len_mpc=self.box_len,
                    n_pixels=self.n_pixels, slab_depth_mpc=self.slab_depth, channels=list(self.channels))


def build_instrument(settings: InstrumentSettings, redshifts: Sequence[float], box_len: float, n_pixels: int,
                     slab_depth: float) -> Optional[Instrument]:
    """The instrument of `settings` for this geometry (None when no telescope is named)."""
    settings.validate()
    if not settings.enabled:
        return None
    sampled, power, channels = [], [], []
    for z in redshifts:
        counts = baselines_per_snapshot(settings.subarray, z, n_pixels, box_len)
        nu = cosmology.frequency_mhz(z)
        pixel_rad = box_len / n_pixels / cosmology.comoving_distance_mpc(z)
        bandwidth, sefd, jy_mk = cosmology.bandwidth_mhz(z, slab_depth), sefd_jy(nu), jy_per_mk(nu, pixel_rad)
        cells = sampled_cells(counts)
        power.append(noise_power(counts, sefd, bandwidth, settings.obs_hours, jy_mk))
        sampled.append(cells)
        k = k_magnitude(n_pixels, box_len)
        channels.append(dict(redshift=float(z), frequency_mhz=nu, bandwidth_mhz=bandwidth, sefd_jy=sefd,
                             pixel_arcmin=float(np.degrees(pixel_rad) * 60), jy_per_mk_pixel=jy_mk,
                             baselines_per_snapshot_on_grid=float(counts.sum() - counts[0, 0]),
                             sampled_uv_fraction=float(cells.mean()),
                             k_max_sampled_mpc_inv=float(k[cells].max()) if cells.any() else 0.0,
                             pixel_noise_mk=float(np.sqrt(power[-1].sum()) / n_pixels ** 2)))
    return Instrument(settings=settings, redshifts=tuple(float(z) for z in redshifts), box_len=float(box_len),
                      slab_depth=float(slab_depth), sampled=np.stack(sampled), noise_power=np.stack(power),
                      channels=tuple(channels))


def instrument_for_dataset(settings: InstrumentSettings, builder) -> Optional[Instrument]:
    """The instrument of `settings` for the maps of a prepared hi21cm dataset (None: no telescope)."""
    from deep21_tf.data import metadata

    shape = metadata.map_shape(builder)
    return build_instrument(settings, metadata.normalization(builder).redshifts, metadata.box_length(builder),
                            shape[0], metadata.slab_depth(builder))
