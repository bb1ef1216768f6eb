"""Recipes: each official source file described as data (config/recipes/<edition>/*.json).

A recipe names its tables (a source file by its role in the place configuration, the code
column, the level), and for each indicator the columns it is made from and everything the
catalogue prints with it: title, JSNA domain and topic, unit, polarity, period, source, licence.
This module only reads and checks recipes (no pandas, no Qt): the catalogue is made from them
at start-up, and builder.recipes turns them into values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import schema as s
from .errors import JsnaInputError
from .names import check_plain_text

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
RECIPES_DIR = CONFIG_DIR / "recipes"
# A pack holds one edition: its indicators and its small areas' geography.
EDITIONS = ("2025", "2019")
DEFAULT_EDITION = "2025"
EDITION_NAMES = {
    "2025": "IoD 2025 and Census 2021, on 2021 small areas (LSOA/MSOA 2021)",
    "2019": "IoD 2019 and Census 2011, on 2011 small areas (LSOA/MSOA 2011)",
}
# Packs written before editions existed were all of the 2019 edition.
EDITION_OF_OLDER_PACKS = "2019"
SOURCES_FILE = CONFIG_DIR / "sources.json"

AGGREGATION_KEYS = {"sum": s.AGG_COUNT_SUM, "ratio": s.AGG_RATIO_OF_SUMS,
                    "weighted": s.AGG_POP_WEIGHTED, "none": s.AGG_NONE}
VALUE_TYPES = ("count", "proportion", "rate", "score", "rank", "decile", "life expectancy",
               "change", "density")
EXPRESSION_KEYS = ("value", "numerator", "denominator", "lower", "upper")
INDICATOR_KEYS = {"id", "title", "domain", "topic", "unit", "polarity", "value_type",
                  "aggregation", "period", "levels", "source", "description", "table", "filter",
                  "where", "multiply", "authority_value", "published_tolerance", "chart",
                  "sparse", *EXPRESSION_KEYS}


@dataclass(frozen=True)
class Recipe:
    """One recipe file: its tables and its indicators' definitions (JSON objects, checked)."""

    path: Path
    name: str
    required: bool
    tables: dict
    indicators: tuple[dict, ...]
    checks: tuple[dict, ...] = field(default_factory=tuple)
    when_present: bool = False  # made only when its files are in the source folder

    @property
    def roles(self) -> set[str]:
        """The source-file roles the recipe needs (derived tables start with '@'). A table's
        national file is not one of them: without it, England's figure comes from elsewhere
        (the national files, or in a national build the small areas themselves)."""
        return {t["file"] for t in self.tables.values()}

    @property
    def national_roles(self) -> set[str]:
        return {t["national"]["file"] for t in self.tables.values() if "national" in t}


def load_sources(path: Path = SOURCES_FILE) -> dict[str, dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def built_in_recipes(edition: str) -> Path:
    """The folder of an edition's built-in recipes."""
    if edition not in EDITIONS:
        raise JsnaInputError(f"Unknown edition '{edition}' (choose from {', '.join(EDITIONS)})")
    return RECIPES_DIR / edition


def load_recipes(folders: list[Path] | tuple[Path, ...] = (RECIPES_DIR / DEFAULT_EDITION,),
                 sources: dict | None = None) -> list[Recipe]:
    """Every *.json recipe of the folders, in file-name order, each one checked."""
    sources = load_sources() if sources is None else sources
    recipes, seen = [], {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise JsnaInputError(f"Recipe folder not found: {folder}")
        for path in sorted(folder.glob("*.json")):
            recipe = read_recipe(path, sources)
            for indicator in recipe.indicators:
                if indicator["id"] in seen:
                    raise JsnaInputError(f"{path.name}: indicator '{indicator['id']}' is already "
                                         f"defined by {seen[indicator['id']]}")
                seen[indicator["id"]] = path.name
            recipes.append(recipe)
    return recipes


def read_recipe(path: Path, sources: dict) -> Recipe:
    """Parse and check one recipe file; any fault is one line naming the file and indicator."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise JsnaInputError(f"{Path(path).name}: not a readable recipe ({exc})") from None
    where = Path(path).name
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or \
            not raw["tables"] or not isinstance(raw.get("indicators"), list):
        raise JsnaInputError(f"{where}: a recipe needs 'tables' (an object) and 'indicators' "
                             "(a list)")
    for alias, table in raw["tables"].items():
        if not isinstance(table, dict) or not table.get("file") or \
                (not table["file"].startswith("@") and not table.get("code_column")):
            raise JsnaInputError(f"{where}: table '{alias}' needs 'file' and 'code_column'")
    first = next(iter(raw["tables"]))
    indicators = tuple(_checked_indicator(where, item, raw["tables"], first, sources)
                       for item in raw["indicators"])
    return Recipe(Path(path), raw.get("name", where), bool(raw.get("required", False)),
                  raw["tables"], indicators, tuple(raw.get("checks", ())),
                  bool(raw.get("when_present", False)))


def _checked_indicator(where: str, item: dict, tables: dict, first: str, sources: dict) -> dict:
    if not isinstance(item, dict) or not item.get("id"):
        raise JsnaInputError(f"{where}: every indicator needs an 'id'")
    name = f"{where}, indicator '{item['id']}'"
    unknown = set(item) - INDICATOR_KEYS
    if unknown:
        raise JsnaInputError(f"{name}: unknown key '{sorted(unknown)[0]}'")
    for key in ("title", "domain", "unit", "polarity", "period", "levels", "source"):
        if key not in item:
            raise JsnaInputError(f"{name}: '{key}' is missing")
    for key in ("title", "topic", "period", "description"):  # printed on maps and profiles
        check_plain_text(item.get(key, ""), f"{name}: the {key}")
    if isinstance(item["source"], dict):
        for key, text in item["source"].items():
            check_plain_text(text, f"{name}: the source's {key}")
    if item["unit"] not in s.UNITS:
        raise JsnaInputError(f"{name}: the unit '{item['unit']}' is not one the catalogue knows "
                             f"({', '.join(s.UNITS)})")
    if item["polarity"] not in s.POLARITIES:
        raise JsnaInputError(f"{name}: the polarity '{item['polarity']}' is not one the "
                             f"catalogue knows ({', '.join(s.POLARITIES)})")
    if item["domain"] not in s.DOMAINS:
        raise JsnaInputError(f"{name}: the domain '{item['domain']}' is not a JSNA chapter "
                             f"({', '.join(s.DOMAINS)})")
    bad_levels = [level for level in item["levels"] if level not in s.LEVELS]
    if bad_levels:
        raise JsnaInputError(f"{name}: '{bad_levels[0]}' is not a level ({', '.join(s.LEVELS)})")
    value_type = item.get("value_type") or _default_value_type(item)
    if value_type not in VALUE_TYPES:
        raise JsnaInputError(f"{name}: the value type '{value_type}' is not one of "
                             f"{', '.join(VALUE_TYPES)}")
    aggregation = item.get("aggregation") or _default_aggregation(item, value_type)
    if aggregation not in AGGREGATION_KEYS:
        raise JsnaInputError(f"{name}: the aggregation '{aggregation}' is not one of "
                             f"{', '.join(AGGREGATION_KEYS)}")
    source = item["source"]
    if isinstance(source, str) and source not in sources:
        raise JsnaInputError(f"{name}: the source '{source}' is not in sources.json; give its "
                             "title, publisher, licence and attribution instead")
    if isinstance(source, dict) and not all(source.get(k) for k in
                                            ("title", "publisher", "licence", "attribution")):
        raise JsnaInputError(f"{name}: a source needs a title, publisher, licence and attribution")
    if not (item.get("value") or item.get("numerator")):
        raise JsnaInputError(f"{name}: give a 'value', or a 'numerator' and a 'denominator'")
    if item.get("numerator") and not item.get("value") and not item.get("denominator"):
        raise JsnaInputError(f"{name}: a numerator needs a denominator")
    table = item.get("table", first)
    if table not in tables:
        raise JsnaInputError(f"{name}: no table called '{table}' in the recipe")
    return {**item, "value_type": value_type, "aggregation": aggregation, "table": table}


def _default_value_type(item: dict) -> str:
    if item.get("numerator") and not item.get("value"):
        return "proportion" if str(item.get("unit", "")).startswith("%") else "rate"
    return "score"


def _default_aggregation(item: dict, value_type: str) -> str:
    if value_type == "count":
        return "sum"
    return "ratio" if item.get("numerator") and item.get("denominator") else "weighted"
