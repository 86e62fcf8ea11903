"""Maps as the instrument sees them, on the fly in tf.data: the uv response and a fresh noise draw per example.

`observe(ds, instrument, norm, seed, epoch, split)` takes (21 cm, target) pairs normalised with `norm` (the
dataset's statistics) and returns the observed 21 cm maps normalised with `instrument.normalization(norm)`; the
target passes unchanged. The noise is drawn in Fourier space, ñ = (√P_k / n) · DFT(w) with w white (unit
variance per pixel; so E|ñ_k|² = P_k and ñ is Hermitian), in mK before normalisation. Draws are stateless,
keyed by (split, seed, epoch, element index): a pass is a pure function of its key — a resumed run sees the
noise an uninterrupted one saw — and every epoch of training gets new noise, while validation and test
(one pass, epoch 0) always get the same realisations.
"""
from __future__ import annotations

import zlib

import numpy as np
import tensorflow as tf

from deep21_tf.data.normalization import Normalization
from deep21_tf.instrument.model import Instrument


def split_stream(split: str) -> int:
    """A stream number per split name ("test[:10]" shares "test"'s: its first maps get the same noise)."""
    return zlib.crc32(split.split("[")[0].encode()) & 0x7FFFFFFF


def observe(ds: tf.data.Dataset, instrument: Instrument, norm: Normalization, seed: int, epoch: int,
            split: str) -> tf.data.Dataset:
    """(x, y) → (observed x, y); see the module docstring. x: (H, W, C) normalised maps."""
    n = instrument.n_pixels
    response = tf.constant(instrument.sampled.astype(np.complex64))
    amplitude = tf.constant((np.sqrt(instrument.noise_power) / n).astype(np.complex64))
    observed_norm = instrument.normalization(norm)
    mean_in, std_in = (tf.constant(np.asarray(v, np.float32)) for v in (norm.map_21cm_mean, norm.map_21cm_std))
    mean_out, std_out = (tf.constant(np.asarray(v, np.float32))
                         for v in (observed_norm.map_21cm_mean, observed_norm.map_21cm_std))
    pass_key = tf.random.experimental.stateless_fold_in(
        tf.constant([split_stream(split), seed], tf.int64), tf.constant(epoch, tf.int64))

    def one(index, pair):
        x, y = pair
        maps_mk = tf.transpose(x * std_in + mean_in, [2, 0, 1])  # (C, n, n): fft2d acts on the last two axes
        white = tf.random.stateless_normal(tf.shape(maps_mk), seed=tf.random.experimental.stateless_fold_in(
            pass_key, index), dtype=tf.float32)
        spectrum = (tf.signal.fft2d(tf.cast(maps_mk, tf.complex64)) * response
                    + tf.signal.fft2d(tf.cast(white, tf.complex64)) * amplitude)
        observed = tf.transpose(tf.math.real(tf.signal.ifft2d(spectrum)), [1, 2, 0])
        return (observed - mean_out) / std_out, y

    return ds.enumerate().map(one, num_parallel_calls=tf.data.AUTOTUNE)
