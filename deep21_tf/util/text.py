"""Formatting numbers for reports and console summaries."""
from __future__ import annotations

from typing import Optional


def format_number(value: Optional[float], digits: int = 3) -> str:
    """`value` with `digits` decimals, or "n/a" for None (an undefined statistic)."""
    return "n/a" if value is None else f"{value:.{digits}f}"
