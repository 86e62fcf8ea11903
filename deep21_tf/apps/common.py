"""Helpers shared by the absl apps: clear failure messages and float-list flags."""
from __future__ import annotations

import json
import sys
from typing import Callable, List, NoReturn, Optional, Sequence


def quiet_libraries() -> None:
    """Keep the console for our own messages: absl INFO lines from TFDS/Beam are hidden (warnings still show)."""
    from absl import logging

    logging.set_verbosity(logging.WARNING)


def fail(program: str, message: str) -> NoReturn:
    """Print `program: error: message` on stderr and exit with status 2 (bad input)."""
    print(f"{program}: error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_floats(flag_name: str, values: Sequence[str], count: int = 0) -> List[float]:
    """Turn a list flag into floats; `count` > 0 demands exactly that many. Raises ValueError naming the flag."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise ValueError(f"--{flag_name}={','.join(values)} must be comma-separated numbers") from None
    if count and len(numbers) != count:
        raise ValueError(f"--{flag_name}={','.join(values)} must have exactly {count} numbers")
    return numbers


def run_work(program: str, argv: Sequence[str], work: Callable[[], Optional[dict]],
             report: Callable[[dict], str] = json.dumps, start_tensorflow: bool = True) -> int:
    """The body of an app's main: refuse stray arguments, quieten library logs and TensorFlow's start, run `work`,
    turn a ValueError or OSError into a one-line error (exit 2) and print `report(result)` on success.
    `start_tensorflow=False`: the work starts TensorFlow itself, late (with `start_tensorflow_quietly`), or never."""
    if len(argv) > 1:
        fail(program, f"unexpected arguments {list(argv[1:])}")
    quiet_libraries()
    if start_tensorflow:
        from deep21_tf.util.quiet import start_tensorflow_quietly

        start_tensorflow_quietly()
    try:
        result = work()
    except (ValueError, OSError) as error:
        fail(program, str(error))
    if result is not None:
        print(report(result))
    return 0
