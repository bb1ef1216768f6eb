"""The indicator catalogue: what each indicator means, where it comes from, how it aggregates.

Every figure the plugin shows or prints carries its period, source and licence from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from . import recipes
from . import schema as s


@dataclass(frozen=True)
class Source:
    """A publication that indicators come from, with the words a printed map must carry."""

    key: str
    title: str
    publisher: str
    licence: str
    attribution: str


def _sources() -> dict[str, Source]:
    return {key: Source(key, **fields) for key, fields in recipes.load_sources().items()}


SOURCES = _sources()


@dataclass(frozen=True)
class Indicator:
    """One row of the catalogue."""

    indicator_id: str
    title: str
    domain: str
    unit: str
    polarity: str
    value_type: str
    aggregation: str
    period: str
    levels: tuple[str, ...]
    source_key: str
    description: str = ""
    own_source: Source | None = None  # for indicators a user added to a pack, or a recipe's own
    topic: str = ""
    chart: str = ""  # a chart's group (e.g. "age_bands"): shown in its chart, not in tables

    @property
    def source(self) -> Source:
        return self.own_source or SOURCES[self.source_key]

    def as_row(self) -> dict:
        """The catalogue-table row, with source, licence and attribution spelled out."""
        row = asdict(self)
        row.pop("source_key")
        row.pop("own_source")
        row["levels"] = ",".join(self.levels)
        row["source"] = f"{self.source.publisher}, {self.source.title}"
        row["licence"] = self.source.licence
        row["attribution"] = self.source.attribution
        return row


DEMOG, PROSPECTS, HOUSING, HEALTH = s.DOMAINS

# The seven IoD 2019 domains: (id stem, File 2 heading, JSNA domain).
IOD_DOMAINS = (
    ("income", "Income", PROSPECTS),
    ("employment", "Employment", PROSPECTS),
    ("education", "Education, Skills and Training", PROSPECTS),
    ("health", "Health Deprivation and Disability", HEALTH),
    ("crime", "Crime", DEMOG),
    ("barriers", "Barriers to Housing and Services", HOUSING),
    ("living_environment", "Living Environment", HOUSING),
)


def indicator_from_recipe(item: dict) -> Indicator:
    """A catalogue row from a recipe's (checked) indicator."""
    source = item["source"]
    own = Source(item["id"], source["title"], source["publisher"], source["licence"],
                 source["attribution"]) if isinstance(source, dict) else None
    return Indicator(item["id"], item["title"], item["domain"], item["unit"], item["polarity"],
                     item["value_type"], recipes.AGGREGATION_KEYS[item["aggregation"]],
                     item["period"], tuple(item["levels"]),
                     source if isinstance(source, str) else item["id"],
                     item.get("description", ""), own, item.get("topic", ""),
                     item.get("chart", ""))


def catalogue_of(recipe_list: list[recipes.Recipe]) -> tuple[Indicator, ...]:
    return tuple(indicator_from_recipe(item) for recipe in recipe_list
                 for item in recipe.indicators)


# Each edition's built-in recipes and catalogue: an id (say imd_decile) means the same thing
# in both, with its own period, source and geography.
RECIPES: dict[str, list[recipes.Recipe]] = {
    edition: recipes.load_recipes((recipes.built_in_recipes(edition),))
    for edition in recipes.EDITIONS}
CATALOGUES: dict[str, tuple[Indicator, ...]] = {
    edition: catalogue_of(recipe_list) for edition, recipe_list in RECIPES.items()}
_BUILT_IN: dict[str, dict[str, Indicator]] = {
    edition: {ind.indicator_id: ind for ind in indicators}
    for edition, indicators in CATALOGUES.items()}
_PACK_OWN: dict[str, Indicator] = {}  # indicators users added to their packs


def lookup(indicator_id: str, edition: str) -> Indicator | None:
    """An indicator as an edition's pack defines it: built-in, or added by a user."""
    return _BUILT_IN[edition].get(indicator_id) or _PACK_OWN.get(indicator_id)


def register_pack_indicators(rows: list[dict], edition: str) -> list[Indicator]:
    """Make a pack's own indicators (added from users' tables) known to maps and layouts.

    Built-in ids keep their edition's definitions; a later pack's indicator with the same id
    replaces an earlier pack's.
    """
    added = []
    for row in rows:
        if row["indicator_id"] in _BUILT_IN[edition]:
            continue
        source = Source(row["indicator_id"], row.get("source") or "", row.get("source") or "",
                        row.get("licence") or "", row.get("attribution") or "")
        indicator = Indicator(
            row["indicator_id"], row["title"], row.get("domain") or "", row.get("unit") or "",
            row.get("polarity") or s.POLARITY_NONE, row.get("value_type") or "score",
            row.get("aggregation") or s.AGG_NONE, row.get("period") or "",
            tuple(x for x in (row.get("levels") or "").split(",") if x), row["indicator_id"],
            row.get("description") or "", source, row.get("topic") or "",
            row.get("chart") or "")
        _PACK_OWN[indicator.indicator_id] = indicator
        added.append(indicator)
    return added
