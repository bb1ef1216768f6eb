"""An England-wide comparison pack for the compare benchmark: 6,791 neighbourhoods (MSOAs).

Built from the national IoD 2019 files in ../shared/data/england with the builder's own readers
and aggregation. Neighbourhoods are MSOAs named from their LSOAs' names ("Coventry 001A" ->
"Coventry 001", the MSOA code not being in these files), hubs are local authorities, and the
'city' is England. Attribute tables only (no geometry): the compare core needs no more. Issue 5
replaces this with a full England pack.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jsna_profiles.builder import indicators
from jsna_profiles.builder.pack import _aggregate_values, _memberships, write_table
from jsna_profiles.builder.sources import BuildReport, PlaceConfig, read_table
from jsna_profiles.core import catalogue, schema

FILES = {
    "iod_domains": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    "iod_population": "File_6_-_IoD2019_Population_Denominators.csv.gz",
    "iod_underlying": "iod2019_underlying_indicators_england.csv.gz",
}
LSOA_NAME, LA_NAME = "LSOA name (2011)", "Local Authority District name (2019)"


def build_england_compare_pack(england: Path, out: Path) -> Path:
    config = PlaceConfig("England", indicators.ENGLAND_CODE, "England", FILES, Path(), {})
    names = read_table(england / FILES["iod_domains"], [LSOA_NAME, LA_NAME], indicators.IOD_CODE)
    areas = pd.DataFrame({
        "code": names[indicators.IOD_CODE],
        "neighbourhood_code": names[LSOA_NAME].str.strip().str[:-1].str.strip(),
        "hub": names[LA_NAME].str.strip(),
    })
    report = BuildReport()
    rows, denominators = indicators.iod_small_area(england, config, set(areas["code"]), report)
    population = denominators[indicators.POPULATION]
    memberships = _memberships(areas, population, config.la_code)
    values = _aggregate_values(rows, areas, population, memberships, config)
    values = values[values["level"] != schema.LEVEL_SMALL_AREA].reset_index(drop=True)
    nb = areas.drop_duplicates("neighbourhood_code")
    neighbourhoods = pd.DataFrame({"code": nb["neighbourhood_code"], "name": nb["neighbourhood_code"],
                                   "hub": nb["hub"]}).sort_values("code")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    catalogue_rows = pd.DataFrame([ind.as_row() for ind in catalogue.CATALOGUE])
    write_table(catalogue_rows[list(schema.CATALOGUE_COLUMNS)], out, schema.CATALOGUE)
    write_table(values, out, schema.VALUES)
    write_table(neighbourhoods.reset_index(drop=True), out, schema.NEIGHBOURHOODS)
    info = pd.DataFrame([("place", "England"), ("la_code", indicators.ENGLAND_CODE)],
                        columns=["key", "value"])
    write_table(info, out, schema.PACK_INFO)
    return out
