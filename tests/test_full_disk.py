"""A full disk never passes for success: every writer, on a real file system that fills up
(a small tmpfs, as root) or under a file-size limit, ends with a one-line message, leaves the
user's existing file byte for byte as it was, and leaves no partial file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsProject

from conftest import SOURCES, config_2019
from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator
from jsna_profiles.builder.pack import build_pack
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.compare_export import write_csv, write_xlsx
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.packfile import copy_database
from jsna_profiles.layers.pack import open_pack
from jsna_profiles.layers.pack_styles import export_qml
from jsna_profiles.layouts.atlas import atlas_layout
from jsna_profiles.layouts.export import export_atlas, export_layout
from jsna_profiles.layouts.profile import profile_layout
from jsna_profiles.layouts.report_map import ReportMap, report_layout

FULL = r"Not enough disk space|was not written completely"


class Disk:
    """A small tmpfs mounted for one test."""

    def __init__(self, root: Path):
        self.root = root

    def fill(self, leave: int) -> None:
        """Take all the space but ``leave`` bytes."""
        (self.root / "filler").unlink(missing_ok=True)
        free = shutil.disk_usage(self.root).free
        with (self.root / "filler").open("wb") as filler:
            filler.write(bytes(max(free - leave, 0)))

    def files(self) -> dict:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in self.root.rglob("*") if p.is_file() and p.name != "filler"}


@pytest.fixture
def disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    root = tmp_path / "disk"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(root)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def project(qgis_app):
    project = QgsProject()
    yield project
    project.clear()


def fails_leaving_everything(disk: Disk, write, leave: int = 8192) -> str:
    """Fill the disk, run ``write``: it must raise a one-line full-disk message and change no
    file on the disk."""
    before = disk.files()
    disk.fill(leave)
    with pytest.raises(JsnaInputError) as caught:
        write()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert disk.files() == before, message  # the old file as it was; nothing partial beside it
    return message


@pytest.mark.parametrize("fmt", ["pdf", "svg", "png"])
def test_report_map_on_a_full_disk(disk, project, coventry_pack, fmt):
    layout = report_layout(project, open_pack(coventry_pack, project),
                           ReportMap("fuel_poverty", "hub", "Harmony"))
    target = disk.root / f"map.{fmt}"
    export_layout(layout, target, dpi=60)
    message = fails_leaving_everything(disk, lambda: export_layout(layout, target, dpi=60))
    assert re.search(FULL, message) and "map." in message


def test_profile_and_atlas_on_a_full_disk(disk, project, coventry_pack):
    pack = open_pack(coventry_pack, project)
    profile = profile_layout(project, pack, ComparePack(coventry_pack), "Harmony")
    export_layout(profile, disk.root / "profile.pdf", "pdf", dpi=72)
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: export_layout(profile, disk.root / "profile.pdf", "pdf", dpi=72)))
    (disk.root / "filler").unlink()
    atlas = atlas_layout(project, pack, "fuel_poverty", "Harmony")
    folder = disk.root / "atlas"
    folder.mkdir()
    export_atlas(atlas, folder, one_file=False, dpi=72)
    # every page is written again; the disk fills part-way: the six old files stay as they were
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: export_atlas(atlas, folder, one_file=False, dpi=72, overwrite=True),
        leave=120_000))


def test_comparison_exports_on_a_full_disk(disk, coventry_pack):
    table = ComparePack(coventry_pack).table("Harmony")
    write_csv(table, disk.root / "harmony.csv")
    write_xlsx(table, disk.root / "harmony.xlsx")
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: write_csv(table, disk.root / "harmony.csv"), leave=4096))
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: write_xlsx(table, disk.root / "harmony.xlsx"), leave=4096))


def test_styles_on_a_full_disk(disk, coventry_pack):
    export_qml(coventry_pack, disk.root / "qml")
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: export_qml(coventry_pack, disk.root / "qml"), leave=2048))


@pytest.mark.skipif(not SOURCES.is_dir(), reason="Coventry source mirror not found")
def test_build_and_add_indicator_on_a_full_disk(disk, coventry_pack, tmp_path):
    pack = disk.root / "coventry.gpkg"
    copy_database(coventry_pack, pack)
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: build_pack(SOURCES, pack, config_2019(), with_styles=False),
        leave=300_000))
    (disk.root / "filler").unlink()
    table = tmp_path / "own.csv"
    table.write_text("code,n,d\n" + "".join(f"E0100{9522 + i},{i},40\n" for i in range(150)))
    spec = IndicatorTable(table, "own_rate", "Own rate (synthetic test data)", "code",
                          numerator_column="n", denominator_column="d", unit="%",
                          source="Synthetic test data")
    assert re.search(FULL, fails_leaving_everything(
        disk, lambda: add_indicator(pack, spec), leave=300_000))


def test_command_line_on_a_full_disk(disk, coventry_pack, capsys):
    from jsna_profiles.cli import main

    out = disk.root / "maps"
    assert main(["maps", "--pack", str(coventry_pack), "--hub", "Harmony", "--out-dir",
                 str(out), "--format", "pdf", "--themes", "fuel_poverty"]) == 0
    capsys.readouterr()
    before = disk.files()
    disk.fill(8192)
    code = main(["maps", "--pack", str(coventry_pack), "--hub", "Harmony", "--out-dir",
                 str(out), "--format", "pdf", "--themes", "fuel_poverty"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and re.search(FULL, err), err
    assert disk.files() == before


@pytest.mark.skipif(not SOURCES.is_dir(), reason="Coventry source mirror not found")
def test_build_on_a_full_disk_prints_one_line(disk, capsys):
    """GDAL's follow-up errors (printed by fiona as tracebacks) stay out of the message."""
    from jsna_profiles.cli import main

    disk.fill(200_000)
    code = main(["build-pack", "--sources", str(SOURCES), "--out", str(disk.root / "c.gpkg")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Not enough disk space" in err, err
    assert disk.files() == {}


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Writes past ``limit`` bytes fail with EFBIG (Python ignores SIGXFSZ)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_file_size_limit_keeps_the_old_file(project, coventry_pack, tmp_path, fmt):
    """No root needed: QGIS's exporter says Success for a PDF or SVG cut at 20,000 bytes."""
    layout = report_layout(project, open_pack(coventry_pack, project),
                           ReportMap("fuel_poverty", "hub", "Harmony"))
    target = export_layout(layout, tmp_path / f"map.{fmt}", dpi=60)
    good = target.read_bytes()
    assert len(good) > 20_000
    with file_size_limit(20_000), pytest.raises(JsnaInputError, match=FULL):
        export_layout(layout, target, dpi=60)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
