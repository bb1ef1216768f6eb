"""Turning recipes (config/recipes/*.json, read by core.recipes) into long indicator rows.

Each table of a recipe is a source file read with its original column names, filtered to the
place and to the pack's codes (or a table the builder derived, named "@..."). An indicator's
value, numerator and denominator are column expressions: a column ("Persons"), a column of
another table of the recipe ("population:Persons"), a run of columns in file order ("0..4"), or
{"sum": [...], "minus": [...]}. Rows then go through the same indicator_rows() that a user's
own table goes through. An optional recipe that cannot be made is left out with one warning;
a required one stops the build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core import schema
from ..core.compare import unit_multiplier
from ..core.errors import JsnaInputError
from ..core.recipes import Recipe
from .sources import (
    BuildReport,
    check_lsoa_2011,
    read_table,
    report_unmatched,
    to_number,
)

LA_TOKEN = "{la_code}"
PUBLISHED = "published"


@dataclass
class RecipeContext:
    """What every recipe of one build shares: where files are, the place, its codes."""

    sources: Path
    files: dict
    la_code: str
    codes: dict  # level -> set of the pack's codes
    report: BuildReport
    derived: dict = field(default_factory=dict)  # "@name" -> DataFrame with a "code" column
    tables: dict = field(default_factory=dict)  # cache: table key -> _Table
    published: list = field(default_factory=list)  # (indicator id, value, tolerance, file)
    left_out: set = field(default_factory=set)  # ids of optional recipes not made
    # National builds: every recipe whose files the build has must be made, and each small-area
    # table must have a row for every small area (a cut-short file is an error, not a gap).
    strict: bool = False
    not_made: list = field(default_factory=list)  # names of recipes whose files it has not


@dataclass
class _Table:
    """A read table: text cells indexed by code, its numbers parsed once per column."""

    name: str
    frame: pd.DataFrame
    code_column: str
    path: Path
    level: str
    columns: list  # the source file's own columns (national rows may lack some)
    numbers: dict = field(default_factory=dict)

    def number(self, column: str, report: BuildReport) -> pd.Series:
        if column not in self.columns:
            raise JsnaInputError(f"{self.name}: column '{column}' not found (columns are: "
                                 f"{', '.join(self.columns[:8])}"
                                 f"{', ...' if len(self.columns) > 8 else ''})")
        if column not in self.numbers:
            present = self.frame[column].notna().to_numpy()
            numbers = pd.Series(float("nan"), index=self.frame.index)
            numbers[present] = to_number(self.frame[present], column, self.code_column,
                                         self.path, report).to_numpy()
            self.numbers[column] = numbers
        return self.numbers[column]

    def run(self, first: str, last: str) -> list[str]:
        """The columns from ``first`` to ``last`` in the source file's order."""
        columns = self.columns
        for end in (first, last):
            if end not in columns:
                raise JsnaInputError(f"{self.name}: column '{end}' not found (columns are: "
                                     f"{', '.join(columns[:8])}{', ...' if len(columns) > 8 else ''})")
        return columns[columns.index(first):columns.index(last) + 1]


def run_recipes(recipes: list[Recipe], context: RecipeContext) -> list[pd.DataFrame]:
    """Base rows of every recipe whose files this build has."""
    out = []
    for recipe in recipes:
        if not recipe.roles <= set(context.files) | set(context.derived):
            context.not_made.append(recipe.name)  # a source this kind of build has not got
            continue
        absent = sorted(context.files[role] for role in recipe.roles if not role.startswith("@")
                        and not (Path(context.sources) / context.files[role]).is_file())
        if recipe.when_present and absent:
            context.report.note(f"{absent[0]} is not in the source folder, so the "
                                f"{len(recipe.indicators)} indicators of '{recipe.name}' are "
                                "not in the pack (put the file there to add them)")
            context.left_out |= {item["id"] for item in recipe.indicators}
            continue
        try:
            out += recipe_rows(recipe, context)
        except JsnaInputError as exc:
            if recipe.required or context.strict:
                raise
            context.report.warn(f"{exc}; the {len(recipe.indicators)} indicators of "
                                f"'{recipe.name}' are left out")
            context.left_out |= {item["id"] for item in recipe.indicators}
    return out


def recipe_rows(recipe: Recipe, context: RecipeContext) -> list[pd.DataFrame]:
    tables = {alias: _table(alias, spec, context) for alias, spec in recipe.tables.items()}
    for check in recipe.checks:
        _check(check, tables, recipe, context)
    out = []
    for item in recipe.indicators:
        out += _indicator(item, tables, recipe, context)
    return out


def _table(alias: str, spec: dict, context: RecipeContext) -> _Table:
    if spec["file"].startswith("@"):
        if spec["file"] not in context.derived:
            raise JsnaInputError(f"no derived table '{spec['file']}' in this build")
        frame = context.derived[spec["file"]]
        return _Table(spec["file"], frame.set_index("code", drop=False), "code",
                      Path(spec["file"]), _level_of(frame["code"], context), list(frame.columns))
    key = json.dumps(spec, sort_keys=True)
    if key not in context.tables:
        path = Path(context.sources) / context.files[spec["file"]]
        if not path.is_file():
            raise JsnaInputError(f"Missing source file: {path} (the "
                                 f"{spec['file'].replace('_', ' ')} source)")
        long = spec.get("long")
        unique_by = (long["category"],) if long else tuple(spec.get("unique_by", ()))
        frame = read_table(path, [], spec["code_column"], unique_by, spec.get("sheet", ""))
        code = spec["code_column"]
        if long:
            frame = _widened(frame, code, long, path)
        if spec.get("geography") == "lsoa2011":
            check_lsoa_2011(frame[code], path)
        la_column = spec.get("la_column")
        if la_column and la_column in frame.columns and context.la_code != schema.ENGLAND_CODE:
            frame = frame[frame[la_column].str.strip() == context.la_code]
        columns = list(frame.columns)
        national = _national(spec, context)
        level = _level_of(frame[code], context)
        known = context.codes[level]
        report_unmatched(frame[code], known, path, context.report)
        if context.strict:
            _check_coverage(frame[code], known, path)
        frame = frame[frame[code].isin(known)]
        frame = pd.concat([frame, national]) if national is not None else frame
        context.tables[key] = _Table(path.name, frame.set_index(code, drop=False), code, path,
                                     level, columns)
    return context.tables[key]


def _check_coverage(codes: pd.Series, known: set, path: Path) -> None:
    """A national table must hold every small area: fewer is a cut-short or wrong file."""
    missing = known - set(codes)
    if missing:
        raise JsnaInputError(f"{path.name}: no row for {len(missing):,} of the {len(known):,} "
                             f"small areas (first: {min(missing)}); the file is cut short or "
                             "is for another geography")


def _widened(frame: pd.DataFrame, code: str, long: dict, path: Path) -> pd.DataFrame:
    """A long table (a row per code and category: Census 2021 tables as the R packages hold
    them) as a row per code with a column per category, so recipes name categories as
    columns; ``keep`` columns (the same on each of a code's rows, e.g. the total) stay."""
    keep = list(long.get("keep", ()))
    for column in (long["category"], long["count"], *keep):
        if column not in frame.columns:
            raise JsnaInputError(f"{path.name}: column '{column}' not found (columns are: "
                                 f"{', '.join(frame.columns[:8])})")
    wide = frame.pivot(index=code, columns=long["category"], values=long["count"])
    first = frame.drop_duplicates(code).set_index(code)
    out = first[keep].join(wide)
    out.columns.name = None
    return out.reset_index()


def _national(spec: dict, context: RecipeContext) -> pd.DataFrame | None:
    """Rows for England (or England and Wales) and the authority's published row, from the
    table's national file, with their codes as the pack has them."""
    national = spec.get("national")
    if not national or national["file"] not in context.files:
        return None
    path = Path(context.sources) / context.files[national["file"]]
    if not path.is_file():
        context.report.warn(f"Missing source file: {path}; no national comparator for it")
        return None
    filters = national.get("filter", {})
    long = national.get("long")
    frame = read_table(path, list(filters), national["code_column"],
                       (long["category"],) if long else tuple(filters))
    if long:
        frame = _widened(frame, national["code_column"], long, path)
    for column, wanted in filters.items():
        frame = frame[frame[column].str.strip() == wanted]
    codes = {(context.la_code if key == LA_TOKEN else key): value
             for key, value in national["codes"].items()}
    frame = frame[frame[national["code_column"]].isin(codes)].copy()
    if frame.empty:
        context.report.warn(f"{path.name}: no row for {' or '.join(codes)}; no national "
                            "comparator from it")
        return None
    frame[spec["code_column"]] = frame[national["code_column"]].map(codes)
    return frame


def _level_of(codes: pd.Series, context: RecipeContext) -> str:
    hits = {level: int(codes.isin(known).sum()) for level, known in context.codes.items()}
    return max(hits, key=hits.get)


def _check(check: dict, tables: dict, recipe: Recipe, context: RecipeContext) -> None:
    """A recipe's consistency checks: parts that must add up to a total, totals that must agree."""
    report = context.report
    if check["kind"] == "parts_add_up":
        table = tables[check["table"]]
        local = table.frame.index.isin(context.codes[table.level])
        total = _evaluate(check["total"], tables, check["table"], report)[local]
        parts = _evaluate({"sum": check["parts"]}, tables, check["table"], report)[local]
        wrong = (parts - total).abs() > check.get("tolerance", 0)
        if wrong.any():
            code = wrong.idxmax()
            raise JsnaInputError(
                f"{table.name}: the columns {', '.join(check['parts'])} add up to "
                f"{parts[code]:,.0f}, not the total {total[code]:,.0f}, for {code} "
                f"({int(wrong.sum())} areas)")
    elif check["kind"] == "same_total":
        first, *others = check["columns"]
        base = _evaluate(first, tables, next(iter(recipe.tables)), report)
        for other in others:
            series = _evaluate(other, tables, next(iter(recipe.tables)), report)
            both = base.index.intersection(series.index)
            wrong = (base[both] - series[both]).abs() > check.get("tolerance", 0)
            if wrong.any():
                code = wrong.idxmax()
                raise JsnaInputError(
                    f"{recipe.path.name}: the totals {first} ({base[code]:,.0f}) and {other} "
                    f"({series[code]:,.0f}) disagree for {code} ({int(wrong.sum())} areas)")
    else:
        raise JsnaInputError(f"{recipe.path.name}: unknown check '{check['kind']}'")


def _terms(expression, tables: dict, default: str) -> list[tuple[_Table, str]]:
    names = expression if isinstance(expression, list) else [expression]
    out = []
    for name in names:
        alias, _, column = name.partition(":") if name.split(":")[0] in tables \
            else ("", "", name)
        table = tables[alias or default]
        if ".." in column and column not in table.columns:
            first, last = column.split("..", 1)
            out += [(table, c) for c in table.run(first, last)]
        else:
            out.append((table, column))
    return out


def _evaluate(expression, tables: dict, default: str, report: BuildReport) -> pd.Series:
    """A column expression over the default table's codes (other tables joined by code)."""
    index = tables[default].frame.index
    if isinstance(expression, dict):
        total = _sum(_terms(expression.get("sum", []), tables, default), index, report)
        minus = expression.get("minus")
        if minus:
            total = total - _sum(_terms(minus, tables, default), index, report)
        return total
    return _sum(_terms(expression, tables, default), index, report)


def _sum(terms: list[tuple[_Table, str]], index: pd.Index, report: BuildReport) -> pd.Series:
    total = None
    for table, column in terms:
        series = table.number(column, report)
        if not series.index.equals(index):
            series = series[~series.index.duplicated()].reindex(index)
        total = series if total is None else total + series
    if total is None:
        raise JsnaInputError("an empty column expression in a recipe")
    return total


def _indicator(item: dict, tables: dict, recipe: Recipe, context: RecipeContext) -> list:
    main = tables[item["table"]]
    frame = main.frame
    keep = pd.Series(True, index=frame.index)
    for column, wanted in item.get("filter", {}).items():
        if column not in frame.columns:
            raise JsnaInputError(f"{main.name}: column '{column}' not found")
        keep &= frame[column].str.strip() == wanted
    parts = {}
    for key in ("value", "numerator", "denominator", "lower", "upper"):
        if item.get(key):
            parts[key] = _evaluate(item[key], tables, item["table"], context.report)[keep.values]
    where = item.get("where")
    if where:
        condition = _evaluate(where["column"], tables, item["table"], context.report)[keep.values]
        parts["numerator"] = parts["numerator"].where(condition <= where["at_most"], 0)
    multiply = item.get("multiply", 1)
    for key in ("value", "lower", "upper"):
        if key in parts and multiply != 1:
            parts[key] = parts[key] * multiply
    codes = parts[next(iter(parts))].index
    rows = indicator_rows(item["id"], codes, parts.get("value"), parts.get("numerator"),
                          parts.get("denominator"), parts.get("lower"), parts.get("upper"),
                          unit_multiplier(item["unit"]), main.name,
                          None if item.get("sparse") else context.report,
                          counts=item["value_type"] in ("proportion", "rate", "count"))
    published = rows[rows["area_code"] == PUBLISHED]
    rows = rows[rows["area_code"] != PUBLISHED]
    if len(published) and "published_tolerance" in item:
        context.published.append((item["id"], float(published["value"].iloc[0]),
                                  item["published_tolerance"], main.name))
    if item.get("authority_value"):
        local = rows["value"].dropna().unique()
        if len(local) != 1:  # published for the authority, repeated on every small area
            return []
        rows = rows.iloc[:1].assign(area_code=context.la_code, value=local[0])
    return [rows.reset_index(drop=True)]


def indicator_rows(indicator_id: str, codes, value=None, numerator=None, denominator=None,
                   lower=None, upper=None, scale: float = 1.0, where: str = "",
                   report: BuildReport | None = None, counts: bool = True) -> pd.DataFrame:
    """Long rows for one indicator, from a recipe or a user's own table alike.

    With ``counts``, numerators and denominators may not be negative (a change may). Without a
    value column the value is numerator / denominator x the unit's scale, missing where the
    denominator is zero (and said so)."""
    index = pd.Index(codes)
    nan = pd.Series(float("nan"), index=index)

    def part(series):
        return nan if series is None else pd.Series(series.values, index=index, dtype=float)

    numerator, denominator = part(numerator), part(denominator)
    for series, what in ((numerator, "numerator"), (denominator, "denominator")):
        if counts and (series < 0).any():
            code = series.index[(series < 0).argmax()]
            raise JsnaInputError(f"{where}: the {what} is a negative count "
                                 f"({series[code]:g}) for {code}")
    if value is None:
        zero = denominator == 0
        if zero.any() and report is not None:
            report.warn(f"{where}: {int(zero.sum())} areas have a denominator of zero and no "
                        f"value (first: {zero.index[zero.argmax()]})")
        value = numerator / denominator.where(~zero) * scale
    frame = pd.DataFrame({"area_code": index, "value": part(value).values,
                          "numerator": numerator.values,
                          "denominator": denominator.where(numerator.notna()).values
                          if not numerator.isna().all() else denominator.values,
                          "lower95": part(lower).values, "upper95": part(upper).values})
    frame["indicator_id"] = indicator_id
    return frame
