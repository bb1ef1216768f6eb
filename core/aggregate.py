"""Aggregation of small-area or neighbourhood values to larger areas.

Counts are summed, rates are recomputed from summed numerators and denominators (never by
averaging percentages), and indices or scores without counts are population-weighted means.
A member area with no value is left out and the result says so in its ``note``; a member lying
partly inside (a neighbourhood split between hubs) counts with its share of residents inside.
Rows of many indicators (an ``indicator_id`` column) are aggregated in one pass.
"""

from __future__ import annotations

import pandas as pd

from . import schema as s

KEYS = ["indicator_id", "parent"]


def _missing_note(missing: int, members: int, partial: int = 0) -> str:
    notes = []
    if missing:
        notes.append(f"{missing} of {members} member areas have no value in the source; "
                     "aggregated from the rest")
    if partial:
        notes.append(f"{partial} member areas lie only partly inside; their figures are "
                     "apportioned by the share of their residents inside")
    return "; ".join(notes)


def _parents(membership: pd.Series | pd.DataFrame) -> pd.Series:
    return membership if isinstance(membership, pd.Series) else membership["parent"]


def _with_parent(values: pd.DataFrame, membership: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Member rows with their parent and ``share`` (of the member inside the parent, 1 for a
    whole member). ``membership``: code -> parent, or rows of code, parent, share where a
    member lies in several parents."""
    if isinstance(membership, pd.Series):
        frame = values[values["area_code"].isin(membership.index)].copy()
        frame["parent"] = frame["area_code"].map(membership)
        frame["share"] = 1.0
    else:
        frame = values.merge(membership.rename(columns={"code": "area_code"}), on="area_code")
    if "indicator_id" not in frame.columns:
        frame["indicator_id"] = ""
    return frame


def _every_parent(grouped: pd.DataFrame, values: pd.DataFrame,
                  membership: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """One row per indicator and parent, including parents none of whose members has a value."""
    ids = values["indicator_id"].unique() if "indicator_id" in values.columns else [""]
    index = pd.MultiIndex.from_product([ids, _parents(membership).unique()], names=KEYS)
    grouped = grouped.reindex(index)
    grouped["used"] = grouped["used"].fillna(0)
    grouped["partial"] = grouped["partial"].fillna(0)
    return grouped


def _finish(grouped: pd.DataFrame, membership: pd.Series | pd.DataFrame,
            values: pd.DataFrame) -> pd.DataFrame:
    counts = _parents(membership).value_counts()
    grouped = grouped.reset_index().rename(columns={"parent": "area_code"})
    total = grouped["area_code"].map(counts).fillna(0).astype(int)
    grouped["note"] = [
        _missing_note(int(n - used), int(n), int(partial))
        for n, used, partial in zip(total, grouped.pop("used"), grouped.pop("partial"))
    ]
    if "indicator_id" not in values.columns:
        grouped = grouped.drop(columns="indicator_id")
    return grouped


def _partial(frame: pd.DataFrame) -> pd.Series:
    return frame["share"] < 1


def ratio_of_sums(values: pd.DataFrame, membership: pd.Series | pd.DataFrame,
                  scale: float = 100.0) -> pd.DataFrame:
    """Sum numerators and denominators of members (times their share inside), then divide."""
    frame = _with_parent(values, membership)
    usable = frame.dropna(subset=["numerator", "denominator"]).assign(
        numerator=lambda f: f["numerator"] * f["share"],
        denominator=lambda f: f["denominator"] * f["share"], partial=_partial)
    grouped = usable.groupby(KEYS).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"),
        used=("numerator", "size"), partial=("partial", "sum"))
    grouped = _every_parent(grouped, values, membership)
    den = grouped["denominator"].where(grouped["denominator"] > 0)
    grouped["value"] = grouped["numerator"] / den * scale
    return _finish(grouped, membership, values)


def count_sum(values: pd.DataFrame, membership: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Sum a count over members (times their share inside); the sum is also the numerator."""
    frame = _with_parent(values, membership).dropna(subset=["value"])
    frame = frame.assign(value=frame["value"] * frame["share"], partial=_partial)
    grouped = frame.groupby(KEYS).agg(value=("value", "sum"), used=("value", "size"),
                                      partial=("partial", "sum"))
    grouped = _every_parent(grouped, values, membership)
    grouped["numerator"] = grouped["value"]
    grouped["denominator"] = float("nan")
    return _finish(grouped, membership, values)


def weighted_mean(values: pd.DataFrame, membership: pd.Series | pd.DataFrame,
                  weights: pd.Series) -> pd.DataFrame:
    """Population-weighted mean of members' values; ``weights``: code -> population (times the
    member's share inside)."""
    frame = _with_parent(values, membership).dropna(subset=["value"])
    frame["weight"] = frame["area_code"].map(weights) * frame["share"]
    frame = frame.dropna(subset=["weight"])
    frame["weighted"] = frame["value"] * frame["weight"]
    frame["partial"] = _partial(frame)
    grouped = frame.groupby(KEYS).agg(
        weighted=("weighted", "sum"), weight=("weight", "sum"), used=("value", "size"),
        partial=("partial", "sum"))
    grouped = _every_parent(grouped, values, membership)
    grouped["value"] = grouped["weighted"] / grouped["weight"].where(grouped["weight"] > 0)
    grouped["numerator"] = float("nan")
    grouped["denominator"] = float("nan")
    return _finish(grouped.drop(columns=["weighted", "weight"]), membership, values)


def aggregate(method: str, values: pd.DataFrame, membership: pd.Series | pd.DataFrame,
              weights: pd.Series | None = None, scale: float = 100.0) -> pd.DataFrame:
    """Aggregate indicator rows by the catalogue's method for them."""
    if method == s.AGG_RATIO_OF_SUMS:
        return ratio_of_sums(values, membership, scale)
    if method == s.AGG_COUNT_SUM:
        return count_sum(values, membership)
    if method == s.AGG_POP_WEIGHTED:
        if weights is None:
            raise ValueError("a population-weighted mean needs population weights")
        return weighted_mean(values, membership, weights)
    raise ValueError(f"indicator aggregation '{method}' cannot be applied to larger areas")
