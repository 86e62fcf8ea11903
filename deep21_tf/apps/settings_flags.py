"""absl flags generated from a settings dataclass — one flag per field, its default the field's — and the
dataclass read back from the parsed flags, so an app never repeats its settings' defaults by hand."""
from __future__ import annotations

import collections.abc
import dataclasses
import sys
import typing
from typing import Dict, Iterable, Optional, Sequence, Tuple

from absl import flags

from deep21_tf.apps.common import parse_floats

_SCALARS = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string}


def _kind(annotation) -> Tuple[type, bool, int]:
    """(scalar type, is a sequence, fixed length or 0) of a field's type annotation; Optional[X] is X."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        return _kind(args[0])
    if origin in (tuple, list, collections.abc.Sequence):
        fixed = origin is tuple and Ellipsis not in args
        return (args[0] if args else str), True, len(args) if fixed else 0
    return annotation, False, 0


def define_settings_flags(settings_class, help_texts: Dict[str, str], defaults: Optional[dict] = None,
                          enums: Optional[Dict[str, Sequence[str]]] = None, skip: Iterable[str] = ()) -> None:
    """Define one flag per field of `settings_class` (a dataclass): scalars as their type, tuples and sequences as
    list flags (comma-separated). The default is `defaults[name]` if given, else the field's (None if it has none);
    `enums` restricts a string field to its allowed values; `skip` names fields the app defines itself."""
    defaults, enums, hints = defaults or {}, enums or {}, typing.get_type_hints(settings_class)
    caller = sys._getframe(1).f_globals.get("__name__")  # the app's own flags: --helpshort lists them
    owner = dict(module_name=sys.argv[0] if caller == "__main__" else caller)
    for field in dataclasses.fields(settings_class):
        if field.name in skip:
            continue
        default = defaults.get(field.name, None if field.default is dataclasses.MISSING else field.default)
        kind, is_sequence, _ = _kind(hints[field.name])
        if field.name in enums:
            flags.DEFINE_enum(field.name, default, list(enums[field.name]), help_texts[field.name], **owner)
        elif is_sequence:
            listed = None if default is None else [f"{v:g}" if isinstance(v, float) else str(v) for v in default]
            flags.DEFINE_list(field.name, listed, help_texts[field.name], **owner)
        else:
            _SCALARS[kind](field.name, default, help_texts[field.name], **owner)


def settings_from_flags(settings_class, values, skip: Iterable[str] = (), **given):
    """An instance of `settings_class` from the parsed flags `values` (absl's FLAGS): list flags of numbers become
    tuples of floats (ValueError names a flag that is not numbers, or not as many as a fixed-length tuple field
    holds); `given` sets the fields named in `skip`."""
    hints, fields = typing.get_type_hints(settings_class), {}
    for field in dataclasses.fields(settings_class):
        if field.name in skip:
            continue
        value = values[field.name].value
        kind, is_sequence, length = _kind(hints[field.name])
        if is_sequence and value is not None:
            value = tuple(parse_floats(field.name, value, length) if kind in (int, float) else value)
        fields[field.name] = value
    return settings_class(**fields, **given)
