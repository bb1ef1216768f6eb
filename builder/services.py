"""GP practices and pharmacies from NHS ODS files, placed at their postcodes (Code-Point Open).

Gives the pack's ``services`` point layer and the derived table "@services" that the services
recipe turns into indicators: per small area, the practices and pharmacies in it and the
straight-line distance from its centre to the nearest of each. What cannot be placed is
listed in one build warning per file; a file in another layout is left out, with a warning.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core import schema
from ..core.errors import JsnaInputError
from .sources import BuildReport, PlaceConfig, read_csv_text, read_table, to_number

ODS_FIELDS = 27  # the ODS standard CSV layout (epraccur.pdf)
# kind -> (file role, what one is called, the rows that count: column -> wanted value)
KINDS = {
    "gp_practices": ("gp_practices", "GP practice",
                     {"Status Code": "A", "Prescribing Setting": "4"}),
    "pharmacies": ("pharmacies", "pharmacy",
                   {"Status Code": "A", "Organisation Sub-Type Code": "1"}),
}
DISTANCE_COLUMNS = {"gp_practices": "gp_distance_m", "pharmacies": "pharmacy_distance_m"}
ODS_COLUMNS = ["Organisation Code", "Name", "Postcode", "Address Line 1", "Status Code"]


def postcode_key(text: pd.Series) -> pd.Series:
    """Postcodes compared without case or spaces ("cv1 5gr", "CV15GR" and "CV1 5GR" agree)."""
    return text.fillna("").str.upper().str.replace(r"\s+", "", regex=True)


def read_postcodes(path: Path) -> pd.DataFrame:
    """Code-Point Open: postcode key -> easting, northing (British National Grid)."""
    frame = read_table(path, ["Eastings", "Northings"], "Postcode")
    report = BuildReport()
    return pd.DataFrame({"x": to_number(frame, "Eastings", "Postcode", path, report).values,
                         "y": to_number(frame, "Northings", "Postcode", path, report).values},
                        index=postcode_key(frame["Postcode"]).values)


def place_postcodes(sources: Path, config: PlaceConfig) -> pd.DataFrame | None:
    """The place's postcode file (Code-Point Open) read once per build; None without one."""
    name = config.files.get("postcodes")
    path = Path(sources) / name if name else None
    return read_postcodes(path) if path is not None and path.is_file() else None


def _ods(path: Path, kind: str, report: BuildReport) -> pd.DataFrame | None:
    role, singular, wanted = KINDS[kind]
    frame = read_csv_text(path)
    if len(frame.columns) != ODS_FIELDS:
        report.warn(f"{path.name}: {len(frame.columns)} columns, not the {ODS_FIELDS} of the "
                    f"NHS ODS layout; no {singular} is taken from it")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in [*ODS_COLUMNS, *wanted] if c not in frame.columns]
    if missing:
        report.warn(f"{path.name}: column '{missing[0]}' not found; no {singular} is taken "
                    "from it")
        return None
    keep = pd.Series(True, index=frame.index)
    for column, value in wanted.items():
        keep &= frame[column].str.strip() == value
    return frame[keep].reset_index(drop=True)


def services(sources: Path, config: PlaceConfig, areas: gpd.GeoDataFrame,
             postcodes: pd.DataFrame | None,
             report: BuildReport) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The services layer and the "@services" table, or (None, None) without the files
    (``postcodes``: from place_postcodes)."""
    roles = ["postcodes", *(role for role, _, _ in KINDS.values())]
    absent = [r for r in roles if r not in config.files or
              not (Path(sources) / config.files[r]).is_file()]
    if absent or postcodes is None:
        if absent and set(absent) != set(roles):  # some, not all: say what is missing
            report.warn(f"no {absent[0].replace('_', ' ')} file in {sources}: the services "
                        "layer and its access indicators are left out")
        return None, None
    placed = []
    for kind, (role, singular, _) in KINDS.items():
        path = Path(sources) / config.files[role]
        try:
            frame = _ods(path, kind, report)
        except JsnaInputError as exc:
            report.warn(f"{exc}; no {singular} is taken from it")
            frame = None
        if frame is None:
            return None, None
        key = postcode_key(frame["Postcode"])
        found = key.isin(postcodes.index)
        lost = frame[~found]
        if len(lost):
            shown = "; ".join(f"{n.strip()} ({p.strip() or 'no postcode'})"
                              for n, p in zip(lost["Name"].head(5), lost["Postcode"].head(5)))
            report.warn(f"{path.name}: {len(lost)} active {singular} records cannot be placed "
                        f"(postcode missing or not in Code-Point Open): {shown}"
                        f"{' ...' if len(lost) > 5 else ''}")
        here = frame[found]
        xy = postcodes.loc[key[found]]
        placed.append(gpd.GeoDataFrame({
            "kind": singular, "code": here["Organisation Code"].str.strip().values,
            "name": here["Name"].str.strip().values,
            "address": here["Address Line 1"].str.strip().values,
            "postcode": here["Postcode"].str.strip().values, "source": path.name},
            geometry=gpd.points_from_xy(xy["x"], xy["y"]), crs=schema.PACK_CRS))
    layer = pd.concat(placed, ignore_index=True)
    return gpd.GeoDataFrame(layer, crs=schema.PACK_CRS), _per_area(layer, areas)


def _per_area(layer: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each small area's count of each kind, and distance (m) from its centre to the nearest."""
    from shapely.prepared import prep

    table = pd.DataFrame({"code": areas["code"].values})
    home: dict = {}  # point -> the small area holding it
    for code, polygon in zip(areas["code"], areas.geometry):
        shape = prep(polygon)
        home.update({i: code for i, point in zip(layer.index, layer.geometry)
                     if i not in home and shape.contains(point)})
    inside = layer.assign(code=pd.Series(home, dtype=object)).dropna(subset=["code"])
    centres = areas.geometry.representative_point()
    cx, cy = centres.x.to_numpy()[:, None], centres.y.to_numpy()[:, None]
    for kind, (_, singular, _) in KINDS.items():
        counts = inside[inside["kind"] == singular].groupby("code").size()
        table[kind] = table["code"].map(counts).fillna(0).astype(float)
        points = layer[layer["kind"] == singular].geometry
        if len(points):
            distance = np.hypot(cx - points.x.to_numpy()[None, :],
                                cy - points.y.to_numpy()[None, :]).min(axis=1)
        else:
            distance = np.full(len(areas), np.inf)
        table[DISTANCE_COLUMNS[kind]] = distance
    return table
