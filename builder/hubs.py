"""Hub (Family Hub reach area) membership from a replaceable lookup file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core import schema
from ..core.compare_export import FORMULA_STARTS
from ..core.errors import JsnaInputError
from ..core.names import check_plain_text
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
SPLIT_BASIS = "approximate: part of a neighbourhood"


def _centres(areas: pd.DataFrame) -> pd.DataFrame:
    """Each small area's representative point (inside it, unlike a centroid)."""
    points = areas.geometry.representative_point()
    return pd.DataFrame({"code": areas["code"].to_numpy(), "x": points.x.to_numpy(),
                         "y": points.y.to_numpy()})


def nearest_hub(centres: pd.DataFrame, hubs: pd.DataFrame) -> pd.Series:
    """Each centre's nearest hub in a straight line. ``centres``: code, x, y; ``hubs``: name,
    x, y (British National Grid metres). Ties go to the hub named first alphabetically."""
    ordered = hubs.sort_values("name").reset_index(drop=True)
    dx = centres["x"].to_numpy()[:, None] - ordered["x"].to_numpy()[None, :]
    dy = centres["y"].to_numpy()[:, None] - ordered["y"].to_numpy()[None, :]
    nearest = np.hypot(dx, dy).argmin(axis=1)
    return pd.Series(ordered["name"].to_numpy()[nearest], index=centres["code"].to_numpy())


def split_by_sites(areas: pd.DataFrame, hub_points: pd.DataFrame) -> pd.DataFrame:
    """Neighbourhoods a lookup gives a hub only approximately (the profile names a place inside
    them) keep just the small areas nearer that hub's site than any other; the others go to
    the hub whose site is nearest. Exact rows, and builds without hub sites, are unchanged."""
    loose = approximate(areas["hub_basis"]) & ~areas["hub_basis"].str.startswith(NEAREST_BASIS) \
        & (areas["hub"] != schema.NOT_ASSIGNED)  # (run after fill_nearest: its areas stay)
    if not loose.any() or hub_points.empty:
        return areas
    part = areas[loose]
    nearest = nearest_hub(_centres(part), hub_points).reindex(part["code"]).to_numpy()
    moved = part[nearest != part["hub"].to_numpy()]
    if moved.empty:
        return areas
    areas = areas.copy()
    postcodes = hub_points.set_index("name")["postcode"]
    other = pd.Series(nearest, index=part.index)[moved.index]
    areas.loc[moved.index, "hub_basis"] = [
        f"{SPLIT_BASIS} {hub}'s profile names only in part; nearer {to}'s site ({postcodes[to]}) "
        f"than {hub}'s" for hub, to in zip(moved["hub"], other)]
    areas.loc[moved.index, "hub"] = other
    return areas


def fill_nearest(areas: pd.DataFrame, hub_points: pd.DataFrame) -> pd.DataFrame:
    """Small areas the lookup leaves out go, each, to the nearest hub that the lookup gives no
    members (every hub, if it gives all of them some); the basis says so."""
    unassigned = areas["hub"] == schema.NOT_ASSIGNED
    if not unassigned.any() or hub_points.empty:
        return areas
    named = set(areas.loc[~unassigned, "hub"])
    candidates = hub_points[~hub_points["name"].isin(named)]
    if candidates.empty:
        candidates = hub_points
    left = areas[unassigned]
    choice = nearest_hub(_centres(left), candidates)
    postcodes = hub_points.set_index("name")["postcode"]
    areas = areas.copy()
    hub = left["code"].map(choice)
    areas.loc[unassigned, "hub"] = hub
    areas.loc[unassigned, "hub_basis"] = [
        f"{NEAREST_BASIS} (straight line from the small area to {name}'s postcode "
        f"{postcodes[name]})" for name in hub]
    return areas


def hub_shares(areas: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """Each neighbourhood's share of residents in each hub it lies in (neighbourhood_code, hub,
    share 0-1, small_areas): 1 for a neighbourhood wholly in one hub."""
    frame = pd.DataFrame({"neighbourhood_code": areas["neighbourhood_code"].to_numpy(),
                          "hub": areas["hub"].to_numpy(),
                          "people": areas["code"].map(population).fillna(0).to_numpy()})
    frame = frame[frame["hub"] != schema.NOT_ASSIGNED]
    grouped = frame.groupby(["neighbourhood_code", "hub"]).agg(
        people=("people", "sum"), small_areas=("people", "size")).reset_index()
    totals = grouped.groupby("neighbourhood_code")["people"].transform("sum")
    grouped["share"] = (grouped["people"] / totals.where(totals > 0)).fillna(
        grouped["small_areas"] / grouped.groupby("neighbourhood_code")["small_areas"]
        .transform("sum"))
    return grouped[["neighbourhood_code", "hub", "share", "small_areas"]]


def home_hubs(shares: pd.DataFrame) -> pd.Series:
    """Each neighbourhood's hub: the one holding most of its residents (ties: first by name)."""
    ordered = shares.sort_values(["neighbourhood_code", "share", "hub"],
                                 ascending=[True, False, True])
    return ordered.drop_duplicates("neighbourhood_code").set_index("neighbourhood_code")["hub"]


def neighbourhood_to_hub(shares: pd.DataFrame) -> pd.Series | pd.DataFrame:
    """The neighbourhood -> hub membership aggregation uses: code -> hub where every
    neighbourhood lies in one hub, else rows of code, parent, share (core.aggregate)."""
    if (shares["share"] >= 1 - 1e-12).all():
        return home_hubs(shares)
    return shares.rename(columns={"neighbourhood_code": "code", "hub": "parent"})[
        ["code", "parent", "share"]].reset_index(drop=True)


def lookup_from_sites(small_areas: pd.DataFrame, sites: pd.DataFrame,
                      named: dict[str, set] | None = None) -> pd.DataFrame:
    """A hub lookup (area_code, hub, basis) for a council without one: each small area goes to
    the nearest hub site, in a straight line from a point inside it. With ``named`` (hub ->
    the neighbourhood codes its profile names), a small area of named neighbourhoods goes to
    the nearest of the hubs naming it, and the others to the nearest hub naming none (or any
    hub, if every hub names some). ``small_areas``: code, neighbourhood_code, geometry (British
    National Grid); ``sites``: name, x, y."""
    if sites.empty:
        raise JsnaInputError("no hub sites given")
    for name in sites["name"]:
        check_plain_text(name, "The hub site name")
        if str(name).startswith(FORMULA_STARTS) or not str(name).strip():
            raise JsnaInputError(f"The hub site name '{name}' is empty or starts with "
                                 f"'{str(name)[:1]}', which a spreadsheet opening the lookup "
                                 "would run as a formula; rename the site")
    if sites["name"].duplicated().any():
        raise JsnaInputError(f"hub site '{sites['name'][sites['name'].duplicated()].iloc[0]}' "
                             "is given twice")
    centres = _centres(small_areas).set_index("code")
    neighbourhood = small_areas.set_index("code")["neighbourhood_code"]
    named = {hub: set(codes) for hub, codes in (named or {}).items() if codes}
    by_neighbourhood: dict[str, list] = {}
    for hub, codes in named.items():
        for code in codes:
            by_neighbourhood.setdefault(code, []).append(hub)
    unnamed_hubs = sites[~sites["name"].isin(named)]
    naming = neighbourhood.map(lambda nb: "\n".join(by_neighbourhood.get(nb, ())))
    out = []
    for key, codes in naming.groupby(naming).groups.items():  # one pass per choice of hubs
        hubs_naming = key.split("\n") if key else []
        choices = sites[sites["name"].isin(hubs_naming)] if hubs_naming else (
            unnamed_hubs if named and not unnamed_hubs.empty else sites)
        hub = nearest_hub(centres.loc[codes].reset_index(), choices)
        if len(hubs_naming) == 1:
            why = [f"named: {h}'s profile names its neighbourhood" for h in hub]
        elif hubs_naming:
            why = [f"approximate: its neighbourhood is named by {', '.join(hubs_naming)}; the "
                   f"nearest of their sites is {h}'s" for h in hub]
        else:
            why = [f"{NEAREST_BASIS} site ({h}), in a straight line from the small area"
                   for h in hub]
        out.append(pd.DataFrame({"area_code": hub.index, "hub": hub.to_numpy(), "basis": why}))
    return pd.concat(out, ignore_index=True).sort_values("area_code", ignore_index=True)


def lookup_from_pack(pack: Path, sites: pd.DataFrame, out: Path,
                     report: BuildReport) -> pd.DataFrame:
    """Write a hub lookup (CSV area_code,hub,basis, by LSOA) for a pack's small areas from hub
    sites (name, x, y in British National Grid, and optionally ``neighbourhoods``: the names
    or codes its profile names, separated by ';'), for build-pack/build-national
    --hub-lookup. Names matching no neighbourhood of the pack are reported."""
    import geopandas as gpd

    from ..core.files import replace_atomically

    try:
        small = gpd.read_file(pack, layer=schema.SMALL_AREAS)
        names = gpd.read_file(pack, layer=schema.NEIGHBOURHOODS, ignore_geometry=True)
    except Exception as exc:  # fiona raises driver-specific errors
        raise JsnaInputError(f"{Path(pack).name}: not a data pack's small areas ({exc})") \
            from None
    by_key = {str(key).strip().casefold(): code for code, name in
              zip(names["code"], names["name"]) for key in (code, name)}
    named = {}
    for site, text in zip(sites["name"], sites.get("neighbourhoods", [""] * len(sites))):
        wanted = [part.strip() for part in str(text or "").split(";") if part.strip()]
        unknown = [part for part in wanted if part.casefold() not in by_key]
        if unknown:
            report.warn(f"{site}: {', '.join(unknown)} match no neighbourhood of the pack "
                        "(by name or code) and are not used")
        named[site] = {by_key[part.casefold()] for part in wanted if part.casefold() in by_key}
    lookup = lookup_from_sites(small[["code", "neighbourhood_code", "geometry"]], sites, named)
    replace_atomically(out, lambda tmp: lookup.to_csv(tmp, index=False))
    return lookup
