"""Schools from Get Information About Schools (GIAS, DfE): the pack's ``schools`` point layer
and the derived table "@schools" that the schools recipe turns into indicators.

A school belongs to the small area GIAS gives it (its LSOA 2021 code, so "by school location",
not by where its pupils live). Free-school-meal figures count state-funded schools only:
independent schools, colleges, universities and "other types" are in the layer and counted as
establishments, but kept out of the pupil-weighted share. Rows GIAS holds with placeholder
locations (LSOA 999999999, easting 0) are left off the map and out of the counts, said by count.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core import schema
from .sources import BuildReport, PlaceConfig, read_table, to_number

GIAS_COLUMNS = ["establishment_name", "establishment_type", "establishment_type_group",
                "education_phase", "number_of_pupils", "percentage_fsm", "easting", "northing",
                "lsoa_code"]
NOT_STATE_FUNDED = ("Independent schools", "Colleges", "Universities", "Other types")
PLACEHOLDER_LSOA = "999999999"
# GIAS phase -> the pack's column; middle schools count with the phase they are deemed.
PHASES = {"Primary": "primary", "Middle deemed primary": "primary",
          "Secondary": "secondary", "Middle deemed secondary": "secondary",
          "All-through": "all_through", "Nursery": "nursery", "16 plus": "sixteen_plus",
          "Not applicable": "special_or_alternative"}
COUNT_COLUMNS = ("establishments", "state_funded", *dict.fromkeys(PHASES.values()),
                 "independent", "colleges_universities", "pupils", "fsm_pupils")


def schools(sources: Path, config: PlaceConfig, codes: set,
            report: BuildReport) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The schools layer and the "@schools" table of the place's small areas (``codes``), or
    (None, None) when the place configuration names no GIAS file or it is not there."""
    name = config.files.get("schools")
    path = Path(sources) / name if name else None
    if path is None or not path.is_file():
        return None, None
    frame = read_table(path, GIAS_COLUMNS, "urn")
    east = to_number(frame, "easting", "urn", path, BuildReport())
    north = to_number(frame, "northing", "urn", path, BuildReport())
    lsoa = frame["lsoa_code"].str.strip()
    no_code, no_place = lsoa == PLACEHOLDER_LSOA, ~(east > 0) | ~(north > 0)
    if (no_code | no_place).any():
        report.warn(f"{path.name}: {int((no_code | no_place).sum())} establishments have GIAS "
                    f"placeholder locations ({int(no_code.sum())} with LSOA {PLACEHOLDER_LSOA}, "
                    f"{int(no_place.sum())} with easting or northing 0 or blank) and are left "
                    "off the map and out of the school counts")
    here = lsoa.isin(codes) & ~no_code & ~no_place
    if not here.any():
        report.warn(f"{path.name}: no establishment lies in the place's small areas; the "
                    "schools layer and its indicators are left out")
        return None, None
    outside = frame[~here & ~no_code & ~no_place]
    if 0 < len(outside) <= 10:  # a local extract: say which of its schools are elsewhere
        report.note(f"{path.name}: {', '.join(outside['establishment_name'].str.strip())} "
                    "lie outside the place's small areas and are not counted (schools go by "
                    "where they are)")
    kept = frame[here].reset_index(drop=True)
    pupils = to_number(kept, "number_of_pupils", "urn", path, BuildReport())
    fsm = to_number(kept, "percentage_fsm", "urn", path, BuildReport())
    state = ~kept["establishment_type_group"].str.strip().isin(NOT_STATE_FUNDED)
    in_figure = state & pupils.notna() & fsm.notna()
    layer = gpd.GeoDataFrame({
        "urn": kept["urn"], "name": kept["establishment_name"].str.strip(),
        "type": kept["establishment_type"].str.strip(),
        "type_group": kept["establishment_type_group"].str.strip(),
        "phase": kept["education_phase"].str.strip(), "pupils": pupils.to_numpy(),
        "fsm_percent": fsm.to_numpy(), "state_funded": state.astype(int).to_numpy(),
        "in_fsm_figure": in_figure.astype(int).to_numpy(), "lsoa_code": kept["lsoa_code"],
        "source": path.name},
        geometry=gpd.points_from_xy(east[here].to_numpy(), north[here].to_numpy()),
        crs=schema.PACK_CRS)
    return layer, _per_area(layer, codes)


def _per_area(layer: gpd.GeoDataFrame, codes: set) -> pd.DataFrame:
    """Per small area: establishments, state-funded schools by phase, the others, and the
    pupils (and pupils eligible for free school meals) of the schools in the FSM figure."""
    groups = layer["type_group"]
    state = layer[layer["state_funded"] == 1]
    counted = layer[layer["in_fsm_figure"] == 1]
    columns = {
        "establishments": layer.groupby("lsoa_code").size(),
        "state_funded": state.groupby("lsoa_code").size(),
        "independent": layer[groups == "Independent schools"].groupby("lsoa_code").size(),
        "colleges_universities": layer[groups.isin(("Colleges", "Universities"))]
        .groupby("lsoa_code").size(),
        "pupils": counted.groupby("lsoa_code")["pupils"].sum(),
        "fsm_pupils": (counted["pupils"] * counted["fsm_percent"] / 100).groupby(
            counted["lsoa_code"]).sum(),
    }
    phase = state["phase"].map(PHASES).fillna("special_or_alternative")
    for column in dict.fromkeys(PHASES.values()):
        columns[column] = state[phase == column].groupby("lsoa_code").size()
    table = pd.DataFrame({"code": sorted(codes)})
    for column in COUNT_COLUMNS:
        table[column] = table["code"].map(columns[column]).fillna(0).astype(float)
    return table
