"""The bad-input corpus: every kind of bad input named in the issues, across the pack builder,
loading, styling, compare, export, own data and downloads.

Each case asserts the message the user gets (the one line the message bar, the command line and
Processing all show), that every input file's SHA-256 is unchanged, that no partial output is
left behind, and that the plugin still works afterwards. A few cases are inputs that must work
(another encoding, names with quotes, ampersands and non-Latin letters): there the outcome is
checked instead of an error.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SOURCES
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.packfile import copy_database

FUEL = "coventry_fuel_poverty_2020_lsoa11.csv"
LSOAS = "coventry_lsoa_2011_bsc.geojson"


class Env:
    """Inputs (hashed before and after), an output folder (must stay empty), the user's pack."""

    def __init__(self, root: Path, pack: Path):
        self.inputs = root / "inputs"
        self.out = root / "out"
        self.inputs.mkdir()
        self.out.mkdir()
        self.pack = self.inputs / "coventry.gpkg"
        # as built (rollback journal): the session's pack has been opened for editing by other
        # tests, and SQLite rewrites a WAL-mode file's header bytes when anything opens it
        copy_database(pack, self.pack)
        self._sources = None

    def sources(self) -> Path:
        """A writable copy of the source mirror, for cases that damage one file."""
        if self._sources is None:
            if not SOURCES.is_dir():
                pytest.skip(f"Coventry source mirror not found at {SOURCES}")
            self._sources = self.inputs / "sources"
            shutil.copytree(SOURCES, self._sources)
            for path in self._sources.iterdir():
                path.chmod(0o644)
        return self._sources

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.sources() / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    def table(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.inputs / name
        path.write_bytes(text.encode(encoding))
        return path

    def hashes(self) -> dict:
        return {str(p.relative_to(self.inputs)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.inputs.rglob("*")) if p.is_file()}


@dataclass
class Case:
    name: str
    message: str | None  # regex the one-line message must match; None: the input must work
    run: Callable[[Env], object]
    prepare: Callable[[Env], object] | None = None  # damages an input before hashing


# Builder ---------------------------------------------------------------------------------------
def build(env: Env, **options):
    from jsna_profiles.builder.pack import build_pack

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
    folder = env.inputs.parent / "atlas"
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
    path = env.inputs / "truncated.gpkg"
    data = env.pack.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def foreign_pack(env) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    path = env.inputs / "foreign.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=27700).to_file(path)
    return path


def pack_without(table: str):
    def make(env) -> Path:
        path = env.inputs / "damaged.gpkg"
        shutil.copy(env.pack, path)
        with sqlite3.connect(path) as db:
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
    path = env.inputs / "no_england.gpkg"
    shutil.copy(env.pack, path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM indicator_values WHERE level = 'england'")
    db.close()
    return path


def garbage_sqlite(env) -> Path:
    path = env.inputs / "garbage.gpkg"
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


def unusable_file_name(env):
    from jsna_profiles.layouts.export import safe_file_name

    safe_file_name('<>:"/\\|?*')


# Own data --------------------------------------------------------------------------------------
def add(table_text: str, name: str = "own.csv", encoding: str = "utf-8", **changes):
    def run(env):
        from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

        spec = dict(indicator_id="own_rate", title="Own rate (test data)",
                    code_column="code", numerator_column="n", denominator_column="d",
                    unit="%", source="Test data")
        spec.update(changes)
        work = env.out.parent / "work.gpkg"  # a copy: the input pack must not change either way
        shutil.copy(env.pack, work)
        try:
            return add_indicator(work, IndicatorTable(env.table(name, table_text, encoding),
                                                      **spec))
        finally:
            work.unlink()
    return run


def merged_header_xlsx(env):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "A title across the columns"
    book.active.merge_cells("A1:C1")
    book.active.append(["code", "n", "d"])
    book.active.append(["E01009522", 3, 40])
    path = env.inputs / "merged.xlsx"
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
def downloaded(content: Callable[[bytes], bytes]):
    def run(env):
        import http.server
        import threading
        from functools import partial

        from test_national import ENGLAND

        from jsna_profiles.builder.download import MANIFEST, fetch

        if not ENGLAND.is_dir():
            pytest.skip("national files not found")
        entry = next(e for e in MANIFEST if e.role == "iod_population")
        served = env.inputs / "served"
        served.mkdir()
        (served / entry.name).write_bytes(content((ENGLAND / entry.name).read_bytes()))
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(http.server.SimpleHTTPRequestHandler,
                                      directory=str(served)))
        httpd.RequestHandlerClass.log_message = lambda *args: None
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            fetch(entry, env.out, base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
        finally:
            httpd.shutdown()
            httpd.server_close()
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
         names_with_quotes_and_other_scripts),
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
    # your own data
    Case("negative count", r"negative count \(-3\) for E01009522",
         add("code,n,d\nE01009522,-3,40\n")),
    Case("denominator of zero is a warning, not an error", None,
         lambda env: add("code,n,d\nE01009522,0,0\nE01009523,3,40\n")(env)),
    Case("mixed 2011 and 2021 codes", r"mixes LSOA 2011 codes \(E01009522\) with LSOA 2021",
         add("code,n,d\nE01009522,3,40\nE01035000,3,40\n")),
    Case("XLSX with merged header rows", r"first row is not a header row", merged_header_xlsx),
    Case("CSV in Windows-1252 with £ and é", None, windows_encoded_table),
    # downloads
    Case("download that is an HTML error page", r"HTML page",
         downloaded(lambda data: gzip.compress(b"<!DOCTYPE html><p>Error 500</p>"))),
    Case("download cut short", r"damaged or incomplete",
         downloaded(lambda data: data[: len(data) // 2])),
]


def plugin_still_works(env: Env) -> None:
    from qgis.core import QgsProject

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme

    assert len(ComparePack(env.pack).table("Harmony").areas) == 6 + 3
    project = QgsProject()
    apply_theme(open_pack(env.pack, project), "fuel_poverty")
    project.clear()


def test_corpus_is_large_enough():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, coventry_pack, tmp_path, qgis_app):
    env = Env(tmp_path, coventry_pack)
    if case.prepare is not None:
        case.prepare(env)  # the damage is the input; what follows must not change anything
    before = env.hashes()
    if case.message is None:
        case.run(env)
    else:
        with pytest.raises(JsnaInputError) as caught:
            case.run(env)
        message = str(caught.value)
        assert "\n" not in message and "Traceback" not in message
        assert re.search(case.message, message), message
    after = env.hashes()
    assert {k: after.get(k) for k in before} == before  # no input file changed or removed
    leftovers = [p.name for p in env.out.rglob("*")
                 if p.name != "keep.txt" and p.name != "harmony.xlsx"]
    assert leftovers == [], leftovers
    plugin_still_works(env)
