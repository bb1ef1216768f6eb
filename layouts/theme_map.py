"""A report map of one theme for a hub: title, map, legend, scale bar and source text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from qgis.core import (
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsUnitTypes,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..core import schema
from ..core.catalogue import BY_ID, SOURCES
from ..core.errors import JsnaInputError
from ..layers.pack import LoadedPack
from ..layers.themes import apply_theme

THEME_INDICATOR = {"deprivation": "imd_decile", "fuel_poverty": "fuel_poverty",
                   "air_quality": "air_quality"}
THEME_HEADING = {"deprivation": "Deprivation", "fuel_poverty": "Fuel poverty",
                 "air_quality": "Air quality"}
PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 10.0  # A4 landscape, mm


def hub_extent(pack: LoadedPack, hub: str) -> QgsRectangle:
    """The hub's bounding box with a margin; a clear error if the pack has no such hub."""
    layer = pack.layer(schema.HUBS)
    for feature in layer.getFeatures():
        if feature["name"] == hub:
            box = feature.geometry().boundingBox()
            box.grow(max(box.width(), box.height()) * 0.08)
            return box
    names = ", ".join(sorted(str(f["name"]) for f in layer.getFeatures()))
    raise JsnaInputError(f"No hub called '{hub}' in the pack (hubs: {names})")


def _fit(extent: QgsRectangle, aspect: float) -> QgsRectangle:
    """Grow the extent about its centre to the map frame's width/height ratio."""
    width, height = extent.width(), extent.height()
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    centre = extent.center()
    return QgsRectangle(centre.x() - width / 2, centre.y() - height / 2,
                        centre.x() + width / 2, centre.y() + height / 2)


def _wrap(text: str, width: int) -> str:
    """Break a legend title into lines (the legend's wrap character is '|')."""
    import textwrap

    return "|".join(textwrap.wrap(text, width))


def _label(layout: QgsPrintLayout, text: str, x: float, y: float, w: float, h: float,
           size: float, bold: bool = False, colour: str = "#000000") -> QgsLayoutItemLabel:
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    label.setFontColor(QColor(colour))
    layout.addLayoutItem(label)
    label.attemptMove(QgsLayoutPoint(x, y, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    label.attemptResize(QgsLayoutSize(w, h, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    return label


def theme_layout(project: QgsProject, pack: LoadedPack, theme: str, hub: str) -> QgsPrintLayout:
    """Build (not export) the layout; the small-area layer is styled by ``theme`` first."""
    extent = hub_extent(pack, hub)
    apply_theme(pack, theme)
    indicator = BY_ID[THEME_INDICATOR[theme]]
    layers = [pack.layer(schema.HUBS), pack.layer(schema.NEIGHBOURHOODS)]
    if theme == "air_quality":
        layers = [pack.layers[r] for r in (schema.MONITORING_SITES, schema.AQMA)
                  if r in pack.layers] + layers
    layers.append(pack.layer(schema.SMALL_AREAS))

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(f"{pack.contents.place} {hub} {THEME_HEADING[theme]}")
    page = layout.pageCollection().page(0)
    page.setPageSize("A4", page.Orientation.Landscape)
    map_w, map_h = 175.0, PAGE_H - 2 * MARGIN - 38
    _label(layout, f"{hub} Family Hub reach area: {THEME_HEADING[theme].lower()}",
           MARGIN, MARGIN, PAGE_W - 2 * MARGIN, 10, 18, bold=True)
    _label(layout, f"{indicator.title} · {indicator.period} · compared with the "
           f"{pack.contents.place} average", MARGIN, MARGIN + 10, PAGE_W - 2 * MARGIN, 7, 10,
           colour="#404040")
    map_item = QgsLayoutItemMap(layout)
    map_item.setLayers(layers)
    map_item.setCrs(pack.layer(schema.SMALL_AREAS).crs())
    layout.addLayoutItem(map_item)
    map_item.attemptMove(QgsLayoutPoint(MARGIN, MARGIN + 19, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    map_item.attemptResize(QgsLayoutSize(map_w, map_h, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    map_item.setExtent(_fit(extent, map_w / map_h))
    map_item.setFrameEnabled(True)

    legend = QgsLayoutItemLegend(layout)
    legend.setTitle("Legend")
    legend.setLinkedMap(map_item)
    legend.setLegendFilterByMapEnabled(True)
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.clear()
    for layer in layers:
        if layer.id() != pack.layer(schema.NEIGHBOURHOODS).id():
            root.addLayer(layer).setName(_wrap(layer.name(), 38))
    legend.setWrapString("|")
    legend.setColumnCount(1)
    legend.setResizeToContents(False)
    layout.addLayoutItem(legend)
    legend.attemptMove(QgsLayoutPoint(MARGIN + map_w + 5, MARGIN + 19,
                                      QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    legend.attemptResize(QgsLayoutSize(PAGE_W - 2 * MARGIN - map_w - 5, map_h,
                                       QgsUnitTypes.LayoutUnit.LayoutMillimeters))

    scale_bar = QgsLayoutItemScaleBar(layout)
    scale_bar.setStyle("Single Box")
    scale_bar.setLinkedMap(map_item)
    scale_bar.setUnits(QgsUnitTypes.DistanceUnit.DistanceKilometers)
    scale_bar.setUnitLabel("km")
    scale_bar.setNumberOfSegments(2)
    scale_bar.setNumberOfSegmentsLeft(0)
    scale_bar.setUnitsPerSegment(1.0)
    layout.addLayoutItem(scale_bar)
    scale_bar.attemptMove(QgsLayoutPoint(MARGIN + map_w - 72, MARGIN + 19 + map_h - 12,
                                         QgsUnitTypes.LayoutUnit.LayoutMillimeters))

    sources = [indicator.source.attribution, SOURCES["boundaries"].attribution,
               SOURCES["hcl_names"].attribution]
    if theme == "air_quality":
        sources.append(SOURCES["aurn"].attribution)
    _label(layout, "Sources: " + " | ".join(sources) + f". Map produced {date.today():%d %B %Y} "
           "with JSNA Area Profiles.", MARGIN, PAGE_H - MARGIN - 15, PAGE_W - 2 * MARGIN, 15,
           7, colour="#404040")
    return layout


def export_png(layout: QgsPrintLayout, out: Path, dpi: int = 96) -> Path:
    """Export the layout's page to PNG, writing a temporary file first and renaming it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.partial.png")
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = dpi
    from osgeo import gdal

    gdal.PushErrorHandler("CPLQuietErrorHandler")  # PNG cannot be georeferenced in place
    try:
        result = QgsLayoutExporter(layout).exportToImage(str(tmp), settings)
    finally:
        gdal.PopErrorHandler()
    if result != QgsLayoutExporter.ExportResult.Success:
        tmp.unlink(missing_ok=True)
        raise JsnaInputError(f"Could not write {out} (export error {int(result)})")
    tmp.replace(out)
    return out
