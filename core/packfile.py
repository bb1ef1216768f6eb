"""Reading a pack's tables straight from SQLite, safely beside QGIS.

QGIS may hold the pack open in WAL mode, with recent changes still in the -wal file: readers
must then honour the WAL; otherwise they open the file as immutable, so that reading never
creates -wal/-shm files or takes locks beside the user's file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from . import schema


@contextmanager
def connect_read_only(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection for one block, closed after it. ``path`` goes as an SQLite file
    URI: characters such as '#', '?' and '%' in folder names are percent-encoded, so the URI
    names exactly this file (never a shortened path)."""
    path = Path(path).absolute()
    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro{immutable}", uri=True)) as db:
        yield db


def copy_database(source: str | Path, target: str | Path) -> None:
    """A consistent copy, including changes still in the source's WAL, in rollback-journal mode."""
    with connect_read_only(source) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
        writer.execute("PRAGMA journal_mode=DELETE")


def check_database(path: str | Path) -> None:
    """Raise sqlite3.DatabaseError unless SQLite finds the file whole (before it replaces a
    pack: a write that failed half-way must not pass)."""
    db = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        db.close()
    if result != "ok":
        raise sqlite3.DatabaseError(f"the database is damaged ({result})")


def is_pack(path: str | Path) -> bool:
    """True for a JSNA data pack (a GeoPackage with our pack_info table)."""
    try:
        with connect_read_only(path) as db:
            return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (schema.PACK_INFO,)).fetchone() is not None
    except sqlite3.Error:
        return False


def remove_database(path: str | Path) -> None:
    """Delete an SQLite file and the journal files SQLite or GDAL may have left beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def place_and_hubs(path) -> tuple[str, list[str]]:
    """The pack's place and its hubs (as ComparePack names them), read without computing any
    comparison; ``path``: a GeoPackage or a server location."""
    from .packstore import open_reader, parse_location

    location = parse_location(path)
    with open_reader(location) as pack:
        info = dict(pack.rows(f"SELECT key, value FROM {schema.PACK_INFO}"))
        hubs = {r[0] for r in pack.rows(f"SELECT DISTINCT hub FROM {schema.NEIGHBOURHOODS}")}
        if pack.has_table(schema.HUB_SHARES):  # a hub may hold only parts of neighbourhoods
            hubs |= {r[0] for r in pack.rows(f"SELECT DISTINCT hub FROM {schema.HUB_SHARES}")}
    place = info.get("place") or (location.path.stem if location.path else location.schema)
    return place, sorted(h for h in hubs if h and h != schema.NOT_ASSIGNED)
