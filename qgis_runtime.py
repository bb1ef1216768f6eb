"""Starting QGIS without a window, for the command line, builds and tests."""

from __future__ import annotations

import os

_APP = None


def ensure_qgis():
    """Return the running QgsApplication, starting an offscreen one if there is none."""
    global _APP
    from qgis.core import QgsApplication

    if QgsApplication.instance() is not None:
        return QgsApplication.instance()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP = QgsApplication([], False)
    _APP.initQgis()
    return _APP
