"""Neighbourhoods compared with their hub, the city and England, read straight from a pack.

Everything that does not depend on the user's choice (limits, significance against each kind of
comparator, ranks, spine summaries) is computed once when the pack is read; a table for a hub is
then only a selection. No Qt here: the dock panel, the command line and exports all use this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from . import statistics as st
from .errors import JsnaInputError
from .packstore import PackLocation, check_format_version, open_reader, parse_location

CITY, HUB, ENGLAND = s.COMPARATORS
COMPARATORS = s.COMPARATORS
WHOLE_CITY = None  # the hub choice meaning "all the city's neighbourhoods"
ALL_HUBS = "*hubs*"  # the choice meaning "the hubs side by side" (no hub has this name)

METHOD_WILSON = "Wilson score"
METHOD_COUNT = "Byar's method (exact Poisson below 10)"
METHOD_SOURCE = "published by the source"
MEDIAN_CENTRE = "median of the neighbourhoods (no city figure in the pack)"
COUNT_NOT_COMPARED = "counts are not compared between areas of different size"


@dataclass(frozen=True)
class IndicatorInfo:
    """A catalogue row as the comparison needs it."""

    indicator_id: str
    title: str
    domain: str
    unit: str
    polarity: str
    value_type: str
    period: str
    source: str
    licence: str
    attribution: str
    levels: tuple[str, ...] = ()
    topic: str = ""
    chart: str = ""  # the chart group it is drawn in (age bands, ethnic groups...), if any
    description: str = ""


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str
    hub: str | None = None


@dataclass(frozen=True)
class Cell:
    """One area's figure for one indicator, with everything a tooltip or export needs."""

    area: Area
    indicator: IndicatorInfo
    value: float
    lower: float
    upper: float
    numerator: float
    denominator: float
    period: str
    method: str
    significance: str
    comparator_value: float
    comparator_name: str
    rank: int | None
    rank_of: int
    reason: str

    @property
    def has_value(self) -> bool:
        return not math.isnan(self.value)


def unit_multiplier(unit: str) -> float:
    """What a proportion is multiplied by to give the published value, from its unit."""
    text = (unit or "").strip().lower()
    if text.startswith("%"):
        return 100.0
    for scale in (100_000, 10_000, 1_000, 100):
        if text.startswith(f"per {scale:,}") or text.startswith(f"per {scale}"):
            return float(scale)
    return 1.0


def _read(location: PackLocation) -> tuple:
    """Everything the comparison needs, in one read (one snapshot of a server's pack)."""
    with open_reader(location) as pack:
        catalogue = pack.frame(f"SELECT * FROM {s.CATALOGUE}")
        values = pack.frame(
            f"SELECT area_code, level, indicator_id, period, value, numerator, denominator, "
            f"lower95, upper95, note FROM {s.VALUES} WHERE level <> ?", (s.LEVEL_SMALL_AREA,))
        areas = pack.frame(f"SELECT code, name, hub FROM {s.NEIGHBOURHOODS}")
        info = dict(pack.rows(f"SELECT key, value FROM {s.PACK_INFO}"))
        check_format_version(info, location.name)
        earlier = pack.frame(
            f"SELECT area_code, indicator_id, period, value, numerator, denominator "
            f"FROM {s.TRENDS}") if pack.has_table(s.TRENDS) else None
        shares = pack.frame(f"SELECT neighbourhood_code, hub, share FROM {s.HUB_SHARES}") \
            if pack.has_table(s.HUB_SHARES) else None
    return catalogue, values, areas, info, earlier, shares


@dataclass(frozen=True)
class TrendPoint:
    """One period of an area's trend, with its 95% limits where they can be had."""

    period: str
    value: float
    lower: float
    upper: float


class ComparePack:
    """A pack's values with limits, significance and ranks, ready to slice by hub."""

    def __init__(self, path: str | Path | PackLocation):
        self.location = parse_location(path)
        self.path = self.location.path  # None for a pack on a server
        catalogue, values, areas, info, earlier, shares = _read(self.location)
        self._earlier = earlier
        # (hub, neighbourhood code) -> share of its residents inside, for split neighbourhoods
        self._shares = {} if shares is None else {
            (hub, code): float(share) for code, hub, share in shares.itertuples(index=False)}
        self.place = info.get("place") or (self.path.stem if self.path else self.location.schema)
        self.city_code = info.get("la_code") or ""
        areas = areas.sort_values("name", key=lambda c: c.str.lower())
        self.neighbourhoods = {
            code: Area(code, name or code, s.LEVEL_NEIGHBOURHOOD, hub)
            for code, name, hub in areas.itertuples(index=False)}
        self.hubs = sorted({a.hub for a in self.neighbourhoods.values()
                            if a.hub and a.hub != s.NOT_ASSIGNED}
                           | {hub for hub, _ in self._shares if hub != s.NOT_ASSIGNED})
        self._areas = dict(self.neighbourhoods)
        for hub in self.hubs:
            self._areas[hub] = Area(hub, hub, s.LEVEL_HUB)
        self._areas[self.city_code] = Area(self.city_code, self.place, s.LEVEL_CITY)
        self.england_code = self._national_code(values, s.LEVEL_ENGLAND)
        self.england_wales_code = self._national_code(values, s.LEVEL_ENGLAND_WALES)
        for code, level in ((self.england_code, s.LEVEL_ENGLAND),
                            (self.england_wales_code, s.LEVEL_ENGLAND_WALES)):
            if code:
                self._areas[code] = Area(code, s.NATIONAL_NAMES.get(code, level.replace(
                    "_", " ").capitalize()), level)
        self.indicators = self._indicators(catalogue, values)
        self._frame = self._compute(values)
        self._row = {key: i for i, key in enumerate(
            zip(self._frame["area_code"], self._frame["indicator_id"]))}
        # Plain lists: a cell is then a few list look-ups, not a pandas row.
        self._columns = {name: self._frame[name].tolist() for name in self._frame.columns}
        self.spine = self._spines()

    # Set-up (once per pack) -------------------------------------------------------------------
    @staticmethod
    def _national_code(values: pd.DataFrame, level: str) -> str | None:
        codes = values.loc[values["level"] == level, "area_code"]
        return codes.iloc[0] if len(codes) else None

    def _indicators(self, catalogue: pd.DataFrame, values: pd.DataFrame) -> list[IndicatorInfo]:
        present = set(values.loc[values["level"] == s.LEVEL_NEIGHBOURHOOD, "indicator_id"])
        domain_order = {d: i for i, d in enumerate(s.DOMAINS)}
        rows = []
        for order, row in enumerate(catalogue.itertuples(index=False)):
            if row.indicator_id not in present:
                continue
            info = IndicatorInfo(row.indicator_id, row.title, row.domain or "Other", row.unit or "",
                                 row.polarity if row.polarity in s.POLARITIES else s.POLARITY_NONE,
                                 row.value_type or "", row.period or "", row.source or "",
                                 row.licence or "", row.attribution or "",
                                 tuple(x for x in (row.levels or "").split(",") if x),
                                 getattr(row, "topic", None) or "",
                                 getattr(row, "chart", None) or "", row.description or "")
            rows.append((domain_order.get(info.domain, len(domain_order)), order, info))
        return [info for _, _, info in sorted(rows, key=lambda r: (r[0], r[1]))]

    def _compute(self, values: pd.DataFrame) -> pd.DataFrame:
        by_id = {i.indicator_id: i for i in self.indicators}
        frame = values[values["indicator_id"].isin(by_id)].reset_index(drop=True).copy()
        for column in ("value", "numerator", "denominator", "lower95", "upper95"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        frame["hub"] = frame["area_code"].map(
            lambda c: self.neighbourhoods[c].hub if c in self.neighbourhoods else None)
        frame["method"] = ""
        frame["limits_reason"] = ""
        frame["rank"] = np.nan
        frame["rank_of"] = 0
        parts = []
        for indicator_id, part in frame.groupby("indicator_id", sort=False):
            parts.append(self._compute_indicator(by_id[indicator_id], part.copy()))
        return pd.concat(parts, ignore_index=True) if parts else frame

    def _compute_indicator(self, ind: IndicatorInfo, part: pd.DataFrame) -> pd.DataFrame:
        value, num, den = part["value"].to_numpy(), part["numerator"].to_numpy(), \
            part["denominator"].to_numpy()
        lower, upper = part["lower95"].to_numpy().copy(), part["upper95"].to_numpy().copy()
        method = np.where(~np.isnan(lower) & ~np.isnan(upper), METHOD_SOURCE, "").astype(object)
        reason = np.full(len(part), "", dtype=object)
        scale = unit_multiplier(ind.unit)
        need = method == ""
        if ind.value_type in ("proportion", "rate"):
            with np.errstate(divide="ignore", invalid="ignore"):
                consistent = np.isclose(num / den * scale, value, rtol=1e-6)
            usable = need & consistent & (den > 0)
            if ind.value_type == "proportion":
                lo, up = st.wilson_limits(num, den)
                name = METHOD_WILSON
            else:
                lo, up = st.count_limits(num)
                lo, up = lo / den, up / den
                name = METHOD_COUNT
            lower = np.where(usable, lo * scale, lower)
            upper = np.where(usable, up * scale, upper)
            method = np.where(usable, name, method)
            reason = np.where(need & ~usable & (den == 0), "the denominator is zero", reason)
            reason = np.where(need & ~usable & (den != 0),
                              "no numerator and denominator to compute limits from", reason)
        elif ind.value_type == "count":
            lo, up = st.count_limits(value)
            lower, upper = np.where(need, lo, lower), np.where(need, up, upper)
            method = np.where(need & ~np.isnan(lo), METHOD_COUNT, method)
        else:
            reason = np.where(need, f"no confidence limits for a {ind.value_type or 'figure'} "
                              "of this kind", reason)
        reason = np.where(np.isnan(value), "", reason)
        part["lower95"], part["upper95"], part["method"], part["limits_reason"] = \
            lower, upper, method, reason

        levels = part["level"].to_numpy()
        codes = part["area_code"].to_numpy()
        city = self._value_of(part, self.city_code)
        england = self._value_of(part, self.england_code)
        national_name = "England"
        if math.isnan(england) and self.england_wales_code:  # census 2011: E&W rows only
            england = self._value_of(part, self.england_wales_code)
            national_name = "England and Wales"
        part["national_name"] = national_name
        hub_values = dict(zip(codes[levels == s.LEVEL_HUB], value[levels == s.LEVEL_HUB]))
        own_hub = part["hub"].map(hub_values).to_numpy(dtype=float)
        for key, comparator in ((CITY, city), (ENGLAND, england), (HUB, own_hub)):
            sig = st.significance(value, lower, upper, comparator, ind.polarity)
            if ind.value_type == "count":
                sig[:] = st.NOT_TESTED
            part[f"sig_{key}"] = sig
        part[f"comparator_{CITY}"] = city
        part[f"comparator_{ENGLAND}"] = england
        part[f"comparator_{HUB}"] = own_hub
        for level in (s.LEVEL_NEIGHBOURHOOD, s.LEVEL_HUB):  # "Nth of 42", "Nth of 8"
            at = levels == level
            if level == s.LEVEL_HUB:
                at &= np.isin(codes, self.hubs)
            part.loc[at, "rank"] = st.ranks(value[at], ind.polarity)
            part.loc[at, "rank_of"] = int((~np.isnan(value[at])).sum())
        return part

    @staticmethod
    def _value_of(part: pd.DataFrame, code: str | None) -> float:
        if not code:
            return float("nan")
        hit = part.loc[part["area_code"] == code, "value"]
        return float(hit.iloc[0]) if len(hit) else float("nan")

    def _spines(self) -> dict:
        frame = self._frame[self._frame["level"] == s.LEVEL_NEIGHBOURHOOD]
        out = {}
        for ind in self.indicators:
            values = frame.loc[frame["indicator_id"] == ind.indicator_id, "value"].to_numpy()
            out[ind.indicator_id] = st.spine_summary(values, ind.polarity)
        return out

    # Choices -----------------------------------------------------------------------------------
    def has_england(self) -> bool:
        """Whether there is a national comparator (England, or England and Wales)."""
        return self.england_code is not None or self.england_wales_code is not None

    def national_coverage(self) -> tuple[int, int]:
        """(indicators with an England, or England and Wales, figure; indicators in the table)."""
        shown = [i for i in self.indicators if not i.chart]
        return sum(not math.isnan(self.reference_value(i, ENGLAND)) for i in shown), len(shown)

    def national_areas(self) -> list[Area]:
        return [self._areas[c] for c in (self.england_code, self.england_wales_code) if c]

    def area(self, code: str) -> Area:
        if code not in self._areas:
            raise JsnaInputError(f"'{code}' is not an area of the {self.place} pack")
        return self._areas[code]

    def hub_neighbourhoods(self, hub: str | None) -> list[Area]:
        """A hub's neighbourhoods by name, or all the city's for the whole city."""
        if hub is not WHOLE_CITY and hub not in self.hubs:
            raise JsnaInputError(f"No hub called '{hub}' in the {self.place} pack "
                                 f"(hubs: {', '.join(self.hubs)})")
        return [a for a in self.neighbourhoods.values()
                if hub is WHOLE_CITY or a.hub == hub or (hub, a.code) in self._shares]

    def hub_share(self, hub: str, code: str) -> float:
        """The share (0-1) of a neighbourhood's residents inside a hub: 1 when it is wholly
        the hub's, less for one split between hubs (its small areas are in several)."""
        area = self.neighbourhoods[code]
        return self._shares.get((hub, code), 1.0 if area.hub == hub else 0.0)

    def hub_member_label(self, hub: str | None, area: Area) -> str:
        """A neighbourhood's name, with its share inside the hub when it is split."""
        share = self.hub_share(hub, area.code) if hub and hub is not WHOLE_CITY else 1.0
        return area.name if share >= 0.995 else f"{area.name} ({share:.0%} in {hub})"

    def comparator_name(self, comparator: str, hub: str | None) -> str:
        if comparator == CITY:
            return self.place
        if comparator == ENGLAND:
            return "England" if self.england_code or not self.england_wales_code \
                else "England and Wales"
        return hub or "the hub"

    def cell(self, area: Area, indicator: IndicatorInfo, comparator: str = CITY) -> Cell:
        """The figure for one area and indicator, judged against ``comparator``."""
        i = self._row.get((area.code, indicator.indicator_id))
        if i is None:
            return self._empty_cell(area, indicator, comparator)
        row = _Row(self._columns, i)
        comparator_key, comparator_name = self._comparator_for(area, comparator)
        if comparator_key is None:
            significance, comparator_value, reason = "", float("nan"), ""
        else:
            significance = row[f"sig_{comparator_key}"]
            comparator_value = float(row[f"comparator_{comparator_key}"])
            if comparator_key == ENGLAND:
                comparator_name = row["national_name"]
            reason = self._reason(row, indicator, comparator_value, comparator_name)
        rank = None if math.isnan(row["rank"]) else int(row["rank"])
        return Cell(area, indicator, float(row["value"]), float(row["lower95"]),
                    float(row["upper95"]), float(row["numerator"]), float(row["denominator"]),
                    row["period"] or indicator.period, row["method"], significance,
                    comparator_value, comparator_name, rank, int(row["rank_of"]), reason)

    def _comparator_for(self, area: Area, comparator: str) -> tuple[str | None, str]:
        """Which comparator applies to an area's own column (None: it is the comparator)."""
        if comparator not in COMPARATORS:
            raise JsnaInputError(f"Unknown comparator '{comparator}' (choose from "
                                 f"{', '.join(COMPARATORS)})")
        if area.level in (s.LEVEL_ENGLAND, s.LEVEL_ENGLAND_WALES):
            return None, ""
        if area.level == s.LEVEL_CITY:
            return (ENGLAND, "England") if comparator == ENGLAND else (None, "")
        if area.level == s.LEVEL_HUB:
            if comparator == HUB:
                return None, ""
            return comparator, self.comparator_name(comparator, None)
        return comparator, self.comparator_name(comparator, area.hub)

    @staticmethod
    def _reason(row, indicator: IndicatorInfo, comparator_value: float, name: str) -> str:
        """Why a cell has no value or was not tested; '' when it was."""
        if math.isnan(row["value"]):
            if row["note"]:
                return f"No value: {row['note']}"
            if row["denominator"] == 0:
                return "No value: the denominator is zero"
            return "No value in the source for this area"
        if indicator.value_type == "count":
            return f"Not tested: {COUNT_NOT_COMPARED}"
        if row["limits_reason"]:
            return f"Not tested: {row['limits_reason']}"
        if math.isnan(comparator_value):
            return f"Not tested: the pack has no {name} value for this indicator"
        return ""

    def _empty_cell(self, area: Area, indicator: IndicatorInfo, comparator: str) -> Cell:
        if area.level in (s.LEVEL_ENGLAND, s.LEVEL_ENGLAND_WALES):
            reason = f"The pack has no {area.name} value for this indicator"
        elif indicator.levels and area.level not in indicator.levels:
            published = ", ".join(level.replace("_", " ") for level in indicator.levels)
            reason = f"Not available for this level: published for {published} only"
        else:
            reason = "No value for this area in the pack"
        nan = float("nan")
        return Cell(area, indicator, nan, nan, nan, nan, nan, indicator.period, "", "", nan, "",
                    None, 0, reason)

    def spine_rows(self, area_code: str) -> list[SpineRow]:
        """Fingertips-style spine rows for one area against the city's neighbourhoods.

        Counts are left out: their spread only reflects the size of areas.
        """
        area = self.area(area_code)
        rows = []
        for ind in self.indicators:
            if ind.value_type == "count" or ind.chart:  # charted parts are drawn on their own
                continue
            summary = self.spine.get(ind.indicator_id)
            cell = self.cell(area, ind, CITY)
            if summary is None:
                rows.append(SpineRow(ind, cell, float("nan"), "", None, {}))
                continue
            city = self._value_of_code(self.city_code, ind)
            if math.isnan(city):
                centre, label = summary["median"], MEDIAN_CENTRE
            else:
                centre, label = city, f"{self.place} average"
            keys = ("worst", "q25", "q75", "best")
            positions = {k: st.spine_position(summary[k], centre, summary) for k in keys}
            if cell.has_value:
                positions["value"] = st.spine_position(cell.value, centre, summary)
            rows.append(SpineRow(ind, cell, centre, label, summary, positions))
        return rows

    def chart_groups(self) -> list[str]:
        """The chart groups the pack has (age bands, ethnic groups, main languages...)."""
        return list(dict.fromkeys(i.chart for i in self.indicators if i.chart))

    def chart_rows(self, area_code: str, group: str, against: str = CITY) -> list[ChartRow]:
        """One bar per member of a chart group: the area's share beside the city's (or, for
        the city itself, England's, or England and Wales's where only that is published)."""
        area = self.area(area_code)
        return [ChartRow(ind, self.cell(area, ind), self.reference_value(ind, against))
                for ind in self.indicators if ind.chart == group]

    def reference_value(self, indicator: IndicatorInfo, against: str = CITY) -> float:
        code = self.city_code if against == CITY else self.national_code(indicator)
        return self._value_of_code(code, indicator) if code else float("nan")

    def national_code(self, indicator: IndicatorInfo) -> str | None:
        """Whose national figure the indicator is compared with: England's, or England and
        Wales's where only that is published."""
        for code in (self.england_code, self.england_wales_code):
            if code and not math.isnan(self._value_of_code(code, indicator)):
                return code
        return None

    def reference_name(self, indicator: IndicatorInfo, against: str = CITY) -> str:
        if against == CITY:
            return self.place
        england = self._value_of_code(self.england_code, indicator) if self.england_code \
            else float("nan")
        return "England" if not math.isnan(england) or not self.england_wales_code \
            else "England and Wales"

    def compare_areas(self, indicator_id: str, areas: Sequence[Area]) -> list[Cell]:
        """One indicator for the given areas, judged against the city, sorted high to low
        (Fingertips' "compare areas" view); areas without a value go last."""
        indicator = self.indicator(indicator_id)
        if indicator is None:
            raise JsnaInputError(f"'{indicator_id}' is not an indicator of the {self.place} pack")
        cells = [self.cell(area, indicator, CITY) for area in areas]
        return sorted(cells, key=lambda c: (not c.has_value, -c.value if c.has_value else 0))

    def trend_indicators(self) -> list[IndicatorInfo]:
        """The indicators the pack holds earlier periods of (a 2025 pack's 2011/2019 figures)."""
        if self._earlier is None:
            return []
        earlier = set(self._earlier["indicator_id"])
        return [i for i in self.indicators if i.indicator_id in earlier]

    def trend(self, area_code: str, indicator: IndicatorInfo) -> list[TrendPoint]:
        """The area's figure in each period, oldest first, the pack's own period last; limits
        as the comparison computes them (Wilson's for proportions)."""
        points = []
        if self._earlier is not None:
            rows = self._earlier[(self._earlier["area_code"] == area_code)
                                 & (self._earlier["indicator_id"] == indicator.indicator_id)]
            for row in rows.sort_values("period").itertuples(index=False):
                lower = upper = float("nan")
                if indicator.value_type == "proportion" and row.denominator and \
                        not pd.isna(row.numerator):
                    lo, up = st.wilson_limits(np.array([row.numerator], dtype=float),
                                              np.array([row.denominator], dtype=float))
                    scale = unit_multiplier(indicator.unit)
                    lower, upper = float(lo[0]) * scale, float(up[0]) * scale
                points.append(TrendPoint(str(row.period), float(row.value), lower, upper))
        if area_code in self._areas:
            cell = self.cell(self._areas[area_code], indicator)
            points.append(TrendPoint(cell.period, cell.value, cell.lower, cell.upper))
        return points

    def indicator(self, indicator_id: str) -> IndicatorInfo | None:
        return next((i for i in self.indicators if i.indicator_id == indicator_id), None)

    def _value_of_code(self, code: str, indicator: IndicatorInfo) -> float:
        i = self._row.get((code, indicator.indicator_id))
        return float("nan") if i is None else float(self._columns["value"][i])

    def table(self, hub: str | None = WHOLE_CITY, neighbourhoods: Sequence[str] | None = None,
              comparator: str = CITY) -> CompareTable:
        """The chosen neighbourhoods (all of the hub's by default), then hub, city and England."""
        if comparator == HUB and hub is WHOLE_CITY:
            raise JsnaInputError("Choose a hub to compare its neighbourhoods with the hub")
        if comparator == ENGLAND and not self.has_england():
            raise JsnaInputError(f"The {self.place} pack has no England values to compare with")
        members = self.hub_neighbourhoods(hub)
        if neighbourhoods is not None:
            chosen = set(neighbourhoods)
            members = [a for a in members if a.code in chosen]
        columns = list(members)
        if hub is not WHOLE_CITY:
            columns.append(self._areas[hub])
        columns.append(self._areas[self.city_code])
        columns += self.national_areas()
        return CompareTable(self, hub, comparator, columns)

    def hubs_table(self, comparator: str = CITY) -> CompareTable:
        """Every hub side by side, then the city and England: each hub judged against the city
        (or England) and ranked "Nth of 8" (1 = worst by polarity)."""
        if comparator == HUB:
            raise JsnaInputError("Hubs are compared with the city or England, not with a hub")
        if comparator == ENGLAND and not self.has_england():
            raise JsnaInputError(f"The {self.place} pack has no England values to compare with")
        if not self.hubs:
            raise JsnaInputError(f"The {self.place} pack has no hubs to compare")
        columns = [self._areas[hub] for hub in self.hubs] + [self._areas[self.city_code]]
        return CompareTable(self, ALL_HUBS, comparator, columns + self.national_areas())


@dataclass(frozen=True)
class SpineRow:
    """One indicator on the spine chart; positions run from 0 (worst end) to 1 (best end)."""

    indicator: IndicatorInfo
    cell: Cell
    centre: float
    centre_label: str
    summary: dict | None
    positions: dict


@dataclass(frozen=True)
class ChartRow:
    """One bar of a grouped chart: the area's cell and the city's value beside it."""

    indicator: IndicatorInfo
    cell: Cell
    city: float


class _Row:
    """Item access to row ``i`` of the pack's column lists."""

    __slots__ = ("columns", "i")

    def __init__(self, columns: dict, i: int):
        self.columns, self.i = columns, i

    def __getitem__(self, name: str):
        return self.columns[name][self.i]


@dataclass
class CompareTable:
    """A selection from a ComparePack: columns are areas, rows are indicators."""

    pack: ComparePack
    hub: str | None
    comparator: str
    areas: list[Area]

    @property
    def indicators(self) -> list[IndicatorInfo]:
        return self.pack.indicators

    @property
    def comparator_name(self) -> str:
        return self.pack.comparator_name(self.comparator, None if self.hub == ALL_HUBS
                                         else self.hub)

    @property
    def title(self) -> str:
        if self.hub == ALL_HUBS:
            return f"{self.pack.place}'s Family Hub areas compared with {self.comparator_name}"
        return f"{self.hub or self.pack.place}: neighbourhoods compared with {self.comparator_name}"

    @property
    def name(self) -> str:
        """A short name for files: the hub, "Family Hub areas" or the place."""
        return "Family Hub areas" if self.hub == ALL_HUBS else self.hub or self.pack.place

    def cell(self, area: Area, indicator: IndicatorInfo) -> Cell:
        return self.pack.cell(area, indicator, self.comparator)

    def long_rows(self) -> list[dict]:
        """One row per area and indicator, for CSV, XLSX and the command line."""
        out = []
        for indicator in self.indicators:
            for area in self.areas:
                out.append(long_row(self.cell(area, indicator)))
        return out


LONG_COLUMNS = s.COMPARISON_COLUMNS


def _number(x: float) -> float | None:
    return None if x is None or math.isnan(x) else x


def long_row(cell: Cell) -> dict:
    ind = cell.indicator
    return {
        "area_code": cell.area.code, "area_name": cell.area.name, "level": cell.area.level,
        "indicator_id": ind.indicator_id, "indicator": ind.title, "period": cell.period,
        "value": _number(cell.value), "unit": ind.unit, "lower95": _number(cell.lower),
        "upper95": _number(cell.upper), "numerator": _number(cell.numerator),
        "denominator": _number(cell.denominator), "comparator": cell.comparator_name,
        "comparator_value": _number(cell.comparator_value), "significance": cell.significance,
        "rank": cell.rank, "rank_of": cell.rank_of or None, "method": cell.method,
        "note": cell.reason, "source": ind.source, "licence": ind.licence,
    }
