"""Any chart of this package (an object with height(width) and paint(painter, width)) as a
PNG image or as SVG text: one drawing for the dock, files and print layouts."""

from __future__ import annotations

from typing import Protocol

from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter

TEXT_PX, SMALL_PX = 12, 11  # text sizes in chart units, the same on screen, in files and print


class Chart(Protocol):
    title: str

    def height(self, width: int) -> int: ...

    def paint(self, painter: QPainter, width: int) -> None: ...


def fonts(painter: QPainter) -> tuple[QFont, QFont]:
    """(bold, small) fonts sized in chart units, whatever the device's resolution."""
    bold = QFont(painter.font())
    bold.setPixelSize(TEXT_PX)
    bold.setBold(True)
    small = QFont(painter.font())
    small.setPixelSize(SMALL_PX)
    small.setBold(False)
    return bold, small


def to_png(chart: Chart, width: int, scale: float = 2.0) -> QImage:
    height = chart.height(width)
    image = QImage(int(width * scale), int(height * scale), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.scale(scale, scale)
    chart.paint(painter, width)
    painter.end()
    return image


def to_svg(chart: Chart, width: int) -> bytes:
    """The chart as SVG text: vector, for files and print layouts."""
    from qgis.PyQt.QtSvg import QSvgGenerator

    height = chart.height(width)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRectF(0, 0, width, height))
    generator.setTitle(chart.title)
    painter = QPainter(generator)
    chart.paint(painter, width)
    painter.end()
    buffer.close()
    return bytes(data)
