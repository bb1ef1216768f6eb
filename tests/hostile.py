"""Packs edited as an attacker would: names that are QGIS expressions, grid names that are
paths. Each starts from a copy of the real Coventry pack (made through SQLite's backup API)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from jsna_profiles.core.packfile import copy_database

SECRET_VARIABLE = "JSNA_SECRET"
SECRET = "s3cr3t-from-the-environment"
HUB = "Harmony [% env('JSNA_SECRET') %]"
PLACE = "Coventry [% env('JSNA_SECRET') || 'place' %]"


def neighbourhood_writing_to(victim: Path) -> str:
    """A neighbourhood name that, if evaluated, adds a row to another SQLite file."""
    return (f"Hillfields [% sqlite_fetch_and_increment('{victim}', 'counters', 'value', 'id', "
            f"'hits', map()) %]")


def victim_database(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE counters (id TEXT PRIMARY KEY, value INTEGER)")
        db.execute("INSERT INTO counters VALUES ('hits', 1)")
    db.close()
    return path


def _edit(pack: Path, statements: list[tuple[str, tuple]]) -> None:
    db = sqlite3.connect(pack)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        db.create_function(name, 1, lambda *_args: 0)  # GeoPackage triggers; no geometry changes
    with db:
        for sql, values in statements:
            db.execute(sql, values)
    db.close()


def expression_names(source: Path, target: Path, victim: Path) -> Path:
    """Harmony, Hillfields, the place and an indicator's unit renamed to expressions."""
    copy_database(source, target)
    neighbourhood = neighbourhood_writing_to(victim)
    _edit(target, [
        ("UPDATE hubs SET name = ?, code = ? WHERE name = 'Harmony'", (HUB, HUB)),
        ("UPDATE neighbourhoods SET hub = ? WHERE hub = 'Harmony'", (HUB,)),
        ("UPDATE small_areas SET hub = ? WHERE hub = 'Harmony'", (HUB,)),
        ("UPDATE hub_lookup SET hub = ? WHERE hub = 'Harmony'", (HUB,)),
        ("UPDATE indicator_values SET area_code = ? WHERE area_code = 'Harmony'", (HUB,)),
        ("UPDATE neighbourhoods SET name = ? WHERE name = 'Hillfields'", (neighbourhood,)),
        ("UPDATE pack_info SET value = ? WHERE key = 'place'", (PLACE,)),
    ])
    return target


def grid_named(source: Path, target: Path, name: str) -> Path:
    copy_database(source, target)
    _edit(target, [("UPDATE pack_info SET value = ? WHERE key = 'background_grids'", (name,))])
    return target
