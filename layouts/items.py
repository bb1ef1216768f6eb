"""Building blocks of the plugin's print layouts: pages, labels, maps, legends, scale bars,
north arrows and locator insets, all placed in millimetres."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsExpression,
    QgsFillSymbol,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutUtils,
    QgsLegendStyle,
    QgsMapLayerLegendUtils,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsTextFormat,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont, QFontMetricsF

from ..core.errors import JsnaInputError
from ..core.schema import PACK_CRS

MM = QgsUnitTypes.LayoutUnit.LayoutMillimeters
PAPER_SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # portrait width, height in mm
ORIENTATIONS = ("landscape", "portrait")
MARGIN = 10.0
FONT = "DejaVu Sans"
# What QGIS evaluates in layout label and legend text: expressions between [% and %], and
# $CURRENT_DATE in labels.
EVALUATED = re.compile(r"\[%|\$(?=CURRENT_DATE)")


def literal(text: str) -> str:
    """``text`` as QGIS will show it in a layout label or legend, never evaluated.

    Names come from lookups, packs and downloaded files: a hub called "Mosaic [% env('X') %]"
    must print those characters, not run them. Each "[%" (and the "$" of "$CURRENT_DATE")
    becomes an expression whose value is those same characters.
    """
    return EVALUATED.sub(lambda m: f"[% {QgsExpression.quotedString(m.group())} %]", text)


@dataclass(frozen=True)
class Paper:
    size: str = "A4"
    orientation: str = "landscape"

    def __post_init__(self):
        if self.size not in PAPER_SIZES:
            raise JsnaInputError(f"Paper size must be one of {', '.join(PAPER_SIZES)}")
        if self.orientation not in ORIENTATIONS:
            raise JsnaInputError("Orientation must be landscape or portrait")

    @property
    def width(self) -> float:
        short, long = PAPER_SIZES[self.size]
        return long if self.orientation == "landscape" else short

    @property
    def height(self) -> float:
        short, long = PAPER_SIZES[self.size]
        return short if self.orientation == "landscape" else long

    @property
    def scale(self) -> float:
        """Text grows with the paper: A3 is 1.41 x A4."""
        return self.width / (297.0 if self.orientation == "landscape" else 210.0)


def new_layout(project: QgsProject, name: str) -> QgsPrintLayout:
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(name)
    return layout


def unique_layout_name(project: QgsProject, base: str) -> str:
    """``base``, or ``base (2)``, ``base (3)``... so a new layout never replaces an old one."""
    taken = {layout.name() for layout in project.layoutManager().layouts()}
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base} ({n})"
    return name


def set_page(layout: QgsPrintLayout, index: int, paper: Paper) -> None:
    """Size page ``index``, adding pages as needed."""
    from qgis.core import QgsLayoutItemPage

    pages = layout.pageCollection()
    while pages.pageCount() <= index:
        page = QgsLayoutItemPage(layout)
        pages.addPage(page)
    orientation = (QgsLayoutItemPage.Orientation.Landscape if paper.orientation == "landscape"
                   else QgsLayoutItemPage.Orientation.Portrait)
    pages.page(index).setPageSize(paper.size, orientation)


def place(item, x: float, y: float, w: float, h: float, page: int = 0) -> None:
    item.attemptMove(QgsLayoutPoint(x, y, MM), page=page)
    item.attemptResize(QgsLayoutSize(w, h, MM))


def label(layout: QgsPrintLayout, item_id: str, text: str, box: tuple, size: float,
          page: int = 0, bold: bool = False, colour: str = "#000000",
          field_before: str = "") -> QgsLayoutItemLabel:
    """A text item showing ``text`` as written, broken into lines that fit the box's width (so
    that every QGIS version breaks it alike); ``field_before`` names a field of the atlas
    feature whose value is shown first (an atlas page's neighbourhood name)."""
    item = QgsLayoutItemLabel(layout)
    item.setId(item_id)
    field = f"[% {QgsExpression.quotedColumnRef(field_before)} %]" if field_before else ""
    if hasattr(item, "setTextFormat"):  # QGIS 3.24 and later (setFont is deprecated there)
        item.setTextFormat(text_format(size, bold, colour))
    else:
        item.setFont(_font(size, bold))
        item.setFontColor(QColor(colour))
    layout.addLayoutItem(item)
    room = box[2] - 2 * item.marginX()
    for narrower in range(6):  # QGIS's text renderer measures some text wider than Qt does
        item.setText(field + literal(wrap(text, room * WRAP_SLACK * 0.98 ** narrower, size, bold,
                                          "\n")))
        if text_size(item)[0] <= room:
            break
    place(item, *box, page=page)
    return item


def _font(size: float, bold: bool) -> QFont:
    font = QFont(FONT)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


@lru_cache(maxsize=32)  # a table has thousands of cells in a handful of formats
def text_format(size: float, bold: bool = False, colour: str = "#000000") -> QgsTextFormat:
    """The layout font as a text format (shared: callers copy it, never change it)."""
    shared = QgsTextFormat()
    shared.setFont(_font(size, bold))
    shared.setSize(size)
    shared.setColor(QColor(colour))
    return shared


def fit_extent(extent: QgsRectangle, width: float, height: float, margin: float = 0.06) -> QgsRectangle:
    """Grow an extent about its centre by ``margin`` and to the frame's width/height ratio."""
    box = QgsRectangle(extent)
    box.grow(max(box.width(), box.height()) * margin)
    aspect = width / height
    w, h = box.width(), box.height()
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    centre = box.center()
    return QgsRectangle(centre.x() - w / 2, centre.y() - h / 2, centre.x() + w / 2, centre.y() + h / 2)


def map_item(layout: QgsPrintLayout, item_id: str, layers: list, extent: QgsRectangle,
             box: tuple, page: int = 0, styles: dict | None = None,
             margin: float = 0.06) -> QgsLayoutItemMap:
    """A map frame; ``styles`` (layer id -> style XML) keeps its look if the layers are restyled."""
    item = QgsLayoutItemMap(layout)
    item.setId(item_id)
    item.setLayers(layers)
    item.setKeepLayerSet(True)
    if styles:
        item.setKeepLayerStyles(True)
        item.setLayerStyleOverrides(styles)
    item.setCrs(layers[-1].crs() if layers else QgsCoordinateReferenceSystem(PACK_CRS))
    item.setFrameEnabled(True)
    layout.addLayoutItem(item)
    place(item, *box, page=page)
    item.setExtent(fit_extent(extent, box[2], box[3], margin))
    return item


# Where legend text breaks into lines: a character no name holds, so that "a | b" stays whole.
LEGEND_WRAP = "\u2029"
LEGEND_SIZES = (12, 9, 8)  # points, on A4: title, layer titles, class labels


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Millimetres ``text`` takes in the layout font at ``size`` points."""
    return _metrics(bold).horizontalAdvance(text) / 100 * size * 25.4 / 72


@lru_cache(maxsize=2)  # wrapping measures every word: one font's metrics, made once
def _metrics(bold: bool) -> QFontMetricsF:
    font = QFont(FONT)
    font.setPixelSize(100)
    font.setBold(bold)
    return QFontMetricsF(font)


def wrap(text: str, width: float, size: float, bold: bool = False,
         separator: str = LEGEND_WRAP) -> str:
    """Break text into lines no wider than ``width`` mm, measured in its own font (its own
    line breaks kept), joined by ``separator``."""
    lines: list[str] = []
    for given in text.split("\n"):
        start = len(lines)
        for word in given.split(" "):
            if len(lines) > start and text_width(f"{lines[-1]} {word}", size, bold) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    return separator.join(lines) or text


def text_size(item: QgsLayoutItemLabel) -> tuple[float, float]:
    """Millimetres (width, height) a label's text needs, as this QGIS draws it: QGIS 3.24 and
    later measure with their text renderer, 3.22 with Qt's font metrics (as it draws)."""
    text = item.currentText()
    if hasattr(item, "setTextFormat"):
        size = item.sizeForText()
        return size.width() - 2 * item.marginX(), size.height() - 2 * item.marginY()
    font = item.font()  # textHeightMM leaves out the last line's descent, which is drawn
    return (QgsLayoutUtils.textWidthMM(font, text),
            QgsLayoutUtils.textHeightMM(font, text) + QgsLayoutUtils.fontDescentMM(font))


@dataclass(frozen=True)
class Paragraph:
    """A block of text in a flow: its size, weight, colour, and space above it (mm)."""

    text: str
    size: float = 9.0
    bold: bool = False
    colour: str = "#000000"
    space_before: float = 0.0


def flow(layout: QgsPrintLayout, item_id: str, paragraphs: list[Paragraph], box: tuple,
         page: int, more: Callable[[], tuple[int, tuple]]) -> None:
    """Paragraphs down ``box``, each wrapped to its width and as tall as its text; when the
    next one does not fit, ``more()`` gives a new page and box to go on in. A bold paragraph
    (a heading) goes on with the paragraph after it, never alone at the foot of a page."""
    x, top, width, height = box
    labels = [fitted_label(layout, f"{item_id}_{number}", paragraph, (x, top, width), page)
              for number, paragraph in enumerate(paragraphs)]
    heights = [item.rectWithFrame().height() for item in labels]
    y = top
    for number, (item, paragraph) in enumerate(zip(labels, paragraphs)):
        needed = heights[number]
        if paragraph.bold and number + 1 < len(paragraphs):
            needed += paragraphs[number + 1].space_before + heights[number + 1]
        gap = paragraph.space_before if y > top else 0.0
        if y > top and y + gap + needed > top + height:
            page, (x, top, width, height) = more()
            y, gap = top, 0.0
        item.attemptMove(QgsLayoutPoint(x, y + gap, MM), page=page)
        y += gap + heights[number]


def fitted_label(layout: QgsPrintLayout, item_id: str, paragraph: Paragraph, at: tuple,
                 page: int = 0) -> QgsLayoutItemLabel:
    """A label at ``at`` (x, y, width) with the paragraph wrapped to that width, as tall as
    the text is."""
    x, y, width = at
    item = label(layout, item_id, paragraph.text, (x, y, width, 1), paragraph.size, page,
                 paragraph.bold, paragraph.colour)
    item.attemptResize(QgsLayoutSize(width, text_size(item)[1] * LINE_SLACK, MM))
    return item


# Text is wrapped a little short of its box, and boxes are made a little taller than the
# text's measured height, so that rounding in either renderer never breaks or clips a line.
WRAP_SLACK, LINE_SLACK = 0.97, 1.04


def legend(layout: QgsPrintLayout, linked: QgsLayoutItemMap, entries: list[tuple], box: tuple,
           page: int = 0, scale: float = 1.0, follow_map: bool = True) -> QgsLayoutItemLegend:
    """A legend of ``entries`` (layer, title), showing only classes present in the map.

    ``follow_map``: QGIS filters the classes as the map is moved (a hit-test render of the map
    at each export); otherwise they are chosen now from the features in the map's extent, the
    same classes at a fraction of the cost, for layouts made only to be exported.
    """
    item = QgsLayoutItemLegend(layout)
    item.setId("legend")
    item.setTitle("")  # the page's title says what the map is; the space goes to classes
    item.setLinkedMap(linked)
    item.setLegendFilterByMapEnabled(follow_map)
    item.setAutoUpdateModel(False)
    model = item.model()
    # Classes are read as the map draws them (its pinned styles, e.g. an emphasised hub), and
    # the styles stay with the model: a layer restyled later (the next map of a profile, the
    # user's own style put back) rebuilds this legend, which must then still show this map's.
    pinned = linked.layerStyleOverrides()
    restyled = _restyled(linked, [layer for layer, _ in entries])
    model.setLayerStyleOverrides({layer.id(): pinned[layer.id()] for layer, _ in entries
                                  if layer.id() in pinned})
    root = model.rootGroup()
    root.clear()
    for layer, title in entries:  # labels for this legend only; the layer keeps its own
        node = root.addLayer(layer)
        node.setCustomProperty("legend/title-label",
                               literal(wrap(title, box[2] - 2, LEGEND_SIZES[1] * scale)))
        for index, legend_node in enumerate(model.layerOriginalLegendNodes(node)):
            text = legend_node.data(Qt.ItemDataRole.DisplayRole)
            if text:
                QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, index, literal(str(text)))
        if not follow_map and layer.id() not in restyled:
            _keep_classes_in_view(model, node, layer, linked.extent())
        model.refreshLayerLegend(node)
    item.setWrapString(LEGEND_WRAP)
    item.setColumnCount(1)
    item.setResizeToContents(False)
    item.setSymbolHeight(4 * scale)
    item.setSymbolWidth(6 * scale)
    for style, size, bold in zip((QgsLegendStyle.Style.Title, QgsLegendStyle.Style.Subgroup,
                                  QgsLegendStyle.Style.SymbolLabel), LEGEND_SIZES,
                                 (True, False, False)):
        _set_legend_font(item, style, size * scale, bold)
    layout.addLayoutItem(item)
    place(item, *box, page=page)
    return item


def _restyled(linked: QgsLayoutItemMap, layers: list) -> dict:
    """The pinned styles (layer id -> style XML) in which the map draws one of ``layers``
    otherwise than the layer's current style (an emphasised hub); applying a style costs, so
    only these."""
    from qgis.core import QgsMapLayerStyle

    pinned, differing = linked.layerStyleOverrides(), {}
    for layer in layers:
        if layer.id() in pinned:
            current = QgsMapLayerStyle()
            current.readFromLayer(layer)
            if current.xmlData() != pinned[layer.id()]:
                differing[layer.id()] = pinned[layer.id()]
    return differing


def _keep_classes_in_view(model, node, layer, extent) -> None:
    """Leave in the legend only the classes some feature in ``extent`` is drawn with."""
    from qgis.core import (
        QgsExpressionContextUtils,
        QgsFeatureRequest,
        QgsLayerTreeModelLegendNode,
        QgsRenderContext,
        QgsVectorLayer,
    )

    renderer = layer.renderer() if isinstance(layer, QgsVectorLayer) else None
    if renderer is None:
        return
    context = QgsRenderContext()
    context.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer = renderer.clone()
    renderer.startRender(context, layer.fields())
    keys: set = set()
    try:
        request = QgsFeatureRequest().setFilterRect(extent)
        request.setSubsetOfAttributes(renderer.usedAttributes(context), layer.fields())
        for feature in layer.getFeatures(request):
            context.expressionContext().setFeature(feature)
            keys |= set(renderer.legendKeysForFeature(feature, context))
    finally:
        renderer.stopRender(context)
    nodes = model.layerOriginalLegendNodes(node)
    rule = QgsLayerTreeModelLegendNode.LegendNodeRoles.RuleKeyRole
    keep = [i for i, legend_node in enumerate(nodes)
            if not legend_node.data(rule) or legend_node.data(rule) in keys]
    if len(keep) < len(nodes):
        QgsMapLayerLegendUtils.setLegendNodeOrder(node, keep)


def _set_legend_font(item: QgsLayoutItemLegend, style, size: float, bold: bool) -> None:
    """Legend text small enough that class labels such as "◆ Coventry average 20.3%" fit."""
    font = _font(size, bold)
    target = item.rstyle(style)
    if hasattr(target, "setTextFormat"):  # QGIS 3.30 and later
        text_format = target.textFormat()
        text_format.setFont(font)
        text_format.setSize(size)
        target.setTextFormat(text_format)
    else:
        target.setFont(font)


SCALE_STEPS_KM = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 50, 100)


def scale_bar(layout: QgsPrintLayout, linked: QgsLayoutItemMap, x: float, y: float,
              page: int = 0, width: float = 60.0) -> QgsLayoutItemScaleBar:
    """Kilometres, two segments, no wider than ``width`` mm; placed outside the map frame, so
    it has no box and covers no label."""
    item = QgsLayoutItemScaleBar(layout)
    item.setId("scale_bar")
    item.setStyle("Single Box")
    item.setLinkedMap(linked)
    item.setUnits(QgsUnitTypes.DistanceUnit.DistanceKilometers)
    item.setUnitLabel("km")
    item.setNumberOfSegments(2)
    item.setNumberOfSegmentsLeft(0)
    km_per_mm = linked.extent().width() / 1000 / linked.rect().width()
    fits = [s for s in SCALE_STEPS_KM if 2 * s / km_per_mm <= width * 0.85]
    item.setUnitsPerSegment(fits[-1] if fits else SCALE_STEPS_KM[0])
    item.setBackgroundEnabled(False)
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(x, y, MM), page=page)
    return item


def north_arrow(layout: QgsPrintLayout, linked: QgsLayoutItemMap, box: tuple,
                page: int = 0) -> QgsLayoutItemPicture:
    item = QgsLayoutItemPicture(layout)
    item.setId("north_arrow")
    arrows = [Path(folder) / "arrows" / "NorthArrow_02.svg" for folder in QgsApplication.svgPaths()]
    item.setPicturePath(str(next((p for p in arrows if p.is_file()), "")))
    item.setLinkedMap(linked)
    item.setNorthMode(QgsLayoutItemPicture.NorthMode.GridNorth)
    layout.addLayoutItem(item)
    place(item, *box, page=page)
    return item


def locator(layout: QgsPrintLayout, main: QgsLayoutItemMap, layers: list, extent: QgsRectangle,
            box: tuple, page: int = 0) -> QgsLayoutItemMap:
    """The whole place, small, with the main map's extent drawn on it in red."""
    item = map_item(layout, "locator", layers, extent, box, page)
    overview = item.overview()
    overview.setLinkedMap(main)
    overview.setFrameSymbol(QgsFillSymbol.createSimple(
        {"color": "255,0,0,60", "outline_color": "#d00000", "outline_width": "0.6"}))
    return item
