"""Earlier figures for a 2025-edition pack: the 2019 edition's values of the indicators that
mean the same in both (Census 2011 -> 2021, fuel poverty 2020 -> 2022, IMD 2019 -> 2025),
for neighbourhoods, hubs, the city and England.

They are made by the 2019 edition's own recipes on 2011 small areas, then aggregated to the
2021 neighbourhoods: an MSOA 2011 is the same neighbourhood as an MSOA 2021 when the ONS lookup
pairs them one to one (all of Coventry's did not change). Small areas are not compared (their
boundaries changed; builder.change does that for the IMD). Neighbourhoods that changed are
left out, and the pack's notes say so.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core import catalogue, schema
from ..core.errors import JsnaInputError
from .recipes import RecipeContext, indicator_rows, run_recipes
from .sources import BuildReport, PlaceConfig, read_table, source_path

# Census 2011 -> 2021 topics whose questions and bases did not change, and the others kept
# comparable by their publishers. Disability (a new question) and proficiency in English (new
# categories) are not among them.
COMPARABLE = ("ethnic_not_white_british", "language_not_english", "bad_health",
              "tenure_owned", "tenure_social_rented", "tenure_private_rented", "flats",
              "fuel_poverty")
MOST_DEPRIVED = "most_deprived_10_areas"  # from each edition's IMD deciles
TREND_IDS = (*COMPARABLE, MOST_DEPRIVED)
NOT_COMPARABLE_NOTE = (
    "Not compared with 2011: disability (the 2021 Census asked about the Equality Act "
    "definition, 2011 about limiting long-term illness) and proficiency in English (published "
    "with different categories); the 2011 main-language question is compared.")


def same_neighbourhoods(sources: Path, config: PlaceConfig) -> pd.Series:
    """MSOA 2011 code -> MSOA 2021 code, for the pairs the ONS lookup matches one to one."""
    path = source_path(sources, config, "msoa_lookup")
    lookup = read_table(path, ["msoa21_code"], "msoa11_code", ("msoa21_code",))
    pairs = lookup[["msoa11_code", "msoa21_code"]].drop_duplicates()
    once = (~pairs["msoa11_code"].duplicated(keep=False)) & \
        (~pairs["msoa21_code"].duplicated(keep=False))
    return pairs[once].set_index("msoa11_code")["msoa21_code"]


def earlier_values(sources: Path, config: PlaceConfig, nb_hub: pd.Series,
                   report: BuildReport) -> pd.DataFrame:
    """The 2019 edition's values (VALUE_COLUMNS) of TREND_IDS, on the 2025 pack's
    neighbourhoods and hubs (``nb_hub``: MSOA 2021 code -> hub), its city and England."""
    from .hubs import hub_shares
    from .pack import _aggregate_values, _geography, _memberships, population_of

    try:
        before = config.other_edition("2019")
        areas = _geography(sources, before, BuildReport())
    except JsnaInputError as exc:
        report.note(f"No earlier figures to compare with: {exc}")
        return pd.DataFrame(columns=list(schema.VALUE_COLUMNS))
    same = same_neighbourhoods(sources, config)
    changed = sorted(set(areas["neighbourhood_code"]) - set(same.index))
    if changed:
        report.note(f"Neighbourhoods whose MSOA changed in 2021 have no earlier figures: "
                    f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
    areas = areas[areas["neighbourhood_code"].isin(same.index)].copy()
    areas["neighbourhood_code"] = areas["neighbourhood_code"].map(same)
    areas["hub"] = areas["neighbourhood_code"].map(nb_hub).fillna(schema.NOT_ASSIGNED)
    lsoas, msoas = set(areas["code"]), set(areas["neighbourhood_code"]) | set(same.index)
    wanted = {*COMPARABLE, "population", "imd_decile"}
    recipes = [r for r in before.recipes if {i["id"] for i in r.indicators} & wanted]
    context = RecipeContext(sources, before.files, before.la_code,
                            {schema.LEVEL_SMALL_AREA: lsoas, schema.LEVEL_NEIGHBOURHOOD: msoas},
                            BuildReport())
    rows = run_recipes(recipes, context)
    population = population_of(rows)
    rows = [_on_2021_codes(r, same) for r in rows if r["indicator_id"].iloc[0] in wanted]
    deciles = next((r for r in rows if r["indicator_id"].iloc[0] == "imd_decile"), None)
    by_id = {i.indicator_id: i for i in catalogue.CATALOGUES["2019"] if i.indicator_id in wanted}
    by_id[MOST_DEPRIVED] = catalogue.lookup(MOST_DEPRIVED, "2025")
    if deciles is not None:
        first = (deciles["value"] == 1).astype(float).where(deciles["value"].notna())
        rows.append(indicator_rows(MOST_DEPRIVED, deciles["area_code"], numerator=first,
                                   denominator=pd.Series(1.0, index=first.index)))
    rows = [r for r in rows if r["indicator_id"].iloc[0] in TREND_IDS]
    values = _aggregate_values(rows, gpd.GeoDataFrame(areas), population,
                               _memberships(areas, hub_shares(areas, population), before.la_code),
                               before, by_id)
    values.loc[values["indicator_id"] == MOST_DEPRIVED, "period"] = "2019"
    return values[values["level"] != schema.LEVEL_SMALL_AREA].reset_index(drop=True)


def _on_2021_codes(rows: pd.DataFrame, same: pd.Series) -> pd.DataFrame:
    """Rows published by MSOA 2011 put on the MSOA 2021 codes (small areas are kept as they
    are, for aggregation up)."""
    mapped = rows["area_code"].map(same)
    return rows.assign(area_code=mapped.fillna(rows["area_code"]))
