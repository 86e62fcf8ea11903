"""Formatting numbers for reports and console summaries."""
from __future__ import annotations

from typing import Optional


def format_number(value: Optional[float], digits: int = 3) -> str:
    """`value` with `digits` decimals, or "n/a" for None (an undefined statistic)."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_with_interval(value: Optional[float], interval, digits: int = 2) -> str:
    """'0.91 [0.89, 0.93]': a score and its interval [low, high] (e.g. the bootstrap 68 % interval over boxes)."""
    low, high = interval
    return f"{format_number(value, digits)} [{format_number(low, digits)}, {format_number(high, digits)}]"
