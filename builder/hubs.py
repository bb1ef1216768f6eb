"""Hub (Family Hub reach area) membership from a replaceable lookup file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core import schema
from ..core.errors import JsnaInputError
from .sources import LAST_LSOA_2011_CODE, LSOA_CODE, BuildReport, read_table

LOOKUP_COLUMNS = ["hub", "basis"]


def assign_hubs(lookup_path: Path, small_areas: pd.DataFrame,
                successors: pd.DataFrame | None = None,
                report: BuildReport | None = None) -> pd.DataFrame:
    """Return hub and basis per small area; ``small_areas`` has code and neighbourhood_code.

    Lookup rows may name a small area (LSOA code) or a neighbourhood (its code as the pack
    has it: an MSOA code, or in national packs the MSOA name); a small-area row wins over its
    neighbourhood's row. An area named twice, or a code outside the place, is an error.
    ``successors`` (old_code, new_code, change_code): a 2011 code the pack does not have is
    replaced by its 2021 areas, each split and merge told to ``report``.
    """
    if not Path(lookup_path).is_file():
        raise JsnaInputError(f"Missing hub lookup file: {lookup_path}")
    lookup = read_table(Path(lookup_path), LOOKUP_COLUMNS, "area_code")
    lookup["hub"] = lookup["hub"].str.strip()
    blank = lookup[lookup["hub"] == ""]
    if len(blank):
        raise JsnaInputError(f"{Path(lookup_path).name}: {blank['area_code'].iloc[0]} has no hub")
    if successors is not None:
        known = set(small_areas["code"]) | set(small_areas["neighbourhood_code"])
        lookup = converted(lookup, known, successors, report or BuildReport(),
                           Path(lookup_path).name)
    is_lsoa = lookup["area_code"].isin(set(small_areas["code"]))
    is_msoa = lookup["area_code"].isin(set(small_areas["neighbourhood_code"]))
    strange = lookup[~(is_lsoa | is_msoa)]
    if len(strange):
        code = strange["area_code"].iloc[0]
        kind = " (an LSOA 2021 code: this pack uses 2011 areas)" if LSOA_CODE.match(code) and \
            code > LAST_LSOA_2011_CODE else ""
        raise JsnaInputError(f"{Path(lookup_path).name}: area code {code} is not a small area "
                             f"or neighbourhood of this place{kind}")
    by_msoa = lookup[is_msoa].set_index("area_code")
    by_lsoa = lookup[is_lsoa].set_index("area_code")
    result = pd.DataFrame(index=small_areas["code"])
    via_msoa = small_areas.set_index("code")["neighbourhood_code"]
    # object columns: with no neighbourhood rows, map() gives float NaN, and pandas 2.2 warns
    # (pandas 3 refuses) when the small-area rows' text is assigned into them
    result["hub"] = via_msoa.map(by_msoa["hub"]).astype(object)
    result["hub_basis"] = via_msoa.map(by_msoa["basis"]).astype(object)
    result.loc[by_lsoa.index, "hub"] = by_lsoa["hub"]
    result.loc[by_lsoa.index, "hub_basis"] = by_lsoa["basis"]
    result["hub"] = result["hub"].fillna(schema.NOT_ASSIGNED)
    result["hub_basis"] = result["hub_basis"].fillna("no official lookup loaded")
    return result.reset_index()


CHANGES = {"S": "split", "M": "merged", "X": "changed irregularly", "C": "recoded"}


def converted(lookup: pd.DataFrame, known: set, successors: pd.DataFrame, report: BuildReport,
              name: str) -> pd.DataFrame:
    """Lookup rows naming 2011 areas the pack does not have, replaced by rows for their 2021
    successors (ONS lookups). A 2021 area merged from parents of different hubs goes to the
    first parent's hub in the lookup's order, and the report says so."""
    old = lookup[~lookup["area_code"].isin(known)
                 & lookup["area_code"].isin(set(successors["old_code"]))]
    if old.empty:
        return lookup
    rows = old.merge(successors, left_on="area_code", right_on="old_code")
    rows = rows[rows["new_code"].isin(known)]
    for code, part in rows.groupby("area_code", sort=True):
        kind = part["change_code"].iloc[0]
        if kind != "U":
            report.warn(f"{name}: {code} (2011) was {CHANGES.get(kind, kind)} into "
                        f"{', '.join(sorted(part['new_code']))} (2021), given "
                        f"{part['hub'].iloc[0]}")
    for code, part in rows.groupby("new_code", sort=True):
        if part["hub"].nunique() > 1:
            report.warn(f"{name}: {code} (2021) was merged from {', '.join(part['area_code'])}, "
                        f"which the lookup gives to {', '.join(part['hub'])}; it goes to "
                        f"{part['hub'].iloc[0]}")
    rows = rows.drop_duplicates("new_code")
    new = pd.DataFrame({"area_code": rows["new_code"], "hub": rows["hub"],
                        "basis": rows["basis"] + " (converted from 2011 code "
                        + rows["area_code"] + " through the ONS lookup)"})
    kept = lookup[~lookup["area_code"].isin(set(old["area_code"]))]
    clash = sorted(set(new["area_code"]) & set(kept["area_code"]))
    if clash:
        raise JsnaInputError(f"{name}: {clash[0]} is named by its own row and, through the ONS "
                             "lookup, by a 2011 code's row; keep one")
    return pd.concat([kept, new], ignore_index=True)


def approximate(basis: pd.Series) -> pd.Series:
    """True where the lookup's basis says the membership is approximate."""
    return basis.str.lower().str.startswith("approximate")


NEAREST_BASIS = "approximate: nearest Family Hub"


def nearest_hub(centres: pd.DataFrame, hubs: pd.DataFrame) -> pd.Series:
    """Each centre's nearest hub in a straight line. ``centres``: code, x, y; ``hubs``: name,
    x, y (British National Grid metres). Ties go to the hub named first alphabetically."""
    ordered = hubs.sort_values("name").reset_index(drop=True)
    dx = centres["x"].to_numpy()[:, None] - ordered["x"].to_numpy()[None, :]
    dy = centres["y"].to_numpy()[:, None] - ordered["y"].to_numpy()[None, :]
    nearest = np.hypot(dx, dy).argmin(axis=1)
    return pd.Series(ordered["name"].to_numpy()[nearest], index=centres["code"].to_numpy())


def fill_nearest(areas: pd.DataFrame, hub_points: pd.DataFrame) -> pd.DataFrame:
    """Small areas the lookup leaves out go, by neighbourhood, to the nearest hub that the
    lookup gives no members (every hub, if it gives all of them some); the basis says so."""
    unassigned = areas["hub"] == schema.NOT_ASSIGNED
    if not unassigned.any() or hub_points.empty:
        return areas
    named = set(areas.loc[~unassigned, "hub"])
    candidates = hub_points[~hub_points["name"].isin(named)]
    if candidates.empty:
        candidates = hub_points
    left = areas[unassigned].dissolve(by="neighbourhood_code", as_index=False)
    centres = left.geometry.representative_point()
    choice = nearest_hub(pd.DataFrame({"code": left["neighbourhood_code"], "x": centres.x,
                                       "y": centres.y}), candidates)
    postcodes = hub_points.set_index("name")["postcode"]
    areas = areas.copy()
    hub = areas.loc[unassigned, "neighbourhood_code"].map(choice)
    areas.loc[unassigned, "hub"] = hub
    areas.loc[unassigned, "hub_basis"] = [
        f"{NEAREST_BASIS} (straight line from the neighbourhood's centre to {name}'s postcode "
        f"{postcodes[name]})" for name in hub]
    return areas
