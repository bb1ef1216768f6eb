"""The demo maps as a planner gets them, and the installable zip as QGIS receives it."""

import configparser
import subprocess
import sys
import zipfile

from conftest import ROOT, needs_sources

A4_LANDSCAPE_96_DPI = (int(297 / 25.4 * 96), int(210 / 25.4 * 96))  # (1122, 793)


@needs_sources
def test_demo_maps_render_with_expected_size_and_content(coventry_pack_2025, tmp_path):
    """The design card's three maps from the default (2025) pack, as `make demo` draws them."""
    from qgis.PyQt.QtGui import QImage

    result = subprocess.run([sys.executable, str(ROOT / "bin" / "jsna"), "maps", "--pack",
                             str(coventry_pack_2025), "--hub", "Harmony", "--out-dir", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for theme in ("deprivation", "fuel_poverty", "air_quality"):
        image = QImage(str(tmp_path / f"{theme}.png"))
        assert (image.width(), image.height()) == A4_LANDSCAPE_96_DPI, theme
        # not blank: the map area holds many distinct colours
        colours = {image.pixel(x, y) for x in range(40, 700, 7) for y in range(120, 680, 7)}
        assert len(colours) > 20, theme
    assert not list(tmp_path.glob(".*"))  # no temporary files left


@needs_sources
def test_unknown_hub_is_a_clear_error(coventry_pack, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bin" / "jsna"), "maps", "--pack",
                             str(coventry_pack), "--hub", "Atlantis", "--out-dir", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert ("No hub called 'Atlantis' in the Coventry pack (hubs: Aspire, Families for All, "
            "Harmony, Mosaic, Park Edge, Pathway, The Moat, Woodside)") in result.stderr
    assert not list(tmp_path.iterdir())


def test_zip_holds_the_plugin_folder_and_nothing_else(plugin_zip):
    names = zipfile.ZipFile(plugin_zip).namelist()
    assert all(n.startswith("jsna_profiles/") for n in names)
    for required in ("metadata.txt", "__init__.py", "plugin.py", "LICENSE", "icons/jsna.svg",
                     "config/coventry_hub_lookup_2020.csv", "core/catalogue.py"):
        assert f"jsna_profiles/{required}" in names
    forbidden = ("tests/", "bin/", "build/", "bench/", ".ci/", ".venv/", ".gpkg", ".pyc")
    assert not [n for n in names if any(f in n for f in forbidden)]


def test_metadata_has_every_required_field():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    for field in ("name", "qgisMinimumVersion", "description", "about", "version", "author",
                  "email", "repository", "tracker", "homepage", "tags", "category", "icon",
                  "changelog"):
        assert general.get(field, "").strip(), field
    assert general["qgisMinimumVersion"] == "3.22"
    assert (ROOT / general["icon"]).is_file()


def test_resources_manifest_lists_icons_that_exist():
    import re

    listed = re.findall(r"<file>(.+?)</file>", (ROOT / "resources.qrc").read_text())
    assert listed and all((ROOT / name).is_file() for name in listed)


def test_zip_has_every_module_the_plugin_imports_and_the_templates(plugin_zip, tmp_path):
    """Every package of the checkout is in the zip, and the zip alone imports in QGIS's Python."""
    names = set(zipfile.ZipFile(plugin_zip).namelist())
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    for package in packages:
        for module in (ROOT / package).glob("*.py"):
            assert f"jsna_profiles/{package}/{module.name}" in names
    for size in ("A4", "A3"):
        for orientation in ("landscape", "portrait"):
            assert f"jsna_profiles/templates/jsna_report_map_{size}_{orientation}.qpt" in names
    zipfile.ZipFile(plugin_zip).extractall(tmp_path)
    modules = ["jsna_profiles.plugin", "jsna_profiles.ui.compare_panel",
               "jsna_profiles.layouts.profile", "jsna_profiles.layouts.atlas",
               "jsna_profiles.ui.report_map_dialog", "jsna_profiles.ui.hub_export_dialog"]
    code = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    result = subprocess.run([sys.executable, "-c", code, *modules], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_qgis340_target_says_in_one_line_when_it_cannot_make_its_root_filesystem(tmp_path):
    """No mirror (here: a closed port on this machine): one line saying so, a non-zero exit,
    and nothing made where the root filesystem would go."""
    import os

    rootfs = tmp_path / "rootfs"
    env = dict(os.environ, JSNA_ROOTFS=str(rootfs),
               JSNA_DEBIAN_MIRROR="http://127.0.0.1:9/debian")
    result = subprocess.run([str(ROOT / "bin" / "test-qgis340")], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    if os.geteuid() != 0:
        assert result.stderr.strip().endswith("(run: sudo make test-qgis340)")
    else:
        assert result.stderr.splitlines() == [
            "test-qgis340: cannot make the Debian 13 root filesystem: Debian's mirror "
            "http://127.0.0.1:9/debian is not reachable"]
    assert result.stdout == "" and list(tmp_path.iterdir()) == []
