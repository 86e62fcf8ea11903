"""The shipped presets (flagfiles) by name, wherever the package is installed: `--preset=demo` for the pipeline,
and a preset name wherever the pipeline takes a flagfile (`--simulate_flagfile=tiny`).

They live in `flags/` of a source checkout and in `deep21_tf/presets/` of an installed wheel (`util/paths.py`).
"""
from __future__ import annotations

import os
from typing import List, Sequence

from deep21_tf.util.paths import PRESETS_DIR

SUFFIX = ".flags"
PRESET_FLAG = "--preset"


def preset_names() -> List[str]:
    """The shipped presets, e.g. demo, tiny, train_tiny (file names without .flags)."""
    if not os.path.isdir(PRESETS_DIR):
        return []
    return sorted(name[:-len(SUFFIX)] for name in os.listdir(PRESETS_DIR) if name.endswith(SUFFIX))


def preset_path(name: str) -> str:
    """The flagfile of preset `name` (with or without .flags); ValueError lists the presets when there is none."""
    bare = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else name
    if bare not in preset_names():
        raise ValueError(f"{PRESET_FLAG}={name}: no such preset; use one of {', '.join(preset_names())}")
    return os.path.join(PRESETS_DIR, bare + SUFFIX)


def flagfile(flag_name: str, value: str) -> str:
    """The flagfile `--flag_name=value` names: the file `value` if it exists, else the preset `value`.
    ValueError names the flag and the presets when it is neither."""
    if os.path.isfile(value):
        return value
    try:
        return preset_path(value)
    except ValueError:
        raise ValueError(f"--{flag_name}={value} does not exist: give a flagfile or a preset "
                         f"({', '.join(preset_names())})") from None


def expand_presets(argv: Sequence[str]) -> List[str]:
    """`argv` with each `--preset=NAME` (or `--preset NAME`) preceded by `--flagfile=` its file, in place: later
    flags override the preset as they override a flagfile. ValueError lists the presets for an unknown name."""
    result, tokens = [], list(argv)
    while tokens:
        token = tokens.pop(0)
        if token == PRESET_FLAG and tokens:
            token = f"{PRESET_FLAG}={tokens.pop(0)}"
        if token.startswith(PRESET_FLAG + "="):
            result.append(f"--flagfile={preset_path(token.split('=', 1)[1])}")
        result.append(token)
    return result
