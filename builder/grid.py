"""DEFRA background-map grids (x, y of 1 km squares, one column per pollutant and year) to rasters."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import schema
from ..core.errors import JsnaInputError

POLLUTANT_COLUMN = re.compile(r"^Total_(?P<pollutant>[A-Za-z0-9.]+)_(?P<year>\d{2}|\d{4})$")
CELL = 1000.0


def is_background_grid(path: Path) -> bool:
    """A CSV whose header has x, y and at least one Total_<pollutant>_<year> column."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader([file.readline(1 << 16)]), [])
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    names = {str(c).strip() for c in header}
    return {"x", "y"} <= names and any(POLLUTANT_COLUMN.match(n) for n in names)


def raster_name(column: str) -> str:
    match = POLLUTANT_COLUMN.match(column)
    year = match["year"] if len(match["year"]) == 4 else f"20{match['year']}"
    pollutant = match["pollutant"].lower().replace(".", "")
    return f"{schema.BACKGROUND_GRID_PREFIX}{pollutant}_{year}"


def grid_arrays(path: Path, bounds: tuple[float, float, float, float]):
    """Yield (raster name, array, (west, north)) for each pollutant column, clipped to bounds."""
    frame = pd.read_csv(path, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("x", "y"):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise JsnaInputError(f"{path.name}: column '{column}' must hold grid coordinates")
    if frame["x"].between(-180, 180).all():
        raise JsnaInputError(f"{path.name}: x, y look like longitude/latitude; background maps "
                             "give British National Grid metres")
    west, south, east, north = bounds
    inside = frame["x"].between(west - CELL, east + CELL) & frame["y"].between(south - CELL,
                                                                              north + CELL)
    frame = frame[inside]
    if frame.empty:
        raise JsnaInputError(f"{path.name}: no grid square lies within the place's boundary")
    # x, y are square centres on a 1 km lattice.
    x0, y1 = frame["x"].min() - CELL / 2, frame["y"].max() + CELL / 2
    cols = ((frame["x"] - frame["x"].min()) / CELL).round().astype(int).to_numpy()
    rows_ = ((frame["y"].max() - frame["y"]) / CELL).round().astype(int).to_numpy()
    for column in sorted(c for c in frame.columns if POLLUTANT_COLUMN.match(c)):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float32")
        array = np.full((rows_.max() + 1, cols.max() + 1), np.nan, dtype="float32")
        array[rows_, cols] = values
        yield raster_name(column), array, (x0, y1)


def write_grids(path: Path, pack: Path, bounds) -> list[str]:
    """Append each pollutant-year grid to the GeoPackage as a Float32 raster table."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    written = []
    for name, array, (west, north) in grid_arrays(path, bounds):
        profile = dict(driver="GPKG", width=array.shape[1], height=array.shape[0], count=1,
                       dtype="float32", crs=CRS.from_epsg(27700), nodata=-9999.0,
                       transform=from_origin(west, north, CELL, CELL))
        with rasterio.open(pack, "w", RASTER_TABLE=name, APPEND_SUBDATASET="YES",
                           TILE_FORMAT="TIFF", **profile) as dataset:
            dataset.write(np.nan_to_num(array, nan=-9999.0), 1)
        written.append(name)
    return written
