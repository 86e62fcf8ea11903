"""Resuming a killed training run exactly, whatever the moment of the kill.

After every epoch `TrainingBackup` writes, in this order and each atomically (temporary file, then rename):
``backup/epoch_NNNN.weights.h5`` (weights, BatchNorm statistics, optimizer moments, step and learning rate), then
``backup/state.json`` ({"epoch": N, "callbacks": the state of stateful callbacks}), and only then removes the
weights of earlier epochs. A kill at any point therefore leaves a state.json naming a complete weights file.
A resumed run loads it (`restore`), trains from epoch N on (``fit(initial_epoch=N)``) on the same batches an
uninterrupted run sees there (the input stream is a pure function of seed and epoch,
`deep21_tf.data.tfdata.make_dataset`), and ends with the same weights.
"""
from __future__ import annotations

import glob
import json
import os
from typing import Dict, Sequence

import keras

from deep21_tf.util.atomic import atomic_path, atomic_write_text, remove_stale_partials

#: Attributes of Keras callbacks that decide future behaviour (best value so far, epochs waited).
STATEFUL_ATTRIBUTES = ("best", "wait")
STATE_FILE = "state.json"


def weights_path(backup_dir: str, epoch: int) -> str:
    """The backup weights file of the state after `epoch` completed epochs."""
    return os.path.join(backup_dir, f"epoch_{epoch:04d}.weights.h5")


def read_state(backup_dir: str) -> dict:
    """{"epoch": completed epochs, "callbacks": {...}} of the last backup ({"epoch": 0} when there is none)."""
    path = os.path.join(backup_dir, STATE_FILE)
    if not os.path.isfile(path):
        return {"epoch": 0, "callbacks": {}}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def completed_epochs(backup_dir: str) -> int:
    """Epochs finished by an earlier, killed run (0 when none)."""
    return int(read_state(backup_dir)["epoch"])


def restore(model: keras.Model, backup_dir: str) -> int:
    """Load the last backup into `model` (compiled, in its strategy's scope); return its epoch (0: nothing)."""
    epoch = completed_epochs(backup_dir)
    if os.path.isdir(backup_dir):
        remove_stale_partials(backup_dir)  # a weights file cut short by the kill
    if epoch:
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(weights_path(backup_dir, epoch))
    return epoch


def stateful(callbacks: Sequence[keras.callbacks.Callback]) -> Dict[str, keras.callbacks.Callback]:
    """{class name: callback} for the callbacks whose state must survive a restart."""
    return {type(cb).__name__: cb for cb in callbacks if any(hasattr(cb, a) for a in STATEFUL_ATTRIBUTES)}


class TrainingBackup(keras.callbacks.Callback):
    """Backs the run up after every epoch (see the module docstring) and, at the start of a resumed run, puts
    back the state of `tracked` callbacks (ModelCheckpoint's best, PlateauScheduler's best and bad-epoch count), which their
    own on_train_begin resets. Place it after every other callback."""

    def __init__(self, backup_dir: str, tracked: Dict[str, keras.callbacks.Callback]):
        super().__init__()
        self.backup_dir = backup_dir
        self.tracked = tracked

    def on_train_begin(self, logs=None):
        for name, attributes in read_state(self.backup_dir)["callbacks"].items():
            for attr, value in attributes.items():
                setattr(self.tracked[name], attr, value if attr == "best" else int(value))

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        done = epoch + 1
        with atomic_path(weights_path(self.backup_dir, done)) as temp_path:
            self.model.save_weights(temp_path)
        snapshot = {name: {attr: float(getattr(cb, attr)) for attr in STATEFUL_ATTRIBUTES if hasattr(cb, attr)}
                    for name, cb in self.tracked.items()}
        atomic_write_text(os.path.join(self.backup_dir, STATE_FILE),
                          json.dumps({"epoch": done, "callbacks": snapshot}))
        for old in glob.glob(os.path.join(self.backup_dir, "epoch_*.weights.h5")):
            if old != weights_path(self.backup_dir, done):
                os.remove(old)
