"""Data packs from the national files: all of England, or any English local authority.

Small areas are LSOAs (2011; England has 32,844); neighbourhoods are MSOAs (6,791), named and
grouped from the LSOA names ("Coventry 001A" is in "Coventry 001": the national files carry no
MSOA codes, so the MSOA name is its code). For England, "hubs" are the 317 local authority
districts and the "city" is England. For one authority, the city is the authority, hubs come
from the council's own lookup (LSOA codes; without one the authority is a single hub), and
England's own figures are added for comparison. Indicators are those the national files hold:
IMD and domain ranks and deciles, population, income and employment deprivation, the IoD
underlying indicators. Everything is vectorised: dissolves cascade LSOA -> MSOA -> hub -> city.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core import catalogue, schema
from ..core.errors import JsnaInputError
from .geometry import read_boundaries, union_of
from .pack import _aggregate_values, _memberships, _wide, population_of, write_pack
from .recipes import RecipeContext, run_recipes
from .sources import IOD_CODE, IOD_LA, LAST_LSOA_2011_CODE, BuildReport, PlaceConfig, read_table

FILES = {
    "lsoa_boundaries": "lsoa_2011_bsc_ew.geojson.gz",
    "iod_domains": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    "iod_population": "File_6_-_IoD2019_Population_Denominators.csv.gz",
    "iod_underlying": "iod2019_underlying_indicators_england.csv.gz",
}
LSOA_NAME, LA_NAME = "LSOA name (2011)", "Local Authority District name (2019)"
LA_CODE = IOD_LA
EDITION = "2019"  # the national files in the mirror are IoD 2019's, on 2011 small areas
BY_ID = {ind.indicator_id: ind for ind in catalogue.CATALOGUES[EDITION]}
ENGLAND = schema.ENGLAND_CODE


def _boundaries(folder: Path, report: BuildReport, boundaries: Path | None = None,
                code_column: str = "LSOA11CD") -> gpd.GeoDataFrame:
    """LSOA polygons: the national file, or the user's own (any format OGR reads, any CRS)."""
    path = Path(boundaries) if boundaries else folder / FILES["lsoa_boundaries"]
    if not path.is_file():
        raise JsnaInputError(f"Missing boundary file: {path} (LSOA 2011 boundaries)")
    frame = read_boundaries(path, code_column, code_column, report)
    codes = frame[code_column]
    lsoa = codes[codes.str.match(r"^E01\d{6}$")]
    if lsoa.empty:
        raise JsnaInputError(f"{path.name}: column '{code_column}' holds no LSOA codes (first "
                             f"values: {', '.join(codes.head(3))})")
    newer, older = lsoa[lsoa > LAST_LSOA_2011_CODE], lsoa[lsoa <= LAST_LSOA_2011_CODE]
    if len(newer) and len(older):
        raise JsnaInputError(f"{path.name}: mixes LSOA 2011 codes ({older.iloc[0]}) with LSOA "
                             f"2021 codes ({newer.iloc[0]}); use one geography")
    if len(newer):
        raise JsnaInputError(f"{path.name}: has LSOA 2021 codes ({newer.iloc[0]}, "
                             f"{len(newer)} in all); the IoD 2019 figures are for 2011 LSOAs, so "
                             "use 2011 boundaries")
    return frame.loc[lsoa.index, [code_column, "geometry"]].rename(
        columns={code_column: "LSOA11CD"})


def find_local_authority(names: pd.DataFrame, wanted: str) -> tuple[str, str]:
    """(code, name) of an authority given by code or name, any case; suggestions if unknown."""
    import difflib

    authorities = names[[LA_CODE, LA_NAME]].drop_duplicates()
    key = wanted.strip().casefold()
    hit = authorities[(authorities[LA_CODE].str.casefold() == key)
                      | (authorities[LA_NAME].str.strip().str.casefold() == key)]
    if hit.empty:
        close = difflib.get_close_matches(wanted, list(authorities[LA_NAME]), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise JsnaInputError(f"No English local authority called '{wanted}'{hint}")
    return hit[LA_CODE].iloc[0].strip(), hit[LA_NAME].iloc[0].strip()


def build_england_pack(folder: Path, out: Path, local_authority: str | None = None,
                       hub_lookup: Path | None = None,
                       progress: Callable[[float, str], None] | None = None,
                       boundaries: Path | None = None,
                       code_column: str = "LSOA11CD") -> BuildReport:
    """Build England's pack, or one authority's (by code or name), into ``out``.

    ``boundaries``/``code_column``: your own LSOA 2011 polygons instead of the national file.
    """
    from .hubs import assign_hubs

    folder, out = Path(folder), Path(out)
    step = progress or (lambda percent, text: None)
    if not folder.is_dir():
        raise JsnaInputError(f"Source folder not found: {folder}")
    report = BuildReport()
    step(2, "Reading LSOA names and local authorities")
    names = read_table(folder / FILES["iod_domains"], [LSOA_NAME, LA_NAME, LA_CODE],
                       IOD_CODE)
    place, city_code = "England", ENGLAND
    if local_authority:
        city_code, place = find_local_authority(names, local_authority)
    lsoas = names.rename(columns={IOD_CODE: "code", LSOA_NAME: "name",
                                  LA_NAME: "hub", LA_CODE: "la_code"})[["code", "name", "hub",
                                                                        "la_code"]].copy()
    lsoas["neighbourhood_code"] = lsoas["name"].str.strip().str[:-1].str.strip()
    lsoas["hub"] = lsoas["hub"].str.strip()
    lsoas["la_code"] = lsoas["la_code"].str.strip()
    lsoas["hub_basis"] = "local authority district (IoD 2019 File 2)"
    wanted = lsoas if not local_authority else lsoas[lsoas["la_code"] == city_code]
    step(8, "Reading boundaries")
    bounds = _boundaries(folder, report, boundaries, code_column)
    areas = bounds.rename(columns={"LSOA11CD": "code"}).merge(wanted, on="code", how="inner")
    areas = areas.sort_values("code").reset_index(drop=True)
    missing = sorted(set(wanted["code"]) - set(areas["code"]))
    if len(missing) == len(wanted):
        raise JsnaInputError(f"No boundary matches a small area of {place} (first needed: "
                             f"{', '.join(missing[:3])})")
    if missing:
        report.warn(f"{len(missing)} LSOAs of {place} have no boundary and are left out "
                    f"({', '.join(missing[:5])})")
    if local_authority:
        if hub_lookup:
            membership = assign_hubs(Path(hub_lookup), areas)
            areas = areas.drop(columns=["hub", "hub_basis"]).merge(membership, on="code")
        else:
            areas["hub"], areas["hub_basis"] = place, "the whole authority (no hub lookup given)"

    step(25, "Reading the Indices of Deprivation")
    config = PlaceConfig(place, city_code, place, FILES, Path(), {})
    context = RecipeContext(folder, FILES, ENGLAND, {schema.LEVEL_SMALL_AREA: set(lsoas["code"]),
                                                     schema.LEVEL_NEIGHBOURHOOD: set()}, report)
    base_rows = run_recipes(catalogue.RECIPES[EDITION], context)
    population = population_of(base_rows)
    step(40, f"Aggregating to neighbourhoods, hubs and {place}")
    codes = set(areas["code"])
    local_rows = [rows[rows["area_code"].isin(codes)] for rows in base_rows]
    values = _aggregate_values(local_rows, areas, population,
                               _memberships(areas, population, city_code), config, BY_ID)
    if local_authority:
        values = pd.concat([values, _england_rows(base_rows, lsoas, population)],
                           ignore_index=True)

    step(55, "Dissolving neighbourhoods")
    small = areas[["code", "name", "neighbourhood_code", "hub", "hub_basis", "geometry"]]
    small = small.join(_wide(values, schema.LEVEL_SMALL_AREA), on="code")
    nb = areas[["neighbourhood_code", "hub", "geometry"]].dissolve(
        by="neighbourhood_code", aggfunc="first", as_index=False)
    nb = nb.rename(columns={"neighbourhood_code": "code"})
    nb["name"], nb["ons_name"] = nb["code"], nb["code"]
    nb["hub_basis"], nb["hub_approximate"] = "local authority district", 0
    nb = nb[["code", "name", "ons_name", "hub", "hub_basis", "hub_approximate", "geometry"]]
    nb = nb.join(_wide(values, schema.LEVEL_NEIGHBOURHOOD), on="code")
    step(70, "Dissolving districts and England")
    assigned = nb[nb["hub"] != schema.NOT_ASSIGNED]
    hubs = assigned[["hub", "geometry"]].dissolve(by="hub", as_index=False).rename(
        columns={"hub": "name"})
    counts = nb.groupby("hub")["code"].count()
    hubs["code"] = hubs["name"]
    hubs["quadrant"], hubs["address"], hubs["postcode"] = "", "", ""
    hubs["neighbourhoods"] = hubs["name"].map(counts).astype(str) + " MSOAs"
    hubs["approximate_members"] = ""
    hubs["membership_note"] = areas.drop_duplicates("hub").set_index("hub")["hub_basis"].reindex(
        hubs["name"]).fillna("").values
    hubs = hubs[["code", "name", "quadrant", "address", "postcode", "neighbourhoods",
                 "approximate_members", "membership_note", "geometry"]]
    hubs = hubs.join(_wide(values, schema.LEVEL_HUB), on="code")
    city = gpd.GeoDataFrame({"code": [city_code], "name": [place]},
                            geometry=[union_of(nb.geometry)], crs=schema.PACK_CRS)
    city = city.join(_wide(values, schema.LEVEL_CITY), on="code")

    step(80, "Writing the pack")
    info = pd.DataFrame(
        [("place", place), ("la_code", city_code),
         ("format_version", schema.PACK_FORMAT_VERSION), ("crs", schema.PACK_CRS),
         ("hub_lookup", Path(hub_lookup).name if hub_lookup else "local authority districts"
          if not local_authority else "none (the authority is one hub)"),
         ("background_grids", ""), ("edition", EDITION),
         ("boundary_attribution", catalogue.SOURCES["boundaries"].attribution),
         ("names_attribution", "MSOAs named from ONS LSOA names")]
        + [(f"warning:{i + 1}", text) for i, text in enumerate(report.warnings)],
        columns=["key", "value"])
    lookup = areas[["code", "neighbourhood_code", "hub", "hub_basis"]]
    write_pack(out, [(small, schema.SMALL_AREAS), (nb, schema.NEIGHBOURHOODS),
                     (hubs, schema.HUBS), (city, schema.CITY)],
               lambda tmp: [(values, schema.VALUES), (lookup, schema.HUB_LOOKUP),
                            (info, schema.PACK_INFO)], True, catalogue.CATALOGUES[EDITION])
    return report


ENGLAND_NOTE = "England's figure, aggregated from every LSOA in England (national files)"


def england_figures(folder: Path, report: BuildReport) -> pd.DataFrame:
    """England's own figure for every indicator the national files hold, for a local pack to
    be compared with England. Computed once per set of national files and kept in the user's
    cache folder (a few kilobytes; about 8 s to compute)."""
    folder = Path(folder)
    needed = [folder / FILES[role] for role in ("iod_domains", "iod_population", "iod_underlying")]
    absent = [p.name for p in needed if not p.is_file()]
    if absent:
        raise JsnaInputError(f"England's figures need {', '.join(absent)} in {folder}")
    cached = _cache_folder() / f"england_figures_{_fingerprint(needed)}.csv"
    rows = _read_cached(cached)
    if rows is not None:
        return rows
    names = read_table(needed[0], [LSOA_NAME], IOD_CODE)
    everywhere = pd.DataFrame({"code": names[IOD_CODE],
                               "neighbourhood_code": names[LSOA_NAME].str.strip().str[:-1]})
    context = RecipeContext(folder, FILES, ENGLAND, {
        schema.LEVEL_SMALL_AREA: set(everywhere["code"]), schema.LEVEL_NEIGHBOURHOOD: set()},
        report)
    base_rows = run_recipes(catalogue.RECIPES[EDITION], context)
    rows = _england_rows(base_rows, everywhere, population_of(base_rows))
    rows["note"] = ENGLAND_NOTE
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    rows.to_csv(partial, index=False)
    partial.replace(cached)
    return _read_cached(cached)  # the same rows a later, cached build reads: builds are equal


def _read_cached(cached: Path) -> pd.DataFrame | None:
    """England's figures from the cache, or None when absent or damaged (then made again)."""
    if not cached.is_file():
        return None
    try:
        rows = pd.read_csv(cached, dtype={"area_code": str, "note": str, "period": str},
                           keep_default_na=False, na_values=[""])
    except (ValueError, OSError, pd.errors.ParserError):
        return None
    return rows if set(schema.VALUE_COLUMNS) <= set(rows.columns) else None


def _cache_folder() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jsna_profiles"


def _fingerprint(paths: list[Path]) -> str:
    """The files' names, sizes and modification times, and the recipes that read them: a
    changed file or recipe is a new cache entry."""
    import hashlib

    from ..core.recipes import built_in_recipes

    digest = hashlib.sha256()
    for p in paths:
        digest.update(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}|".encode())
    for recipe in sorted(built_in_recipes(EDITION).glob("*.json")):
        digest.update(recipe.read_bytes())
    return digest.hexdigest()[:16]


def _england_rows(base_rows: list, everywhere: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """England's own figure for every indicator that aggregates, to compare an authority with."""
    config = PlaceConfig("England", ENGLAND, "England", FILES, Path(), {})
    membership = {schema.LEVEL_SMALL_AREA: {
        schema.LEVEL_CITY: pd.Series(ENGLAND, index=everywhere["code"].values)}}
    values = _aggregate_values(base_rows, everywhere, population, membership, config, BY_ID)
    england = values[values["level"] == schema.LEVEL_CITY].copy()
    england["level"] = schema.LEVEL_ENGLAND
    return england
