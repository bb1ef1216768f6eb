"""Assemble and write a JSNA data pack: geography, hubs, catalogue, values, air quality."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ..core import aggregate, catalogue, schema
from ..core.errors import JsnaInputError
from ..core.files import LOW_SPACE, flush_to_disk, space_left, temporary_beside, write_error
from ..core.packfile import check_database, is_pack, remove_database
from ..core.recipes import EDITION_NAMES
from . import grid, hubs, schools, services
from .geometry import read_boundaries, union_of
from .recipes import RecipeContext, run_recipes
from .sources import (
    IOD_CODE,
    BuildReport,
    PlaceConfig,
    check_lsoa_2011,
    read_table,
    refuse_expression_text,
    report_unmatched,
    source_path,
    to_number,
)

LEVEL_ORDER = {level: i for i, level in enumerate(schema.LEVELS)}
NATIONAL_LEVELS = {schema.ENGLAND_CODE: schema.LEVEL_ENGLAND,
                   schema.ENGLAND_WALES_CODE: schema.LEVEL_ENGLAND_WALES}


def _geography(sources: Path, config: PlaceConfig, report: BuildReport) -> gpd.GeoDataFrame:
    """The place's small areas (code, name, neighbourhood_code, geometry) in its edition's
    geography."""
    if config.edition == "2025":
        return _geography_2021(sources, config, report)
    return _geography_2011(sources, config, report)


def _geography_2021(sources: Path, config: PlaceConfig, report: BuildReport) -> gpd.GeoDataFrame:
    """LSOA 2021 areas of the authority (ONS LSOA11->LSOA21->LAD22 lookup), each in the MSOA
    2021 whose name its own name starts with ("Coventry 014A" is in "Coventry 014"): the ONS
    names small areas that way, and no OA21 lookup is published in the mirror."""
    lookup, _ = _authority_rows(sources, config, "lsoa_lookup", "lsoa")
    pairs = lookup[["lsoa21_code", "lsoa21_name"]].drop_duplicates("lsoa21_code")
    msoas, msoa_path = _authority_rows(sources, config, "msoa_lookup", "msoa")
    msoas = msoas.drop_duplicates("msoa21_code")
    by_name = msoas.set_index(msoas["msoa21_name"].str.strip())
    parent = pairs["lsoa21_name"].str.strip().str[:-1].str.strip()
    pairs = pairs.assign(neighbourhood_code=parent.map(by_name["msoa21_code"]),
                         neighbourhood_ons_name=parent.map(by_name["msoa21_name"]))
    orphans = pairs[pairs["neighbourhood_code"].isna()]
    if len(orphans):
        raise JsnaInputError(f"{msoa_path.name}: no MSOA 2021 named "
                             f"'{parent[orphans.index[0]]}' for small area "
                             f"{orphans['lsoa21_code'].iloc[0]} ({len(orphans)} such areas)")
    areas = _with_boundaries(sources, config, pairs, "lsoa21_code", "lsoa21_name", report)
    areas = areas.rename(columns={"lsoa21_code": "code", "lsoa21_name": "name"})
    return areas[["code", "geometry", "name", "neighbourhood_code",
                  "neighbourhood_ons_name"]].sort_values("code").reset_index(drop=True)


def _with_boundaries(sources: Path, config: PlaceConfig, pairs: pd.DataFrame, code: str,
                     name: str, report: BuildReport) -> gpd.GeoDataFrame:
    """The small areas of ``pairs`` with their polygons from the edition's boundary file (a
    2011 file holding 2021 codes is refused); an area without one is an error."""
    path = source_path(sources, config, "lsoa_boundaries")
    bounds = read_boundaries(path, code, name, report)
    if config.edition == "2019":
        check_lsoa_2011(bounds[code], path)
    no_boundary = sorted(set(pairs[code]) - set(bounds[code]))
    if no_boundary:
        raise JsnaInputError(f"{path.name}: no boundary for small area {no_boundary[0]} "
                             f"({len(no_boundary)} missing)")
    report_unmatched(bounds[code], set(pairs[code]), path, report)
    return bounds[[code, "geometry"]].merge(pairs, on=code)


def _authority_rows(sources: Path, config: PlaceConfig, role: str,
                    kind: str) -> tuple[pd.DataFrame, Path]:
    """The authority's rows of an ONS 2011 -> 2021 lookup (``kind`` lsoa or msoa; LAD 2022);
    the LSOA one says how each area changed (change_code, the ONS CHGIND)."""
    path = source_path(sources, config, role)
    needed = [f"{kind}21_code", f"{kind}21_name", "ltla22_code"]
    frame = read_table(path, needed + (["change_code"] if kind == "lsoa" else []),
                       f"{kind}11_code", (f"{kind}21_code",))
    frame = frame[frame["ltla22_code"].str.strip() == config.la_code]
    if frame.empty:
        raise JsnaInputError(f"{path.name}: no rows for local authority {config.la_code}")
    return frame, path


def _successors(sources: Path, config: PlaceConfig) -> pd.DataFrame:
    """2011 LSOA and MSOA codes with their 2021 areas (old_code, new_code, change_code), from
    the ONS lookups, for hub lookups written for 2011 areas."""
    lsoas, _ = _authority_rows(sources, config, "lsoa_lookup", "lsoa")
    msoas, _ = _authority_rows(sources, config, "msoa_lookup", "msoa")
    msoa_change = (msoas["msoa11_code"] != msoas["msoa21_code"]).map({True: "C", False: "U"})
    return pd.concat([
        pd.DataFrame({"old_code": lsoas["lsoa11_code"], "new_code": lsoas["lsoa21_code"],
                      "change_code": lsoas["change_code"]}),
        pd.DataFrame({"old_code": msoas["msoa11_code"], "new_code": msoas["msoa21_code"],
                      "change_code": msoa_change})], ignore_index=True)


def _geography_2011(sources: Path, config: PlaceConfig, report: BuildReport) -> gpd.GeoDataFrame:
    """The place's 2011 small areas with their neighbourhood, from the official area lookup."""
    path = source_path(sources, config, "area_lookup")
    lookup = read_table(path, ["LSOA11CD", "LSOA11NM", "MSOA11CD", "LAD17CD"], "OA11CD")
    lookup = lookup[lookup["LAD17CD"].str.strip() == config.la_code]
    if lookup.empty:
        raise JsnaInputError(f"{path.name}: no rows for local authority {config.la_code}")
    pairs = lookup[["LSOA11CD", "LSOA11NM", "MSOA11CD"]].drop_duplicates()
    split = pairs[pairs["LSOA11CD"].duplicated()]
    if len(split):
        raise JsnaInputError(f"{path.name}: small area {split['LSOA11CD'].iloc[0]} is given "
                             "two neighbourhoods")
    check_lsoa_2011(pairs["LSOA11CD"], path)

    areas = _with_boundaries(sources, config, pairs, "LSOA11CD", "LSOA11NM", report)
    areas = areas.rename(columns={"LSOA11CD": "code", "LSOA11NM": "name",
                                  "MSOA11CD": "neighbourhood_code"})
    return areas.sort_values("code").reset_index(drop=True)


def _neighbourhood_names(sources: Path, config: PlaceConfig, codes: set,
                         report: BuildReport, ons_names: pd.Series | None = None) -> pd.DataFrame:
    """House of Commons Library names by MSOA code. Its names are for 2011 codes: a 2021 MSOA
    whose code is new (one that changed in 2021) gets its ONS name (``ons_names``), said so."""
    path = source_path(sources, config, "msoa_names")
    names = read_table(path, ["msoa11nm", "msoa11hclnm"], "msoa11cd")
    if ons_names is None:
        report_unmatched(names["msoa11cd"], codes, path, report)
    names = names.set_index("msoa11cd").reindex(sorted(codes))
    fallback, what = names.index.to_series(), "the code"
    if ons_names is not None:
        names["msoa11nm"] = fallback = ons_names.reindex(names.index)
        what = "the ONS name"
    unnamed = names["msoa11hclnm"].isna() | (names["msoa11hclnm"].fillna("").str.strip() == "")
    if unnamed.any():
        report.warn(f"{path.name}: no House of Commons Library name for "
                    f"{', '.join(names.index[unnamed][:5])}; {what} is used as the name")
    hcl = names["msoa11hclnm"].where(~unnamed, fallback)
    return pd.DataFrame({"code": names.index, "name": hcl.values,
                         "ons_name": names["msoa11nm"].fillna("").values})


IMD_2019_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
IMD_2019_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
IOD_2019_POPULATION = "Total population: mid 2015 (excluding prisoners)"


def _parents_2011(sources: Path, config: PlaceConfig, codes: set,
                  report: BuildReport) -> tuple[pd.DataFrame, pd.Series]:
    """What carries 2011 figures onto the 2021 small areas (``codes``), read once per build:
    their rows of the ONS LSOA 2011 -> 2021 lookup, and IoD 2019's mid-2015 populations by LSOA
    2011 (the weights of merged areas)."""
    path = source_path(sources, config, "lsoa_lookup")
    lookup = read_table(path, ["lsoa21_code", "change_code"], "lsoa11_code", ("lsoa21_code",))
    lookup = lookup[lookup["lsoa21_code"].isin(codes)]
    if lookup.empty:
        raise JsnaInputError(f"{path.name}: no row for the place's 2021 small areas (first: "
                             f"{min(codes)}); is it the LSOA 2011 to 2021 lookup?")
    path = source_path(sources, config, "iod2019_population")
    people = read_table(path, [IOD_2019_POPULATION], IOD_CODE).set_index(IOD_CODE, drop=False)
    return lookup, to_number(people, IOD_2019_POPULATION, IOD_CODE, path, report)


def edition_2025_tables(sources: Path, config: PlaceConfig, codes: set,
                        report: BuildReport) -> dict[str, pd.DataFrame]:
    """The derived tables every 2025 build makes, local or national: IMD 2019 beside IMD 2025,
    the population denominators, and (with IoD 2019's underlying indicators) air quality, the
    2011 figures carried onto the 2021 small areas (``codes``)."""
    parents = _parents_2011(sources, config, codes, report)
    tables = {"@imd_change": _imd_change(sources, config, parents, report),
              "@denominators": _denominators(sources, config, codes, report)}
    if "iod2019_underlying" in config.files:
        tables["@air_quality_2016"] = _air_quality_on_2021_areas(sources, config, parents,
                                                                 report)
    return tables


def _imd_change(sources: Path, config: PlaceConfig, parents: tuple,
                report: BuildReport) -> pd.DataFrame:
    """Derived table "@imd_change": IMD 2019 on the 2021 small areas, through the ONS lookup,
    beside IMD 2025 (builder.change)."""
    from . import change

    path = source_path(sources, config, "iod2019_domains")
    domains = read_table(path, [IMD_2019_RANK, IMD_2019_DECILE], IOD_CODE).set_index(
        IOD_CODE, drop=False)
    ranks = to_number(domains, IMD_2019_RANK, IOD_CODE, path, report)
    deciles = to_number(domains, IMD_2019_DECILE, IOD_CODE, path, report)
    path = source_path(sources, config, "iod_scores")
    scores = read_table(path, ["IMD_rank", "IMD_decile"], "lsoa21_code").set_index(
        "lsoa21_code", drop=False)
    before = change.imd_2019_on_2021_areas(ranks, deciles, *parents)
    table = change.change_table(before, to_number(scores, "IMD_rank", "lsoa21_code", path, report),
                                to_number(scores, "IMD_decile", "lsoa21_code", path, report))
    report.note(change.summary(table))
    return table


# IoD 2019 File 8's air-quality indicator and its components (data year 2016), as the
# humaniverse/IMD package names File 8's headers.
AIR_QUALITY_2019 = ("air_quality_indicator", "nitrogen_dioxide_component_of_air_quality_indicator",
                    "particulates_component_of_air_quality_indicator",
                    "sulphur_dioxide_component_of_air_quality_indicator",
                    "benzene_component_of_air_quality_indicator")


def _air_quality_on_2021_areas(sources: Path, config: PlaceConfig, parents: tuple,
                               report: BuildReport) -> pd.DataFrame:
    """Derived table "@air_quality_2016": the latest published small-area air-quality
    indicator (IoD 2019, data year 2016) carried onto the 2021 small areas the way IMD 2019 is
    (builder.change.carried_to_2021)."""
    from . import change

    path = source_path(sources, config, "iod2019_underlying")
    frame = read_table(path, list(AIR_QUALITY_2019), "lsoa11_code").set_index("lsoa11_code",
                                                                               drop=False)
    values = pd.DataFrame({column: to_number(frame, column, "lsoa11_code", path, report)
                           for column in AIR_QUALITY_2019})
    table = change.carried_to_2021(values, *parents)
    left = int(table["air_quality_indicator"].isna().sum())
    report.note(f"Air quality: IoD 2019's indicator (data year 2016) carried onto "
                f"{len(table) - left} of {len(table)} 2021 small areas through the ONS LSOA "
                "2011 to 2021 lookup (split areas take their parent's value, merged ones the "
                "mid-2015 population-weighted mean of their parents'"
                + (f"; {left} irregular areas have none)" if left else ")"))
    return table


IOD_2025_CODE = "LSOA code (2021)"
MID_2022_POPULATION = "Total population: mid 2022"


def _denominators(sources: Path, config: PlaceConfig, codes: set,
                  report: BuildReport) -> pd.DataFrame:
    """Derived table "@denominators": the population every IoD 2025 average and the share in
    the most deprived tenth are weighted by. IoD 2025's own mid-2022 denominators (File 7)
    where the build has them, otherwise Census 2021 usual residents; the notes say which."""
    for role, column, code, basis in (
            ("iod_file7", MID_2022_POPULATION, IOD_2025_CODE,
             "IoD 2025's mid-2022 population denominators (File 7)"),
            ("census_residents", "usual_residents", "lsoa21_code",
             "Census 2021 usual residents (IoD 2025's File 7 denominators were not given)")):
        if role not in config.files or not (Path(sources) / config.files[role]).is_file():
            continue
        path = source_path(sources, config, role)
        frame = read_table(path, [column], code)
        frame = frame[frame[code].isin(codes)].set_index(code, drop=False)
        population = to_number(frame, column, code, path, report)
        missing = sorted(codes - set(population.dropna().index))
        if missing:
            raise JsnaInputError(f"{path.name}: no '{column}' for small area {missing[0]} "
                                 f"({len(missing)} missing)")
        report.note(f"IoD 2025 averages, hub membership by residents and the share of residents "
                    f"in the most deprived 10% are weighted by {basis}, from {path.name}; "
                    "Census 2021 topics keep their own Census bases")
        return pd.DataFrame({"code": population.index, "population": population.to_numpy()})
    raise JsnaInputError("population denominators: the place configuration names neither IoD "
                         "2025's File 7 (iod_file7) nor Census 2021 usual residents "
                         "(census_residents), or neither file is in the source folder")


def _hub_details(sources: Path, config: PlaceConfig) -> pd.DataFrame:
    """Optional: hub addresses and city quadrants from the council's hub list."""
    path = Path(sources) / config.files.get("hub_details", "")
    if not config.files.get("hub_details") or not path.is_file():
        return pd.DataFrame(columns=["name", "quadrant", "address", "postcode"])
    frame = read_table(path, ["city_quadrant", "address", "postcode"], "hub_name")
    return frame.rename(columns={"hub_name": "name", "city_quadrant": "quadrant"})[
        ["name", "quadrant", "address", "postcode"]]


def _hub_points(sources: Path, config: PlaceConfig, points: pd.DataFrame | None,
                report: BuildReport) -> pd.DataFrame:
    """Hubs placed at their postcodes (the council's hub list and Code-Point Open, ``points``);
    empty without those files, so neighbourhoods no lookup names stay unassigned."""
    details = _hub_details(sources, config)
    if details.empty or points is None:
        return pd.DataFrame(columns=["name", "postcode", "x", "y"])
    path = Path(config.files["postcodes"])
    key = services.postcode_key(details["postcode"])
    found = key.isin(points.index)
    for name, postcode in zip(details.loc[~found, "name"], details.loc[~found, "postcode"]):
        report.warn(f"{Path(sources) / config.files['hub_details']}: {name}'s postcode "
                    f"'{postcode}' is not in {path.name}; no neighbourhood is given to it as "
                    "the nearest hub")
    placed = details[found]
    xy = points.loc[key[found]]
    return pd.DataFrame({"name": placed["name"].values, "postcode": placed["postcode"].values,
                         "x": xy["x"].values, "y": xy["y"].values})


def _memberships(areas: gpd.GeoDataFrame, shares: pd.DataFrame, la_code: str) -> dict:
    """code -> parent maps, from each base level to each level above it. Hub membership is
    held per small area; a neighbourhood split between hubs counts in each with the share of
    its residents inside (``shares``, hubs.hub_shares: figures published only for
    neighbourhoods are apportioned so)."""
    sa = areas.set_index("code")
    assigned = sa[sa["hub"] != schema.NOT_ASSIGNED]
    nb_codes = pd.Index(sorted(sa["neighbourhood_code"].unique()))
    return {
        schema.LEVEL_SMALL_AREA: {
            schema.LEVEL_NEIGHBOURHOOD: sa["neighbourhood_code"],
            schema.LEVEL_HUB: assigned["hub"],
            schema.LEVEL_CITY: pd.Series(la_code, index=sa.index),
        },
        schema.LEVEL_NEIGHBOURHOOD: {
            schema.LEVEL_HUB: hubs.neighbourhood_to_hub(shares),
            schema.LEVEL_CITY: pd.Series(la_code, index=nb_codes),
        },
    }


def _aggregate_values(base_rows: list[pd.DataFrame], areas: gpd.GeoDataFrame,
                      population: pd.Series, memberships: dict,
                      config: PlaceConfig, by_id: dict, with_base: bool = True) -> pd.DataFrame:
    """Label base rows with their level and add every aggregate the catalogue asks for
    (without ``with_base``, the aggregates only: England's figures from all its LSOAs)."""
    sa_codes, nb_codes = set(areas["code"]), set(areas["neighbourhood_code"])
    nb_population = population.groupby(areas.set_index("code")["neighbourhood_code"]).sum()
    weights = {schema.LEVEL_SMALL_AREA: population, schema.LEVEL_NEIGHBOURHOOD: nb_population}
    frames, batches = [], {}
    for rows in base_rows:
        indicator = by_id[rows["indicator_id"].iloc[0]]
        codes = rows["area_code"]
        level = codes.map(NATIONAL_LEVELS).fillna(schema.LEVEL_ENGLAND)
        level[codes == config.la_code] = schema.LEVEL_CITY
        level[codes.isin(nb_codes)] = schema.LEVEL_NEIGHBOURHOOD
        level[codes.isin(sa_codes)] = schema.LEVEL_SMALL_AREA
        rows = rows.assign(level=level)
        base = _where(rows, level.isin([schema.LEVEL_SMALL_AREA, schema.LEVEL_NEIGHBOURHOOD]))
        if with_base:  # the same frame as base where it can be: England's rows are millions
            frames.append(_where(rows, level.isin(indicator.levels)))
        if indicator.aggregation == schema.AGG_NONE or base.empty:
            continue
        base_level = base["level"].iloc[0]
        scale = 1.0 if indicator.unit != "%" else 100.0
        for level in memberships[base_level]:
            if level in indicator.levels:  # indicators aggregated alike go in one pass
                batches.setdefault((indicator.aggregation, base_level, level, scale),
                                   []).append(base)
    for (method, base_level, level, scale), parts in batches.items():
        result = aggregate.aggregate(method, pd.concat(parts, ignore_index=True),
                                     memberships[base_level][level], weights[base_level], scale)
        result["level"] = level
        frames.append(result)
    batches.clear()
    values = pd.concat(frames, ignore_index=True)
    frames.clear()
    values["order"] = values["level"].map(LEVEL_ORDER)
    values.sort_values(["order", "indicator_id", "area_code"], inplace=True, ignore_index=True)
    periods = {i: by_id[i].period for i in values["indicator_id"].unique()}
    values["period"] = values["indicator_id"].map(periods)
    values["note"] = values["note"].fillna("") if "note" in values else ""
    return values.reindex(columns=list(schema.VALUE_COLUMNS))


def _where(rows: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """The rows kept: the frame itself when all are (no copy)."""
    return rows if keep.all() else rows[keep]


def _wide(values: pd.DataFrame, level: str) -> pd.DataFrame:
    """One column per indicator for a level's layer, so any indicator can drive a renderer."""
    part = values[values["level"] == level]
    return part.pivot(index="area_code", columns="indicator_id", values="value")


def _monitoring_sites(sources: Path, config: PlaceConfig, report: BuildReport) -> gpd.GeoDataFrame:
    path = source_path(sources, config, "monitoring_sites")
    frame = read_table(path, ["site_name", "site_type", "x_osgb", "y_osgb"], "site_id")
    years = sorted(c for c in frame.columns if c.startswith("no2_") and c[4:].isdigit())
    if not years:
        raise JsnaInputError(f"{path.name}: no annual NO2 columns (no2_YYYY) found")
    x = to_number(frame, "x_osgb", "site_id", path, BuildReport())
    y = to_number(frame, "y_osgb", "site_id", path, BuildReport())
    for site, missing in zip(frame["site_id"], x.isna() | y.isna()):
        if missing:
            report.warn(f"{path.name}: site {site} has no coordinates and is skipped")
    lonlat = x.between(-180, 180) & y.between(-90, 90)
    if lonlat.any():
        raise JsnaInputError(f"{path.name}: site {frame['site_id'][lonlat].iloc[0]} has x_osgb/"
                             "y_osgb that look like longitude/latitude, not British National Grid")
    keep = x.notna() & y.notna()
    sites = frame[keep].reset_index(drop=True)
    means = pd.DataFrame({c: to_number(sites, c, "site_id", path, BuildReport()) for c in years})
    latest_year = means.apply(lambda r: r.last_valid_index(), axis=1)
    out = pd.DataFrame({
        "site_id": sites["site_id"], "site_name": sites["site_name"],
        "site_type": sites["site_type"], "in_aqma": sites.get("in_aqma", ""),
        "no2_latest": [means.at[i, c] if c else None for i, c in latest_year.items()],
        "no2_latest_year": [int(c[4:]) if c else None for c in latest_year],
    })
    for column in years:
        out[column] = means[column]
    out["source"] = sites.get("source", "")
    geometry = [Point(a, b) for a, b in zip(x[keep], y[keep])]
    return gpd.GeoDataFrame(out, geometry=geometry, crs=schema.PACK_CRS)


def _checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


WRITE_SLICE = 200_000  # rows of an attribute table converted and inserted at a time


def write_table(frame: pd.DataFrame, path: Path, layer: str) -> None:
    """Write an attribute-only GeoPackage table (registered as 'attributes' in gpkg_contents)."""
    import fiona

    types = {}
    for column, dtype in frame.dtypes.items():
        types[column] = ("int" if pd.api.types.is_integer_dtype(dtype) else "float"
                         if pd.api.types.is_float_dtype(dtype) else "str")
    schema_ = {"geometry": "None", "properties": types}
    with fiona.open(path, "w", driver="GPKG", layer=layer, schema=schema_):
        pass  # the table, registered in gpkg_contents; rows go in below, in one transaction
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    db = sqlite3.connect(path)
    try:
        with db:  # in slices: England's values as Python objects at once would be gigabytes
            for start in range(0, len(frame), WRITE_SLICE):
                part = frame.iloc[start:start + WRITE_SLICE]
                rows = part.astype(object).where(part.notna(), None)
                db.executemany(f'INSERT INTO "{layer}" ({columns}) VALUES ({marks})',
                               rows.itertuples(index=False, name=None))
    finally:
        db.close()


def _write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    frame.to_file(path, layer=layer, driver="GPKG")


def _write_errors() -> tuple:
    """What SQLite, fiona and GDAL raise when a write fails (a full disk among the causes)."""
    from fiona.errors import FionaError

    errors = (OSError, sqlite3.Error, RuntimeError, FionaError)
    try:
        from fiona._err import CPLE_BaseError  # GDAL's own errors, as fiona passes them on
    except ImportError:
        return errors
    return (*errors, CPLE_BaseError)


def write_pack(out: Path, layers: list, tables: Callable[[Path], list],
               with_styles: bool, indicators: tuple) -> None:
    """Write a pack to a temporary GeoPackage beside ``out``, then put it in ``out``'s place.

    ``layers``: (GeoDataFrame, name); ``tables(tmp)``: (DataFrame, name) attribute tables,
    made once the layers are written (so grids can go in first). The catalogue (``indicators``)
    is added here.
    Only a pack is ever replaced; a write that fails (a full disk) leaves ``out`` as it was.
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JsnaInputError(f"Cannot make the folder {out.parent}: {exc.strerror}") from None
    if out.exists() and not is_pack(out):
        raise JsnaInputError(f"{out} exists and is not a JSNA data pack; a pack is never written "
                             "over another file: choose another name")
    for frame, layer in layers:  # whatever the sources were, no pack carries "[%"
        refuse_expression_text(frame.drop(columns="geometry"), f"the pack's {layer} table")
    tmp = temporary_beside(out, ".gpkg")
    tmp.unlink()
    try:
        with _unraisable_held():
            _write_contents(tmp, layers, tables, with_styles, indicators)
        check_database(tmp)
        flush_to_disk(tmp)
        os.replace(tmp, out)
    except (*_write_errors(), JsnaInputError) as exc:
        if isinstance(exc, JsnaInputError) and space_left(out.parent) >= LOW_SPACE:
            raise
        raise write_error(exc, out) from None
    finally:
        remove_database(tmp)


def _write_contents(tmp: Path, layers: list, tables: Callable[[Path], list],
                    with_styles: bool, indicators: tuple) -> None:
    for frame, layer in layers:
        _write_layer(frame, tmp, layer)
    catalogue_rows = pd.DataFrame([ind.as_row() for ind in indicators])
    write_table(catalogue_rows[list(schema.CATALOGUE_COLUMNS)], tmp, schema.CATALOGUE)
    for frame, table in tables(tmp):
        if table != schema.PACK_INFO:  # build warnings quote the source files as they are
            refuse_expression_text(frame, f"the pack's {table} table")
        write_table(frame.reset_index(drop=True), tmp, table)
    if with_styles:
        from ..layers.pack_styles import save_default_styles
        save_default_styles(tmp)


@contextlib.contextmanager
def _unraisable_held():
    """After a failed write, GDAL (through fiona's Cython code) prints follow-up errors as
    tracebacks on stderr, through sys.excepthook and sys.unraisablehook; they are held, and
    shown only if the write succeeds (the failure itself gets its one-line message)."""
    held, hooks = [], (sys.excepthook, sys.unraisablehook)
    sys.excepthook = lambda *exc_info: held.append((hooks[0], exc_info))
    sys.unraisablehook = lambda unraisable: held.append((hooks[1], (unraisable,)))
    try:
        yield
    finally:
        sys.excepthook, sys.unraisablehook = hooks
    for hook, arguments in held:  # reached only when the write succeeded
        hook(*arguments)


def build_pack(sources: Path, out: Path, config: PlaceConfig | None = None,
               hub_lookup: Path | None = None, with_styles: bool = True,
               progress: Callable[[float, str], None] | None = None,
               england: Path | None = None) -> BuildReport:
    """Build the pack from the source folder into ``out`` (replaced only when complete).

    ``england``: the folder of national files, from which England's figures are added for
    every indicator the local files give none for (the IoD's). ``progress(percent, text)`` is
    told each stage; an exception it raises stops the build with nothing written.
    """
    config = config or PlaceConfig.load()
    sources, out = Path(sources), Path(out)
    step = progress or (lambda percent, text: None)
    if not sources.is_dir():
        raise JsnaInputError(f"Source folder not found: {sources}")
    report = BuildReport()
    step(2, "Reading boundaries and the area lookup")
    areas = _geography(sources, config, report)
    lsoas, msoas = set(areas["code"]), set(areas["neighbourhood_code"])
    successors = _successors(sources, config) if config.edition == "2025" else None
    membership = hubs.assign_hubs(hub_lookup or config.hub_lookup, areas, successors, report)
    postcodes = services.place_postcodes(sources, config)
    sites = _hub_points(sources, config, postcodes, report)
    areas = hubs.split_by_sites(hubs.fill_nearest(areas.merge(membership, on="code"), sites),
                                sites)

    step(15, "Placing GP practices and pharmacies")
    service_points, per_area = services.services(sources, config, areas, postcodes, report)
    derived = {"@areas": _area_table(areas)}
    if per_area is not None:
        derived["@services"] = per_area
    school_points, per_school = schools.schools(sources, config, lsoas, report)
    if per_school is not None:
        derived["@schools"] = per_school
    if config.edition == "2025":
        derived.update(edition_2025_tables(sources, config, lsoas, report))
    step(20, "Reading the sources through their recipes")
    indicators = catalogue.catalogue_of(config.recipes)
    by_id = {ind.indicator_id: ind for ind in indicators}
    context = RecipeContext(sources, config.files, config.la_code,
                            {schema.LEVEL_SMALL_AREA: lsoas, schema.LEVEL_NEIGHBOURHOOD: msoas},
                            report, derived)
    base_rows = run_recipes(config.recipes, context)
    indicators = tuple(i for i in indicators if i.indicator_id not in context.left_out)
    population = (derived["@denominators"].set_index("code")["population"]
                  if "@denominators" in derived else population_of(base_rows))
    no_population = sorted(lsoas - set(population.dropna().index))
    if no_population:
        raise JsnaInputError(f"population denominators: no population for small area "
                             f"{no_population[0]}")
    shares = hubs.hub_shares(areas, population)
    memberships = _memberships(areas, shares, config.la_code)
    home = hubs.home_hubs(shares)
    step(45, "Aggregating to neighbourhoods, hubs and the city")
    values = _aggregate_values(base_rows, areas, population, memberships, config, by_id)
    check_published(values, context.published, config.place, by_id, report)
    earlier = None
    if config.edition == "2025":
        from . import trends

        step(48, "Earlier figures (2011 Census, IMD 2019) for what changed")
        earlier = trends.earlier_values(sources, config, home, report)
        report.note(trends.NOT_COMPARABLE_NOTE)
    if england is not None:
        step(50, "England's figures from the national files")
        values = _with_england(values, Path(england), by_id, config.edition, report)

    ons_names = areas.drop_duplicates("neighbourhood_code").set_index("neighbourhood_code")[
        "neighbourhood_ons_name"] if "neighbourhood_ons_name" in areas else None
    names = _neighbourhood_names(sources, config, msoas, report, ons_names)
    areas = areas.merge(names[["code", "name"]].rename(
        columns={"code": "neighbourhood_code", "name": "neighbourhood_name"}),
        on="neighbourhood_code")
    small = areas[["code", "name", "neighbourhood_code", "neighbourhood_name", "hub", "hub_basis",
                   "geometry"]]
    small = small.join(_wide(values, schema.LEVEL_SMALL_AREA), on="code")

    step(60, "Dissolving neighbourhoods and hubs")
    nb = areas.dissolve(by="neighbourhood_code", as_index=False)
    nb = nb[["neighbourhood_code", "geometry"]].rename(columns={"neighbourhood_code": "code"})
    nb = nb.merge(names, on="code")
    nb["hub"] = nb["code"].map(home).fillna(schema.NOT_ASSIGNED)
    nb["hub_basis"] = nb["code"].map(_neighbourhood_basis(areas, shares, home))
    nb["hub_approximate"] = hubs.approximate(nb["hub_basis"]).astype(int)
    nb = nb[["code", "name", "ons_name", "hub", "hub_basis", "hub_approximate", "geometry"]]
    nb = nb.sort_values("code").join(_wide(values, schema.LEVEL_NEIGHBOURHOOD), on="code")

    hub_layer = _hub_layer(areas, nb, shares, sources, config)
    hub_layer = hub_layer.join(_wide(values, schema.LEVEL_HUB), on="code")
    hub_layer = _with_published(hub_layer, config, by_id)
    city_outline = union_of(areas.geometry)
    city = gpd.GeoDataFrame({"code": [config.la_code], "name": [config.place]},
                            geometry=[city_outline], crs=schema.PACK_CRS)
    city = city.join(_wide(values, schema.LEVEL_CITY), on="code")
    aqma = gpd.GeoDataFrame({"name": [config.aqma["name"]],
                             "pollutant": [config.aqma["pollutant"]],
                             "declared": [int(config.aqma["declared"])],
                             "source": [config.aqma["source"]]},
                            geometry=[city_outline], crs=schema.PACK_CRS)
    sites = _monitoring_sites(sources, config, report)

    step(75, "Writing the pack")

    def tables(tmp: Path) -> list:
        grids = []
        for path in sorted(sources.glob("*.csv")):
            if grid.is_background_grid(path):
                grids += grid.write_grids(path, tmp, tuple(areas.total_bounds))
        lookup = areas[["code", "neighbourhood_code", "hub", "hub_basis"]].sort_values("code")
        history = [] if earlier is None else [(earlier, schema.TRENDS)]
        if successors is not None:
            history.append((successors, schema.AREA_CHANGES))
        if postcodes is not None:
            history.append((postcodes.rename_axis("postcode").reset_index(), schema.POSTCODES))
        return [(values, schema.VALUES), *history, (lookup, schema.HUB_LOOKUP),
                (shares, schema.HUB_SHARES),
                (_pack_info(config, sources, hub_lookup or config.hub_lookup, grids, report),
                 schema.PACK_INFO)]
    layers = [(small, schema.SMALL_AREAS), (nb, schema.NEIGHBOURHOODS), (hub_layer, schema.HUBS),
              (city, schema.CITY), (aqma, schema.AQMA), (sites, schema.MONITORING_SITES)]
    if service_points is not None:
        layers.append((service_points, schema.SERVICES))
    if school_points is not None:
        layers.append((school_points, schema.SCHOOLS))
    write_pack(out, layers, tables, with_styles, indicators)
    return report


def _with_england(values: pd.DataFrame, folder: Path, by_id: dict, edition: str,
                  report: BuildReport) -> pd.DataFrame:
    """England's figure added for each of the pack's indicators that has none yet."""
    from .england import england_figures

    national = england_figures(folder, BuildReport(), edition)  # a file it cannot read stops
    # the build; England's own gaps (suppressed cells, GIAS placeholders) are not news here
    present = set(values.loc[values["level"] == schema.LEVEL_ENGLAND, "indicator_id"])
    wanted = national[national["indicator_id"].isin(set(by_id) - present)].copy()
    wanted["period"] = wanted["indicator_id"].map(lambda i: by_id[i].period)
    return pd.concat([values, wanted[list(schema.VALUE_COLUMNS)]], ignore_index=True)


def population_of(base_rows: list[pd.DataFrame]) -> pd.Series:
    """The small areas' population (the weights of every population-weighted mean)."""
    for rows in base_rows:
        if rows["indicator_id"].iloc[0] == "population":
            return rows.set_index("area_code")["value"]
    raise JsnaInputError("no population indicator: the population recipe was not made")


def _area_table(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Derived table "@areas": each small area's land area in hectares (generalised boundaries)."""
    return pd.DataFrame({"code": areas["code"].values,
                         "area_hectares": (areas.geometry.area / 10_000).values})


def check_published(values: pd.DataFrame, published: list, place: str, by_id: dict,
                    report: BuildReport) -> None:
    """Warn where the small areas do not add up to the authority's published figure."""
    for indicator_id, figure, tolerance, file_name in published:
        city = values.query("level == 'city' and indicator_id == @indicator_id")["value"]
        if len(city) and abs(city.iloc[0] - figure) > tolerance:
            title = by_id[indicator_id].title
            unit = "%" if by_id[indicator_id].unit == "%" else f" {by_id[indicator_id].unit}"
            report.warn(f"{title}: small areas add up to {city.iloc[0]:,.2f}{unit} but "
                        f"{file_name} publishes {figure:,.2f}{unit} for {place}")


def _neighbourhood_basis(areas: gpd.GeoDataFrame, shares: pd.DataFrame,
                         home: pd.Series) -> pd.Series:
    """Why each neighbourhood is in its hub: its small areas' basis there, or, for one split
    between hubs, each hub's share of its residents."""
    in_home = areas[areas["hub"].to_numpy() == areas["neighbourhood_code"].map(home).to_numpy()]
    basis = in_home.drop_duplicates("neighbourhood_code").set_index("neighbourhood_code")[
        "hub_basis"]
    split = shares[shares["share"] < 1].sort_values(["neighbourhood_code", "share"],
                                                     ascending=[True, False])
    for code, part in split.groupby("neighbourhood_code"):
        basis[code] = "approximate: split between hubs by small area (" + ", ".join(
            f"{hub} {share:.0%} of residents" for hub, share in zip(part["hub"], part["share"])
        ) + ")"
    return basis


MEMBERSHIP_REASONS = (
    (hubs.NEAREST_BASIS, "in neighbourhoods no profile names, nearest this hub's site"),
    (hubs.SPLIT_BASIS, "in neighbourhoods another hub's profile names only in part, nearer "
                       "this hub's site"),
    ("approximate", "in neighbourhoods the profile names only in part or by a local name, "
                    "nearer this hub's site than any other"),
)


def _membership_note(members: pd.DataFrame) -> str:
    """How a hub's small areas were decided, counted by reason ("3 of 15 small areas
    approximate (...)"), from their lookup basis."""
    basis = members["hub_basis"].str.lower()
    left = pd.Series(True, index=members.index)
    parts = []
    for prefix, reason in MEMBERSHIP_REASONS:
        hit = left & basis.str.startswith(prefix.lower())
        if hit.any():
            parts.append(f"{int(hit.sum())} {reason}")
        left &= ~hit
    if not parts:
        return f"all {len(members)} small areas as the lookup gives them"
    return (f"{int((~left).sum())} of {len(members)} small areas approximate ("
            + "; ".join(parts) + ")")


def _hub_layer(areas: gpd.GeoDataFrame, nb: gpd.GeoDataFrame, shares: pd.DataFrame,
               sources: Path, config: PlaceConfig) -> gpd.GeoDataFrame:
    assigned = areas[areas["hub"] != schema.NOT_ASSIGNED]
    layer = assigned.dissolve(by="hub", as_index=False)[["hub", "geometry"]]
    layer = layer.rename(columns={"hub": "name"})
    layer["code"] = layer["name"]
    names = nb.set_index("code")["name"]
    members, approximate, notes = [], [], []
    for hub in layer["name"]:
        inside = shares[shares["hub"] == hub].assign(
            name=lambda f: f["neighbourhood_code"].map(names)).sort_values("name")
        part = nb[nb["code"].isin(inside["neighbourhood_code"])].sort_values("name")
        loose = part[part["hub_approximate"] == 1]
        members.append("; ".join(name if share >= 1 else f"{name} ({share:.0%})"
                                 for name, share in zip(inside["name"], inside["share"])))
        approximate.append("; ".join(loose["name"]))
        notes.append(_membership_note(areas[areas["hub"] == hub]))
    layer["neighbourhoods"] = members
    layer["approximate_members"] = approximate
    layer["membership_note"] = notes
    details = _hub_details(sources, config)
    layer = layer.merge(details, on="name", how="left")
    return layer[["code", "name", "quadrant", "address", "postcode", "neighbourhoods",
                  "approximate_members", "membership_note", "geometry"]].sort_values("name")


def _with_published(layer: gpd.GeoDataFrame, config: PlaceConfig,
                    by_id: dict) -> gpd.GeoDataFrame:
    """Each hub's published population (the place configuration's JSNA facts) beside the
    pack's own, in its columns and its membership note."""
    layer = layer.copy()
    published = [config.published_hubs.get(name, {}) for name in layer["name"]]
    layer["published_population"] = [fact.get("population") for fact in published]
    layer["published_population_period"] = [fact.get("period", "") for fact in published]
    layer["published_population_source"] = [fact.get("source", "") for fact in published]
    if "population" not in layer or "population" not in by_id:
        return layer
    period = by_id["population"].period
    layer["membership_note"] = [
        note + (f"; {own:,.0f} residents ({period}) against {fact['population']:,} published "
                f"for {fact.get('period', '')} ({fact.get('source', '')})"
                if fact.get("population") and own == own else "")
        for note, own, fact in zip(layer["membership_note"], layer["population"], published)]
    return layer


def _pack_info(config: PlaceConfig, sources: Path, lookup: Path, grids: list[str],
               report: BuildReport) -> pd.DataFrame:
    boundaries = "boundaries_2021" if config.edition == "2025" else "boundaries"
    rows = [("place", config.place), ("la_code", config.la_code),
            ("edition", config.edition), ("edition_name", EDITION_NAMES[config.edition]),
            ("format_version", schema.PACK_FORMAT_VERSION), ("crs", schema.PACK_CRS),
            ("hub_lookup", Path(lookup).name),
            ("hub_lookup_sha256", _checksum(lookup)),
            ("background_grids", ",".join(grids)),
            ("boundary_attribution", catalogue.SOURCES[boundaries].attribution),
            ("names_attribution", catalogue.SOURCES["hcl_names"].attribution)]
    for role, name in sorted(config.files.items()):
        path = Path(sources) / name
        if path.is_file():
            rows.append((f"source:{role}", f"{name} sha256={_checksum(path)}"))
    rows += [(f"warning:{i + 1}", text) for i, text in enumerate(report.warnings)]
    rows += [(f"note:{i + 1}", text) for i, text in enumerate(report.notes)]
    return pd.DataFrame(rows, columns=["key", "value"])
