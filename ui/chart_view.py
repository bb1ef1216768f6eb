"""The dock's chart (a spine chart, a group's bars, or "compare areas") as a widget, saved as
PNG or SVG: any chart of charts/ drawn the same way as in print layouts."""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QPainter
from qgis.PyQt.QtWidgets import QSizePolicy, QWidget

from ..charts.render import Chart, to_png, to_svg
from ..charts.spine import WIDTH, SpineChart
from ..core import verify
from ..core.compare import SpineRow
from ..core.files import replace_atomically, write_bytes_atomically


class ChartView(QWidget):
    """Shows one chart object; a spine chart by default (rows from ComparePack.spine_rows)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart: Chart = SpineChart("", [])
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(420)

    @property
    def title(self) -> str:
        return self.chart.title

    @property
    def rows(self) -> list:
        return getattr(self.chart, "rows", None) or getattr(self.chart, "cells", [])

    def set_chart(self, chart: Chart) -> None:
        self.chart = chart
        self.setFixedHeight(chart.height(WIDTH))
        self.update()

    def set_rows(self, title: str, rows: list[SpineRow]) -> None:
        self.set_chart(SpineChart(title, rows))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(WIDTH, self.chart.height(WIDTH))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        self.chart.paint(painter, self.width())
        painter.end()

    def export_png(self, path: str | Path, scale: float = 2.0) -> Path:
        image = to_png(self.chart, WIDTH, scale)

        def write(tmp: Path) -> None:
            if not image.save(str(tmp), "PNG"):
                raise PermissionError(13, "the image could not be saved")
        return replace_atomically(path, write, verify.png)

    def export_svg(self, path: str | Path) -> Path:
        return write_bytes_atomically(path, to_svg(self.chart, WIDTH))
