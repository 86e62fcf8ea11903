"""Resuming a killed run exactly: where BackupAndRestore left off, and the callback state it does not keep."""
from __future__ import annotations

import json
import os
from typing import Dict, Sequence

import keras

from deep21_tf.util.atomic import atomic_write_text

#: Attributes of Keras callbacks that decide future behaviour (best value so far, epochs waited).
STATEFUL_ATTRIBUTES = ("best", "wait", "cooldown_counter")
STATE_FILE = "callback_state.json"


def completed_epochs(backup_dir: str) -> int:
    """Epochs finished by an earlier, killed run, from BackupAndRestore's metadata (0 when none)."""
    metadata = os.path.join(backup_dir, "training_metadata.json")
    if not os.path.isfile(metadata):
        return 0
    with open(metadata, encoding="utf-8") as handle:
        return int(json.load(handle).get("epoch", 0))


class CallbackStateKeeper(keras.callbacks.Callback):
    """Saves the state of stateful callbacks (ModelCheckpoint's best, ReduceLROnPlateau's counters) after each
    epoch and restores the state matching the resumed epoch at the start of training."""

    def __init__(self, backup_dir: str, callbacks: Dict[str, keras.callbacks.Callback]):
        super().__init__()
        self.state_path = os.path.join(backup_dir, STATE_FILE)
        self.backup_dir = backup_dir
        self.tracked = callbacks

    def _snapshot(self) -> Dict[str, Dict[str, float]]:
        return {name: {attr: float(getattr(cb, attr)) for attr in STATEFUL_ATTRIBUTES if hasattr(cb, attr)}
                for name, cb in self.tracked.items()}

    def on_train_begin(self, logs=None):
        epoch = completed_epochs(self.backup_dir)
        if epoch and os.path.isfile(self.state_path):
            with open(self.state_path, encoding="utf-8") as handle:
                saved = json.load(handle).get(str(epoch), {})
            for name, attributes in saved.items():
                for attr, value in attributes.items():
                    setattr(self.tracked[name], attr, int(value) if attr != "best" else value)

    def on_epoch_end(self, epoch, logs=None):
        states = {}
        if os.path.isfile(self.state_path):
            with open(self.state_path, encoding="utf-8") as handle:
                states = json.load(handle)
        states[str(epoch + 1)] = self._snapshot()
        keep = sorted(states, key=int)[-2:]  # this epoch's and the previous one, whichever the backup holds
        os.makedirs(self.backup_dir, exist_ok=True)
        atomic_write_text(self.state_path, json.dumps({key: states[key] for key in keep}))


def stateful(callbacks: Sequence[keras.callbacks.Callback]) -> Dict[str, keras.callbacks.Callback]:
    """{class name: callback} for the callbacks whose state must survive a restart."""
    return {type(cb).__name__: cb for cb in callbacks if any(hasattr(cb, a) for a in STATEFUL_ATTRIBUTES)}
