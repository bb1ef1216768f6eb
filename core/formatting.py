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
    text = f"{value:,.{places}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # a tiny negative shown as zero is zero, not "-0.00"
    return f"{text}{unit}"


def excel_format(indicator) -> str:
    """The spreadsheet number format that shows a value as ``format_value`` writes it, so the
    cell holds the number (39.2) and reads "39.2%"."""
    places = precision(indicator)
    number = "#,##0" + ("." + "0" * places if places else "")
    if indicator.unit in ("%", "% of population"):
        return number + '"%"'
    if indicator.unit in ("km", "years"):
        return f'{number}" {indicator.unit}"'
    return number


def indicator_label(indicator) -> str:
    """How lists name an indicator: domain, title, unit and period, unique in the catalogue
    (the count and the percentage of the same thing differ by their unit; a chart's member
    says which chart it is drawn in)."""
    unit = f", {indicator.unit}" if indicator.unit else ""
    chart = f", {indicator.chart.replace('_', ' ')} chart" if getattr(indicator, "chart", "") \
        else ""
    return f"{indicator.domain} · {indicator.title}{unit} ({indicator.period}){chart}"


def title_with_unit(indicator) -> str:
    """A table row's label: the title, and the unit where the figure does not show it."""
    unit = indicator.unit
    return f"{indicator.title} ({unit})" if unit and unit != "%" else indicator.title


def range_label(indicator, low: float, high: float) -> str:
    return f"{low:,.{precision(indicator)}f} – {format_value(indicator, high)}"


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10,
                                                                                   "th")
    return f"{number}{suffix}"
