"""Where a pack lives, and the one small interface the domain code reads it through.

A pack is a GeoPackage file (read as read-only SQLite) or a schema on a PostgreSQL/PostGIS
server (read with psycopg2), written as GDAL writes such a source:
``PG:service=jsna schema=coventry_2025`` or ``PG:host=db.council.local dbname=gis
schema=coventry_2025``. Passwords never go in that text: a pg_service entry or the
``~/.pgpass`` file holds them, and every message shows the location without one.

A server read is one read-only REPEATABLE READ transaction: whatever another officer
publishes or adds meanwhile, a reader sees the pack whole, before or after, never a mix.
"""

from __future__ import annotations

import re
import shlex
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import schema as s
from .errors import JsnaInputError

PG_PREFIX = "PG:"
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SECRET_KEYS = ("password",)
# From the catalogue, which lists every table whoever may read it (information_schema only
# shows a role what it has rights on).
TABLE_IN_SCHEMA = ("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname = %s AND c.relname = %s")


@dataclass(frozen=True)
class PackLocation:
    """A GeoPackage path, or a server connection (libpq keywords) and a schema."""

    path: Path | None = None
    conninfo: str = ""
    schema: str = ""

    @property
    def on_server(self) -> bool:
        return self.path is None

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        return f"{PG_PREFIX}{self.conninfo} schema={self.schema}"

    @property
    def name(self) -> str:
        """A short name for messages and titles: the file's, or the schema's."""
        return self.path.name if self.path is not None else self.schema


def check_schema_name(name: str) -> str:
    if not SCHEMA_NAME.match(name or ""):
        raise JsnaInputError(f"'{name}' cannot be a pack's schema name: use lower-case letters, "
                             "digits and underscores, starting with a letter (at most 63)")
    return name


def server_location(conninfo: str, schema: str) -> PackLocation:
    """A pack on a server; the connection must not carry a password (use a pg_service entry,
    ~/.pgpass or QGIS's authentication database)."""
    words = _words(conninfo)
    if any(key in SECRET_KEYS for key, _ in words):
        raise JsnaInputError("Give the server as a pg_service name or connection keywords "
                             "without a password (keep the password in ~/.pgpass or a "
                             "pg_service file)")
    if not words:
        raise JsnaInputError("No server given: a pg_service name (service=NAME) or connection "
                             "keywords (host=... dbname=...)")
    return PackLocation(None, " ".join(f"{k}={shlex.quote(v)}" for k, v in words),
                        check_schema_name(schema))


def _words(conninfo: str) -> list[tuple[str, str]]:
    text = conninfo.strip()
    if text and "=" not in text:  # a bare name: a pg_service entry
        return [("service", text)]
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise JsnaInputError(f"The server connection cannot be read ({exc})") from None
    words = []
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise JsnaInputError(f"The server connection cannot be read near '{key}': "
                                 "write keyword=value pairs")
        words.append((key.strip().lower(), value))
    return words


def parse_location(text: str | Path | PackLocation) -> PackLocation:
    """A pack argument as given: a file path, or ``PG:<connection> schema=<name>``."""
    if isinstance(text, PackLocation):
        return text
    if isinstance(text, Path) or not str(text).startswith(PG_PREFIX):
        return PackLocation(Path(text))
    words = _words(str(text)[len(PG_PREFIX):])
    schemas = [v for k, v in words if k == "schema"]
    if len(schemas) != 1:
        raise JsnaInputError(f"{PG_PREFIX} pack locations name one schema: "
                             f"{PG_PREFIX}service=NAME schema=SCHEMA")
    rest = " ".join(f"{k}={shlex.quote(v)}" for k, v in words if k != "schema")
    return server_location(rest, schemas[0])


class PackReader:
    """Queries against one pack: ``?`` placeholders, tables by their pack names (and, for a
    writer, statements; ``number_type`` is the column type of a new indicator)."""

    def __init__(self, connection, placeholder: str, has_table_sql: str, schema: str = "",
                 number_type: str = "REAL"):
        self._connection, self._placeholder = connection, placeholder
        self._has_table_sql, self._schema = has_table_sql, schema
        self.number_type = number_type

    def execute(self, sql: str, params: tuple = ()) -> None:
        self._cursor(sql, params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self._connection.cursor().executemany(sql.replace("?", self._placeholder), rows)

    def add_number_column(self, table: str, column: str) -> None:
        """A new column of numbers (an indicator's) in one of the pack's tables."""
        self.execute(f"ALTER TABLE {quoted(table)} ADD COLUMN {quoted(column)} "
                     f"{self.number_type}")

    def columns(self, table: str) -> set[str]:
        """The names of a table's columns."""
        if self._schema:
            return {r[0] for r in self.rows(
                "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND "
                "c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped", (self._schema, table))}
        return {r[1] for r in self.rows(f"PRAGMA table_info({quoted(table)})")}

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._cursor(sql, params).fetchall()

    def frame(self, sql: str, params: tuple = ()):
        """The rows as a pandas DataFrame (pandas imported here: QGIS starts without it)."""
        import pandas as pd

        cursor = self._cursor(sql, params)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[d[0] for d in cursor.description])

    def has_table(self, name: str) -> bool:
        params = (self._schema, name) if self._schema else (name,)
        return bool(self._cursor(self._has_table_sql, params).fetchall())

    def _cursor(self, sql: str, params: tuple):
        cursor = self._connection.cursor()
        cursor.execute(sql.replace("?", self._placeholder), params)
        return cursor


def table_in_schema(cursor, schema: str, table: str) -> bool:
    """Whether ``schema`` on the server has ``table`` (whoever may read it)."""
    cursor.execute(TABLE_IN_SCHEMA, (schema, table))
    return cursor.fetchone() is not None


def check_format_version(info: dict, name: str) -> None:
    """Refuse a pack written by a newer version of the plugin, whose tables this one may
    misread."""
    version = str(info.get("format_version") or "1")
    if not version.isdigit() or int(version) > int(s.PACK_FORMAT_VERSION):
        raise JsnaInputError(f"{name} was written by a newer version of JSNA Area Profiles "
                             f"(pack format {version}; this version reads format "
                             f"{s.PACK_FORMAT_VERSION}): update the plugin")


def quoted(name: str) -> str:
    """An identifier quoted as both SQLite and PostgreSQL read it."""
    return '"' + name.replace('"', '""') + '"'


def sqlite_pack(db) -> PackReader:
    """A GeoPackage connection (read-only or not) behind the pack interface."""
    return PackReader(db, "?", "SELECT 1 FROM sqlite_master WHERE name = ?")


def list_packs(conninfo: str) -> list[tuple[str, str, str]]:
    """(schema, place, edition) of every pack on the server the role may read."""
    from psycopg2 import sql

    with server_connection(conninfo) as db, server_errors("Listing the server's packs"):
        cursor = db.cursor()
        cursor.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE c.relname = %s AND has_schema_privilege(n.oid, "
                       "'USAGE') AND has_table_privilege(c.oid, 'SELECT') ORDER BY n.nspname",
                       (s.PACK_INFO,))
        found = []
        for (schema,) in cursor.fetchall():
            cursor.execute(sql.SQL("SELECT key, value FROM {} WHERE key IN ('place', "
                                   "'edition')").format(sql.Identifier(schema, s.PACK_INFO)))
            info = dict(cursor.fetchall())
            found.append((schema, info.get("place", schema), info.get("edition", "")))
        db.rollback()
        return found


@contextmanager
def open_writer(location: PackLocation) -> Iterator[PackReader]:
    """One transaction on a server pack, holding its write lock (another officer adding an
    indicator waits, then goes on): committed when the block ends, rolled back on any error,
    and a role without the right to write told so in one line."""
    from psycopg2 import sql

    with server_connection(location.conninfo) as db, \
            server_errors(f"Changing the pack {location.name} on the server"):
        writer = PackReader(db, "%s", TABLE_IN_SCHEMA, location.schema, "double precision")
        if not writer.has_table(s.PACK_INFO):
            raise JsnaInputError(f"The schema '{location.schema}' on the server holds no JSNA "
                                 "pack (no pack_info table)")
        cursor = db.cursor()
        cursor.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(
            sql.Identifier(location.schema)))
        cursor.execute(f"LOCK TABLE {s.PACK_INFO} IN EXCLUSIVE MODE")
        yield writer
        db.commit()


@contextmanager
def open_reader(location: str | Path | PackLocation) -> Iterator[PackReader]:
    """A reader for one block: the GeoPackage read-only, or one read-only snapshot of the
    server's schema. A server that cannot be reached, or a schema that holds no pack, is a
    one-line error without the connection's secrets."""
    location = parse_location(location)
    try:
        with (_file_reader if location.path else _server_reader)(location) as reader:
            yield reader
    except sqlite3.DatabaseError as exc:
        raise JsnaInputError(f"{location.name} cannot be read as a JSNA data pack ({exc})"
                             ) from None
    except Exception as exc:  # the server's errors: psycopg2 is imported only when needed
        if type(exc).__module__.startswith("psycopg2"):
            raise JsnaInputError(f"The pack {location.name} on the server cannot be read "
                                 f"({_first_line(exc)})") from None
        raise


@contextmanager
def _file_reader(location: PackLocation) -> Iterator[PackReader]:
    from .packfile import connect_read_only

    if not location.path.is_file():
        raise JsnaInputError(f"Data pack not found: {location.path}")
    with connect_read_only(location.path) as db:
        yield sqlite_pack(db)


@contextmanager
def _server_reader(location: PackLocation) -> Iterator[PackReader]:
    with server_connection(location.conninfo) as db:
        db.set_session(readonly=True, isolation_level="REPEATABLE READ")
        reader = PackReader(db, "%s", TABLE_IN_SCHEMA, location.schema)
        if not reader.has_table(s.PACK_INFO):
            raise JsnaInputError(f"The schema '{location.schema}' on the server holds no JSNA "
                                 "pack (no pack_info table)")
        from psycopg2 import sql

        db.cursor().execute(sql.SQL("SET LOCAL search_path TO {}, public").format(
            sql.Identifier(location.schema)))
        try:
            yield reader
        finally:
            db.rollback()


READ_ONLY_ROLE = "your role can read packs on this server but not change them"


@contextmanager
def server_errors(what: str) -> Iterator[None]:
    """The server's refusals as one clear line: ``what`` failed, and why."""
    import psycopg2
    from psycopg2 import errors

    try:
        yield
    except errors.InsufficientPrivilege as exc:
        raise JsnaInputError(f"{what}: {READ_ONLY_ROLE} ({_first_line(exc)})") from None
    except psycopg2.Error as exc:
        raise JsnaInputError(f"{what}: the server refused ({_first_line(exc)})") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# QGIS's authentication database, when the plugin runs in QGIS: authcfg id -> {"user": ...,
# "password": ...}, asked at each connection and kept nowhere.
_credentials: list = []


def use_credentials(resolve) -> None:
    """Let connections that name a QGIS authentication configuration (``authcfg=ID``) get
    their user and password from ``resolve(ID)``."""
    _credentials[:] = [resolve]


def libpq_arguments(conninfo: str) -> tuple[str, dict]:
    """The connection as libpq takes it: keywords, and the user and password of a QGIS
    authentication configuration, resolved now."""
    words = _words(conninfo)
    authcfg = next((v for k, v in words if k == "authcfg"), None)
    plain = " ".join(f"{k}={shlex.quote(v)}" for k, v in words if k != "authcfg")
    if authcfg is None:
        return plain, {}
    if not _credentials:
        raise JsnaInputError(f"The connection uses QGIS's authentication configuration "
                             f"'{authcfg}', which only QGIS can open: outside QGIS, use a "
                             "pg_service entry or ~/.pgpass")
    return plain, _credentials[0](authcfg)


@contextmanager
def server_connection(conninfo: str):
    """A psycopg2 connection, closed after the block; connection failures as one clear line
    (never with the password, which is never in ``conninfo`` anyway)."""
    try:
        import psycopg2
    except ImportError:
        raise JsnaInputError("Packs on a PostgreSQL server need psycopg2 (Debian: apt install "
                             "python3-psycopg2)") from None
    plain, secrets = libpq_arguments(conninfo)
    try:
        db = psycopg2.connect(plain, connect_timeout=10, application_name="jsna_profiles",
                              **secrets)
    except psycopg2.OperationalError as exc:
        raise JsnaInputError(f"Cannot connect to the PostgreSQL server ({_first_line(exc)})"
                             ) from None
    try:
        yield db
    finally:
        db.close()
