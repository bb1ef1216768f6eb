"""Test set-up: the checkout imported as ``jsna_profiles``; a Coventry pack built once.

QGIS itself is started by pytest-qgis (offscreen). Tests on real Coventry data need the source
mirror (``../shared/data/raw`` or $JSNA_SOURCES) and are skipped, saying so, without it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bin"))
from plugin_package import import_plugin_package  # noqa: E402

import_plugin_package()

EXIT_STATUS = pytest.StashKey[int]()
SOURCES = Path(os.environ.get("JSNA_SOURCES", ROOT.parent / "shared" / "data" / "raw"))
ENGLAND = Path(os.environ.get("JSNA_ENGLAND", SOURCES.parent / "england"))
FIXTURES = ROOT / "tests" / "fixtures"
EDITION_2019 = "2019"  # the seed's edition (IoD 2019, Census 2011): most tests were written on it


def config_2019():
    """Coventry's configuration for the 2019 edition (2011 small areas)."""
    from jsna_profiles.builder.sources import PlaceConfig

    return PlaceConfig.load(edition=EDITION_2019)


needs_sources = pytest.mark.skipif(not SOURCES.is_dir(),
                                   reason=f"Coventry source mirror not found at {SOURCES}")


def sha256_tree(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).iterdir()) if p.is_file()}


def comparison_rows_in_pack(pack: Path, hub: str) -> int:
    """One comparison row per area and indicator, counted from the pack with SQL (not through
    the compare core): the hub's neighbourhoods, the hub, the city and England, times the
    indicators published for neighbourhoods; England and Wales too where census tables give
    only that."""
    import sqlite3

    db = sqlite3.connect(f"{Path(pack).absolute().as_uri()}?mode=ro", uri=True)
    try:
        neighbourhoods = db.execute("SELECT COUNT(*) FROM neighbourhoods WHERE hub = ?",
                                    (hub,)).fetchone()[0]
        indicators = db.execute("SELECT COUNT(DISTINCT indicator_id) FROM indicator_values "
                                "WHERE level = 'neighbourhood'").fetchone()[0]
        nations = db.execute("SELECT COUNT(DISTINCT area_code) FROM indicator_values WHERE "
                             "level IN ('england', 'england_and_wales')").fetchone()[0]
    finally:
        db.close()
    return (neighbourhoods + 2 + nations) * indicators


@pytest.fixture(scope="session")
def coventry_pack(tmp_path_factory, qgis_app) -> Path:
    if not SOURCES.is_dir():
        pytest.skip(f"Coventry source mirror not found at {SOURCES}")
    from jsna_profiles.builder.pack import build_pack

    out = tmp_path_factory.mktemp("pack") / "coventry.gpkg"
    report = build_pack(SOURCES, out, config_2019(), england=ENGLAND if ENGLAND.is_dir() else None)
    out.with_suffix(".warnings").write_text("\n".join(report.warnings))
    return out


@pytest.fixture(scope="session")
def coventry_pack_2025(tmp_path_factory, qgis_app) -> Path:
    """Coventry's pack of the 2025 edition (IoD 2025, Census 2021, 2021 small areas)."""
    if not SOURCES.is_dir():
        pytest.skip(f"Coventry source mirror not found at {SOURCES}")
    from jsna_profiles.builder.pack import build_pack
    from jsna_profiles.builder.sources import PlaceConfig

    out = tmp_path_factory.mktemp("pack2025") / "coventry.gpkg"
    build_pack(SOURCES, out, PlaceConfig.load(edition="2025"),
               england=ENGLAND if ENGLAND.is_dir() else None)
    return out


@dataclass(frozen=True)
class PostgisServer:
    """A throwaway server's connections: the superuser, a role that may publish and write,
    and one that may only read (their passwords are in a pgpass file, never in these)."""

    folder: Path
    admin: str
    writer: str
    reader: str
    writer_password: str


@pytest.fixture(scope="session")
def postgis(tmp_path_factory) -> PostgisServer:
    """A PostgreSQL/PostGIS server of the test session's own (bin/local-postgis, on a Unix
    socket), stopped and removed afterwards."""
    import secrets
    import subprocess
    import tempfile

    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL is not installed here (bin/install-deps installs postgresql "
                    "and postgresql-postgis from Debian)")
    folder = Path(tempfile.mkdtemp(prefix="jsna-pg-"))  # short: a socket path has a limit
    script = ROOT / "bin" / "local-postgis"
    started = subprocess.run([str(script), "start", str(folder)], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    admin = started.stdout.strip()
    passwords = {role: secrets.token_hex(8) for role in ("jsna_writer", "jsna_reader")}
    import psycopg2

    with closing(psycopg2.connect(admin)) as db, db, db.cursor() as cursor:
        for role, password in passwords.items():
            cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (password,))
        cursor.execute("GRANT CREATE ON DATABASE jsna TO jsna_writer")
        cursor.execute("GRANT CREATE ON SCHEMA public TO jsna_writer")
        cursor.execute("ALTER DEFAULT PRIVILEGES FOR ROLE jsna_writer GRANT USAGE ON SCHEMAS "
                       "TO jsna_reader")
        cursor.execute("ALTER DEFAULT PRIVILEGES FOR ROLE jsna_writer GRANT SELECT ON TABLES "
                       "TO jsna_reader")
    pgpass = folder / "pgpass"
    pgpass.write_text("".join(f"*:*:*:{role}:{password}\n"
                              for role, password in passwords.items()))
    pgpass.chmod(0o600)
    before = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(pgpass)
    try:
        yield PostgisServer(folder, admin, f"host={folder} dbname=jsna user=jsna_writer",
                            f"host={folder} dbname=jsna user=jsna_reader",
                            passwords["jsna_writer"])
    finally:
        if before is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = before
        subprocess.run([str(script), "stop", str(folder)], capture_output=True)


@pytest.fixture
def opened_pack(coventry_pack):
    """The Coventry pack opened in QGIS's own project (cleared after)."""
    from qgis.core import QgsProject

    from jsna_profiles.layers.pack import open_pack

    project = QgsProject.instance()
    yield open_pack(coventry_pack, project)
    project.clear()


@pytest.fixture
def sources_copy(tmp_path) -> Path:
    """A writable copy of the source mirror, for tests that damage one file."""
    if not SOURCES.is_dir():
        pytest.skip(f"Coventry source mirror not found at {SOURCES}")
    target = tmp_path / "sources"
    shutil.copytree(SOURCES, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture
def project(qgis_app):
    from qgis.core import QgsProject

    project = QgsProject()
    yield project
    project.clear()


@pytest.fixture
def plugin(qgis_iface):
    """The plugin as QGIS loads it (classFactory, initGui); unloaded and project cleared after."""
    from qgis.core import QgsProject

    import jsna_profiles

    plugin = jsna_profiles.classFactory(qgis_iface)
    plugin.initGui()
    yield plugin
    plugin.unload()
    QgsProject.instance().clear()


@pytest.fixture(scope="session")
def plugin_zip(tmp_path_factory) -> Path:
    """The installable zip, as `make package` writes it."""
    import subprocess

    out = tmp_path_factory.mktemp("zip") / "jsna_profiles.zip"
    subprocess.run([sys.executable, str(ROOT / "bin" / "make-package"), str(out)], check=True,
                   capture_output=True)
    return out


@pytest.fixture
def qgis_process(tmp_path, plugin_zip):
    """``run(*args)``: qgis_process with a fresh profile holding the plugin from the zip,
    enabled. Returns the CompletedProcess. Debian's ``qgis_process`` wrapper passes an option
    ``qgis_process.bin`` rejects, so the binary is called directly."""
    import subprocess
    import zipfile

    executable = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    if executable is None:
        pytest.skip("qgis_process is not installed")
    config = tmp_path / "qgis_config"
    plugins = config / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    zipfile.ZipFile(plugin_zip).extractall(plugins)
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(config), QT_QPA_PLATFORM="offscreen")

    def run(*args):
        return subprocess.run([executable, *args], env=env, capture_output=True, text=True)
    enabled = run("plugins", "enable", "jsna_profiles")
    assert enabled.returncode == 0, enabled.stderr
    return run


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave with pytest's own status once everything is reported: QGIS can crash while the
    Python interpreter shuts down after the tests, which says nothing about the tests."""
    if EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[EXIT_STATUS])
