"""The files of a model directory written by `deep21-train` (their names, writer and reader), and the guard
against mixing runs.

    flags.json          the resolved training settings
    model_info.json     model kind, dataset, map shape, box length, redshifts, parameter names
    normalization.json  the dataset's train-split statistics used for this model
    network.keras       the best-validation network (normalised maps in, normalised target out)
    exported.keras      self-contained model: 21 cm maps in mK → δ, or log10 parameters (written last)
    history.csv         per-epoch losses and monitored statistics
    logs/               TensorBoard event files (train/, validation/)
    backup/             BackupAndRestore state while a run is unfinished
"""
from __future__ import annotations

import json
import os
import shutil

from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.json_file import read_json

FLAGS_FILE = "flags.json"
INFO_FILE = "model_info.json"
NORMALIZATION_FILE = "normalization.json"
NETWORK_FILE = "network.keras"
EXPORTED_FILE = "exported.keras"
HISTORY_FILE = "history.csv"
LOG_DIR = "logs"
BACKUP_DIR = "backup"


class ModelDirError(ValueError):
    """The model directory cannot be used for this run (message says why and what to do)."""


def path(model_dir: str, name: str) -> str:
    """Path of `name` (one of the constants above) in `model_dir`."""
    return os.path.join(model_dir, name)


def is_finished(model_dir: str) -> bool:
    """True when a run finished in `model_dir` (its exported model exists)."""
    return os.path.isfile(path(model_dir, EXPORTED_FILE))


def write_json(model_dir: str, name: str, data: dict) -> None:
    """Write `data` as JSON to `model_dir/name` atomically."""
    atomic_write_text(path(model_dir, name), json.dumps(data, indent=1, sort_keys=True))


def read(model_dir: str, name: str) -> dict:
    """Read the JSON file `model_dir/name`; FileNotFoundError names the model dir when it is missing."""
    return read_json(path(model_dir, name),
                     missing=FileNotFoundError(f"{model_dir} is not a deep21-tf model directory (no {name})"))


def prepare(model_dir: str, settings: dict, overwrite: bool) -> bool:
    """Make `model_dir` ready for a run with `settings`; return True when an unfinished run is resumed.

    A finished run or an unfinished run with other settings is refused unless `overwrite`, which empties
    the directory first.
    """
    if overwrite and os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    if os.path.isdir(model_dir) and os.listdir(model_dir):
        if is_finished(model_dir):
            raise ModelDirError(f"--model_dir={model_dir} holds a finished run; pass --overwrite to replace it, "
                                "or choose a new --model_dir")
        if not os.path.isfile(path(model_dir, FLAGS_FILE)):
            raise ModelDirError(f"--model_dir={model_dir} is not empty and holds no deep21-tf run; choose an empty "
                                "or new directory, or pass --overwrite")
        previous = read(model_dir, FLAGS_FILE)
        if previous != settings:
            changed = sorted(key for key in set(previous) | set(settings) if previous.get(key) != settings.get(key))
            raise ModelDirError(f"--model_dir={model_dir} holds an unfinished run with other settings ({changed}); "
                                "use the same flags to resume it, or pass --overwrite")
        return True
    os.makedirs(model_dir, exist_ok=True)
    write_json(model_dir, FLAGS_FILE, settings)
    return False
