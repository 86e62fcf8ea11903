"""Learning-rate schedules: the paper's, with PyTorch's `ReduceLROnPlateau` semantics (the paper's framework), and
a cosine decay over the run's epochs.

PyTorch (mode "min", threshold_mode "rel", the defaults) counts an epoch as an improvement only when the
monitored value drops below best × (1 − threshold), threshold 1e-4, and multiplies the learning rate by `factor`
once more than `patience` epochs in a row have not improved. Keras' ReduceLROnPlateau compares against an absolute
`min_delta` and drops after `patience` bad epochs, one epoch earlier.
"""
from __future__ import annotations

import math

import keras

#: PyTorch's default relative improvement threshold.
RELATIVE_THRESHOLD = 1e-4


class PlateauScheduler(keras.callbacks.Callback):
    """Multiply the learning rate by `factor` after more than `patience` epochs without a relative improvement
    of `monitor` (a validation loss, lower is better). State: `best`, `wait` (bad epochs in a row)."""

    def __init__(self, monitor: str, factor: float, patience: int, threshold: float = RELATIVE_THRESHOLD):
        super().__init__()
        self.monitor, self.factor, self.patience, self.threshold = monitor, factor, patience, threshold
        self.best, self.wait = math.inf, 0

    def on_train_begin(self, logs=None):
        self.best, self.wait = math.inf, 0  # a resumed run puts the saved state back after this

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        current = logs.get(self.monitor)
        if current is None:
            raise KeyError(f"PlateauScheduler monitors {self.monitor!r}, which the epoch logs lack: {sorted(logs)}")
        rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["learning_rate"] = rate  # the rate this epoch trained with
        if current < self.best * (1.0 - self.threshold):
            self.best, self.wait = float(current), 0
        else:
            self.wait += 1
        if self.wait > self.patience:
            self.model.optimizer.learning_rate = rate * self.factor
            self.wait = 0


def cosine_schedule(learning_rate: float, epochs: int) -> keras.callbacks.LearningRateScheduler:
    """Keras' LearningRateScheduler on Keras' CosineDecay per epoch: epoch e of `epochs` trains at
    learning_rate·(1 + cos(π e / epochs))/2. A pure function of the epoch, so a resumed run needs no saved state."""
    decay = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs)
    return keras.callbacks.LearningRateScheduler(lambda epoch, _rate: float(decay(epoch)))
