"""A Fingertips-style spine chart drawn with QPainter: one drawing for the dock, PNG, SVG and
print layouts (no widgets here)."""

from __future__ import annotations

import math

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QPainter, QPen

from ..core.compare import MEDIAN_CENTRE, SpineRow
from ..core.compare_export import SIGNIFICANCE_COLOURS
from ..core.formatting import format_value
from .render import fonts

ROW_HEIGHT = 20
HEADER_HEIGHT = 62
DOMAIN_HEIGHT = 22
WIDTH = 760
FOOTNOTES = (
    "Bar: range of the city's neighbourhoods (dark: 25th to 75th percentile). Line: average.",
    "Marker: the area, coloured by significance (95% confidence interval; white: not tested).",
    "* No city figure in the pack: centred on the neighbourhoods' median.",
)
RANGE_COLOUR = QColor("#D9D9D9")
QUARTILE_COLOUR = QColor("#8C8C8C")
BLACK = QColor("black")
ROW_LINE_PEN = QPen(QColor("#E6E6E6"), 1)
CENTRE_PEN = QPen(BLACK, 1.5)
MARKER_PEN = QPen(BLACK, 1)
MARKER_FILLS = {key: QColor(fill) for key, (fill, _) in SIGNIFICANCE_COLOURS.items()}
NOT_TESTED_FILL = QColor("#FFFFFF")
_ELIDED: dict = {}  # (title, width, font) -> the title as it fits: the same rows are drawn often


def chart_height(rows: list[SpineRow]) -> int:
    domains = len({r.indicator.domain for r in rows})
    return HEADER_HEIGHT + len(rows) * ROW_HEIGHT + domains * DOMAIN_HEIGHT + 64


def paint_spine(painter: QPainter, width: int, title: str, rows: list[SpineRow]) -> None:
    """Draw the chart with its top-left at (0, 0): labels, values, then the spine."""
    label_w, value_w = int(width * 0.36), int(width * 0.13)
    spine_x, spine_w = label_w + 2 * value_w + 10, width - (label_w + 2 * value_w + 20)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(QRectF(0, 0, width, chart_height(rows)), QColor("white"))
    bold, small = fonts(painter)
    painter.setPen(QColor("black"))
    painter.setFont(bold)
    painter.drawText(QRectF(4, 2, width - 8, 20), Qt.AlignmentFlag.AlignLeft, title)
    painter.setFont(small)
    centre = next((r.centre_label for r in rows if r.centre_label != MEDIAN_CENTRE), "")
    painter.drawText(QRectF(spine_x, 24, spine_w, 18), Qt.AlignmentFlag.AlignHCenter, centre)
    for text, x, w, align in (("Indicator", 4, label_w, Qt.AlignmentFlag.AlignLeft),
                              ("Area", label_w, value_w, Qt.AlignmentFlag.AlignRight),
                              ("Average", label_w + value_w, value_w, Qt.AlignmentFlag.AlignRight),
                              ("◀ Worst / lowest", spine_x, spine_w, Qt.AlignmentFlag.AlignLeft),
                              ("Best / highest ▶", spine_x, spine_w, Qt.AlignmentFlag.AlignRight)):
        painter.drawText(QRectF(x, 42, w, 18), align | Qt.AlignmentFlag.AlignBottom, text)
    y = HEADER_HEIGHT
    domain = None
    for row in rows:
        if row.indicator.domain != domain:
            domain = row.indicator.domain
            painter.setFont(bold)
            painter.fillRect(QRectF(0, y, width, DOMAIN_HEIGHT - 2), QColor("#EEF2F7"))
            painter.drawText(QRectF(4, y, width, DOMAIN_HEIGHT - 2),
                             Qt.AlignmentFlag.AlignVCenter, domain)
            painter.setFont(small)
            y += DOMAIN_HEIGHT
        _paint_row(painter, row, y, label_w, value_w, spine_x, spine_w)
        y += ROW_HEIGHT
    painter.setFont(small)
    painter.setPen(QColor("#444444"))
    for i, line in enumerate(FOOTNOTES):
        painter.drawText(QRectF(4, y + 4 + 18 * i, width - 8, 18), Qt.AlignmentFlag.AlignLeft, line)


def _paint_row(painter: QPainter, row: SpineRow, y: float, label_w: int, value_w: int,
               spine_x: int, spine_w: int) -> None:
    middle = y + ROW_HEIGHT / 2
    painter.setPen(BLACK)
    key = (row.indicator.title, label_w, painter.font().key())
    if key not in _ELIDED:
        _ELIDED[key] = painter.fontMetrics().elidedText(row.indicator.title,
                                                        Qt.TextElideMode.ElideRight, label_w - 8)
    label = _ELIDED[key]
    painter.drawText(QRectF(4, y, label_w - 8, ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter, label)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(label_w, y, value_w, ROW_HEIGHT), right,
                     format_value(row.indicator, row.cell.value))
    centre = format_value(row.indicator, row.centre)
    if row.centre_label == MEDIAN_CENTRE:
        centre += "*"
    painter.drawText(QRectF(label_w + value_w, y, value_w, ROW_HEIGHT), right, centre)
    painter.setPen(ROW_LINE_PEN)
    painter.drawLine(QPointF(0, y + ROW_HEIGHT), QPointF(spine_x + spine_w, y + ROW_HEIGHT))
    if not row.positions:
        return

    def x_of(position: float) -> float:
        return spine_x + max(0.0, min(1.0, position)) * spine_w

    painter.setPen(Qt.PenStyle.NoPen)
    band = ROW_HEIGHT * 0.5
    left, right_end = sorted((x_of(row.positions["worst"]), x_of(row.positions["best"])))
    painter.fillRect(QRectF(left, middle - band / 2, right_end - left, band), RANGE_COLOUR)
    q_left, q_right = sorted((x_of(row.positions["q25"]), x_of(row.positions["q75"])))
    painter.fillRect(QRectF(q_left, middle - band / 2, max(1.0, q_right - q_left), band),
                     QUARTILE_COLOUR)
    painter.setPen(CENTRE_PEN)
    painter.drawLine(QPointF(x_of(0.5), y + 2), QPointF(x_of(0.5), y + ROW_HEIGHT - 2))
    if "value" in row.positions and not math.isnan(row.positions["value"]):
        painter.setBrush(MARKER_FILLS.get(row.cell.significance, NOT_TESTED_FILL))
        painter.setPen(MARKER_PEN)
        radius = ROW_HEIGHT * 0.3
        painter.drawEllipse(QPointF(x_of(row.positions["value"]), middle), radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)


class SpineChart:
    """The spine chart as a chart object (see charts.render)."""

    def __init__(self, title: str, rows: list[SpineRow]):
        self.title, self.rows = title, rows

    def height(self, width: int) -> int:
        return chart_height(self.rows)

    def paint(self, painter: QPainter, width: int) -> None:
        paint_spine(painter, width, self.title, self.rows)
