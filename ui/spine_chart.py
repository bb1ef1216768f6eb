"""The spine chart as a widget in the compare dock, saved as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QPainter
from qgis.PyQt.QtWidgets import QSizePolicy, QWidget

from ..charts.spine import WIDTH, chart_height, paint_spine, spine_png, spine_svg
from ..core import verify
from ..core.compare import SpineRow
from ..core.files import replace_atomically, write_bytes_atomically


class SpineChart(QWidget):
    """The chart as a widget; its rows come from ComparePack.spine_rows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = ""
        self.rows: list[SpineRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(420)

    def set_rows(self, title: str, rows: list[SpineRow]) -> None:
        self.title, self.rows = title, rows
        self.setFixedHeight(chart_height(rows))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(WIDTH, chart_height(self.rows))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        paint_spine(painter, self.width(), self.title, self.rows)
        painter.end()

    def export_png(self, path: str | Path, scale: float = 2.0) -> Path:
        image = spine_png(self.title, self.rows, scale)

        def write(tmp: Path) -> None:
            if not image.save(str(tmp), "PNG"):
                raise PermissionError(13, "the image could not be saved")
        return replace_atomically(path, write, verify.png)

    def export_svg(self, path: str | Path) -> Path:
        return write_bytes_atomically(path, spine_svg(self.title, self.rows))
