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

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core import catalogue, schema
from ..core.errors import JsnaInputError
from . import indicators
from .geometry import read_boundaries
from .pack import _aggregate_values, _memberships, _wide, _write_layer, write_table
from .sources import BuildReport, PlaceConfig, read_table

FILES = {
    "lsoa_boundaries": "lsoa_2011_bsc_ew.geojson.gz",
    "iod_domains": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    "iod_population": "File_6_-_IoD2019_Population_Denominators.csv.gz",
    "iod_underlying": "iod2019_underlying_indicators_england.csv.gz",
}
LSOA_NAME, LA_NAME = "LSOA name (2011)", "Local Authority District name (2019)"
LA_CODE = indicators.IOD_LA
ENGLAND = indicators.ENGLAND_CODE


def _boundaries(folder: Path, report: BuildReport) -> gpd.GeoDataFrame:
    path = folder / FILES["lsoa_boundaries"]
    if not path.is_file():
        raise JsnaInputError(f"Missing source file: {path} (LSOA 2011 boundaries)")
    frame = read_boundaries(path, "LSOA11CD", "LSOA11NM", report)
    return frame[frame["LSOA11CD"].str.startswith("E01")][["LSOA11CD", "geometry"]]


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
                       progress: Callable[[float, str], None] | None = None) -> BuildReport:
    """Build England's pack, or one authority's (by code or name), into ``out``."""
    from .hubs import assign_hubs

    folder, out = Path(folder), Path(out)
    step = progress or (lambda percent, text: None)
    if not folder.is_dir():
        raise JsnaInputError(f"Source folder not found: {folder}")
    report = BuildReport()
    step(2, "Reading LSOA names and local authorities")
    names = read_table(folder / FILES["iod_domains"], [LSOA_NAME, LA_NAME, LA_CODE],
                       indicators.IOD_CODE)
    place, city_code = "England", ENGLAND
    if local_authority:
        city_code, place = find_local_authority(names, local_authority)
    step(8, "Reading boundaries")
    bounds = _boundaries(folder, report)
    everywhere = bounds.rename(columns={"LSOA11CD": "code"}).merge(
        names.rename(columns={indicators.IOD_CODE: "code", LSOA_NAME: "name", LA_NAME: "hub",
                              LA_CODE: "la_code"})[["code", "name", "hub", "la_code"]],
        on="code", how="inner")
    missing = len(names) - len(everywhere)
    if missing:
        report.warn(f"{missing} LSOAs in the IoD files have no boundary and are left out")
    everywhere["neighbourhood_code"] = everywhere["name"].str.strip().str[:-1].str.strip()
    everywhere["hub"] = everywhere["hub"].str.strip()
    everywhere["hub_basis"] = "local authority district (IoD 2019 File 2)"
    everywhere = everywhere.sort_values("code").reset_index(drop=True)
    areas = everywhere if not local_authority else \
        everywhere[everywhere["la_code"].str.strip() == city_code].reset_index(drop=True)
    if local_authority:
        if hub_lookup:
            membership = assign_hubs(Path(hub_lookup), areas)
            areas = areas.drop(columns=["hub", "hub_basis"]).merge(membership, on="code")
        else:
            areas["hub"], areas["hub_basis"] = place, "the whole authority (no hub lookup given)"

    step(25, "Reading the Indices of Deprivation")
    config = PlaceConfig(place, city_code, place, FILES, Path(), {})
    base_rows, denominators = indicators.iod_small_area(
        folder, PlaceConfig("England", ENGLAND, "England", FILES, Path(), {}),
        set(everywhere["code"]), report)
    population = denominators[indicators.POPULATION]
    step(40, f"Aggregating to neighbourhoods, hubs and {place}")
    codes = set(areas["code"])
    local_rows = [rows[rows["area_code"].isin(codes)] for rows in base_rows]
    values = _aggregate_values(local_rows, areas, population,
                               _memberships(areas, population, city_code), config)
    if local_authority:
        values = pd.concat([values, _england_rows(base_rows, everywhere, population)],
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
                            geometry=[nb.geometry.unary_union], crs=schema.PACK_CRS)
    city = city.join(_wide(values, schema.LEVEL_CITY), on="code")

    step(80, "Writing the pack")
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".gpkg", dir=out.parent)
    os.close(handle)
    tmp = Path(name)
    tmp.unlink()
    try:
        for frame, layer in ((small, schema.SMALL_AREAS), (nb, schema.NEIGHBOURHOODS),
                             (hubs, schema.HUBS), (city, schema.CITY)):
            _write_layer(frame, tmp, layer)
        catalogue_rows = pd.DataFrame([ind.as_row() for ind in catalogue.CATALOGUE])
        write_table(catalogue_rows[list(schema.CATALOGUE_COLUMNS)], tmp, schema.CATALOGUE)
        write_table(values, tmp, schema.VALUES)
        write_table(areas[["code", "neighbourhood_code", "hub", "hub_basis"]].reset_index(
            drop=True), tmp,
                    schema.HUB_LOOKUP)
        info = pd.DataFrame(
            [("place", place), ("la_code", city_code), ("format_version",
                                                        schema.PACK_FORMAT_VERSION),
             ("crs", schema.PACK_CRS),
             ("hub_lookup", Path(hub_lookup).name if hub_lookup else "local authority districts"
              if not local_authority else "none (the authority is one hub)"),
             ("background_grids", ""),
             ("boundary_attribution", catalogue.SOURCES["boundaries"].attribution),
             ("names_attribution", "MSOAs named from ONS LSOA names")]
            + [(f"warning:{i + 1}", text) for i, text in enumerate(report.warnings)],
            columns=["key", "value"])
        write_table(info, tmp, schema.PACK_INFO)
        step(95, "Saving styles")
        from ..layers.pack_styles import save_default_styles
        save_default_styles(tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return report


def _england_rows(base_rows: list, everywhere: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """England's own figure for every indicator that aggregates, to compare an authority with."""
    config = PlaceConfig("England", ENGLAND, "England", FILES, Path(), {})
    membership = {schema.LEVEL_SMALL_AREA: {
        schema.LEVEL_CITY: pd.Series(ENGLAND, index=everywhere["code"].values)}}
    values = _aggregate_values(base_rows, everywhere, population, membership, config)
    england = values[values["level"] == schema.LEVEL_CITY].copy()
    england["level"] = schema.LEVEL_ENGLAND
    return england
