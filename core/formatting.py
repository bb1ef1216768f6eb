"""How figures are written on maps, in the compare table and in exports: one place for all."""

from __future__ import annotations

import math

DASH = "–"
WHOLE_NUMBER_TYPES = ("count", "rank", "decile")


def precision(indicator) -> int:
    """Decimal places for an indicator (anything with ``unit`` and ``value_type``)."""
    if indicator.value_type in WHOLE_NUMBER_TYPES:
        return 0
    return 1 if indicator.unit in ("%", "% of population", "years", "km") \
        or indicator.value_type == "proportion" else 2


def format_value(indicator, value: float | None) -> str:
    """A value with fixed precision and its unit where short; a dash when there is none."""
    if value is None or math.isnan(value):
        return DASH
    places = precision(indicator)
    unit = "%" if indicator.unit in ("%", "% of population") else f" {indicator.unit}" \
        if indicator.unit in ("km", "years") else ""
    return f"{value:,.{places}f}{unit}"


def range_label(indicator, low: float, high: float) -> str:
    return f"{low:,.{precision(indicator)}f} – {format_value(indicator, high)}"


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10,
                                                                                   "th")
    return f"{number}{suffix}"
