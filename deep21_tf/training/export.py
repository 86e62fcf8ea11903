"""The self-contained exported model: 21 cm maps in mK in, δ (or log10 parameters in physical units) out.

Normalisation lives inside the model as Keras `Normalization` layers, so the file is all a user needs and
loads with ``keras.saving.load_model(path, safe_mode=True)``. AstroNet's export returns log10 of the parameters
in their physical units (log10 M_turn/M☉, log10 L_X/(erg s⁻¹ M☉⁻¹ yr), log10 N_γ): L_X ~ 1e40 overflows float32.
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np


def _normalization(mean: Sequence[float], std: Sequence[float], name: str, invert: bool = False) -> keras.layers.Layer:
    mean = np.asarray(mean, dtype=np.float32).reshape(-1)
    variance = np.square(np.asarray(std, dtype=np.float32).reshape(-1))
    return keras.layers.Normalization(axis=-1, mean=mean, variance=variance, invert=invert, name=name)


def export_model(network: keras.Model, input_mean: Sequence[float], input_std: Sequence[float],
                 output_mean: Sequence[float], output_std: Sequence[float], name: str) -> keras.Model:
    """Wrap a trained `network` (normalised in, normalised out) into a model that works in physical units.

    input_mean/std: per-channel 21 cm statistics in mK; output_mean/std: δ statistics (one value) or the
    log10-parameter statistics (one per parameter).
    """
    maps = keras.Input(shape=network.input_shape[1:], name="map_21cm_mK")
    normalised = _normalization(input_mean, input_std, "normalize_21cm")(maps)
    outputs = _normalization(output_mean, output_std, "denormalize_output", invert=True)(network(normalised))
    return keras.Model(maps, outputs, name=name)
