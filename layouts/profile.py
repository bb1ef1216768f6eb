"""Area profiles, organised as a JSNA hub profile is: a cover, then the four chapters
(Demographics and Communities; Prospects; Housing and Environment; Health and Wellbeing), each
with its table of indicators compared with the city (topic by topic), its maps and its charts;
then a spine chart per neighbourhood, and the sources and licences.

A hub's profile compares its neighbourhoods with the hub, the city and England; the city's
profile compares the Family Hub areas with each other ("Nth of 8"), the city and England.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from qgis.core import (
    QgsLayoutFrame,
    QgsLayoutItemManualTable,
    QgsLayoutTable,
    QgsPrintLayout,
    QgsProject,
    QgsTableCell,
    QgsTextFormat,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

from ..charts.profile_charts import CompareAreas, group_chart
from ..charts.spine import WIDTH, SpineChart, chart_height
from ..core import schema
from ..core.catalogue import SOURCES
from ..core.compare import ALL_HUBS, CITY, ENGLAND, ComparePack, CompareTable, IndicatorInfo
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT
from ..core.errors import JsnaInputError
from ..core.files import distinct_file_names
from ..core.formatting import format_value, ordinal
from ..layers.pack import LoadedPack
from ..layers.themes import available_themes, themed, user_styles_kept
from . import items
from .chart_item import CHART_WIDTH, chart_item
from .items import MARGIN, Paper
from .report_map import (
    BACKGROUND_OPACITY,
    ReportMap,
    area_extent,
    emphasis,
    map_background,
    report_page,
)

LANDSCAPE, PORTRAIT = Paper("A4", "landscape"), Paper("A4", "portrait")
TABLE_ROWS_PER_PAGE = 30
DOMAIN_FILL = "#EEF2F7"
# Per chapter: chart groups (charts.profile_charts.GROUP_CHARTS), then "compare areas" charts
# (indicator ids), drawn when the pack has them.
CHAPTER_CHARTS = {
    schema.DOMAINS[0]: (["age_bands", "ethnic_groups", "main_languages", "religions"],
                        ["population_growth", "ethnic_not_white_british", "language_not_english"]),
    schema.DOMAINS[1]: ([], ["no_qualifications", "level4_qualifications", "unemployed_16_74",
                             "income_deprivation"]),
    schema.DOMAINS[2]: ([], ["fuel_poverty", "near_gp", "near_pharmacy", "tenure_social_rented"]),
    schema.DOMAINS[3]: ([], ["limiting_long_term_illness", "bad_health",
                             "life_expectancy_persons"]),
}
CITY_PROFILE = None  # the "hub" of the city's own profile


def profile_layout(project: QgsProject, pack: LoadedPack, compare: ComparePack,
                   hub: str | None, add_to_project: bool = False, background: bool = False,
                   warn: Callable[[str], None] | None = None) -> QgsPrintLayout:
    """Build a hub's profile (``hub=None``: the city's); the user's layer styles are left as
    they were. ``background``: an OpenStreetMap background under the maps (``warn`` is told
    when it cannot be had)."""
    place = pack.contents.place
    if hub is CITY_PROFILE:
        table = compare.hubs_table()
        extent_kind, name = "city", f"{place} and its Family Hub areas"
    else:
        area_extent(pack, "hub", hub)  # a clear error for an unknown hub, before anything else
        table = compare.table(hub)
        if not [a for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]:
            raise JsnaInputError(f"The hub '{hub}' has no neighbourhoods in the pack")
        extent_kind, name = "hub", f"{hub} Family Hub reach area"
    layout = items.new_layout(project, items.unique_layout_name(
        project, f"{place} {hub} hub profile" if hub else f"{place} city profile"))
    pages = _Pages(layout)
    _cover(layout, pages.next(LANDSCAPE), pack, hub, table, name)
    streets = map_background(project, pack, background, warn)
    with user_styles_kept(pack):  # the user's styles come back once, after every map
        _chapters(layout, pages, pack, compare, table, hub, extent_kind, streets)
    if hub is not CITY_PROFILE:
        for area in table.areas:
            if area.level == schema.LEVEL_NEIGHBOURHOOD:
                _spine_pages(layout, pages, compare, area.code, area.name)
    _sources_page(layout, pages.next(PORTRAIT), pack, table)
    _notes_page(layout, pages.next(PORTRAIT), table)
    if add_to_project:
        project.layoutManager().addLayout(layout)
    return layout


def every_profile(place: str, hubs: list[str], folder: Path) -> list[tuple[str | None, Path]]:
    """Each hub's profile and the city's, with the PDF each goes to in ``folder``."""
    hubs = [*hubs, CITY_PROFILE]
    names = distinct_file_names([f"{hub or place} profile".lower() for hub in hubs])
    return [(hub, Path(folder) / f"{name}.pdf") for hub, name in zip(hubs, names)]


def export_profiles(project: QgsProject, pack: LoadedPack, compare: ComparePack,
                    targets: list[tuple[str | None, Path]], dpi: int = 300,
                    step: Callable[[int, str], None] | None = None, background: bool = False,
                    warn: Callable[[str], None] | None = None) -> list[Path]:
    """Lay out and write each (hub, PDF) in turn; each file is whole or not written at all.
    ``step(done, name)`` is told before each one (and may raise to stop)."""
    import gc

    from .export import export_layout

    written = []
    for done, (hub, target) in enumerate(targets):
        if step:
            step(done, hub or compare.place)
        layout = profile_layout(project, pack, compare, hub, background=background, warn=warn)
        written.append(export_layout(layout, target, "pdf", dpi=dpi))
        # Freed now, not at some later collection: while a finished layout lives, its legends
        # follow every layer the next profile's themes restyle, and each profile is slower.
        del layout
        gc.collect()
    return written


class _Pages:
    """Pages added one after another, each sized as it is added."""

    def __init__(self, layout: QgsPrintLayout):
        self.layout, self.count = layout, 0

    def next(self, paper: Paper) -> int:
        page = self.count
        items.set_page(self.layout, page, paper)
        self.count += 1
        return page


def _chapters(layout: QgsPrintLayout, pages: _Pages, pack: LoadedPack, compare: ComparePack,
              table: CompareTable, hub: str | None, extent_kind: str, background=None) -> None:
    """The four chapters: each one's tables, maps and charts."""
    opacity = BACKGROUND_OPACITY if background is not None else 1.0
    themes = available_themes(pack)
    for number, chapter in enumerate(schema.DOMAINS, start=1):
        chapter_title = f"{number}. {chapter}"
        rows = _table_rows(table, [i for i in table.indicators
                                   if i.domain == chapter and not i.chart])
        for start in range(1, max(2, len(rows)), TABLE_ROWS_PER_PAGE):
            _table_page(layout, pages.next(LANDSCAPE), table, chapter_title,
                        [rows[0]] + rows[start:start + TABLE_ROWS_PER_PAGE])
        for theme in [t for t in themes if schema.THEME_CHAPTERS.get(t) == chapter]:
            spec = ReportMap(theme, extent_kind, hub, LANDSCAPE)
            report_page(layout, pages.next(LANDSCAPE), pack, spec,
                        *themed(pack, theme, emphasis=emphasis(spec), opacity=opacity),
                        follow_map=False,  # exported as it is: classes chosen once
                        background=background)
        _chart_pages(layout, pages, chapter_title, _chapter_charts(compare, table, hub, chapter))


def _chapter_charts(compare: ComparePack, table: CompareTable, hub: str | None,
                    chapter: str) -> list:
    """The chapter's charts: its groups (area against the city, or the city against England),
    then one indicator across the hub's neighbourhoods (or across the hubs)."""
    groups, compared = CHAPTER_CHARTS.get(chapter, ([], []))
    area = compare.area(hub) if hub else compare.area(compare.city_code)
    against = CITY if hub else ENGLAND
    charts = []
    for group in groups:
        rows = compare.chart_rows(area.code, group, against)
        if rows:
            reference = compare.reference_name(rows[0].indicator, against)
            charts.append(group_chart(group, rows, area.name, reference))
    members = [a for a in table.areas if a.level in (schema.LEVEL_NEIGHBOURHOOD,
                                                      schema.LEVEL_HUB)]
    members = [a for a in members if hub is None or a.level == schema.LEVEL_NEIGHBOURHOOD]
    for indicator_id in compared:
        indicator = compare.indicator(indicator_id)
        if indicator is None:
            continue
        cells = compare.compare_areas(indicator_id, members)
        charts.append(CompareAreas(_compare_title(indicator), cells,
                                   compare.reference_value(indicator, CITY), compare.place))
    return charts


def _compare_title(indicator: IndicatorInfo) -> str:
    unit = f" ({indicator.unit})" if indicator.unit and indicator.unit != "%" else ""
    return f"{indicator.title}{unit}, {indicator.period}"


def _chart_pages(layout: QgsPrintLayout, pages: _Pages, chapter_title: str, charts: list) -> None:
    """Charts flowed down two columns, onto as many pages as they need."""
    column_w = (LANDSCAPE.width - 2 * MARGIN - 8) / 2
    page, top, column, y = None, 0.0, 0, 0.0
    for i, chart in enumerate(charts):
        height = column_w * chart.height(CHART_WIDTH) / CHART_WIDTH
        if page is not None and y + height > LANDSCAPE.height - MARGIN:
            column, y = column + 1, top
        if page is None or column > 1:
            page = pages.next(LANDSCAPE)
            top = _title(layout, page, LANDSCAPE, chapter_title,
                         "What is the local picture? How does it compare?")
            column, y = 0, top
        height = min(height, LANDSCAPE.height - MARGIN - y)
        chart_item(layout, f"chart_{page}_{i}", chart,
                   (MARGIN + column * (column_w + 8), y, column_w, height), page)
        y += height + 5


def _title(layout: QgsPrintLayout, page: int, paper: Paper, title: str, subtitle: str) -> float:
    items.label(layout, f"title_{page}", title, (MARGIN, MARGIN, paper.width - 2 * MARGIN, 10),
                16, page, bold=True)
    items.label(layout, f"subtitle_{page}", subtitle,
                (MARGIN, MARGIN + 10, paper.width - 2 * MARGIN, 7), 10, page, colour="#404040")
    return MARGIN + 19


def _cover(layout: QgsPrintLayout, page: int, pack: LoadedPack, hub: str | None,
           table: CompareTable, name: str) -> None:
    place = pack.contents.place
    compared = "neighbourhoods" if hub else "Family Hub areas"
    top = _title(layout, page, LANDSCAPE, f"{name}: area profile",
                 f"{place} Joint Strategic Needs Assessment · {compared} compared with the "
                 f"{place} average · {date.today():%B %Y}")
    extent = area_extent(pack, "hub", hub)[0] if hub else pack.extent
    layers = [pack.layer(schema.HUBS), pack.layer(schema.NEIGHBOURHOODS), pack.layer(schema.CITY)]
    box = (MARGIN, top, LANDSCAPE.width * 0.6, LANDSCAPE.height - top - MARGIN - 12)
    main = items.map_item(layout, "cover_map", layers, extent, box, page)
    side_x = box[0] + box[2] + 6
    side = (side_x, top, LANDSCAPE.width - side_x - MARGIN, box[3] - 14)
    foot = top + box[3] - 11  # beside the map, under the text: no label under them
    items.north_arrow(layout, main, (side_x + side[2] - 6, foot, 6, 11), page)
    items.scale_bar(layout, main, side_x, foot, page, side[2] - 12)
    if hub:
        hub_feature = next(f for f in pack.layer(schema.HUBS).getFeatures() if f["name"] == hub)
        names = [a.name for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]
        members = (f"<p style='font-size:11pt'><b>Neighbourhoods ({len(names)})</b></p><ul>"
                   + "".join(f"<li>{_html(n)}</li>" for n in names) + "</ul>"
                   f"<p style='font-size:9pt'>Membership: "
                   f"{_html(hub_feature['membership_note'])}.</p>")
    else:
        hubs = [a.name for a in table.areas if a.level == schema.LEVEL_HUB]
        members = (f"<p style='font-size:11pt'><b>Family Hub areas ({len(hubs)})</b></p><ul>"
                   + "".join(f"<li>{_html(n)}</li>" for n in hubs) + "</ul>"
                   "<p style='font-size:9pt'>Ranks: 1st of "
                   f"{len(hubs)} = the worst figure by the indicator's polarity.</p>")
    chapters = "".join(f"<li>{_html(c)}</li>" for c in schema.DOMAINS)
    text = (members + f"<p style='font-size:9pt'><b>Chapters</b></p><ol>{chapters}</ol>"
            "<p style='font-size:9pt'>Each chapter: its indicators compared with the "
            f"{_html(place)} average (95% confidence intervals), its maps and charts"
            + ("; then a spine chart per neighbourhood" if hub else "")
            + "; sources and licences at the end.</p>")
    items.label(layout, "cover_text", text, side, 10, page, html=True)
    items.label(layout, f"footer_{page}", SOURCES["boundaries"].attribution,
                (MARGIN, LANDSCAPE.height - MARGIN - 10, LANDSCAPE.width - 2 * MARGIN, 10), 7,
                page, colour="#404040")


@lru_cache(maxsize=32)  # a table has thousands of cells in a handful of formats
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


def _table_rows(table: CompareTable, indicators: list[IndicatorInfo]) -> list[list[QgsTableCell]]:
    """Header, then per topic a heading row and its indicators, cells coloured by significance
    (hubs side by side also carry their rank, "3rd" of the hubs)."""
    rows = [[_cell("Indicator", bold=True), _cell("Period", bold=True)]
            + [_cell(a.name, bold=True) for a in table.areas]]
    topic = None
    for ind in sorted(indicators, key=lambda i: [x.topic for x in indicators].index(i.topic)):
        if ind.topic != topic:
            topic = ind.topic
            rows.append([_cell(topic or "Other", bold=True, fill=DOMAIN_FILL)]
                        + [_cell("", fill=DOMAIN_FILL) for _ in range(len(table.areas) + 1)])
        unit = f" ({ind.unit})" if ind.unit and ind.unit != "%" else ""
        row = [_cell(ind.title + unit), _cell(ind.period)]
        for area in table.areas:
            cell = table.cell(area, ind)
            fill, colour = SIGNIFICANCE_COLOURS.get(cell.significance, (None, "#000000"))
            text = format_value(ind, cell.value)
            if area.level == schema.LEVEL_HUB and table.hub == ALL_HUBS and cell.rank:
                text += f" ({ordinal(cell.rank)})"
            figure = _cell(text, fill=fill, colour=colour)
            figure.setHorizontalAlignment(Qt.AlignmentFlag.AlignRight)
            row.append(figure)
        rows.append(row)
    return rows


def _table_page(layout: QgsPrintLayout, page: int, table: CompareTable, chapter_title: str,
                rows: list[list[QgsTableCell]]) -> None:
    place = table.pack.place
    top = _title(layout, page, LANDSCAPE, chapter_title,
                 f"{table.title}. What is the local picture? How does it compare? Coloured by "
                 f"significance against the {place} average (95% confidence intervals)")
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


def _spine_pages(layout: QgsPrintLayout, pages: _Pages, compare: ComparePack, code: str,
                 name: str) -> None:
    """A neighbourhood's spine chart at full size, its chapters on as many pages as they need;
    the page's title is the chart's only heading."""
    width = PORTRAIT.width - 2 * MARGIN
    room = (PORTRAIT.height - MARGIN - 19 - MARGIN) * WIDTH / width  # chart units per page
    shares: list[list] = [[]]
    for chapter in schema.DOMAINS:
        rows = [r for r in compare.spine_rows(code) if r.indicator.domain == chapter]
        if shares[-1] and chart_height(shares[-1] + rows) > room:
            shares.append([])
        shares[-1].extend(rows)
    for part, rows in enumerate(shares, start=1):
        page = pages.next(PORTRAIT)
        more = f" ({part} of {len(shares)})" if len(shares) > 1 else ""
        top = _title(layout, page, PORTRAIT, f"{name}: spine chart{more}",
                     f"Against the range of {compare.place}'s {len(compare.neighbourhoods)} "
                     f"neighbourhoods and the {compare.place} average")
        height = width * chart_height(rows) / WIDTH
        chart_item(layout, f"spine_{code}_{part}", SpineChart("", rows),
                   (MARGIN, top, width, height), page)


def _sources_page(layout: QgsPrintLayout, page: int, pack: LoadedPack,
                  table: CompareTable) -> None:
    top = _title(layout, page, PORTRAIT, "Sources, licences and methods",
                 "Every figure in this profile, where it comes from and how it was made")
    sources: dict = {}  # source -> topics and periods of the figures taken from it
    for ind in table.indicators:
        topics, periods = sources.setdefault((ind.source, ind.licence, ind.attribution),
                                             ({}, {}))
        topics[ind.topic or ind.domain] = periods[ind.period] = True
    parts = ["<p style='font-size:8pt'>"]
    for (source, licence, attribution), (topics, periods) in sources.items():
        parts.append(f"<b>{_html(source)}</b> ({_html(licence)}): {_html(', '.join(topics))} "
                     f"({_html('; '.join(periods))}).<br><i>{_html(attribution)}</i><br><br>")
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


def _notes_page(layout: QgsPrintLayout, page: int, table: CompareTable) -> None:
    """What each indicator is, as its catalogue entry says (notes shared by several
    indicators are given once)."""
    top = _title(layout, page, PORTRAIT, "Indicator notes",
                 "What each figure is, from the indicator catalogue")
    notes: dict = {}
    for ind in table.indicators:
        if ind.description:
            notes.setdefault(ind.description, []).append(ind.title)
    text = "".join(f"<b>{_html('; '.join(titles))}.</b> {_html(note)}<br>"
                   for note, titles in notes.items())
    items.label(layout, "notes_text", f"<p style='font-size:7pt'>{text}</p>",
                (MARGIN, top, PORTRAIT.width - 2 * MARGIN, PORTRAIT.height - top - MARGIN), 7,
                page, html=True)


def _html(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
