"""Charts in print layouts as layout items of their own, drawn with the same QPainter code as
the dock: vector lines and real (selectable, searchable) text in PDFs, at any size.

A layout saved in a project keeps each chart as SVG in the item's properties, so a project
reopened with the plugin still shows it (drawn from that SVG).
"""

from __future__ import annotations

import base64

from qgis.core import (
    QgsApplication,
    QgsLayoutItem,
    QgsLayoutItemAbstractMetadata,
    QgsLayoutItemRegistry,
)
from qgis.PyQt.QtCore import QByteArray, QRectF
from qgis.PyQt.QtSvg import QSvgRenderer

from ..charts.render import Chart, to_svg

CHART_ITEM_TYPE = QgsLayoutItemRegistry.ItemType.PluginItem + 2611  # this plugin's own item type
CHART_WIDTH = 760  # chart units across the item (the dock's width)


class ChartItem(QgsLayoutItem):
    """One chart, scaled to the item's width (its height follows the chart's)."""

    def __init__(self, layout, chart: Chart | None = None):
        super().__init__(layout)
        self.chart = chart
        self.svg = b""  # as read back from a project, when there is no chart object

    def type(self) -> int:
        return CHART_ITEM_TYPE

    def displayName(self) -> str:  # noqa: N802 - QGIS's name
        return self.chart.title if self.chart else "JSNA chart"

    def draw(self, context) -> None:
        painter = context.renderContext().painter()
        width = self.rect().width() * context.renderContext().scaleFactor()
        painter.save()
        if self.chart is not None:
            painter.scale(width / CHART_WIDTH, width / CHART_WIDTH)
            self.chart.paint(painter, CHART_WIDTH)
        elif self.svg:
            height = self.rect().height() * context.renderContext().scaleFactor()
            QSvgRenderer(QByteArray(self.svg)).render(painter, QRectF(0, 0, width, height))
        painter.restore()

    def writePropertiesToElement(self, element, document, context) -> bool:  # noqa: N802
        svg = to_svg(self.chart, CHART_WIDTH) if self.chart is not None else self.svg
        element.setAttribute("jsnaChartSvg", base64.b64encode(svg).decode("ascii"))
        return True

    def readPropertiesFromElement(self, element, document, context) -> bool:  # noqa: N802
        self.svg = base64.b64decode(element.attribute("jsnaChartSvg", ""))
        return True


class ChartItemMetadata(QgsLayoutItemAbstractMetadata):
    """Tells QGIS how to make a chart item when it reads a layout from a project."""

    def __init__(self):
        super().__init__(CHART_ITEM_TYPE, "JSNA chart")

    def createItem(self, layout) -> ChartItem:  # noqa: N802 - QGIS's name
        return ChartItem(layout)


_METADATA: list[ChartItemMetadata] = []  # kept alive for as long as QGIS may call it


def register_chart_item() -> None:
    """Make the chart item known to QGIS's layout registry (once per QGIS session: the
    registry has no way to remove a type)."""
    registry = QgsApplication.layoutItemRegistry()
    if CHART_ITEM_TYPE in registry.itemTypes():
        return
    metadata = ChartItemMetadata()
    if registry.addLayoutItemType(metadata):
        _METADATA.append(metadata)


def chart_item(layout, item_id: str, chart: Chart, box: tuple, page: int) -> ChartItem:
    """A chart placed at ``box`` (x, y, width, height in mm) on ``page``."""
    from .items import place

    register_chart_item()
    item = ChartItem(layout, chart)
    item.setId(item_id)
    layout.addLayoutItem(item)
    place(item, *box, page)
    return item
