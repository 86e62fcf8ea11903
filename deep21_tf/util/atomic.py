"""Atomic file creation: write under a temporary name in the same directory, then rename."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Callable, Iterator

TEMP_MARKER = ".partial-"


@contextlib.contextmanager
def atomic_path(final_path: str) -> Iterator[str]:
    """Yield a temporary path beside `final_path`; on success rename it to `final_path`, on error remove it.

    Readers therefore see either no file or a complete one. The temporary name keeps the file's extensions
    (some writers insist on them: Keras wants ``.keras`` or ``.weights.h5``).
    """
    directory, name = os.path.split(os.path.abspath(final_path))
    extensions = name[name.index("."):] if "." in name else ""
    handle, temp_path = tempfile.mkstemp(prefix=name + TEMP_MARKER, suffix=extensions, dir=directory)
    os.close(handle)
    try:
        yield temp_path
        os.chmod(temp_path, 0o666 & ~_current_umask())
        os.replace(temp_path, final_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp_path)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(final_path: str, text: str) -> None:
    """Write `text` to `final_path` atomically (UTF-8)."""
    with atomic_path(final_path) as temp_path:
        with open(temp_path, "w", encoding="utf-8") as handle:
            handle.write(text)


def remove_stale_partials(directory: str) -> int:
    """Delete temporary files left by killed writers in `directory`; return how many were removed."""
    removed = 0
    for name in os.listdir(directory):
        if TEMP_MARKER in name:
            os.remove(os.path.join(directory, name))
            removed += 1
    return removed


@contextlib.contextmanager
def removed_on_error(directory: str, keep: Callable[[], bool] = lambda: False) -> Iterator[str]:
    """Yield `directory`; if the body raises an Exception and the directory did not exist (or was empty) before,
    remove it, so a failed run leaves nothing behind — unless `keep()` says it now holds work worth resuming."""
    fresh = not os.path.isdir(directory) or not os.listdir(directory)
    try:
        yield directory
    except Exception:
        if fresh and os.path.isdir(directory) and not keep():
            shutil.rmtree(directory, ignore_errors=True)
        raise
