"""The profile's charts, drawn with QPainter like the spine chart (see charts.render):

- the age profile: five-year bands as a share of residents, the area's bars against the
  city's outline;
- grouped bars (ethnic groups, main languages, religions): the area against the city;
- "compare areas" (Fingertips' view): one indicator for many areas, sorted, with 95% limits
  as whiskers, bars coloured by significance and a line for the city.
"""

from __future__ import annotations

import math

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QPainter, QPen

from ..core.compare import Cell, ChartRow
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT
from ..core.formatting import format_value
from .render import fonts

WIDTH = 760
AREA_COLOUR = QColor("#3B6FB6")
CITY_COLOUR = QColor("#000000")
NOT_TESTED = QColor("#BFBFBF")
TITLE_HEIGHT, KEY_HEIGHT, FOOT_HEIGHT = 26, 22, 22
BAR_ROW = 19


def _start(painter: QPainter, width: int, height: int, title: str) -> QFont:
    """White page, the title; returns the small font for the rest."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(QRectF(0, 0, width, height), QColor("white"))
    bold, small = fonts(painter)
    painter.setPen(QColor("black"))
    painter.setFont(bold)
    painter.drawText(QRectF(4, 2, width - 8, TITLE_HEIGHT - 4), Qt.AlignmentFlag.AlignLeft, title)
    painter.setFont(small)
    return small


def _key(painter: QPainter, y: float, entries: list[tuple[str, QColor, bool]]) -> None:
    """A one-line key: (text, colour, outline only)."""
    x = 6.0
    for text, colour, outline in entries:
        if outline:
            painter.setPen(QPen(colour, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
        painter.drawRect(QRectF(x, y + 5, 14, 10))
        painter.setPen(QColor("black"))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        advance = painter.fontMetrics().horizontalAdvance(text)
        painter.drawText(QRectF(x + 18, y, advance + 4, KEY_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter, text)
        x += 18 + advance + 18


def _nice_top(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if not value or math.isnan(value) or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class AgeProfile:
    """Five-year age bands: area bars, the city as an outline over them."""

    def __init__(self, title: str, rows: list[ChartRow], area_name: str, city_name: str):
        self.title, self.rows, self.area_name, self.city_name = title, rows, area_name, city_name

    def height(self, width: int) -> int:
        return 300

    def paint(self, painter: QPainter, width: int) -> None:
        height = self.height(width)
        _start(painter, width, height, self.title)
        _key(painter, TITLE_HEIGHT, [(self.area_name, AREA_COLOUR, False),
                                     (self.city_name, CITY_COLOUR, True)])
        left, top, bottom = 52.0, TITLE_HEIGHT + KEY_HEIGHT + 8, height - 40.0
        plot_w = width - left - 10
        values = [v for r in self.rows for v in (r.cell.value, r.city) if not math.isnan(v)]
        y_max = _nice_top(max(values, default=1.0))

        def y_of(v: float) -> float:
            return bottom - (bottom - top) * v / y_max

        painter.setPen(QPen(QColor("#D0D0D0"), 1))
        for i in range(5):
            tick = y_max * i / 4
            painter.drawLine(QPointF(left, y_of(tick)), QPointF(left + plot_w, y_of(tick)))
            painter.setPen(QColor("#404040"))
            painter.drawText(QRectF(0, y_of(tick) - 8, left - 4, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{tick:g}%")
            painter.setPen(QPen(QColor("#D0D0D0"), 1))
        step = plot_w / max(1, len(self.rows))
        for i, row in enumerate(self.rows):
            x = left + i * step
            if not math.isnan(row.cell.value):
                painter.fillRect(QRectF(x + 1.5, y_of(row.cell.value), step - 3,
                                        bottom - y_of(row.cell.value)), AREA_COLOUR)
            if not math.isnan(row.city):
                painter.setPen(QPen(CITY_COLOUR, 1.6))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(x + 1.5, y_of(row.city), step - 3, bottom - y_of(row.city)))
            painter.setPen(QColor("black"))
            label = row.indicator.title.removeprefix("Residents aged ").split("-")[0].replace(
                " and over", "+")
            painter.drawText(QRectF(x - 4, bottom + 2, step + 8, 16), Qt.AlignmentFlag.AlignHCenter,
                             label)
        painter.setPen(QColor("#404040"))
        painter.drawText(QRectF(left, bottom + 18, plot_w, 16), Qt.AlignmentFlag.AlignHCenter,
                         "Five-year age bands, by the first age of each (years); share of all "
                         f"residents, {self.rows[0].cell.period}"
                         if self.rows else "")


class GroupBars:
    """Members of one group (ethnic groups, languages...) as horizontal bars: the area's bar,
    the city's value as an outline bar around the same row."""

    def __init__(self, title: str, rows: list[ChartRow], area_name: str, city_name: str,
                 prefix: str = ""):
        self.title, self.rows, self.area_name, self.city_name = title, rows, area_name, city_name
        self.prefix = prefix

    def height(self, width: int) -> int:
        return TITLE_HEIGHT + KEY_HEIGHT + 6 + BAR_ROW * len(self.rows) + FOOT_HEIGHT

    def paint(self, painter: QPainter, width: int) -> None:
        _start(painter, width, self.height(width), self.title)
        _key(painter, TITLE_HEIGHT, [(self.area_name, AREA_COLOUR, False),
                                     (self.city_name, CITY_COLOUR, True)])
        label_w, value_w = width * 0.40, 110.0
        plot_x, plot_w = label_w, width - label_w - value_w - 6
        values = [v for r in self.rows for v in (r.cell.value, r.city) if not math.isnan(v)]
        x_max = _nice_top(max(values, default=1.0))
        y = TITLE_HEIGHT + KEY_HEIGHT + 6
        metrics = painter.fontMetrics()
        for row in self.rows:
            label = row.indicator.title.removeprefix(self.prefix)
            painter.setPen(QColor("black"))
            painter.drawText(QRectF(4, y, label_w - 8, BAR_ROW), Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 8)))
            if not math.isnan(row.cell.value):
                painter.fillRect(QRectF(plot_x, y + 4, plot_w * row.cell.value / x_max, BAR_ROW - 8),
                                 AREA_COLOUR)
            if not math.isnan(row.city):
                painter.setPen(QPen(CITY_COLOUR, 1.4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(plot_x, y + 2, plot_w * row.city / x_max, BAR_ROW - 4))
            painter.setPen(QColor("black"))
            text = f"{format_value(row.indicator, row.cell.value)} ({format_value(row.indicator, row.city)})"
            painter.drawText(QRectF(plot_x + plot_w + 4, y, value_w, BAR_ROW),
                             Qt.AlignmentFlag.AlignVCenter, text)
            y += BAR_ROW
        painter.setPen(QColor("#404040"))
        period = self.rows[0].cell.period if self.rows else ""
        painter.drawText(QRectF(4, y + 2, width - 8, FOOT_HEIGHT), Qt.AlignmentFlag.AlignLeft,
                         f"Share of residents, {period}; in brackets: {self.city_name}.")


class CompareAreas:
    """One indicator for many areas (sorted), 95% limits as whiskers, bars coloured by
    significance against the city, a vertical line at the city's value."""

    def __init__(self, title: str, cells: list[Cell], city: float, city_name: str):
        self.title, self.cells, self.city, self.city_name = title, cells, city, city_name

    def height(self, width: int) -> int:
        return TITLE_HEIGHT + KEY_HEIGHT + 6 + BAR_ROW * len(self.cells) + FOOT_HEIGHT

    def paint(self, painter: QPainter, width: int) -> None:
        _start(painter, width, self.height(width), self.title)
        _key(painter, TITLE_HEIGHT, [(SIGNIFICANCE_SHORT[k], QColor(fill), False)
                                     for k, (fill, _) in SIGNIFICANCE_COLOURS.items()]
             + [("Not tested", NOT_TESTED, False), (self.city_name, CITY_COLOUR, True)])
        label_w, value_w = width * 0.30, 70.0
        plot_x, plot_w = label_w, width - label_w - value_w - 6
        ends = [v for c in self.cells for v in (c.value, c.lower, c.upper) if not math.isnan(v)]
        ends += [] if math.isnan(self.city) else [self.city]
        low = min(0.0, min(ends, default=0.0))
        high = _nice_top(max(ends, default=1.0))

        def x_of(v: float) -> float:
            return plot_x + plot_w * (v - low) / (high - low)

        top = TITLE_HEIGHT + KEY_HEIGHT + 6
        y = top
        metrics = painter.fontMetrics()
        for cell in self.cells:
            painter.setPen(QColor("black"))
            painter.drawText(QRectF(4, y, label_w - 8, BAR_ROW), Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(cell.area.name, Qt.TextElideMode.ElideRight,
                                                int(label_w - 8)))
            if cell.has_value:
                fill = SIGNIFICANCE_COLOURS.get(cell.significance, (None, None))[0]
                painter.fillRect(QRectF(x_of(0), y + 3, x_of(cell.value) - x_of(0), BAR_ROW - 6),
                                 QColor(fill) if fill else NOT_TESTED)
                if not (math.isnan(cell.lower) or math.isnan(cell.upper)):
                    painter.setPen(QPen(QColor("black"), 1))
                    middle = y + BAR_ROW / 2
                    painter.drawLine(QPointF(x_of(cell.lower), middle),
                                     QPointF(x_of(cell.upper), middle))
                    for end in (cell.lower, cell.upper):
                        painter.drawLine(QPointF(x_of(end), middle - 4),
                                         QPointF(x_of(end), middle + 4))
            painter.setPen(QColor("black"))
            painter.drawText(QRectF(plot_x + plot_w + 4, y, value_w, BAR_ROW),
                             Qt.AlignmentFlag.AlignVCenter, format_value(cell.indicator, cell.value))
            y += BAR_ROW
        if not math.isnan(self.city):
            painter.setPen(QPen(CITY_COLOUR, 1.6, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x_of(self.city), top - 2), QPointF(x_of(self.city), y + 2))
        painter.setPen(QColor("#404040"))
        if self.cells:
            city = format_value(self.cells[0].indicator, self.city)
            painter.drawText(QRectF(4, y + 2, width - 8, FOOT_HEIGHT), Qt.AlignmentFlag.AlignLeft,
                             f"{self.cells[0].period}. Whiskers: 95% confidence interval. "
                             f"Dashed line: {self.city_name} ({city}).")


class TrendChart:
    """Fingertips' trend view: an indicator's value in each period for an area, with its 95%
    limits as whiskers, beside the city's (or England's) line."""

    PLOT_HEIGHT = 120

    def __init__(self, title: str, indicator, area: tuple[str, list], reference: tuple[str, list]):
        self.title, self.indicator = title, indicator
        (self.area_name, self.points), (self.reference_name, self.reference) = area, reference

    def height(self, width: int) -> int:
        return TITLE_HEIGHT + KEY_HEIGHT + self.PLOT_HEIGHT + 2 * FOOT_HEIGHT

    def paint(self, painter: QPainter, width: int) -> None:
        _start(painter, width, self.height(width), self.title)
        _key(painter, TITLE_HEIGHT, [(self.area_name, AREA_COLOUR, False),
                                     (self.reference_name, CITY_COLOUR, True)])
        periods = list(dict.fromkeys(p.period for p in self.points + self.reference))
        ends = [v for p in self.points + self.reference for v in (p.value, p.lower, p.upper)
                if not math.isnan(v)]
        low, high = min(0.0, min(ends, default=0.0)), _nice_top(max(ends, default=1.0))
        top, left, right = TITLE_HEIGHT + KEY_HEIGHT + 6, 60.0, width - 90.0
        bottom = top + self.PLOT_HEIGHT - 12

        def x_of(period: str) -> float:
            if len(periods) < 2:
                return (left + right) / 2
            return left + (right - left) / (len(periods) - 1) * periods.index(period)

        def at(point) -> QPointF:
            return QPointF(x_of(point.period),
                           bottom - (bottom - top) * (point.value - low) / (high - low))

        painter.setPen(QPen(QColor("#BFBFBF"), 1))
        painter.drawLine(QPointF(left, bottom), QPointF(right, bottom))
        painter.setPen(QColor("#404040"))
        for value in (low, high):
            y = bottom - (bottom - top) * (value - low) / (high - low)
            painter.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, format_value(self.indicator, value))
        for period in periods:
            painter.drawText(QRectF(x_of(period) - 60, bottom + 2, 120, 16),
                             Qt.AlignmentFlag.AlignHCenter, period)
        values = {dashed: {p.period: p.value for p in points}
                  for points, dashed in ((self.reference, True), (self.points, False))}
        for points, colour, dashed in ((self.reference, CITY_COLOUR, True),
                                       (self.points, AREA_COLOUR, False)):
            shown = [p for p in points if not math.isnan(p.value)]
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            painter.setPen(QPen(colour, 1.8, style))
            for a, b in zip(shown, shown[1:]):
                painter.drawLine(at(a), at(b))
            for p in shown:
                centre = at(p)
                if not dashed and not (math.isnan(p.lower) or math.isnan(p.upper)):
                    painter.setPen(QPen(QColor("black"), 1))
                    y_low = bottom - (bottom - top) * (p.lower - low) / (high - low)
                    y_up = bottom - (bottom - top) * (p.upper - low) / (high - low)
                    painter.drawLine(QPointF(centre.x(), y_low), QPointF(centre.x(), y_up))
                    for y in (y_low, y_up):
                        painter.drawLine(QPointF(centre.x() - 4, y), QPointF(centre.x() + 4, y))
                painter.setPen(QPen(colour, 1.2))
                painter.setBrush(QColor("white") if dashed else colour)
                painter.drawEllipse(centre, 4, 4)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(colour)  # each value on the side away from the other line
                other = values[not dashed].get(p.period, float("nan"))
                above = p.value >= other if not math.isnan(other) else not dashed
                painter.drawText(QRectF(centre.x() + 7, centre.y() - 17 if above else
                                        centre.y() + 1, 80, 16), Qt.AlignmentFlag.AlignLeft,
                                 format_value(self.indicator, p.value))
        painter.setPen(QColor("#404040"))
        painter.drawText(QRectF(4, top + self.PLOT_HEIGHT + 4, width - 8, 2 * FOOT_HEIGHT),
                         Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                         "Whiskers: 95% confidence interval. Dashed line: "
                         f"{self.reference_name}. Earlier figures are on the boundaries of "
                         "their time, matched to today's neighbourhoods.")


def unit_note(indicator) -> str:
    """" (unit)" for a chart title, except for percentages (their values say so)."""
    return f" ({indicator.unit})" if indicator.unit and indicator.unit != "%" else ""


def trend_chart(compare, indicator, area_code: str) -> TrendChart:
    """An area's trend against the city's; the city's own against England's (when the pack
    has England's figures)."""
    area = compare.area(area_code)
    if area_code != compare.city_code:
        reference = compare.area(compare.city_code)
    else:
        reference = next(iter(compare.national_areas()), None)
    against = (reference.name, compare.trend(reference.code, indicator)) if reference \
        else ("", [])
    return TrendChart(f"{indicator.title}{unit_note(indicator)}", indicator,
                      (area.name, compare.trend(area.code, indicator)), against)


# Chart groups of the catalogue: (heading, the prefix their bars' titles share).
GROUP_CHARTS = {
    "age_bands": ("Age profile", ""),
    "age_groups": ("Age groups", "Residents: "),
    "crime_rates": ("Recorded crime, rate per 1,000 at risk", ""),
    "ethnic_groups": ("Ethnic groups", ""),
    "main_languages": ("Main language (residents aged 3+)", "Main language: "),
    "religions": ("Religion", "Religion: "),
}


def group_chart(group: str, rows: list[ChartRow], area_name: str,
                reference_name: str) -> AgeProfile | GroupBars:
    """The chart of one group for an area, against the reference (the city, or England)."""
    heading, prefix = GROUP_CHARTS.get(group, (group.replace("_", " ").capitalize(), ""))
    title = f"{area_name}: {heading[0].lower() + heading[1:]}"
    if group == "age_bands":
        return AgeProfile(title, rows, area_name, reference_name)
    return GroupBars(title, rows, area_name, reference_name, prefix)
