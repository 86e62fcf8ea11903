"""Read a JSON document a stage wrote, with a message that says what to do when it is missing."""
from __future__ import annotations

import json
import os
from typing import Optional


def read_json(path: str, required: bool = True, missing: Optional[Exception] = None) -> Optional[dict]:
    """The JSON document at `path`; when it is missing, None if not `required`, else `missing` is raised (default: a
    ValueError that says to run the stage that writes it first)."""
    if not os.path.isfile(path):
        if not required:
            return None
        raise missing or ValueError(f"{path} does not exist: run the stage that writes it first "
                                    "(deep21-pipeline does)")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
