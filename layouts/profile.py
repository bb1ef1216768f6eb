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
from pathlib import Path

from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsLayoutFrame,
    QgsLayoutItemManualTable,
    QgsLayoutTable,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsPointXY,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsTableCell,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from ..charts.profile_charts import CompareAreas, group_chart, trend_chart, unit_note
from ..charts.spine import WIDTH, SpineChart, chart_height
from ..core import schema
from ..core.catalogue import SOURCES
from ..core.compare import CITY, ENGLAND, ComparePack, CompareTable, IndicatorInfo
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT, shown_cell
from ..core.errors import JsnaInputError
from ..core.files import distinct_file_names
from ..core.formatting import title_with_unit
from ..core.narrative import (
    Narrative,
    WrittenOptions,
    indicator_notes,
    sources_blocks,
    written_profile,
)
from ..layers.pack import LoadedPack
from ..layers.themes import available_themes, theme_heading, themed, user_styles_kept
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
CHANGE_CHAPTER = "What has changed since 2011 and 2019"  # a 2025 pack's last chapter
CHANGE_CHAPTER_TITLE = f"{len(schema.DOMAINS) + 1}. {CHANGE_CHAPTER}"


def profile_layout(project: QgsProject, pack: LoadedPack, compare: ComparePack,
                   hub: str | None, add_to_project: bool = False, background: bool = False,
                   warn: Callable[[str], None] | None = None,
                   options: WrittenOptions | None = None) -> QgsPrintLayout:
    """Build a hub's profile (``hub=None``: the city's); the user's layer styles are left as
    they were. ``background``: an OpenStreetMap background under the maps (``warn`` is told
    when it cannot be had, and of council text or assets that cannot be used). ``options``:
    the council's own text, assets and templates."""
    place = pack.contents.place
    if hub is not CITY_PROFILE:
        area_extent(pack, "hub", hub)  # a clear error for an unknown hub, before anything else
    extent_kind, name = ("hub" if hub else "city"), profile_name(place, hub)
    table = profile_table(compare, hub)
    layout = items.new_layout(project, items.unique_layout_name(
        project, f"{place} {hub} hub profile" if hub else f"{place} city profile"))
    narrative, assets = written_profile(compare, hub, options, warn)
    pages = _Pages(layout)
    _cover(layout, pages, pack, hub, table, name)
    _summary_pages(layout, pages, narrative)
    streets = map_background(project, pack, background, warn)
    with user_styles_kept(pack):  # the user's styles come back once, after every map
        _chapters(layout, pages, pack, compare, table, hub, extent_kind, streets, narrative)
        _what_changed(layout, pages, pack, compare, hub, extent_kind, streets)
    if assets:
        _assets_pages(layout, pages, pack, hub, assets)
    if hub is not CITY_PROFILE:
        for area in table.areas:
            if area.level == schema.LEVEL_NEIGHBOURHOOD:
                _spine_pages(layout, pages, compare, area.code, area.name)
    _sources_page(layout, pages, pack, table)
    _notes_page(layout, pages, table)
    if add_to_project:
        project.layoutManager().addLayout(layout)
    return layout


PROFILE_FORMATS = ("pdf", "docx")


def profile_name(place: str, hub: str | None) -> str:
    return f"{hub} Family Hub reach area" if hub else f"{place} and its Family Hub areas"


def profile_table(compare: ComparePack, hub: str | None) -> CompareTable:
    """What a profile compares: the hub's neighbourhoods (the city's: its hubs side by side)."""
    if hub is CITY_PROFILE:
        return compare.hubs_table()
    table = compare.table(hub)  # a clear error for an unknown hub
    if not [a for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]:
        raise JsnaInputError(f"The hub '{hub}' has no neighbourhoods in the pack")
    return table


def every_profile(place: str, hubs: list[str], folder: Path,
                  fmt: str = "pdf") -> list[tuple[str | None, Path]]:
    """Each hub's profile and the city's, with the file (PDF or Word) each goes to in
    ``folder``."""
    hubs = [*hubs, CITY_PROFILE]
    names = distinct_file_names([f"{hub or place} profile".lower() for hub in hubs])
    return [(hub, Path(folder) / f"{name}.{fmt}") for hub, name in zip(hubs, names)]


def export_profiles(project: QgsProject, pack: LoadedPack, compare: ComparePack,
                    targets: list[tuple[str | None, Path]], dpi: int = 300,
                    step: Callable[[int, str], None] | None = None, background: bool = False,
                    warn: Callable[[str], None] | None = None,
                    options: WrittenOptions | None = None) -> list[Path]:
    """Write each (hub, file) in turn, as a PDF or (a .docx file) a Word document; each
    file is whole or not written at all. ``step(done, name)`` is told before each one (and
    may raise to stop)."""
    import gc

    from .export import export_layout

    written = []
    for done, (hub, target) in enumerate(targets):
        if step:
            step(done, hub or compare.place)
        if Path(target).suffix.lower() == ".docx":
            from ..documents.word import write_profile_docx

            written.append(write_profile_docx(project, pack, compare, hub, Path(target),
                                              options, background=background, warn=warn))
            continue
        layout = profile_layout(project, pack, compare, hub, background=background, warn=warn,
                                options=options)
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
              table: CompareTable, hub: str | None, extent_kind: str, background,
              narrative: Narrative) -> None:
    """The four chapters: each one's topics in words, then its tables, maps and charts."""
    for number, chapter in enumerate(schema.DOMAINS, start=1):
        chapter_title = f"{number}. {chapter}"
        _topic_pages(layout, pages, chapter_title, narrative.chapter_topics(chapter))
        rows = _table_rows(table, [i for i in table.indicators
                                   if i.domain == chapter and not i.chart])
        for start in range(1, max(2, len(rows)), TABLE_ROWS_PER_PAGE):
            _table_page(layout, pages.next(LANDSCAPE), table, chapter_title,
                        [rows[0]] + rows[start:start + TABLE_ROWS_PER_PAGE])
        for theme in chapter_themes(pack, chapter):
            _map_page(layout, pages.next(LANDSCAPE), pack, theme, hub, extent_kind, background)
        _chart_pages(layout, pages, chapter_title, chapter_charts(compare, table, hub, chapter))


def _what_changed(layout: QgsPrintLayout, pages: _Pages, pack: LoadedPack, compare: ComparePack,
                  hub: str | None, extent_kind: str, background=None) -> None:
    """A 2025 pack's last chapter: the IMD decile change map, then each indicator's trend for
    the area against the city (the city's profile: against England)."""
    if not compare.trend_indicators():
        return
    title = CHANGE_CHAPTER_TITLE
    for theme in chapter_themes(pack, CHANGE_CHAPTER):
        _map_page(layout, pages.next(LANDSCAPE), pack, theme, hub, extent_kind, background)
    _chart_pages(layout, pages, title, trend_charts(compare, hub),
                 "How has the local picture changed?")


WHY, LOCAL_PICTURE, WHAT_ELSE = (
    "Why is this important?", "What is the local picture? How does it compare?",
    "What else is happening? What else can be done?")
GREY = "#404040"


def _topic_pages(layout: QgsPrintLayout, pages: _Pages, chapter_title: str, topics: list) -> None:
    """Each topic's three questions answered: the shipped paragraph, the sentences written
    from the data, and the council's text (or the placeholder saying where it goes)."""
    text = items.Paragraph
    parts = []
    for topic in topics:
        parts += [text(topic.name, 12, bold=True, space_before=4),
                  text(WHY, 9, bold=True, space_before=1.5), text(topic.why, 9),
                  text(LOCAL_PICTURE, 9, bold=True, space_before=1.5),
                  *[text(f"\u2022 {s.text}", 9, space_before=0.8) for s in topic.sentences],
                  text(WHAT_ELSE, 9, bold=True, space_before=1.5)]
        parts += [_block_paragraph(kind, body) for kind, body in topic.what_else]
    if parts:
        _text_pages(layout, pages, PORTRAIT, chapter_title, "The topics in words", parts)


def _block_paragraph(kind: str, body: str) -> items.Paragraph:
    """One block of the council's Markdown (or the placeholder, in grey) as a paragraph."""
    if kind == "heading":
        return items.Paragraph(body, 9, bold=True, space_before=1)
    if kind == "bullet":
        return items.Paragraph(f"\u2022 {body}", 9, space_before=0.8)
    return items.Paragraph(body, 9, colour=GREY if kind == "placeholder" else "#000000",
                           space_before=0.8)


def _summary_pages(layout: QgsPrintLayout, pages: _Pages, narrative: Narrative) -> None:
    """The executive summary: per chapter, the figures furthest from the comparator."""
    text = items.Paragraph
    parts = [text(narrative.summary_intro, 9, colour=GREY)]
    for number, chapter in enumerate(schema.DOMAINS, start=1):
        found = narrative.summary.get(chapter, [])
        parts.append(text(f"{number}. {chapter}", 11, bold=True, space_before=4))
        parts += [text(f"\u2022 {s.text}", 9, space_before=0.8) for s in found] or \
            [text(narrative.summary_none, 9)]
    _text_pages(layout, pages, PORTRAIT, "Executive summary", narrative.area.name, parts)


def chapter_themes(pack: LoadedPack, chapter: str) -> list[str]:
    """The maps a chapter shows, among those the pack can draw (CHANGE_CHAPTER: the change
    map of a 2025 pack)."""
    if chapter == CHANGE_CHAPTER:
        return [t for t in available_themes(pack) if t == "deprivation_change"]
    return [t for t in available_themes(pack) if schema.THEME_CHAPTERS.get(t) == chapter]


def trend_charts(compare: ComparePack, hub: str | None) -> list:
    """Each trend of the pack for the hub (the city) against its comparator."""
    return [trend_chart(compare, indicator, hub or compare.city_code)
            for indicator in compare.trend_indicators()]


def _map_page(layout: QgsPrintLayout, page: int, pack: LoadedPack, theme: str, hub: str | None,
              extent_kind: str, background=None) -> ReportMap:
    """One themed report map of the hub (the city) on its own page."""
    spec = ReportMap(theme, extent_kind, hub, LANDSCAPE)
    opacity = BACKGROUND_OPACITY if background is not None else 1.0
    report_page(layout, page, pack, spec,
                *themed(pack, theme, emphasis=emphasis(spec), opacity=opacity),
                follow_map=False,  # exported as it is: classes chosen once
                background=background)
    return spec


def map_images(project: QgsProject, pack: LoadedPack, hub: str | None, dpi: int,
               background: bool = False, warn: Callable[[str], None] | None = None) -> dict:
    """The profile's maps as images, laid out as the PDF lays them: chapter (or
    CHANGE_CHAPTER) -> [(caption, QImage)]. The user's layer styles are left as they were."""
    from qgis.core import QgsLayoutExporter
    from qgis.PyQt.QtCore import QSize

    extent_kind = "hub" if hub else "city"
    layout = items.new_layout(project, "jsna profile maps")
    pages = _Pages(layout)
    streets = map_background(project, pack, background, warn)
    placed = []
    with user_styles_kept(pack):
        for chapter in (*schema.DOMAINS, CHANGE_CHAPTER):
            for theme in chapter_themes(pack, chapter):
                page = pages.next(LANDSCAPE)
                spec = _map_page(layout, page, pack, theme, hub, extent_kind, streets)
                placed.append((chapter, page, spec))
        exporter = QgsLayoutExporter(layout)
        out: dict = {}
        for chapter, page, spec in placed:
            indicator = spec.indicator(pack)
            heading = theme_heading(spec.theme, pack.contents.edition) or indicator.title
            caption = f"{hub or pack.contents.place}: {heading} ({indicator.period})"
            image = exporter.renderPageToImage(page, QSize(), dpi)
            out.setdefault(chapter, []).append((caption, image))
    return out


def chapter_charts(compare: ComparePack, table: CompareTable, hub: str | None,
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
    return f"{indicator.title}{unit_note(indicator)}, {indicator.period}"


def _chart_pages(layout: QgsPrintLayout, pages: _Pages, chapter_title: str, charts: list,
                 question: str = "What is the local picture? How does it compare?") -> None:
    """Charts flowed down two columns, onto as many pages as they need."""
    column_w = (LANDSCAPE.width - 2 * MARGIN - 8) / 2
    page, top, column, y = None, 0.0, 0, 0.0
    for i, chart in enumerate(charts):
        height = column_w * chart.height(CHART_WIDTH) / CHART_WIDTH
        if page is not None and y + height > LANDSCAPE.height - MARGIN:
            column, y = column + 1, top
        if page is None or column > 1:
            page = pages.next(LANDSCAPE)
            top = _title(layout, page, LANDSCAPE, chapter_title, question)
            column, y = 0, top
        height = min(height, LANDSCAPE.height - MARGIN - y)
        chart_item(layout, f"chart_{page}_{i}", chart,
                   (MARGIN + column * (column_w + 8), y, column_w, height), page)
        y += height + 5


def _title(layout: QgsPrintLayout, page: int, paper: Paper, title: str, subtitle: str) -> float:
    """The page's title and subtitle, each as many lines as it needs; returns where the page's
    content starts."""
    width = paper.width - 2 * MARGIN
    y = MARGIN + items.fitted_label(layout, f"title_{page}", items.Paragraph(title, 16, bold=True),
                                    (MARGIN, MARGIN, width), page).rectWithFrame().height()
    if subtitle:
        y += items.fitted_label(layout, f"subtitle_{page}",
                                items.Paragraph(subtitle, 10, colour="#404040"),
                                (MARGIN, y + 1, width), page).rectWithFrame().height() + 1
    return max(y + 2.5, MARGIN + 19)


def _text_pages(layout: QgsPrintLayout, pages: _Pages, paper: Paper, title: str, subtitle: str,
                paragraphs: list[items.Paragraph]) -> None:
    """A page of text under a title, going on to as many pages as the text needs."""
    page, box = _titled_page(layout, pages, paper, title, subtitle)
    items.flow(layout, f"text_{page}", paragraphs, box, page,
               lambda: _titled_page(layout, pages, paper, f"{title} (continued)", subtitle))


def _titled_page(layout: QgsPrintLayout, pages: _Pages, paper: Paper, title: str,
                 subtitle: str) -> tuple[int, tuple]:
    """A new page under a title: the page and the box for what goes under the title."""
    page = pages.next(paper)
    top = _title(layout, page, paper, title, subtitle)
    return page, (MARGIN, top, paper.width - 2 * MARGIN, paper.height - top - MARGIN)


def _cover(layout: QgsPrintLayout, pages: _Pages, pack: LoadedPack, hub: str | None,
           table: CompareTable, name: str) -> None:
    page = pages.next(LANDSCAPE)
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
    para = items.Paragraph
    if hub:
        hub_feature = next(f for f in pack.layer(schema.HUBS).getFeatures() if f["name"] == hub)
        names = [a.name for a in table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]
        text = [para(f"Neighbourhoods ({len(names)})", 11, bold=True),
                *[para(f"\u2022 {n}", 10, space_before=0.8) for n in names],
                para(f"Membership: {hub_feature['membership_note']}.", 9, space_before=2.5)]
    else:
        hubs = [a.name for a in table.areas if a.level == schema.LEVEL_HUB]
        text = [para(f"Family Hub areas ({len(hubs)})", 11, bold=True),
                *[para(f"\u2022 {n}", 10, space_before=0.8) for n in hubs],
                para(f"Ranks: 1st of {len(hubs)} = the worst figure by the indicator's "
                     "polarity.", 9, space_before=2.5)]
    text += [para("Chapters", 9, bold=True, space_before=4),
             *[para(f"{n}. {c}", 9, space_before=0.6) for n, c in enumerate(schema.DOMAINS, 1)],
             para(f"Each chapter: its indicators compared with the {place} average (95% "
                  "confidence intervals), its maps and charts"
                  + ("; then a spine chart per neighbourhood" if hub else "")
                  + "; sources and licences at the end.", 9, space_before=2.5)]

    items.flow(layout, "cover_text", text, side, page,  # a long list of members goes overleaf
               lambda: _titled_page(layout, pages, LANDSCAPE, f"{name}: area profile (continued)",
                                    ""))
    items.label(layout, f"footer_{page}", SOURCES["boundaries"].attribution,
                (MARGIN, LANDSCAPE.height - MARGIN - 10, LANDSCAPE.width - 2 * MARGIN, 10), 7,
                page, colour="#404040")


def _cell(text: str, fill: str | None = None, colour: str = "#000000", size: float = 7,
          bold: bool = False) -> QgsTableCell:
    cell = QgsTableCell(text)
    cell.setTextFormat(items.text_format(size, bold, colour))
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
        row = [_cell(title_with_unit(ind)), _cell(ind.period)]
        for area in table.areas:
            figure = _cell(*shown_cell(table, area, ind))
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
    _key(layout, page, LANDSCAPE.height - MARGIN - 6)


def _key(layout: QgsPrintLayout, page: int, y: float) -> None:
    """The table's colours, each a swatch of its own fill with its name, then what blank means."""
    x = MARGIN
    for part, (fill, colour) in [("Key:", (None, "#000000")), *(
            (SIGNIFICANCE_SHORT[k], v) for k, v in SIGNIFICANCE_COLOURS.items()),
            ("Uncoloured: not tested (no confidence limits, a count, or no comparator value).",
             (None, "#000000"))]:
        width = items.text_width(part, 8) * 1.08 + 2.5  # room for either renderer's measure
        item = items.label(layout, f"key_{page}_{x:.0f}", part, (x, y, width, 4.5), 8, page,
                           colour=colour)
        item.setMarginX(1)
        if fill:
            item.setBackgroundEnabled(True)
            item.setBackgroundColor(QColor(fill))
        x += width + 1.5


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


def _sources_page(layout: QgsPrintLayout, pages: _Pages, pack: LoadedPack,
                  table: CompareTable) -> None:
    styles = {"heading": dict(bold=True, space_before=2.5), "paragraph": {},
              "note": dict(colour="#404040")}
    parts = [items.Paragraph(text, 8, **styles[kind])
             for kind, text in sources_blocks(table.indicators, **sources_context(pack))]
    _text_pages(layout, pages, PORTRAIT, "Sources, licences and methods",
                "Every figure in this profile, where it comes from and how it was made", parts)


def sources_context(pack: LoadedPack) -> dict:
    """What the sources section says besides the indicators: the pack, its hub lookup and
    each hub's membership note."""
    return {"place": pack.contents.place, "hub_lookup": pack.contents.info.get("hub_lookup", ""),
            "memberships": [(f["name"], f["membership_note"])
                            for f in pack.layer(schema.HUBS).getFeatures()],
            "pack_name": pack.contents.name, "produced": f"{date.today():%d %B %Y}"}


def _notes_page(layout: QgsPrintLayout, pages: _Pages, table: CompareTable) -> None:
    """What each indicator is, as its catalogue entry says (notes shared by several
    indicators are given once)."""
    text = items.Paragraph
    parts = [part for titles, note in indicator_notes(table.indicators)
             for part in (text(titles, 7, bold=True, space_before=1.5), text(note, 7))]
    _text_pages(layout, pages, PORTRAIT, "Indicator notes",
                "What each figure is, from the indicator catalogue", parts)


def assets_layer(assets: list) -> QgsVectorLayer:
    """The placed community assets as numbered points (a memory layer, never in the project)."""
    layer = QgsVectorLayer(f"Point?crs={schema.PACK_CRS}&field=number:integer&field=name:string",
                           "Community assets", "memory")
    features = []
    for asset in (a for a in assets if a.placed):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([asset.number, asset.name])
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(asset.x, asset.y)))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.setRenderer(QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": "#C00000", "outline_color": "#FFFFFF", "size": "3"})))
    labels = QgsPalLayerSettings()
    labels.fieldName = "number"
    labels.setFormat(items.text_format(8, True))
    layer.setLabeling(QgsVectorLayerSimpleLabeling(labels))
    layer.setLabelsEnabled(True)
    return layer


def assets_page(layout: QgsPrintLayout, page: int, pack: LoadedPack, hub: str | None,
                assets: list) -> None:
    """The hub (the city) with each placed asset as a numbered point; the layer lives as long
    as the layout."""
    top = _title(layout, page, LANDSCAPE, "Community assets",
                 f"{hub or pack.contents.place}: places and groups the council lists, numbered "
                 "as in the list; those without a postcode found are listed only")
    layer = assets_layer(assets)
    layer.setParent(layout)
    extent = QgsRectangle(area_extent(pack, "hub", hub)[0] if hub else pack.extent)
    if layer.featureCount():
        extent.combineExtentWith(layer.extent())
    items.map_item(layout, "assets_map", [layer, pack.layer(schema.HUBS),
                                          pack.layer(schema.NEIGHBOURHOODS)], extent,
                   (MARGIN, top, LANDSCAPE.width - 2 * MARGIN, LANDSCAPE.height - top - MARGIN),
                   page)


def _assets_pages(layout: QgsPrintLayout, pages: _Pages, pack: LoadedPack, hub: str | None,
                  assets: list) -> None:
    """The assets' list, then their map."""
    text = items.Paragraph
    rows = [text(f"{a.number}. {a.name}" + (f" ({a.postcode})" if a.postcode else "")
                 + ("" if a.placed or not a.postcode else ": postcode not found, not mapped"),
                 9, bold=True, space_before=2) for a in assets]
    parts = [p for a, row in zip(assets, rows) for p in (row, text(a.description, 9))]
    _text_pages(layout, pages, PORTRAIT, "Community assets",
                f"{hub or pack.contents.place}: what else is happening", parts)
    assets_page(layout, pages.next(LANDSCAPE), pack, hub, assets)


def assets_map_image(project: QgsProject, pack: LoadedPack, hub: str | None, assets: list,
                     dpi: int):
    """The assets' map page, as the PDF lays it out, as an image."""
    from qgis.core import QgsLayoutExporter
    from qgis.PyQt.QtCore import QSize

    layout = items.new_layout(project, "jsna profile assets")
    page = _Pages(layout).next(LANDSCAPE)
    assets_page(layout, page, pack, hub, assets)
    return QgsLayoutExporter(layout).renderPageToImage(page, QSize(), dpi)
