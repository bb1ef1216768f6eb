"""Fifty loads and unloads in one QGIS process leave nothing behind: no actions, toolbars, docks,
providers or plugin objects, and in the project only the pack the user opened, once."""

import gc
import weakref
from pathlib import Path

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QToolBar

import jsna_profiles

CYCLES = 50


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def plugin_widgets(window) -> list:
    actions = [a for a in window.findChildren(QAction) if a.objectName().startswith("jsna_")]
    bars = [b for b in window.findChildren(QToolBar) if b.objectName() == "JsnaAreaProfilesToolbar"]
    docks = [d for d in window.findChildren(QDockWidget) if d.objectName() == "JsnaComparePanel"]
    return actions + bars + docks


def cycle(iface, pack: Path) -> weakref.ref:
    """Load, open the pack (the same file each time), use the compare dock, unload; the
    project is kept, as a user's would be."""
    plugin = jsna_profiles.classFactory(iface)
    plugin.initGui()
    plugin.open_pack(str(pack))
    plugin.show_compare_panel().set_hub("Harmony")
    plugin.unload()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return weakref.ref(plugin)


def project_contents() -> tuple:
    project = QgsProject.instance()
    groups = [g.name() for g in project.layerTreeRoot().findGroups(True)]
    return (groups, sorted(layer.name() for layer in project.mapLayers().values()),
            len(project.layoutManager().layouts()))


def test_fifty_reloads_leave_nothing_behind(qgis_iface, coventry_pack):
    window = qgis_iface.mainWindow()
    registry = QgsApplication.processingRegistry()
    providers = len(registry.providers())
    QgsProject.instance().clear()
    cycle(qgis_iface, coventry_pack)  # warm-up: caches, fonts, Python imports
    opened = project_contents()
    assert opened[0] == ["Coventry"] and len(opened[1]) == 7 and opened[2] == 0, opened
    gc.collect()
    before = resident_mb()
    plugins = [cycle(qgis_iface, coventry_pack) for _ in range(CYCLES)]
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    growth = resident_mb() - before
    assert plugin_widgets(window) == []
    assert registry.providerById("jsna") is None and len(registry.providers()) == providers
    assert project_contents() == opened  # the pack once: no layer or layout added by reloads
    QgsProject.instance().clear()
    # a signal still connected to a plugin would keep that plugin alive
    assert [ref for ref in plugins if ref() is not None] == []
    assert growth < 20, f"memory grew {growth:.1f} MB over {CYCLES} reloads"
