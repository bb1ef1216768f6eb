"""The hub profile: one multi-page layout (and PDF) with a cover, the three theme maps, the
comparison table, a spine chart per neighbourhood, and the sources and licences."""

from __future__ import annotations

import base64
from datetime import date

from qgis.core import (
    QgsLayoutFrame,
    QgsLayoutItemManualTable,
    QgsLayoutItemPicture,
    QgsLayoutTable,
    QgsPrintLayout,
    QgsProject,
    QgsTableCell,
    QgsTextFormat,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

from ..charts.spine import WIDTH, chart_height, spine_svg
from ..core import schema
from ..core.catalogue import SOURCES
from ..core.compare import ComparePack, CompareTable
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT
from ..core.errors import JsnaInputError
from ..core.formatting import format_value
from ..layers.pack import LoadedPack
from ..layers.themes import available_themes, theme_styles
from . import items
from .items import MARGIN, Paper
from .report_map import ReportMap, area_extent, report_page

LANDSCAPE, PORTRAIT = Paper("A4", "landscape"), Paper("A4", "portrait")
TABLE_ROWS_PER_PAGE = 34
DOMAIN_FILL = "#EEF2F7"


def profile_layout(project: QgsProject, pack: LoadedPack, compare: ComparePack, hub: str,
                   add_to_project: bool = False) -> QgsPrintLayout:
    """Build the hub's profile; the user's layer styles are left as they were."""
    area_extent(pack, "hub", hub)  # a clear error for an unknown hub, before anything is built
    table = compare.table(hub)
    if not [a for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]:
        raise JsnaInputError(f"The hub '{hub}' has no neighbourhoods in the pack")
    layout = items.new_layout(project, items.unique_layout_name(
        project, f"{pack.contents.place} {hub} hub profile"))
    page = 0
    items.set_page(layout, page, LANDSCAPE)
    _cover(layout, page, pack, hub, table)
    for theme in available_themes(pack):
        page += 1
        items.set_page(layout, page, LANDSCAPE)
        spec = ReportMap(theme, "hub", hub, LANDSCAPE)
        with theme_styles(pack, theme) as (title, styles):
            report_page(layout, page, pack, spec, title, styles)
    rows = _table_rows(table)
    for start in range(1, len(rows), TABLE_ROWS_PER_PAGE):
        page += 1
        items.set_page(layout, page, LANDSCAPE)
        _table_page(layout, page, table, [rows[0]] + rows[start:start + TABLE_ROWS_PER_PAGE])
    for area in table.areas:
        if area.level == schema.LEVEL_NEIGHBOURHOOD:
            page += 1
            items.set_page(layout, page, PORTRAIT)
            _spine_page(layout, page, compare, area.code, area.name)
    page += 1
    items.set_page(layout, page, PORTRAIT)
    _sources_page(layout, page, pack, table)
    if add_to_project:
        project.layoutManager().addLayout(layout)
    return layout


def _title(layout: QgsPrintLayout, page: int, paper: Paper, title: str, subtitle: str) -> float:
    items.label(layout, f"title_{page}", title, (MARGIN, MARGIN, paper.width - 2 * MARGIN, 10),
                16, page, bold=True)
    items.label(layout, f"subtitle_{page}", subtitle,
                (MARGIN, MARGIN + 10, paper.width - 2 * MARGIN, 7), 10, page, colour="#404040")
    return MARGIN + 19


def _cover(layout: QgsPrintLayout, page: int, pack: LoadedPack, hub: str,
           table: CompareTable) -> None:
    place = pack.contents.place
    top = _title(layout, page, LANDSCAPE, f"{hub} Family Hub reach area: area profile",
                 f"{place} Joint Strategic Needs Assessment · neighbourhoods compared with the "
                 f"{place} average · {date.today():%B %Y}")
    extent, _ = area_extent(pack, "hub", hub)
    layers = [pack.layer(schema.HUBS), pack.layer(schema.NEIGHBOURHOODS), pack.layer(schema.CITY)]
    box = (MARGIN, top, LANDSCAPE.width * 0.6, LANDSCAPE.height - top - MARGIN - 12)
    main = items.map_item(layout, "cover_map", layers, extent, box, page)
    items.north_arrow(layout, main, (box[0] + box[2] - 13, box[1] + 3, 9, 13), page)
    items.scale_bar(layout, main, box[0] + 3, box[1] + box[3] - 13, page)
    hub_feature = next(f for f in pack.layer(schema.HUBS).getFeatures() if f["name"] == hub)
    names = [a.name for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]
    side_x = box[0] + box[2] + 6
    side = (side_x, top, LANDSCAPE.width - side_x - MARGIN, box[3])
    text = (f"<p style='font-size:11pt'><b>Neighbourhoods ({len(names)})</b></p><ul>"
            + "".join(f"<li>{_html(n)}</li>" for n in names) + "</ul>"
            f"<p style='font-size:9pt'>Membership: {_html(hub_feature['membership_note'])}.</p>"
            "<p style='font-size:9pt'>Inside: deprivation, fuel poverty and air-quality maps; "
            f"each neighbourhood compared with the {_html(place)} average (95% confidence "
            "intervals) in a table and a spine chart; sources and licences.</p>")
    items.label(layout, "cover_text", text, side, 10, page, html=True)
    items.label(layout, f"footer_{page}", SOURCES["boundaries"].attribution,
                (MARGIN, LANDSCAPE.height - MARGIN - 10, LANDSCAPE.width - 2 * MARGIN, 10), 7,
                page, colour="#404040")


def _text_format(size: float, bold: bool = False, colour: str = "#000000") -> QgsTextFormat:
    text_format = QgsTextFormat()
    font = QFont(items.FONT)
    font.setBold(bold)
    text_format.setFont(font)
    text_format.setSize(size)
    text_format.setColor(QColor(colour))
    return text_format


def _cell(text: str, size: float = 7, bold: bool = False, fill: str | None = None,
          colour: str = "#000000") -> QgsTableCell:
    cell = QgsTableCell(text)
    cell.setTextFormat(_text_format(size, bold, colour))
    if fill:
        cell.setBackgroundColor(QColor(fill))
    return cell


def _table_rows(table: CompareTable) -> list[list[QgsTableCell]]:
    """Header, then per domain a heading row and its indicators, cells coloured by significance."""
    rows = [[_cell("Indicator", bold=True), _cell("Period", bold=True)]
            + [_cell(a.name, bold=True) for a in table.areas]]
    domain = None
    for ind in table.indicators:
        if ind.domain != domain:
            domain = ind.domain
            rows.append([_cell(domain, bold=True, fill=DOMAIN_FILL)]
                        + [_cell("", fill=DOMAIN_FILL) for _ in range(len(table.areas) + 1)])
        unit = f" ({ind.unit})" if ind.unit and ind.unit != "%" else ""
        row = [_cell(ind.title + unit), _cell(ind.period)]
        for area in table.areas:
            cell = table.cell(area, ind)
            fill, colour = SIGNIFICANCE_COLOURS.get(cell.significance, (None, "#000000"))
            figure = _cell(format_value(ind, cell.value), fill=fill, colour=colour)
            figure.setHorizontalAlignment(Qt.AlignmentFlag.AlignRight)
            row.append(figure)
        rows.append(row)
    return rows


def _table_page(layout: QgsPrintLayout, page: int, table: CompareTable,
                rows: list[list[QgsTableCell]]) -> None:
    place = table.pack.place
    top = _title(layout, page, LANDSCAPE, f"{table.hub}: neighbourhoods compared with {place}",
                 f"Coloured by significance against the {place} average (95% confidence "
                 "intervals); rank and limits in the Excel export")
    item = QgsLayoutItemManualTable.create(layout)
    layout.addMultiFrame(item)
    item.setCellMargin(0.8)
    item.setWrapBehavior(QgsLayoutTable.WrapBehavior.WrapText)
    item.setGridStrokeWidth(0.15)
    item.setGridColor(QColor("#A0A0A0"))
    width = LANDSCAPE.width - 2 * MARGIN
    columns = len(table.areas) + 2
    usable = width - columns * 2 * item.cellMargin() - (columns + 1) * item.gridStrokeWidth()
    area_width = (usable - 88 - 16) / len(table.areas)
    item.setColumnWidths([88, 16] + [area_width] * len(table.areas))
    item.setTableContents(rows)
    frame = QgsLayoutFrame(layout, item)
    items.place(frame, MARGIN, top, width, LANDSCAPE.height - top - MARGIN - 10, page)
    item.addFrame(frame)
    key = " ".join(f"<span style='background:{fill};color:{text}'>&nbsp;{SIGNIFICANCE_SHORT[k]}"
                   "&nbsp;</span>" for k, (fill, text) in SIGNIFICANCE_COLOURS.items())
    items.label(layout, f"key_{page}", f"<span style='font-size:8pt'>Key: {key} Uncoloured: not "
                "tested (no confidence limits, a count, or no comparator value).</span>",
                (MARGIN, LANDSCAPE.height - MARGIN - 8, width, 8), 8, page, html=True)


def _spine_page(layout: QgsPrintLayout, page: int, compare: ComparePack, code: str,
                name: str) -> None:
    top = _title(layout, page, PORTRAIT, f"{name}: spine chart",
                 f"Compared with {compare.place}'s {len(compare.neighbourhoods)} neighbourhoods")
    rows = compare.spine_rows(code)
    svg = spine_svg(f"{name} compared with {compare.place}'s neighbourhoods", rows)
    picture = QgsLayoutItemPicture(layout)
    picture.setId(f"spine_{code}")
    picture.setPicturePath("base64:" + base64.b64encode(svg).decode("ascii"))
    picture.setResizeMode(QgsLayoutItemPicture.ResizeMode.Zoom)
    layout.addLayoutItem(picture)
    width = PORTRAIT.width - 2 * MARGIN
    height = min(PORTRAIT.height - top - MARGIN, width * chart_height(rows) / WIDTH)
    items.place(picture, MARGIN, top, width, height, page)


def _sources_page(layout: QgsPrintLayout, page: int, pack: LoadedPack,
                  table: CompareTable) -> None:
    top = _title(layout, page, PORTRAIT, "Sources, licences and methods",
                 "Every figure in this profile, where it comes from and how it was made")
    sources = {}
    for ind in table.indicators:
        sources.setdefault((ind.source, ind.licence, ind.attribution), []).append(
            f"{ind.title} ({ind.period})")
    parts = ["<p style='font-size:9pt'>"]
    for (source, licence, attribution), titles in sources.items():
        parts.append(f"<b>{_html(source)}</b> ({_html(licence)}): {_html('; '.join(titles))}."
                     f"<br><i>{_html(attribution)}</i><br><br>")
    for key in ("boundaries", "hcl_names", "aurn"):
        parts.append(f"<i>{_html(SOURCES[key].attribution)}</i><br>")
    parts.append(
        "<br><b>Methods.</b> Rates are aggregated from summed numerators and denominators; "
        "scores without counts are population-weighted means. 95% confidence intervals: Wilson "
        "score for proportions, Byar's method (exact Poisson below 10) for counts and rates, the "
        "source's own limits for life expectancy. A neighbourhood is significantly better or "
        f"worse when the {_html(pack.contents.place)} average lies outside its interval "
        "(Fingertips' method). Ranks: 1 = worst of the city's neighbourhoods.<br><br>"
        f"<b>Hub membership.</b> {_html(pack.contents.info.get('hub_lookup', ''))}: "
        + _html("; ".join(f"{f['name']}: {f['membership_note']}"
                          for f in pack.layer(schema.HUBS).getFeatures()))
        + f".<br><br>Produced {date.today():%d %B %Y} with JSNA Area Profiles from the data "
        f"pack {_html(pack.contents.path.name)}.</p>")
    items.label(layout, "sources_text", "".join(parts),
                (MARGIN, top, PORTRAIT.width - 2 * MARGIN, PORTRAIT.height - top - MARGIN), 9,
                page, html=True)


def _html(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
