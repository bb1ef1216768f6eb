"""Publish a pack (a GeoPackage) to a PostgreSQL/PostGIS server, one schema per pack, so a
team opens, compares and profiles one shared pack.

Everything happens in one server transaction: the tables are created in a temporary schema,
filled with COPY, given primary keys and spatial indexes; the styles go into QGIS's own
``public.layer_styles``; an existing pack is dropped (with ``replace``) and the temporary
schema renamed. A failure, or a killed process, rolls all of it back: no half-published schema
is ever seen, and the next publish starts clean.
"""

from __future__ import annotations

import io
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core import schema as s
from ..core.errors import JsnaInputError
from ..core.packfile import connect_read_only, is_pack
from ..core.packstore import (
    PackLocation,
    check_format_version,
    quoted,
    server_connection,
    server_errors,
    server_location,
    table_in_schema,
)

STYLES_TABLE = "layer_styles"
COPY_ROWS = 20_000  # rows sent per COPY buffer
# QGIS's own table of saved styles (the columns QGIS 3.22 to 3.40 read and write).
LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
    id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar,
    f_table_name varchar, f_geometry_column varchar, stylename text, styleqml xml,
    stylesld xml, useasdefault boolean, description text, owner varchar(63),
    ui xml, update_time timestamp DEFAULT now(), type varchar, r_raster_column varchar)"""
SQLITE_TYPES = (("INT", "bigint"), ("BOOL", "boolean"), ("REAL", "double precision"),
                ("FLOA", "double precision"), ("DOUB", "double precision"),
                ("DATETIME", "timestamp"), ("DATE", "date"), ("BLOB", "bytea"))


@dataclass
class PublishReport:
    location: PackLocation
    tables: int = 0
    rows: int = 0
    styles: int = 0
    seconds: float = 0.0


def publish_pack(pack: str | Path, conninfo: str, schema: str, replace: bool = False,
                 progress: Callable[[float, str], None] | None = None) -> PublishReport:
    """Publish ``pack`` as ``schema`` on the server; ``replace`` an existing pack there."""
    started = time.perf_counter()
    location = server_location(conninfo, schema)
    pack = Path(pack)
    if not is_pack(pack):
        raise JsnaInputError(f"{pack} is not a JSNA data pack")
    step = progress or (lambda percent, text: None)
    report = PublishReport(location)
    with connect_read_only(pack) as source, server_connection(location.conninfo) as db, \
            server_errors(f"Publishing {pack.name} as '{schema}'"):
        from psycopg2 import sql

        check_format_version(dict(source.execute(f"SELECT key, value FROM {s.PACK_INFO}")),
                             pack.name)
        cursor = db.cursor()
        _require_postgis(cursor)
        existing = _schema_state(cursor, schema)
        if existing == "other":
            raise JsnaInputError(f"The schema '{schema}' on the server is not a JSNA pack: "
                                 "choose another name (it is left as it is)")
        if existing == "pack" and not replace:
            raise JsnaInputError(f"The schema '{schema}' already holds a pack on the server: "
                                 "publish with --replace to replace it")
        temporary = f"{schema[:40]}_publishing_{secrets.token_hex(4)}"
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(temporary)))
        tables = _pack_tables(source)
        for number, (table, geometry) in enumerate(tables):
            step(5 + 85 * number / len(tables), f"Copying {table}")
            report.rows += _copy_table(source, cursor, temporary, table, geometry)
            report.tables += 1
        step(92, "Styles, and the pack put in place")
        cursor.execute(LAYER_STYLES_DDL)
        cursor.execute("DELETE FROM public.layer_styles WHERE f_table_schema = %s", (schema,))
        report.styles = _copy_styles(source, cursor, schema)
        if existing == "pack":
            cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(temporary), sql.Identifier(schema)))
        db.commit()
    report.seconds = time.perf_counter() - started
    step(100, "Published")
    return report


def _require_postgis(cursor) -> None:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
    if cursor.fetchone() is None:
        raise JsnaInputError("The database has no PostGIS: run CREATE EXTENSION postgis in it "
                             "(as its owner), then publish again")


def _schema_state(cursor, schema: str) -> str:
    """'none', 'pack' (a schema holding pack_info) or 'other'."""
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if cursor.fetchone() is None:  # the catalogue: every schema, whoever may use it
        return "none"
    return "pack" if table_in_schema(cursor, schema, s.PACK_INFO) else "other"


def _pack_tables(source) -> list[tuple[str, tuple | None]]:
    """(table, (geometry column, type, SRID) or None) of every layer and table but the
    styles."""
    geometry = {table: (column, kind, srid) for table, column, kind, srid in source.execute(
        "SELECT table_name, column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns")}
    names = [r[0] for r in source.execute("SELECT table_name FROM gpkg_contents WHERE "
                                          "data_type IN ('features', 'attributes') "
                                          "ORDER BY table_name")]
    return [(n, geometry.get(n)) for n in names if n != STYLES_TABLE]


def _pg_type(declared: str) -> str:
    upper = (declared or "").upper()
    return next((pg for prefix, pg in SQLITE_TYPES if prefix in upper), "text")


def _copy_table(source, cursor, schema: str, table: str, geometry: tuple | None) -> int:
    """One table: created, filled with COPY, keyed and (for a layer) spatially indexed."""
    from psycopg2 import sql

    columns = [(name, declared, key) for _, name, declared, _, _, key in
               source.execute(f"PRAGMA table_info({quoted(table)})")]
    column, shape, srid = geometry or (None, "", 0)
    if shape and shape.upper() not in GEOMETRY_TYPES:
        raise JsnaInputError(f"The layer {table} has geometries of an unknown type ({shape})")
    definitions = []
    for name, declared, key in columns:
        kind = f"geometry({shape.upper()}, {int(srid)})" if name == column \
            else _pg_type(declared)
        if key:  # numbered by the server for rows added later (an added indicator's)
            kind += " GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        definitions.append(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)))
    target = sql.Identifier(schema, table)
    cursor.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(definitions)))
    names = [name for name, _, _ in columns]
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names))).as_string(cursor)
    where = names.index(column) if column else None
    rows = source.execute(f"SELECT {', '.join(quoted(n) for n in names)} FROM {quoted(table)}")
    count = 0
    while True:
        batch = rows.fetchmany(COPY_ROWS)
        if not batch:
            break
        buffer = io.StringIO()
        for row in batch:
            buffer.write("\t".join(_copy_text(v, srid if i == where else None)
                                   for i, v in enumerate(row)))
            buffer.write("\n")
        buffer.seek(0)
        cursor.copy_expert(copy, buffer)
        count += len(batch)
    for name, _, key in columns:
        if key:
            cursor.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), "
                                   "COALESCE(MAX({}), 0) + 1, false) FROM {}").format(
                sql.Identifier(name), target), (target.as_string(cursor), name))
    if column:
        cursor.execute(sql.SQL("CREATE INDEX ON {} USING GIST ({})").format(
            target, sql.Identifier(column)))
    return count


def _copy_text(value, srid: int | None) -> str:
    """A value in COPY's text format (a geometry, given its SRID, as hex EWKB)."""
    if value is None:
        return "\\N"
    if srid is not None:
        return ewkb_hex(value, int(srid))
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") \
        .replace("\r", "\\r")


ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
SRID_FLAG = 0x20000000
GEOMETRY_TYPES = ("GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                  "MULTIPOLYGON", "GEOMETRYCOLLECTION")


def ewkb_hex(blob: bytes, srid: int) -> str:
    """A GeoPackage geometry blob as PostGIS's hex EWKB: the GeoPackage header dropped, the
    SRID written into the WKB's type word."""
    if blob[:2] != b"GP":
        raise JsnaInputError("A geometry in the pack is not a GeoPackage geometry")
    flags = blob[3]
    wkb = blob[8 + ENVELOPE_BYTES.get((flags >> 1) & 0x07, 0):]
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    return (wkb[:1] + struct.pack(order + "II", kind | SRID_FLAG, srid) + wkb[5:]).hex()


def _copy_styles(source, cursor, schema: str) -> int:
    """The pack's saved styles, as QGIS saves them on a server: one default per layer, and
    ``type`` left empty, as QGIS 3.22 to 3.40 all read such a row as the layer's."""
    rows = source.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, "
                          "styleSLD, useAsDefault, description FROM layer_styles").fetchall()
    for table, geometry, name, qml, sld, default, description in rows:
        cursor.execute(
            "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description, "
            "owner) VALUES (current_database(), %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), "
            "XMLPARSE(DOCUMENT %s), %s, %s, current_user)",
            (schema, table, geometry, name, qml, sld or None, bool(default), description))
    return len(rows)
