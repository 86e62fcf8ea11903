"""What a pipeline stage was run with — the record that tells a reusable output from a stale one.

One record per stage, all of a run in RUN_DIR/stage_records.json (beside stage_times.json), written when the
stage succeeds:

    command    the program, its positional arguments and its flags as resolved: flagfiles expanded, the last value
               of each flag, paths inside the run directory relative to it ({run_dir}/unet), and without the flags
               that say how to run rather than what to make (EXECUTION_FLAGS)
    inputs     {path in the run directory: sha256} of the upstream outputs it read (the suite's manifest.json, the
               dataset's metadata.json, a model's exported.keras, an evaluation's metrics.json)
    output     {path: sha256} of the file that fingerprints its own output (what the stages after it read)
    deep21_tf  the package version that ran it

A stage is reused only when its record equals what it would be run with now (Snakemake's rerun triggers: params,
input, code; DVC's `dvc repro`: dependency and parameter hashes).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Dict, List, Optional, Sequence

from absl import flags

from deep21_tf import __version__
from deep21_tf.util.atomic import atomic_write_text

#: Flags that change how a stage runs, not what it makes: process and thread counts (deep21-simulate's manifest
#: leaves them out too), progress bars, the Beam runner, deep21-train's --overwrite.
EXECUTION_FLAGS = frozenset({"workers", "threads_per_sim", "progress", "runner", "beam_pipeline_options", "overwrite"})
RUN_DIR_TOKEN = "{run_dir}"
UNSET = "(unset)"
#: The parts of a record, in the order differences are told.
PARTS = ("command", "inputs", "output", "deep21_tf")


def _in_run_dir(value: str, run_dir: str) -> str:
    """`value` with a leading run-directory path written as {run_dir}: a run moved or spelt otherwise is the same."""
    root, path = os.path.normpath(run_dir), os.path.normpath(value) if value else value
    if path == root:
        return RUN_DIR_TOKEN
    if path.startswith(root + os.sep):
        return RUN_DIR_TOKEN + "/" + os.path.relpath(path, root)
    return value


def resolve_command(command: Sequence[str], run_dir: str) -> dict:
    """{program, arguments, flags} of `command` (an argv; a leading interpreter and `-m` are dropped)."""
    argv = list(command[1:] if command and command[0] == sys.executable else command)
    if argv[:1] == ["-m"]:
        argv = argv[1:]
    program, rest = argv[0], argv[1:]
    arguments, values = [], {}
    for token in flags.FlagValues().read_flags_from_files([program, *rest], force_gnu=True)[1:]:
        if not token.startswith("--"):
            arguments.append(_in_run_dir(token, run_dir))
            continue
        name, has_value, value = token[2:].partition("=")
        if not has_value:  # a bare boolean: --tta, --notta
            name, value = (name[2:], "false") if name.startswith("no") else (name, "true")
        if name not in EXECUTION_FLAGS:
            values[name] = value.lower() if value.lower() in ("true", "false") else _in_run_dir(value, run_dir)
    return {"program": program, "arguments": arguments, "flags": dict(sorted(values.items()))}


def fingerprint(path: str) -> Optional[str]:
    """sha256 of the file at `path`, or None when there is none."""
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_record(command: Sequence[str], reads: Sequence[str], product: str, run_dir: str) -> dict:
    """The record of a stage running `command`, reading the files `reads`, its output fingerprinted by `product`."""
    return {"command": resolve_command(command, run_dir),
            "inputs": {os.path.relpath(path, run_dir): fingerprint(path) for path in reads},
            "output": {os.path.relpath(product, run_dir): fingerprint(product)},
            "deep21_tf": __version__}


def _value_changes(old: dict, new: dict) -> List[str]:
    return [f"{name}: {old.get(name, UNSET)} → {new.get(name, UNSET)}" for name in sorted(set(old) | set(new))
            if old.get(name) != new.get(name)]


def _command_changes(old: dict, new: dict) -> List[str]:
    """One phrase for another program, for other positional arguments, and for each flag that differs."""
    def outline(command):
        return {"program": command.get("program"), "arguments": " ".join(command.get("arguments", []))}

    return _value_changes(outline(old), outline(new)) + _value_changes(old.get("flags", {}), new["flags"])


def differences(old: dict, new: dict) -> Dict[str, List[str]]:
    """{record part: what differs, one phrase each} between records `old` and `new`; empty when they match."""
    found = {
        "command": _command_changes(old.get("command", {}), new["command"]),
        "inputs": [f"its input {path} changed" for path in sorted(set(old.get("inputs", {})) | set(new["inputs"]))
                   if old.get("inputs", {}).get(path) != new["inputs"].get(path)],
        "output": [f"its output {path} changed since it was recorded" for path in new["output"]
                   if old.get("output", {}).get(path) != new["output"][path]],
        "deep21_tf": ([f"deep21-tf {old.get('deep21_tf')} → {new['deep21_tf']}"]
                      if old.get("deep21_tf") != new["deep21_tf"] else []),
    }
    return {part: found[part] for part in PARTS if found[part]}


def read_records(path: str) -> Dict[str, dict]:
    """{stage name: record} of the run whose records file is `path` ({} before the first stage finishes)."""
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def store_record(path: str, stage: str, record: Optional[dict]) -> None:
    """Set (or, with None, remove) the record of `stage` in the records file `path`, atomically."""
    records = read_records(path)
    if record is None:
        records.pop(stage, None)
    else:
        records[stage] = record
    atomic_write_text(path, json.dumps(records, indent=1, ensure_ascii=False))
