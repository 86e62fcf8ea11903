"""Resuming a killed training run exactly, whatever the moment of the kill.

After every epoch `TrainingBackup` writes, in this order and each atomically (temporary file, then rename):
``backup/epoch_NNNN.weights.h5`` (weights, BatchNorm statistics, optimizer moments, step and learning rate), then
``backup/state.json`` ({"epoch": N, "callbacks": the state of stateful callbacks, "seed_states": the state of every
random seed generator of the network}), and only then removes the weights of earlier epochs. A kill at any point
therefore leaves a state.json naming a complete weights file. A resumed run loads both (`restore`), trains from
epoch N on (``fit(initial_epoch=N)``) on the same batches an uninterrupted run sees there (the input stream is a pure
function of seed and epoch, `deep21_tf.data.tfdata.make_dataset`) with the same dropout masks (the seed generators
continue where they stood), and ends with the same weights.

Seed generators (`keras.random.SeedGenerator`, one per Dropout layer) hold their state in a variable that
``save_weights`` leaves out: it is in ``model.variables`` but not in ``model.weights``. Nothing else in the training
step draws random numbers: the input pipeline's shuffle and D4 draws are stateless, and no layer draws from Keras'
global seed generator.
"""
from __future__ import annotations

import glob
import json
import os
import warnings
from typing import Dict, Sequence

import keras
import numpy as np

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


def seed_variables(model: keras.Model) -> list:
    """The state variables of `model`'s random seed generators, in model order (``[seed, counter]`` each)."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def seed_states(model: keras.Model) -> list:
    """[[variable path, [seed, counter]], ...] of `model`'s seed generators, for state.json."""
    return [[v.path, np.asarray(v).tolist()] for v in seed_variables(model)]


def set_seed_states(model: keras.Model, states: list) -> None:
    """Put back states saved by `seed_states` (matched by position: paths carry process-wide name counters)."""
    variables = seed_variables(model)
    if len(states) != len(variables):
        raise ValueError(f"the training backup holds {len(states)} seed generator states, the network has "
                         f"{len(variables)}: it was written by another network; use --overwrite to start afresh")
    for variable, (_, state) in zip(variables, states):
        variable.assign(np.asarray(state, dtype=variable.dtype))


def restore(model: keras.Model, backup_dir: str) -> int:
    """Load the last backup into `model` (compiled, its optimizer built, in its strategy's scope); return its epoch
    (0: nothing)."""
    state = read_state(backup_dir)
    epoch = int(state["epoch"])
    if os.path.isdir(backup_dir):
        remove_stale_partials(backup_dir)  # a weights file cut short by the kill
    if epoch:
        model.load_weights(weights_path(backup_dir, epoch))
        if "seed_states" in state:
            set_seed_states(model, state["seed_states"])
        elif seed_variables(model):  # a backup written before seed states were saved
            warnings.warn("the training backup holds no seed generator states: from here on the dropout masks "
                          "differ from an uninterrupted run's")
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
                          json.dumps({"epoch": done, "callbacks": snapshot,
                                      "seed_states": seed_states(self.model)}))
        for old in glob.glob(os.path.join(self.backup_dir, "epoch_*.weights.h5")):
            if old != weights_path(self.backup_dir, done):
                os.remove(old)
