"""Progress bars for long loops (done/total, rate, ETA)."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int, desc: str, initial: int = 0, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr; disabled bars still count, so callers need no branches."""
    return tqdm(total=total, initial=initial, desc=desc, disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                smoothing=0.1)
