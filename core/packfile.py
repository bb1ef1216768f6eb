"""Reading a pack's tables straight from SQLite, safely beside QGIS.

QGIS may hold the pack open in WAL mode, with recent changes still in the -wal file: readers
must then honour the WAL; otherwise they open the file as immutable, so that reading never
creates -wal/-shm files or takes locks beside the user's file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    return sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True)


def copy_database(source: str | Path, target: str | Path) -> None:
    """A consistent copy, including changes still in the source's WAL, in rollback-journal mode."""
    with connect_read_only(source) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)
        writer.execute("PRAGMA journal_mode=DELETE")
    reader.close()
    writer.close()
