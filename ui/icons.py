"""Icons from the plugin's icons/ folder (listed in resources.qrc), loaded from disk."""

from pathlib import Path

from qgis.PyQt.QtGui import QIcon

ICON_DIR = Path(__file__).resolve().parent.parent / "icons"


def icon(name: str) -> QIcon:
    return QIcon(str(ICON_DIR / f"{name}.svg"))
