"""Adding a local indicator from the user's own table (CSV, XLSX or any layer OGR reads) to a pack.

The table is read and matched against the pack's small areas or neighbourhoods first; nothing
is written until every check has passed, and then the pack is rewritten through a temporary
copy, so everything already in it is kept and a failure leaves it as it was.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import aggregate, schema
from ..core.catalogue import Indicator, Source
from ..core.compare import unit_multiplier
from ..core.errors import JsnaInputError
from ..core.files import flush_to_disk, temporary_beside, write_error
from ..core.names import check_plain_text
from ..core.packfile import check_database, copy_database, remove_database
from ..core.packstore import PackReader, open_reader, open_writer, parse_location, sqlite_pack
from ..core.recipes import EDITION_OF_OLDER_PACKS
from .recipes import indicator_rows
from .sources import LAST_LSOA_2011_CODE, BuildReport, read_csv_text, to_number
from .xlsx import sheet_frame

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
LOCAL_DOMAIN = "Local indicators"


@dataclass
class IndicatorTable:
    """Where a user's indicator is, and which columns mean what."""

    path: Path
    indicator_id: str
    title: str
    code_column: str
    value_column: str = ""
    numerator_column: str = ""
    denominator_column: str = ""
    lower_column: str = ""
    upper_column: str = ""
    period: str = ""
    unit: str = ""
    polarity: str = schema.POLARITY_NONE
    domain: str = LOCAL_DOMAIN
    source: str = ""
    licence: str = ""
    sheet: str = ""
    replace: bool = False
    convert_2011: bool = False  # 2011 small-area codes put on a 2025 pack's 2021 areas

    def check(self) -> None:
        if not IDENTIFIER.match(self.indicator_id):
            raise JsnaInputError(f"Indicator id '{self.indicator_id}' must be lower-case letters, "
                                 "digits and _ (2 to 41 characters, starting with a letter)")
        if not self.title.strip():
            raise JsnaInputError("Give the indicator a title")
        if not self.value_column and not (self.numerator_column and self.denominator_column):
            raise JsnaInputError("Choose a value column, or a numerator and a denominator column")
        if self.polarity not in schema.POLARITIES:
            raise JsnaInputError(f"Polarity must be one of: {', '.join(schema.POLARITIES)}")
        if not self.source.strip():
            raise JsnaInputError("Name the indicator's source: every figure carries it to print")
        for what in ("title", "period", "unit", "domain", "source", "licence"):
            check_plain_text(getattr(self, what), f"The indicator's {what}")


# OGR drivers a user's table may be read with: none of them reaches out to other files or the
# network (a .vrt can name any file or URL; GML can fetch schemas; SQLite can open VirtualOGR).
TABLE_DRIVERS = ("GPKG", "ESRI Shapefile", "GeoJSON", "FlatGeobuf", "MapInfo File", "ODS",
                 "XLSX", "KML")
REFUSED_SUFFIXES = (".vrt", ".xml", ".gfs", ".gml", ".ovf", ".sqlite", ".db")


def read_any_table(path: Path, sheet: str = "", rows: int | None = None) -> pd.DataFrame:
    """Every column as text: CSV (UTF-8, or Windows cp1252), XLSX, or a layer OGR can read;
    ``rows``: only the first rows (a preview reads no more than it shows)."""
    path = Path(path)
    if not path.is_file():
        raise JsnaInputError(f"File not found: {path}")
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise JsnaInputError(f"{path.name}: a {suffix} file can point at other files or web "
                             "addresses, so it is not read; save the table as CSV, XLSX or "
                             "GeoPackage")
    if suffix in (".csv", ".txt"):
        frame = read_csv_text(path, nrows=rows)
    else:
        try:
            frame = sheet_frame(path, sheet, rows) if suffix in (".xlsx", ".xlsm") \
                else _ogr_frame(path, rows)
        except JsnaInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - zipfile, defusedxml and fiona each raise their own
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise JsnaInputError(f"{path.name}: cannot be read as a table ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
    if unnamed and len(unnamed) >= len(frame.columns) / 2:
        raise JsnaInputError(f"{path.name}: the first row is not a header row (merged or empty "
                             "header cells?); put one header row of column names first")
    return frame


def _ogr_frame(path: Path, rows: int | None) -> pd.DataFrame:
    """A table or layer through OGR, with only the drivers that read one file, and GDAL's
    network access off."""
    import fiona
    import geopandas as gpd

    with fiona.Env(CPL_VSIL_CURL_ALLOWED_EXTENSIONS=".jsna-no-network",
                   GDAL_HTTP_TIMEOUT="1", GDAL_HTTP_MAX_RETRY="0"):
        layer = gpd.read_file(path, rows=rows, enabled_drivers=list(TABLE_DRIVERS))
    frame = pd.DataFrame(layer.drop(columns="geometry", errors="ignore"))
    return frame.astype(str).replace({"None": "", "nan": ""})


def preview(path: Path, rows: int = 5, sheet: str = "") -> tuple[list[str], list[list[str]]]:
    """Column names and the first rows, for the mapping dialog."""
    frame = read_any_table(path, sheet, rows)
    return list(frame.columns), frame.astype(str).values.tolist()


@dataclass
class Match:
    """How the table's codes meet the pack's areas."""

    level: str
    matched: int
    unmatched: list[str]
    areas: int

    def summary(self) -> str:
        text = f"{self.matched} of the pack's {self.areas} {self.level.replace('_', ' ')}s matched"
        if self.unmatched:
            shown = ", ".join(self.unmatched[:5]) + (" ..." if len(self.unmatched) > 5 else "")
            text += f"; {len(self.unmatched)} codes in the table match no area: {shown}"
        return text


def _pack_codes(pack) -> dict[str, set]:
    with open_reader(pack) as db:
        return {level: {r[0] for r in db.rows(f"SELECT code FROM {table}")}
                for level, table in ((schema.LEVEL_SMALL_AREA, schema.SMALL_AREAS),
                                     (schema.LEVEL_NEIGHBOURHOOD, schema.NEIGHBOURHOODS))}


def _pack_edition(pack) -> str:
    with open_reader(pack) as db:
        rows = db.rows(f"SELECT value FROM {schema.PACK_INFO} WHERE key = 'edition'")
    return rows[0][0] if rows and rows[0][0] else EDITION_OF_OLDER_PACKS


def match_codes(codes: pd.Series, pack, table_name: str) -> Match:
    """Which level the codes are at; codes of the other edition's small areas, or mixed
    levels, are errors that say which edition the pack is and how to convert."""
    codes = codes.astype(str).str.strip()
    lsoa = codes[codes.str.match(r"^[EW]01\d{6}$")]
    newer, older = lsoa[lsoa > LAST_LSOA_2011_CODE], lsoa[lsoa <= LAST_LSOA_2011_CODE]
    known = _pack_codes(pack)
    edition = _pack_edition(pack)
    if edition == "2019" and len(newer) and len(older):
        raise JsnaInputError(f"{table_name}: mixes LSOA 2011 codes ({older.iloc[0]}) with LSOA "
                             f"2021 codes ({newer.iloc[0]}); use one geography")
    if edition == "2025" and len(lsoa) and not len(newer):
        retired = sorted(set(older) - known[schema.LEVEL_SMALL_AREA])
        if retired:
            example = min((c for c in known[schema.LEVEL_SMALL_AREA] if c > LAST_LSOA_2011_CODE),
                          default="")
            raise JsnaInputError(
                f"{table_name}: {retired[0]} is an LSOA 2011 code that no 2021 small area has "
                f"({len(retired)} such codes), and no code is 2021-only (this pack has "
                f"{example}, for one); this pack is of the 2025 edition, on 2021 small areas: "
                "convert the table's codes through the ONS LSOA (2011) to LSOA (2021) lookup "
                "(jsna add-indicator --convert-2011; in QGIS, tick \"Convert 2011 small-area "
                "codes\"), or add it to a 2019-edition pack")
    hits = {level: int(codes.isin(areas).sum()) for level, areas in known.items()}
    if hits[schema.LEVEL_SMALL_AREA] and hits[schema.LEVEL_NEIGHBOURHOOD]:
        raise JsnaInputError(f"{table_name}: mixes small-area (LSOA) and neighbourhood (MSOA) "
                             "codes; give one level per indicator")
    level = max(hits, key=hits.get)
    if not hits[level]:
        if len(newer):
            example = min(known[schema.LEVEL_SMALL_AREA], default="")
            raise JsnaInputError(f"{table_name}: {newer.iloc[0]} is an LSOA 2021 code; this pack "
                                 f"is of the 2019 edition, on 2011 small areas ({example}, for "
                                 "one), so use 2011 codes, or add it to a 2025-edition pack")
        raise JsnaInputError(f"{table_name}: no code matches the pack's small areas or "
                             f"neighbourhoods (first codes: {', '.join(codes.head(3))})")
    unmatched = sorted(set(codes) - known[level])
    return Match(level, hits[level], unmatched, len(known[level]))


def prepare(spec: IndicatorTable, pack) -> tuple[pd.DataFrame, Match, BuildReport]:
    """Read and check everything; the indicator's base rows at the level they were given."""
    spec.check()
    report = BuildReport()
    name = Path(spec.path).name
    frame = read_any_table(spec.path, spec.sheet)
    used = [c for c in (spec.code_column, spec.value_column, spec.numerator_column,
                        spec.denominator_column, spec.lower_column, spec.upper_column) if c]
    missing = [c for c in used if c not in frame.columns]
    if missing:
        raise JsnaInputError(f"{name}: column '{missing[0]}' not found (columns are: "
                             f"{', '.join(frame.columns[:8])})")
    frame[spec.code_column] = frame[spec.code_column].astype(str).str.strip()
    duplicated = frame[spec.code_column][frame[spec.code_column].duplicated()]
    if len(duplicated):
        raise JsnaInputError(f"{name}: code {duplicated.iloc[0]} appears more than once")
    def number(column: str) -> pd.Series | None:
        return to_number(frame, column, spec.code_column, Path(spec.path), report) if column \
            else None

    def table_rows() -> pd.DataFrame:
        return indicator_rows(
            spec.indicator_id, frame[spec.code_column],
            None if spec.numerator_column else number(spec.value_column),
            number(spec.numerator_column), number(spec.denominator_column),
            number(spec.lower_column), number(spec.upper_column), unit_multiplier(spec.unit),
            name, report).drop(columns="indicator_id")

    if spec.convert_2011:
        rows = on_2021_areas(table_rows(), pack, unit_multiplier(spec.unit), report, name)
        match = match_codes(rows["area_code"], pack, name)
    else:
        match = match_codes(frame[spec.code_column], pack, name)
        rows = table_rows()
    if match.unmatched:
        report.warn(f"{name}: {match.summary()}")
    rows = rows[rows["area_code"].isin(_pack_codes(pack)[match.level])].reset_index(drop=True)
    rows["level"] = match.level
    return rows, match, report


def on_2021_areas(rows: pd.DataFrame, pack, scale: float, report: BuildReport,
                  name: str) -> pd.DataFrame:
    """Rows on 2011 small areas put on the pack's 2021 ones through the ONS lookup the pack
    holds: unchanged areas as they are; a split area's numerator and denominator shared among
    its 2021 areas by their Census 2021 residents (a value alone is repeated); a merged area's
    summed (a value alone averaged); irregular ones left out. Limits of changed areas are
    dropped. Every change is reported."""
    location = parse_location(pack)
    with open_reader(location) as db:
        if not db.has_table(schema.AREA_CHANGES):
            raise JsnaInputError(f"{location.name} holds no ONS 2011 to 2021 lookup (only packs "
                                 "of the 2025 edition built by this version do): nothing to "
                                 "convert with")
        changes = db.frame(f"SELECT old_code, new_code, change_code FROM "
                           f"{schema.AREA_CHANGES}")
        residents = _population(db, schema.LEVEL_SMALL_AREA)
    changes = changes[changes["old_code"] != changes["new_code"]]
    old = rows[rows["area_code"].isin(set(changes["old_code"]))]
    if old.empty:
        return rows
    joined = old.merge(changes, left_on="area_code", right_on="old_code")
    irregular = sorted(set(joined.loc[joined["change_code"] == "X", "old_code"]))
    joined = joined[joined["change_code"] != "X"]
    joined["people"] = joined["new_code"].map(residents).fillna(0)
    share = joined["people"] / joined.groupby("old_code")["people"].transform("sum")
    joined["share"] = share.fillna(1 / joined.groupby("old_code")["old_code"].transform("size"))
    for column in ("numerator", "denominator"):
        joined[column] = joined[column] * joined["share"]
    new = joined.groupby("new_code", sort=True).agg(
        value=("value", "mean"), numerator=("numerator", lambda s: s.sum(min_count=1)),
        denominator=("denominator", lambda s: s.sum(min_count=1)))
    counted = new["denominator"].notna()
    new.loc[counted, "value"] = new["numerator"] / new["denominator"].where(
        new["denominator"] != 0) * scale
    new = new.reset_index().rename(columns={"new_code": "area_code"})
    new["lower95"] = new["upper95"] = float("nan")
    split = sorted(set(joined.loc[joined["change_code"] == "S", "old_code"]))
    merged = sorted(set(joined.loc[joined["change_code"] == "M", "new_code"]))
    report.warn(f"{name}: converted through the ONS LSOA 2011 to 2021 lookup: {len(split)} "
                f"split ({_some(split)}), {len(merged)} merged into 2021 areas "
                f"({_some(merged)}), {len(irregular)} irregular left out ({_some(irregular)}); "
                "split areas' counts are shared by their 2021 areas' Census 2021 residents, and "
                "changed areas have no 95% limits")
    kept = rows[~rows["area_code"].isin(set(old["area_code"]))]
    return pd.concat([kept, new[list(kept.columns)]], ignore_index=True)


def _some(codes: list[str]) -> str:
    return ", ".join(codes[:3]) + (" ..." if len(codes) > 3 else "") if codes else "none"


def _aggregation(spec: IndicatorTable) -> str:
    if spec.numerator_column:
        return schema.AGG_RATIO_OF_SUMS
    return schema.AGG_POP_WEIGHTED


def _memberships(db: PackReader, level: str, la_code: str) -> dict[str, pd.Series]:
    lookup = db.frame(f"SELECT code, neighbourhood_code, hub FROM {schema.HUB_LOOKUP}")
    neighbourhoods = db.frame(f"SELECT code, hub FROM {schema.NEIGHBOURHOODS}")
    if level == schema.LEVEL_SMALL_AREA:
        base = lookup.set_index("code")
        return {schema.LEVEL_NEIGHBOURHOOD: base["neighbourhood_code"],
                schema.LEVEL_HUB: base.loc[base["hub"] != schema.NOT_ASSIGNED, "hub"],
                schema.LEVEL_CITY: pd.Series(la_code, index=base.index)}
    base = neighbourhoods.set_index("code")
    return {schema.LEVEL_HUB: base.loc[base["hub"] != schema.NOT_ASSIGNED, "hub"],
            schema.LEVEL_CITY: pd.Series(la_code, index=base.index)}


def _population(db: PackReader, level: str) -> pd.Series:
    frame = db.frame(f"SELECT area_code, value FROM {schema.VALUES} WHERE indicator_id = "
                     "'population' AND level = ?", (level,))
    return frame.set_index("area_code")["value"].astype(float)


def add_indicator(pack, spec: IndicatorTable) -> BuildReport:
    """Check, then add the indicator (its own rows and every aggregate above them) to the pack:
    a GeoPackage through a temporary copy, a server pack in one transaction."""
    location = parse_location(pack)
    if location.on_server:
        rows, match, report = prepare(spec, location)
        with open_writer(location) as db:
            _write(db, spec, rows, match, report)
        return report
    pack = location.path
    if not pack.is_file():
        raise JsnaInputError(f"Data pack not found: {pack}")
    if Path(spec.path).exists() and os.path.samefile(spec.path, pack):
        raise JsnaInputError(f"The table {Path(spec.path).name} is the data pack itself; choose "
                             "the table that holds the indicator")
    rows, match, report = prepare(spec, pack)
    tmp = temporary_beside(pack, ".gpkg")
    try:
        copy_database(pack, tmp)
        db = sqlite3.connect(tmp)
        try:
            _allow_attribute_updates(db)
            with db:
                _write(sqlite_pack(db), spec, rows, match, report)
        finally:
            db.close()
        check_database(tmp)
        flush_to_disk(tmp)
        os.chmod(tmp, pack.stat().st_mode & 0o777)
        if Path(f"{pack}-wal").exists():
            raise JsnaInputError(f"{pack.name} is open for editing elsewhere (QGIS or another "
                                 "program); close its layers and try again")
        os.replace(tmp, pack)
    except (OSError, sqlite3.Error) as exc:
        raise write_error(exc, pack) from None
    finally:
        remove_database(tmp)
    return report


def _allow_attribute_updates(db: sqlite3.Connection) -> None:
    """GeoPackage spatial-index triggers name GDAL's ST_ functions; SQLite needs them defined to
    run any UPDATE. Ours only change attributes, so the triggers never call them; if one ever
    did, these stop the write instead of corrupting the index."""
    def refuse(*_args):
        raise sqlite3.OperationalError("a geometry changed while adding an indicator")
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        db.create_function(name, 1, refuse)


def _write(db: PackReader, spec: IndicatorTable, rows: pd.DataFrame, match: Match,
           report: BuildReport) -> None:
    exists = db.rows(f"SELECT COUNT(*) FROM {schema.CATALOGUE} WHERE indicator_id = ?",
                     (spec.indicator_id,))[0][0]
    if exists and not spec.replace:
        raise JsnaInputError(f"The pack already has an indicator '{spec.indicator_id}'; choose "
                             "another id, or replace it")
    indicators = {r[0] for r in db.rows(f"SELECT indicator_id FROM {schema.CATALOGUE}")}
    for table in schema.LEVEL_LAYERS.values():
        if spec.indicator_id in db.columns(table) - indicators:
            raise JsnaInputError(f"'{spec.indicator_id}' is already a column of the pack's "
                                 f"{table} layer; choose another id")
    info = dict(db.rows(f"SELECT key, value FROM {schema.PACK_INFO}"))
    la_code = info.get("la_code", "")
    aggregation = _aggregation(spec)
    frames, levels = [rows], [match.level]
    weights = _population(db, match.level)
    scale = unit_multiplier(spec.unit)
    for level, membership in _memberships(db, match.level, la_code).items():
        if aggregation == schema.AGG_POP_WEIGHTED and weights.empty:
            report.warn("no population in the pack: the indicator is not averaged above "
                        f"{match.level.replace('_', ' ')}s")
            break
        result = aggregate.aggregate(aggregation, rows, membership, weights, scale)
        result["level"] = level
        frames.append(result)
        levels.append(level)
    values = pd.concat(frames, ignore_index=True)
    values["indicator_id"] = spec.indicator_id
    values["period"] = spec.period
    values["note"] = values.get("note", pd.Series(dtype=str)).fillna("")
    values = values[list(schema.VALUE_COLUMNS)]
    db.execute(f"DELETE FROM {schema.VALUES} WHERE indicator_id = ?", (spec.indicator_id,))
    db.execute(f"DELETE FROM {schema.CATALOGUE} WHERE indicator_id = ?", (spec.indicator_id,))
    placeholders = ", ".join("?" for _ in schema.VALUE_COLUMNS)
    db.executemany(f"INSERT INTO {schema.VALUES} ({', '.join(schema.VALUE_COLUMNS)}) "
                   f"VALUES ({placeholders})",
                   [tuple(None if pd.isna(v) else v for v in row)
                    for row in values.itertuples(index=False)])
    # a percentage of its denominator is a proportion (Wilson); "per 1,000" and other crude
    # rates are rates (Byar)
    value_type = ("proportion" if spec.unit.strip().startswith("%") else "rate") \
        if spec.numerator_column else "score"
    source = Source(spec.indicator_id, spec.source, spec.source, spec.licence,
                    f"{spec.source}{', ' + spec.licence if spec.licence else ''}")
    indicator = Indicator(spec.indicator_id, spec.title, spec.domain, spec.unit, spec.polarity,
                          value_type, aggregation, spec.period, tuple(levels), spec.indicator_id,
                          f"Added from {Path(spec.path).name}.", source, "Local indicators")
    columns = db.columns(schema.CATALOGUE)
    catalogue_row = {key: value for key, value in indicator.as_row().items() if key in columns}
    catalogue_row["source"] = spec.source  # as the user named it
    db.execute(f"INSERT INTO {schema.CATALOGUE} ({', '.join(catalogue_row)}) VALUES "
               f"({', '.join('?' for _ in catalogue_row)})", tuple(catalogue_row.values()))
    for level in levels:
        _wide_column(db, schema.LEVEL_LAYERS[level], spec.indicator_id,
                     values[values["level"] == level])


def _wide_column(db: PackReader, table: str, column: str, values: pd.DataFrame) -> None:
    """The indicator as a column of the level's layer, so renderers and labels can use it."""
    if column not in db.columns(table):
        db.add_number_column(table, column)
    db.execute(f'UPDATE "{table}" SET "{column}" = NULL')
    db.executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE code = ?',
                   [(None if pd.isna(v) else float(v), code)
                    for code, v in zip(values["area_code"], values["value"])])
