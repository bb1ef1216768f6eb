"""Team packs on a real PostgreSQL/PostGIS server (the session's own, bin/local-postgis):
publish, compare from the server, refusals, a killed publish, roles and secrets."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from conftest import SOURCES
from jsna_profiles.builder.publish import publish_pack
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.packstore import parse_location

ROOT = Path(__file__).resolve().parent.parent
psycopg2 = pytest.importorskip("psycopg2", reason="python3-psycopg2 is not installed")


def jsna(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "bin" / "jsna"), *map(str, args)], capture_output=True,
                          text=True)


def query(conninfo: str, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(psycopg2.connect(conninfo)) as db:
        db.autocommit = True  # each statement on its own, as psql runs it
        with db.cursor() as cursor:
            cursor.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []


def schemas(server) -> list[str]:
    return sorted(r[0] for r in query(server.admin, "SELECT nspname FROM pg_namespace WHERE "
                                                    "nspname NOT LIKE 'pg_%' AND nspname NOT IN "
                                                    "('public', 'information_schema')"))


@pytest.fixture(scope="module")
def published(postgis, coventry_pack_2025) -> str:
    """The Coventry 2025 pack published by the writer role, as `jsna publish` does it."""
    result = jsna("publish", "--pack", coventry_pack_2025, "--to", postgis.writer,
                  "--schema", "coventry_2025")
    assert result.returncode == 0, result.stderr
    assert "published PG:" in result.stdout and postgis.writer_password not in result.stdout
    return f"PG:{postgis.writer} schema=coventry_2025"


def test_compare_from_the_server_equals_the_geopackage(published, postgis, coventry_pack_2025):
    local = ComparePack(coventry_pack_2025)
    for role in (published, f"PG:{postgis.reader} schema=coventry_2025"):
        remote = ComparePack(role)
        assert remote.place == local.place and remote.hubs == local.hubs
        assert [i.indicator_id for i in remote.indicators] == \
            [i.indicator_id for i in local.indicators]
        compared = 0
        for indicator in local.indicators:
            other = remote.indicator(indicator.indicator_id)
            assert other == indicator
            for code in [*local.neighbourhoods, *local.hubs, local.city_code]:
                mine, theirs = local.cell(local.area(code), indicator), \
                    remote.cell(remote.area(code), other)
                for name in ("value", "lower", "upper", "numerator", "denominator"):
                    a, b = getattr(mine, name), getattr(theirs, name)
                    assert a == b or (math.isnan(a) and math.isnan(b)), (code, indicator, name)
                assert (mine.significance, mine.rank, mine.period) == \
                    (theirs.significance, theirs.rank, theirs.period)
                compared += 1
        assert compared > 5000
        assert len(remote.trend_indicators()) == len(local.trend_indicators())


def test_tables_keys_indexes_and_styles_on_the_server(published, postgis, coventry_pack_2025):
    import sqlite3

    with closing(sqlite3.connect(coventry_pack_2025)) as db:
        expected = db.execute("SELECT COUNT(*) FROM small_areas").fetchone()[0]
        styles = db.execute("SELECT COUNT(*) FROM layer_styles").fetchone()[0]
    assert query(postgis.admin, "SELECT COUNT(*) FROM coventry_2025.small_areas") == [(expected,)]
    keys = query(postgis.admin, "SELECT COUNT(*) FROM information_schema.table_constraints "
                 "WHERE table_schema = 'coventry_2025' AND constraint_type = 'PRIMARY KEY'")
    tables = query(postgis.admin, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                   "table_schema = 'coventry_2025'")
    assert keys == tables
    gist = query(postgis.admin, "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = "
                 "'coventry_2025' AND indexdef LIKE '%USING gist%'")
    layers = query(postgis.admin, "SELECT COUNT(*) FROM geometry_columns WHERE "
                   "f_table_schema = 'coventry_2025' AND srid = 27700")
    assert gist == layers and layers[0][0] >= 6
    assert query(postgis.admin, "SELECT COUNT(*), SUM(useasdefault::int) FROM "
                 "public.layer_styles WHERE f_table_schema = 'coventry_2025'")[0][0] == styles


def test_qgis_opens_the_layers_styled_from_layer_styles(published, postgis, qgis_app):
    from qgis.core import QgsDataSourceUri, QgsVectorLayer

    uri = QgsDataSourceUri(postgis.reader)
    uri.setDataSource("coventry_2025", "small_areas", "geom", "", "fid")
    layer = QgsVectorLayer(uri.uri(False), "small areas", "postgres")
    assert layer.isValid() and layer.crs().authid() == "EPSG:27700"
    assert type(layer.renderer()).__name__ == "QgsCategorizedSymbolRenderer"  # IMD deciles
    related, _ids, names, _descriptions, _error = layer.listStylesInDatabase()
    assert related >= 5 and "Fuel poverty" in names


def test_refusals_leave_the_server_as_it_was(published, postgis, coventry_pack_2025):
    before = set(schemas(postgis))  # other tests' packs on the session's server too
    again = jsna("publish", "--pack", coventry_pack_2025, "--to", postgis.writer, "--schema",
                 "coventry_2025")
    assert again.returncode == 2
    assert "already holds a pack on the server: publish with --replace" in again.stderr
    query(postgis.admin, "CREATE SCHEMA IF NOT EXISTS gis_roads; "
          "CREATE TABLE IF NOT EXISTS gis_roads.roads (id int)")
    other = jsna("publish", "--pack", coventry_pack_2025, "--to", postgis.writer, "--schema",
                 "gis_roads", "--replace")
    assert "'gis_roads' on the server is not a JSNA pack" in other.stderr
    assert query(postgis.admin, "SELECT COUNT(*) FROM gis_roads.roads") == [(0,)]
    with pytest.raises(JsnaInputError, match="cannot be a pack's schema name"):
        publish_pack(coventry_pack_2025, postgis.writer, "Coventry; DROP TABLE x")
    with pytest.raises(JsnaInputError, match="without a password"):
        parse_location(f"PG:{postgis.writer} password=secret schema=coventry_2025")
    with pytest.raises(JsnaInputError, match="holds no JSNA pack"):
        ComparePack(f"PG:{postgis.writer} schema=gis_roads")
    query(postgis.admin, "CREATE DATABASE plain")
    try:
        no_postgis = postgis.writer.replace("dbname=jsna", "dbname=plain")
        with pytest.raises(JsnaInputError, match="run CREATE EXTENSION postgis"):
            publish_pack(coventry_pack_2025, no_postgis, "coventry_2025")
    finally:
        query(postgis.admin.replace("dbname=jsna", "dbname=postgres"), "DROP DATABASE plain")
    assert set(schemas(postgis)) == before | {"gis_roads"}  # the test's own, nothing else


def test_server_down_and_wrong_password_say_so_without_secrets(postgis, tmp_path,
                                                              monkeypatch):
    down = f"host={tmp_path} dbname=jsna user=jsna_writer"
    with pytest.raises(JsnaInputError, match="Cannot connect to the PostgreSQL server"):
        ComparePack(f"PG:{down} schema=coventry_2025")
    wrong = tmp_path / "pgpass"
    wrong.write_text("*:*:*:jsna_writer:not-the-password\n")
    wrong.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(wrong))
    with pytest.raises(JsnaInputError) as caught:
        ComparePack(f"PG:{postgis.writer} schema=coventry_2025")
    message = str(caught.value)
    assert "password authentication failed" in message and "not-the-password" not in message
    assert "\n" not in message


def test_replace_is_one_transaction_and_a_killed_publish_leaves_nothing(published, postgis,
                                                                       coventry_pack_2025):
    """Kill a publish while it copies (its progress hook waits there); the server rolls it
    back, and the next publish succeeds."""
    before = set(schemas(postgis))
    script = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'bin')!r})\n"
        "from plugin_package import import_plugin_package\n"
        "import_plugin_package()\n"
        "from jsna_profiles.builder.publish import publish_pack\n"
        "def hold(percent, text):\n"
        "    if 'small_areas' in text:\n"
        "        print('copying', flush=True)\n"
        "        time.sleep(600)\n"
        f"publish_pack({str(coventry_pack_2025)!r}, {postgis.writer!r}, 'killed_pack', "
        "progress=hold)\n")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "copying"
    temporary = [s for s in schemas(postgis) if s.startswith("killed_pack_publishing_")]
    assert temporary == []  # not committed: other sessions never see it
    process.kill()
    process.wait()
    for _ in range(50):  # the server notices the closed connection and rolls back
        if not query(postgis.admin, "SELECT 1 FROM pg_stat_activity WHERE application_name = "
                     "'jsna_profiles' AND state <> 'idle'"):
            break
        time.sleep(0.1)
    assert set(schemas(postgis)) == before  # neither the pack nor its temporary schema
    report = publish_pack(coventry_pack_2025, postgis.writer, "killed_pack")
    assert report.tables >= 10
    replaced = publish_pack(coventry_pack_2025, postgis.writer, "killed_pack", replace=True)
    assert replaced.rows == report.rows
    assert query(postgis.admin, "SELECT COUNT(*) FROM public.layer_styles WHERE "
                 "f_table_schema = 'killed_pack'") == [(report.styles,)]


def test_a_read_only_role_reads_but_cannot_publish(published, postgis, coventry_pack_2025):
    assert ComparePack(f"PG:{postgis.reader} schema=coventry_2025").place == "Coventry"
    with pytest.raises(JsnaInputError, match="can read .* but not change"):
        publish_pack(coventry_pack_2025, postgis.reader, "readers_pack")
    assert "readers_pack" not in schemas(postgis)


FUEL_2022 = "coventry_fuel_poverty_2022_lsoa21.csv"


def fuel_spec(indicator_id: str):
    from jsna_profiles.builder.add_indicator import IndicatorTable

    return IndicatorTable(path=SOURCES / FUEL_2022, indicator_id=indicator_id,
                          title=f"Fuel poverty again ({indicator_id})", code_column="LSOA Code",
                          numerator_column="Number of households in fuel poverty",
                          denominator_column="Number of households", period="2022", unit="%",
                          polarity="low is good", source="DESNZ", licence="OGL v3.0")


def test_an_added_indicator_is_the_same_on_the_server_as_in_a_geopackage(
        published, postgis, coventry_pack_2025, tmp_path):
    import shutil

    from jsna_profiles.builder.add_indicator import add_indicator

    copy = tmp_path / "pack.gpkg"
    shutil.copy(coventry_pack_2025, copy)
    add_indicator(copy, fuel_spec("fuel_again"))
    add_indicator(published, fuel_spec("fuel_again"))
    local, remote = ComparePack(copy), ComparePack(published)
    indicator = local.indicator("fuel_again")
    assert remote.indicator("fuel_again") == indicator
    for code in [*local.neighbourhoods, *local.hubs, local.city_code]:
        mine = local.cell(local.area(code), indicator)
        theirs = remote.cell(remote.area(code), indicator)
        assert (mine.value, mine.significance, mine.rank) == \
            (theirs.value, theirs.significance, theirs.rank)
    assert query(postgis.admin, "SELECT COUNT(fuel_again) FROM coventry_2025.small_areas") == \
        [(203,)]
    with pytest.raises(JsnaInputError, match="already has an indicator 'fuel_again'"):
        add_indicator(published, fuel_spec("fuel_again"))


def test_a_read_only_role_cannot_add_and_nothing_changes(published, postgis):
    from jsna_profiles.builder.add_indicator import add_indicator

    before = query(postgis.admin, "SELECT COUNT(*) FROM coventry_2025.indicator_values")
    with pytest.raises(JsnaInputError, match="your role can read packs on this server but not "
                       "change them"):
        add_indicator(f"PG:{postgis.reader} schema=coventry_2025", fuel_spec("readers_own"))
    assert query(postgis.admin, "SELECT COUNT(*) FROM coventry_2025.indicator_values") == before


def test_readers_never_see_half_an_indicator_and_writers_queue(published, postgis):
    """One process reads the pack in a loop, checking each read is whole (every catalogued
    indicator has its values, and no values lack their catalogue row), while two others add
    an indicator each at the same moment: both adds succeed, one after the other."""
    reader = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'bin')!r})\n"
        "from plugin_package import import_plugin_package\n"
        "import_plugin_package()\n"
        "from jsna_profiles.core.packstore import open_reader\n"
        "reads = mixed = 0\n"
        "while True:\n"
        f"    with open_reader({published!r}) as pack:\n"
        "        listed = {r[0] for r in pack.rows('SELECT indicator_id FROM indicator_catalogue')}\n"
        "        valued = {r[0] for r in pack.rows('SELECT DISTINCT indicator_id FROM "
        "indicator_values')}\n"
        "    reads += 1\n"
        "    mixed += listed != valued\n"
        "    if 'queue_b' in listed and 'queue_a' in listed:\n"
        "        break\n"
        "print(reads, mixed)\n")
    watching = subprocess.Popen([sys.executable, "-c", reader], stdout=subprocess.PIPE,
                                text=True)
    adds = [subprocess.Popen(
        [str(ROOT / "bin" / "jsna"), "add-indicator", "--pack", published, "--table",
         str(SOURCES / FUEL_2022), "--id", name, "--title", f"Queued {name}", "--code-column",
         "LSOA Code", "--numerator-column", "Number of households in fuel poverty",
         "--denominator-column", "Number of households", "--unit", "%", "--period", "2022",
         "--source", "DESNZ"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("queue_a", "queue_b")]
    for process in adds:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    out, _ = watching.communicate(timeout=300)
    reads, mixed = map(int, out.split())
    assert reads >= 1 and mixed == 0


@pytest.fixture
def saved_connection(postgis, qgis_app):
    """QGIS's saved PostgreSQL connection "JSNA team" for the writer (its password in the
    pgpass file, as a council's would be in QGIS's authentication database)."""
    from qgis.core import QgsProviderRegistry

    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    metadata.saveConnection(metadata.createConnection(
        f"dbname='jsna' host={postgis.folder} user='jsna_writer'", {"saveUsername": True}),
        "JSNA team")
    yield "JSNA team"
    metadata.deleteConnection("JSNA team")


def wait_for(task) -> None:
    from qgis.core import QgsApplication, QgsTask
    from qgis.PyQt.QtCore import QCoreApplication

    for _ in range(600):
        QCoreApplication.processEvents()
        if task.status() in (QgsTask.TaskStatus.Complete, QgsTask.TaskStatus.Terminated) and \
                QgsApplication.taskManager().countActiveTasks() == 0:
            QCoreApplication.processEvents()
            return
        time.sleep(0.05)
    raise AssertionError("the task did not end")


def test_the_plugin_publishes_opens_and_adds_on_the_server(plugin, qgis_iface, saved_connection,
                                                           postgis, coventry_pack_2025,
                                                           tmp_path):
    from qgis.core import QgsProject

    from jsna_profiles.layers.connections import connection_conninfo, saved_connections

    assert saved_connection in saved_connections()
    assert connection_conninfo(saved_connection) == \
        f"host={postgis.folder} port=5432 dbname=jsna user=jsna_writer"
    plugin.open_pack(str(coventry_pack_2025))
    task = plugin.publish(saved_connection, "from_qgis")
    wait_for(task)
    assert "Published coventry.gpkg as 'from_qgis' on JSNA team" in \
        qgis_iface.messageBar().get_messages(0)[-1]
    QgsProject.instance().clear()
    loaded = plugin.open_server_pack(saved_connection, "from_qgis")
    assert loaded is not None and loaded.contents.path is None
    small = loaded.layer("small_areas")
    assert small.providerType() == "postgres" and small.featureCount() == 203
    compare = plugin.compare_pack()
    assert compare.place == "Coventry" and len(compare.hubs) == 8
    report = plugin.add_indicator(fuel_spec("from_the_dialog"))
    assert report is not None and plugin.pack.contents.path is None
    assert plugin.pack.layer("small_areas").fields().indexFromName("from_the_dialog") >= 0
    assert plugin.compare_pack().indicator("from_the_dialog") is not None
    project_file = tmp_path / "team.qgs"
    assert QgsProject.instance().write(str(project_file))
    text = project_file.read_text()
    assert "jsna_writer" in text and postgis.writer_password not in text
    assert "password" not in text.lower().replace("savepassword", "")


def test_a_connection_that_keeps_its_password_is_refused(postgis, qgis_app):
    from qgis.core import QgsProviderRegistry

    from jsna_profiles.layers.connections import connection_conninfo

    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    password = postgis.writer_password
    metadata.saveConnection(metadata.createConnection(
        f"dbname='jsna' host={postgis.folder} user='jsna_writer' password='{password}'",
        {"saveUsername": True, "savePassword": True}), "Careless")
    try:
        with pytest.raises(JsnaInputError, match="keeps its password in QGIS's settings") as e:
            connection_conninfo("Careless")
        assert postgis.writer_password not in str(e.value)
    finally:
        metadata.deleteConnection("Careless")


def test_profiles_maps_and_processing_from_the_server(published, postgis, coventry_pack_2025,
                                                      tmp_path, plugin):
    import docx
    import processing as qgis_processing
    from processing.core.Processing import Processing

    result = jsna("profile", "--pack", published, "--hub", "Harmony", "--out",
                  tmp_path / "harmony.docx")
    assert result.returncode == 0, result.stderr
    texts = [p.text for p in docx.Document(str(tmp_path / "harmony.docx")).paragraphs]
    assert "Executive summary" in texts and any("coventry_2025" in t for t in texts)
    maps = jsna("maps", "--pack", f"PG:{postgis.reader} schema=coventry_2025", "--hub",
                "Harmony", "--themes", "fuel_poverty", "--out-dir", tmp_path / "maps")
    assert maps.returncode == 0 and (tmp_path / "maps" / "fuel_poverty.png").stat().st_size
    Processing.initialize()
    out = qgis_processing.run("jsna:compare", {"PACK": published, "HUB": "Harmony",
                                               "OUTPUT": "memory:", "CSV": str(tmp_path / "c.csv")})
    assert (tmp_path / "c.csv").read_text().count("\n") > 500 and out["OUTPUT"]
    done = qgis_processing.run("jsna:publish", {"PACK": str(coventry_pack_2025),
                                                "SERVER": postgis.writer,
                                                "SCHEMA": "from_processing"})
    assert done["OUTPUT"].endswith("schema=from_processing") and done["STYLES"] >= 10
    assert ComparePack(done["OUTPUT"]).place == "Coventry"


def test_an_authcfg_connection_gets_its_password_only_when_connecting(published, postgis,
                                                                     tmp_path, monkeypatch):
    """QGIS's authentication database stands behind ``authcfg=``: here a stand-in resolver
    (the plugin installs QGIS's own), with no pgpass entry to fall back on."""
    from jsna_profiles.core import packstore

    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(empty))
    location = f"PG:host={postgis.folder} dbname=jsna authcfg=team01 schema=coventry_2025"
    monkeypatch.setattr(packstore, "_credentials", [])
    with pytest.raises(JsnaInputError, match="authentication configuration 'team01', which "
                       "only QGIS can open"):
        ComparePack(location)
    asked = []

    def resolve(authcfg):
        asked.append(authcfg)
        return {"user": "jsna_reader", "password": reader_password(postgis)}
    packstore.use_credentials(resolve)
    assert ComparePack(location).place == "Coventry" and asked == ["team01"]
    assert "password" not in str(parse_location(location))


def reader_password(server) -> str:
    line = next(x for x in (server.folder / "pgpass").read_text().splitlines()
                if ":jsna_reader:" in x)
    return line.rsplit(":", 1)[1]
