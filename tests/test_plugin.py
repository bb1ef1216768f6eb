"""The plugin loads through classFactory, works through its actions, and unloads cleanly."""

from qgis.core import QgsProject

import jsna_profiles
from conftest import needs_sources


def _plugin_actions(qgis_iface):
    window = qgis_iface.mainWindow()
    from qgis.PyQt.QtWidgets import QAction, QToolBar

    actions = [a for a in window.findChildren(QAction) if a.objectName().startswith("jsna_")]
    bars = [b for b in window.findChildren(QToolBar)
            if b.objectName() == "JsnaAreaProfilesToolbar"]
    return actions, bars


def test_load_and_unload_leave_nothing_behind(qgis_iface):
    plugin = jsna_profiles.classFactory(qgis_iface)
    plugin.initGui()
    assert [a.objectName() for a in plugin.actions] == [
        "jsna_open_pack", "jsna_open_server_pack", "jsna_publish", "jsna_deprivation",
        "jsna_deprivation_change", "jsna_fuel_poverty", "jsna_air_quality",
        "jsna_indicator", "jsna_compare", "jsna_add_indicator", "jsna_report_map", "jsna_atlas",
        "jsna_profile"]
    assert all(not a.icon().isNull() for a in plugin.actions)
    plugin.unload()
    from qgis.PyQt.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    actions, bars = _plugin_actions(qgis_iface)
    assert actions == [] and bars == []
    assert plugin.actions == [] and plugin.toolbar is None


def test_theme_without_pack_says_so(plugin, qgis_iface):
    assert plugin.apply_theme("fuel_poverty") is None
    assert "Open a data pack first" in qgis_iface.messageBar().get_messages(2)[-1]


def test_bad_pack_message_not_traceback(plugin, qgis_iface, tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a pack")
    assert plugin.open_pack(str(bad)) is None
    assert "not a GeoPackage" in qgis_iface.messageBar().get_messages(2)[-1]
    assert len(QgsProject.instance().mapLayers()) == 0


@needs_sources
def test_open_pack_and_map_themes(plugin, qgis_iface, coventry_pack):
    pack = plugin.open_pack(str(coventry_pack))
    assert pack is not None and len(QgsProject.instance().mapLayers()) == 7  # services too
    info = [item.text() for item in qgis_iface.messageBar().items()]
    assert "Opened Coventry: 162 of 195 small areas are approximate hub members" in info
    assert plugin.apply_theme("fuel_poverty").startswith("Households in fuel poverty")
    assert pack.layer("small_areas").renderer().classAttribute() == "fuel_poverty"
    assert pack.layer("small_areas").name() == "Fuel poverty 2020"
    assert plugin.apply_theme("indicator", indicator_id="no_such") is None
    assert "Unknown indicator" in qgis_iface.messageBar().get_messages(2)[-1]


def test_an_unexpected_error_is_a_message_not_a_traceback(plugin, qgis_iface, monkeypatch):
    from qgis.core import QgsApplication

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plugin, "_require_pack", broken)
    logged = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, level: logged.append((tag, message)))
    action = next(a for a in plugin.actions if a.objectName() == "jsna_fuel_poverty")
    action.trigger()  # no exception may escape into QGIS
    message = qgis_iface.messageBar().get_messages(2)[-1]
    assert "Something went wrong (OSError" in message and "Log Messages panel" in message
    assert any(tag == "JSNA Area Profiles" and "Traceback" in text for tag, text in logged)


def test_start_up_does_not_import_the_heavy_stack():
    """Loading the plugin and its Processing provider leaves pandas, geopandas and friends
    until an action needs them (QGIS starts faster)."""
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import sys, os; sys.path.insert(0, sys.argv[1])\n"
        "from plugin_package import import_plugin_package; import_plugin_package()\n"
        "from jsna_profiles.qgis_runtime import ensure_qgis; ensure_qgis()\n"
        "before = set(sys.modules)\n"
        "import jsna_profiles.plugin\n"
        "from jsna_profiles.provider.provider import JsnaProvider\n"
        "JsnaProvider().loadAlgorithms()\n"
        "heavy = ('pandas', 'numpy', 'geopandas', 'fiona', 'rasterio', 'openpyxl', 'scipy')\n"
        "print(sorted(m for m in heavy if m in set(sys.modules) - before))\n"
        "sys.stdout.flush(); os._exit(0)\n")
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "bin")],
                            capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_layout_actions_without_pack_say_so(plugin, qgis_iface):
    for name in ("jsna_report_map", "jsna_atlas", "jsna_profile", "jsna_add_indicator",
                 "jsna_publish"):
        next(a for a in plugin.actions if a.objectName() == name).trigger()
        assert "Open a data pack first" in qgis_iface.messageBar().get_messages(2)[-1]
