"""Boundary reading: CRS checks, empty and invalid geometries, reprojection to the pack CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from ..core import schema
from ..core.errors import JsnaInputError
from .sources import BuildReport


def _looks_like_lonlat(bounds) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90


def read_boundaries(path: Path, code_column: str, name_column: str,
                    report: BuildReport) -> gpd.GeoDataFrame:
    """Read polygons, check their declared CRS against their coordinates, return EPSG:27700."""
    source = f"/vsigzip/{Path(path).resolve()}" if Path(path).suffix == ".gz" else path
    try:
        frame = gpd.read_file(source)
    except Exception as exc:  # fiona raises several driver-specific errors
        raise JsnaInputError(f"{path.name}: cannot be read as a boundary file ({exc})") from exc
    for column in (code_column, name_column):
        if column not in frame.columns:
            raise JsnaInputError(f"{path.name}: column '{column}' not found (columns are: "
                                 f"{', '.join(c for c in frame.columns if c != 'geometry')})")
    if frame.crs is None:
        raise JsnaInputError(f"{path.name}: has no coordinate reference system")
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        raise JsnaInputError(f"{path.name}: {frame.loc[empty, code_column].iloc[0]} has an "
                             "empty geometry")
    lonlat = _looks_like_lonlat(frame.total_bounds)
    if frame.crs.is_geographic and not lonlat:
        raise JsnaInputError(f"{path.name}: declares longitude/latitude ({frame.crs.to_string()}) "
                             "but its coordinates look like British National Grid metres")
    if not frame.crs.is_geographic and lonlat:
        raise JsnaInputError(f"{path.name}: declares {frame.crs.to_string()} but its coordinates "
                             "look like longitude/latitude degrees")
    frame = frame.to_crs(schema.PACK_CRS)
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        report.warn(f"{path.name}: {int(invalid.sum())} invalid geometries repaired "
                    f"({', '.join(frame.loc[invalid, code_column].head(5))})")
        frame.loc[invalid, "geometry"] = frame.loc[invalid, "geometry"].buffer(0)
    frame[code_column] = frame[code_column].astype(str).str.strip()
    duplicated = frame[code_column][frame[code_column].duplicated()]
    if len(duplicated):
        raise JsnaInputError(f"{path.name}: code {duplicated.iloc[0]} appears more than once")
    return frame


def union_of(geometries: gpd.GeoSeries):
    """One geometry covering all: ``union_all`` where geopandas has it (1.0 deprecates
    ``unary_union``), ``unary_union`` on Debian 12's geopandas 0.12."""
    if hasattr(geometries, "union_all"):
        return geometries.union_all()
    return geometries.unary_union
