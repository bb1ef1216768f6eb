"""Data packs from the national files: all of England, or any English local authority, in
either edition (2025: IoD 2025 and Census 2021 on LSOA 2021; 2019: IoD 2019 on LSOA 2011).

Neighbourhoods are MSOAs, named and grouped from the LSOA names ("Coventry 001A" is in
"Coventry 001": the national IoD files carry no MSOA codes, so the MSOA name is its code). For
England, "hubs" are the local authority districts and the "city" is England. For one
authority, the city is the authority, hubs come from the council's own lookup (LSOA codes;
without one the authority is a single hub), and England's own figures are added for comparison.
The indicators are those of the edition's recipes whose files are national; the pack notes
name the recipes left out. Everything is vectorised: dissolves cascade LSOA -> MSOA -> hub ->
city. A national file missing, cut short or of the other geography stops the build, naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core import catalogue, schema
from ..core.errors import JsnaInputError
from ..core.recipes import DEFAULT_EDITION, EDITION_NAMES
from . import schools
from .geometry import read_boundaries, union_of
from .pack import (
    _aggregate_values,
    _area_table,
    _memberships,
    _wide,
    edition_2025_tables,
    population_of,
    write_pack,
)
from .recipes import RecipeContext, run_recipes
from .sources import IOD_CODE, IOD_LA, LAST_LSOA_2011_CODE, BuildReport, PlaceConfig, read_table

ENGLAND = schema.ENGLAND_CODE


@dataclass(frozen=True)
class NationalEdition:
    """One edition's national files (role -> name, as in ../shared/data/england) and the
    columns of the file that names every LSOA and its local authority."""

    edition: str
    files: dict
    optional: frozenset  # roles read when the file is there (a user's own official files)
    names_role: str
    code: str
    name: str
    la_code: str
    la_name: str
    boundary_code: str  # the code column of the national boundary file
    own_boundary_code: str  # ONS's name for it, the default for a council's own boundaries
    geography: str
    names_label: str  # the names file as the publisher numbers it

    def present(self, folder: Path) -> dict:
        """The roles of the files a build reads from ``folder``: every required one (a missing
        one is an error naming them all) and the optional ones that are there."""
        missing = [name for role, name in self.files.items()
                   if role not in self.optional and not (folder / name).is_file()]
        if missing:
            raise JsnaInputError(f"{folder}: the {self.edition} edition's national files "
                                 f"{', '.join(missing)} are missing")
        return {role: name for role, name in self.files.items()
                if role not in self.optional or (folder / name).is_file()}


NATIONAL = {
    "2019": NationalEdition(
        "2019", {"lsoa_boundaries": "lsoa_2011_bsc_ew.geojson.gz",
                 "iod_domains": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
                 "iod_population": "File_6_-_IoD2019_Population_Denominators.csv.gz",
                 "iod_underlying": "iod2019_underlying_indicators_england.csv.gz"},
        frozenset(), "iod_domains", IOD_CODE, "LSOA name (2011)", IOD_LA,
        "Local Authority District name (2019)", "LSOA11CD", "LSOA11CD", "LSOA 2011",
        "IoD 2019 File 2"),
    "2025": NationalEdition(
        "2025", {"lsoa_boundaries": "lsoa_2021_bsc_ew.geojson.gz",
                 "lsoa_lookup": "lookup_lsoa11_lsoa21_lad22_ew.csv.gz",
                 "iod_file1": "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz",
                 "iod_scores": "iod2025_england_lsoa21_scores_ranks_deciles.csv.gz",
                 "iod_supplementary":
                     "File_3_IoD2025_Supplementary_Indices_IDACI_and_IDAOPI.csv.gz",
                 "iod_subdomains": "iod2025_england_lsoa21_subdomains.csv.gz",
                 "iod_underlying": "iod2025_england_lsoa21_underlying_indicators.csv.gz",
                 "iod2019_domains": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
                 "iod2019_population": "File_6_-_IoD2019_Population_Denominators.csv.gz",
                 "iod2019_underlying": "iod2019_underlying_indicators_england.csv.gz",
                 "census_residents": "census2021_lsoa21_usual_residents_households_ew.csv.gz",
                 "census_age": "census2021_age_6_categories_lsoa21_hack25usefuldata_england.csv.gz",
                 **{role: f"census2021_{table}_lsoa21_demographr_england.csv.gz"
                    for role, table in (
                        ("census_ethnicity_lsoa", "ts021_ethnic_group_broad"),
                        ("census_religion", "ts030_religion"),
                        ("census_disability", "ts038_disability"),
                        ("census_tenure", "ts054_tenure"),
                        ("census_accommodation", "ts044_accommodation_type"),
                        ("census_household_deprivation", "ts011_household_deprivation"),
                        ("census_occupancy", "ts052_occupancy_rating_bedrooms"))},
                 "schools": "gias_schools_2025_england.csv.gz",
                 "iod_file7": "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
                 "iod_file8": "File_8_IoD2025_Underlying_Indicators.xlsx"},
        frozenset({"iod_file7", "iod_file8"}), "iod_file1", "LSOA code (2021)",
        "LSOA name (2021)", "Local Authority District code (2024)",
        "Local Authority District name (2024)", "lsoa21_code", "LSOA21CD", "LSOA 2021",
        "IoD 2025 File 1"),
}


def _boundaries(folder: Path, report: BuildReport, national: NationalEdition,
                boundaries: Path | None = None, code_column: str | None = None
                ) -> gpd.GeoDataFrame:
    """LSOA polygons of the edition's geography (column "code"): the national file, or the
    user's own (any format OGR reads, any CRS)."""
    path = Path(boundaries) if boundaries else folder / national.files["lsoa_boundaries"]
    code_column = code_column or (national.own_boundary_code if boundaries
                                  else national.boundary_code)
    if not path.is_file():
        raise JsnaInputError(f"Missing boundary file: {path} ({national.geography} boundaries)")
    frame = read_boundaries(path, code_column, code_column, report)
    codes = frame[code_column]
    lsoa = codes[codes.str.match(r"^E01\d{6}$")]
    if lsoa.empty:
        raise JsnaInputError(f"{path.name}: column '{code_column}' holds no LSOA codes (first "
                             f"values: {', '.join(codes.head(3))})")
    newer, older = lsoa[lsoa > LAST_LSOA_2011_CODE], lsoa[lsoa <= LAST_LSOA_2011_CODE]
    if national.edition == "2019" and len(newer) and len(older):
        raise JsnaInputError(f"{path.name}: mixes LSOA 2011 codes ({older.iloc[0]}) with LSOA "
                             f"2021 codes ({newer.iloc[0]}); use one geography")
    if national.edition == "2019" and len(newer):
        raise JsnaInputError(f"{path.name}: has LSOA 2021 codes ({newer.iloc[0]}, "
                             f"{len(newer)} in all); the IoD 2019 figures are for 2011 LSOAs, so "
                             "use 2011 boundaries")
    return frame.loc[lsoa.index, [code_column, "geometry"]].rename(columns={code_column: "code"})


def _check_geography(bounds: gpd.GeoDataFrame, missing: list, path: Path,
                     national: NationalEdition) -> None:
    """2011 boundaries given for the 2025 edition: the 2021-only small areas are what is
    missing, and the file has none of them."""
    if (national.edition == "2025" and missing and min(missing) > LAST_LSOA_2011_CODE
            and not (bounds["code"] > LAST_LSOA_2011_CODE).any()):
        raise JsnaInputError(f"{path.name}: has no LSOA 2021 codes (no boundary for "
                             f"{missing[0]}, {len(missing)} in all): LSOA 2011 boundaries? The "
                             "IoD 2025 and Census 2021 figures are for 2021 LSOAs")


def find_local_authority(lsoas: pd.DataFrame, wanted: str) -> tuple[str, str]:
    """(code, name) of an authority given by code or name, any case; suggestions if unknown
    (``lsoas``: as _small_areas gives them)."""
    import difflib

    authorities = lsoas[["la_code", "hub"]].drop_duplicates()
    key = wanted.strip().casefold()
    hit = authorities[(authorities["la_code"].str.casefold() == key)
                      | (authorities["hub"].str.casefold() == key)]
    if hit.empty:
        close = difflib.get_close_matches(wanted, list(authorities["hub"]), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise JsnaInputError(f"No English local authority called '{wanted}'{hint}")
    return hit["la_code"].iloc[0], hit["hub"].iloc[0]


def _small_areas(folder: Path, files: dict, national: NationalEdition) -> pd.DataFrame:
    """Every LSOA of England (code, name, neighbourhood_code, hub = its authority, la_code)."""
    names = read_table(folder / files[national.names_role],
                       [national.name, national.la_name, national.la_code], national.code)
    lsoas = pd.DataFrame({"code": names[national.code], "name": names[national.name].str.strip(),
                          "hub": names[national.la_name].str.strip(),
                          "la_code": names[national.la_code].str.strip()})
    lsoas["neighbourhood_code"] = lsoas["name"].str[:-1].str.strip()
    lsoas["hub_basis"] = f"local authority district ({national.names_label})"
    return lsoas


@dataclass
class _NationalRows:
    """What the edition's recipes made from the national files, for every LSOA in England."""

    base_rows: list
    population: pd.Series
    made: set  # the indicator ids with values
    schools: gpd.GeoDataFrame | None
    context: RecipeContext


def _national_rows(folder: Path, files: dict, national: NationalEdition, lsoas: pd.DataFrame,
                   areas: gpd.GeoDataFrame, report: BuildReport) -> _NationalRows:
    """Run the edition's recipes over England's LSOAs (``areas``: those with boundaries, whose
    land area the density indicators need). Every recipe whose files are there must be made."""
    codes = set(lsoas["code"])
    config = PlaceConfig("England", ENGLAND, "England", files, Path(), {},
                         edition=national.edition)
    derived = {"@areas": _area_table(areas)}
    if national.edition == "2025":
        derived.update(edition_2025_tables(folder, config, codes, report))
    points, per_school = schools.schools(folder, config, codes, report)
    if per_school is not None:
        derived["@schools"] = per_school
    context = RecipeContext(folder, files, ENGLAND, {schema.LEVEL_SMALL_AREA: codes,
                                                     schema.LEVEL_NEIGHBOURHOOD: set()},
                            report, derived, strict=True)
    base_rows = run_recipes(catalogue.RECIPES[national.edition], context)
    population = (derived["@denominators"].set_index("code")["population"]
                  if "@denominators" in derived else population_of(base_rows))
    made = {rows["indicator_id"].iloc[0] for rows in base_rows}
    return _NationalRows(base_rows, population, made, points, context)


def _not_national_note(context: RecipeContext, national: NationalEdition, files: dict) -> str:
    """Which recipes the national files cannot make, and the optional files that would add
    some of them."""
    absent = [national.files[role] for role in sorted(national.optional - set(files))]
    return ("Not in the national files, so not in this pack: " + "; ".join(context.not_made)
            + (f" (put {' and '.join(absent)} in the folder to add theirs)" if absent else "")
            if context.not_made else "")


def build_england_pack(folder: Path, out: Path, local_authority: str | None = None,
                       hub_lookup: Path | None = None,
                       progress: Callable[[float, str], None] | None = None,
                       boundaries: Path | None = None,
                       code_column: str | None = None,
                       edition: str = DEFAULT_EDITION) -> BuildReport:
    """Build England's pack, or one authority's (by code or name), into ``out``.

    ``boundaries``/``code_column``: your own LSOA polygons (of the edition's geography)
    instead of the national file.
    """
    from .hubs import assign_hubs, home_hubs, hub_shares

    folder, out = Path(folder), Path(out)
    step = progress or (lambda percent, text: None)
    if not folder.is_dir():
        raise JsnaInputError(f"Source folder not found: {folder}")
    if edition not in NATIONAL:
        raise JsnaInputError(f"Unknown edition '{edition}' (choose from {', '.join(NATIONAL)})")
    national = NATIONAL[edition]
    files = national.present(folder)
    by_id = {ind.indicator_id: ind for ind in catalogue.CATALOGUES[edition]}
    report = BuildReport()
    step(2, "Reading LSOA names and local authorities")
    lsoas = _small_areas(folder, files, national)
    place, city_code = "England", ENGLAND
    if local_authority:
        city_code, place = find_local_authority(lsoas, local_authority)
    wanted = lsoas if not local_authority else lsoas[lsoas["la_code"] == city_code]
    step(8, "Reading boundaries")
    bounds = _boundaries(folder, report, national, boundaries, code_column)
    areas = bounds.merge(wanted, on="code", how="inner")
    areas = areas.sort_values("code").reset_index(drop=True)
    missing = sorted(set(wanted["code"]) - set(areas["code"]))
    boundary_path = Path(boundaries) if boundaries else folder / files["lsoa_boundaries"]
    _check_geography(bounds, missing, boundary_path, national)
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

    step(25, "Reading the national files through the recipes")
    everywhere = bounds
    if boundaries:  # England's land areas (for its density) from the national file
        national_bounds = _boundaries(folder, BuildReport(), national)
        everywhere = pd.concat([bounds, national_bounds[~national_bounds["code"].isin(
            bounds["code"])]], ignore_index=True)
    made = _national_rows(folder, files, national, lsoas, everywhere, report)
    population = made.population
    config = PlaceConfig(place, city_code, place, files, Path(), {}, edition=edition)
    step(40, f"Aggregating to neighbourhoods, hubs and {place}")
    codes = set(areas["code"])
    local_rows = [rows[rows["area_code"].isin(codes)] for rows in made.base_rows] \
        if local_authority or missing else made.base_rows
    shares = hub_shares(areas, population)
    values = _aggregate_values(local_rows, areas, population,
                               _memberships(areas, shares, city_code), config, by_id)
    if local_authority:
        values = pd.concat([values, _england_rows(made.base_rows, lsoas, population, by_id)],
                           ignore_index=True)
    del local_rows
    made.base_rows = []  # England's rows are in the values now: a few hundred MB freed
    not_national = _not_national_note(made.context, national, files)
    if not_national:
        report.note(not_national)

    step(55, "Dissolving neighbourhoods")
    small = areas[["code", "name", "neighbourhood_code", "hub", "hub_basis", "geometry"]]
    small = small.join(_wide(values, schema.LEVEL_SMALL_AREA), on="code")
    nb = areas[["neighbourhood_code", "geometry"]].dissolve(by="neighbourhood_code",
                                                            as_index=False)
    nb = nb.rename(columns={"neighbourhood_code": "code"})
    nb["hub"] = nb["code"].map(home_hubs(shares)).fillna(schema.NOT_ASSIGNED)
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
         ("background_grids", ""), ("edition", edition), ("edition_name", EDITION_NAMES[edition]),
         ("boundary_attribution", catalogue.SOURCES[
             "boundaries_2021" if edition == "2025" else "boundaries"].attribution),
         ("names_attribution", "MSOAs named from ONS LSOA names")]
        + [(f"source:{role}", name) for role, name in sorted(files.items())]
        + [(f"warning:{i + 1}", text) for i, text in enumerate(report.warnings)]
        + [(f"note:{i + 1}", text) for i, text in enumerate(report.notes)],
        columns=["key", "value"])
    lookup = areas[["code", "neighbourhood_code", "hub", "hub_basis"]]
    layers = [(small, schema.SMALL_AREAS), (nb, schema.NEIGHBOURHOODS), (hubs, schema.HUBS),
              (city, schema.CITY)]
    if made.schools is not None:
        here = made.schools[made.schools["lsoa_code"].isin(codes)]
        if len(here):
            layers.append((here.reset_index(drop=True), schema.SCHOOLS))
    indicators = tuple(i for i in catalogue.CATALOGUES[edition] if i.indicator_id in made.made)
    write_pack(out, layers, lambda tmp: [(values, schema.VALUES), (lookup, schema.HUB_LOOKUP),
                                         (shares, schema.HUB_SHARES), (info, schema.PACK_INFO)],
               True, indicators)
    return report


def england_note(files: dict) -> str:
    """What a local pack's England figures are, with the weights of their averages."""
    weights = ("IoD 2025's mid-2022 denominators" if "iod_file7" in files
               else "Census 2021 usual residents") if "census_residents" in files else ""
    return ("England's figure, aggregated from every LSOA in England (national files"
            + (f"; IoD averages weighted by {weights})" if weights else ")"))


def england_figures(folder: Path, report: BuildReport,
                    edition: str = DEFAULT_EDITION) -> pd.DataFrame:
    """England's own figure for every indicator the edition's national files hold, for a local
    pack to be compared with England. Computed once per set of national files and kept in the
    user's cache folder (a few kilobytes; 8 to 40 s to compute)."""
    folder = Path(folder)
    national = NATIONAL[edition]
    files = national.present(folder)
    paths = [folder / name for name in files.values()]
    cached = _cache_folder() / f"england_figures_{edition}_{_fingerprint(paths, edition)}.csv"
    rows = _read_cached(cached)
    if rows is not None:
        return rows
    lsoas = _small_areas(folder, files, national)
    bounds = _boundaries(folder, BuildReport(), national)
    made = _national_rows(folder, files, national, lsoas, bounds, report)
    by_id = {ind.indicator_id: ind for ind in catalogue.CATALOGUES[edition]}
    rows = _england_rows(made.base_rows, lsoas, made.population, by_id)
    rows["note"] = england_note(files)
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


def _fingerprint(paths: list[Path], edition: str) -> str:
    """The files' names, sizes and modification times, and the recipes that read them: a
    changed file or recipe is a new cache entry."""
    import hashlib

    from ..core.recipes import built_in_recipes

    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}|".encode())
    for recipe in sorted(built_in_recipes(edition).glob("*.json")):
        digest.update(recipe.read_bytes())
    return digest.hexdigest()[:16]


def _england_rows(base_rows: list, everywhere: pd.DataFrame, population: pd.Series,
                  by_id: dict) -> pd.DataFrame:
    """England's own figure for every indicator that aggregates, to compare an authority with."""
    config = PlaceConfig("England", ENGLAND, "England", {}, Path(), {})
    membership = {schema.LEVEL_SMALL_AREA: {
        schema.LEVEL_CITY: pd.Series(ENGLAND, index=everywhere["code"].values)}}
    values = _aggregate_values(base_rows, everywhere, population, membership, config, by_id,
                               with_base=False)
    england = values[values["level"] == schema.LEVEL_CITY].copy()
    england["level"] = schema.LEVEL_ENGLAND
    return england
