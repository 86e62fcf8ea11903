"""A Keras callback that follows the U-Net on fixed validation maps: T(k), r(k) band scalars and image panels."""
from __future__ import annotations

import os
from typing import Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from deep21_tf.contracts import K_BANDS
from deep21_tf.figures import figure_to_png, map_panels
from deep21_tf.stats import band_average, cross_correlation, transfer_function


def band_name(kind: str, band: Tuple[float, float]) -> str:
    """Scalar name such as ``transfer_k0.0-0.7``."""
    return f"{kind}_k{band[0]:g}-{band[1]:g}"


class DensityMonitor(keras.callbacks.Callback):
    """After each epoch, predict δ for fixed validation maps and record how well it matches the truth.

    Adds ``val_transfer_k…`` and ``val_crosscorr_k…`` to the epoch logs (so Keras' TensorBoard callback, placed
    after this one, writes them with the validation scalars) and writes a 21 cm | true δ | predicted δ | residual
    image panel per map to ``log_dir/validation`` after epochs 1, 2, 4, 8, … and the last (rendering the panels was
    most of a tiny U-Net's epoch).
    inputs: normalised 21 cm maps (N, H, W, C); true_delta: δ maps (N, H, W); delta_mean/std undo δ's
    normalisation; box_length in Mpc; display_21cm: the 21 cm maps in mK shown in the panels (N, H, W).
    """

    def __init__(self, log_dir: str, inputs: np.ndarray, true_delta: np.ndarray, display_21cm: np.ndarray,
                 delta_mean: float, delta_std: float, box_length: float, num_panels: int = 2,
                 k_bands: Sequence[Tuple[float, float]] = K_BANDS):
        super().__init__()
        self.inputs, self.true_delta, self.display_21cm = inputs, true_delta, display_21cm
        self.delta_mean, self.delta_std, self.box_length = delta_mean, delta_std, box_length
        self.num_panels = min(num_panels, len(inputs))
        self.k_bands = tuple(k_bands)
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "validation"))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        predicted = self.model.predict(self.inputs, verbose=0)[..., 0] * self.delta_std + self.delta_mean
        k, transfer = transfer_function(predicted, self.true_delta, self.box_length)
        _, crosscorr = cross_correlation(predicted, self.true_delta, self.box_length)
        for band in self.k_bands:
            if np.any((k >= band[0]) & (k < band[1])):
                logs["val_" + band_name("transfer", band)] = float(np.mean(band_average(k, transfer, *band)))
                logs["val_" + band_name("crosscorr", band)] = float(np.mean(band_average(k, crosscorr, *band)))
        if not self._draws_panels(epoch):
            return
        with self.writer.as_default(step=epoch):
            for index in range(self.num_panels):
                figure = map_panels(self.display_21cm[index], self.true_delta[index], predicted[index],
                                    self.box_length, title=f"validation map {index}, epoch {epoch + 1}")
                image = tf.image.decode_png(figure_to_png(figure), channels=3)[tf.newaxis]
                tf.summary.image(f"validation_map_{index}", image)
        self.writer.flush()

    def _draws_panels(self, epoch: int) -> bool:
        """Whether the panels are drawn after `epoch` (from 0): epochs 1, 2, 4, 8, … (from 1) and the run's last."""
        number = epoch + 1
        return number & (number - 1) == 0 or number == (self.params or {}).get("epochs")
