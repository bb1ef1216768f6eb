"""A hub's (or the city's) profile as a Word document, where reports are finished.

The same profile as the PDF, in a document's order: cover with the hub's neighbourhoods and
membership, a table of contents (a Word field), the executive summary, then the four chapters,
each topic under its three questions ("Why is this important?", "What is the local picture?
How does it compare?", "What else is happening?") with its comparison table coloured by
significance; each chapter's maps (the PDF's own layouts, at 200 dpi) and charts as captioned
images; what changed; community assets; sources, licences and methods. Headings use Word's
own heading styles, so the navigation pane and the contents field follow them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice

from ..charts.render import to_png
from ..core import schema, verify
from ..core.compare import ComparePack, CompareTable
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT, shown_cell
from ..core.errors import JsnaInputError
from ..core.files import replace_atomically
from ..core.formatting import title_with_unit
from ..core.narrative import (
    Narrative,
    WrittenOptions,
    indicator_notes,
    sources_blocks,
    written_profile,
)
from ..layers.pack import LoadedPack
from ..layouts.chart_item import CHART_WIDTH
from ..layouts.profile import (
    CHANGE_CHAPTER,
    CHANGE_CHAPTER_TITLE,
    LOCAL_PICTURE,
    WHAT_ELSE,
    WHY,
    assets_map_image,
    chapter_charts,
    map_images,
    profile_name,
    profile_table,
    sources_context,
    trend_charts,
)

WORD_DPI = 200
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
CHART_WIDTH_CM = 14.0
TABLE_POINTS = 7
GREY = "595959"
HEADER_FILL = "D9E1F2"
NATIONAL = (schema.LEVEL_ENGLAND, schema.LEVEL_ENGLAND_WALES)
UPRIGHT_HEIGHT = 1500  # twips (2.6 cm): room for an area's name read upwards
# Maps as JPEG (a tenth of PNG's time at 200 dpi, no visible loss at this quality), charts as
# PNG (flat colours and thin lines).
MAP_FORMAT, CHART_FORMAT = ("JPG", 92), ("PNG", 80)
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
LANGUAGE = "en-GB"


def write_profile_docx(project: QgsProject, pack: LoadedPack, compare: ComparePack,
                       hub: str | None, target: Path, options: WrittenOptions | None = None,
                       background: bool = False,
                       warn: Callable[[str], None] | None = None) -> Path:
    """Write the profile of ``hub`` (None: the city's) to ``target``, whole or not at all."""
    try:
        import docx  # noqa: F401  (python-docx: only Word export needs it)
    except ImportError:
        raise JsnaInputError("Word profiles need python-docx (Debian: apt install python3-docx; "
                             "elsewhere: pip install python-docx)") from None
    table = profile_table(compare, hub)
    narrative, assets = written_profile(compare, hub, options, warn)
    maps = map_images(project, pack, hub, WORD_DPI, background, warn)
    assets_map = assets_map_image(project, pack, hub, assets, WORD_DPI) \
        if any(a.placed for a in assets) else None
    document = _Profile(pack, compare, table, hub, narrative, maps, assets, assets_map).build()
    return replace_atomically(target, lambda tmp: document.save(str(tmp)),
                              lambda tmp: verify.zip_archive(tmp, ("word/document.xml",)))


@dataclass(frozen=True)
class _Cell:
    text: str
    fill: str | None = None
    colour: str = "#000000"
    bold: bool = False
    right: bool = False
    upright: bool = False  # read bottom to top: a narrow column's long name


def _encoded(image, fmt: str, quality: int) -> io.BytesIO:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, fmt, quality)
    buffer.close()
    return io.BytesIO(bytes(data))


class _Profile:
    """One document, built top to bottom."""

    def __init__(self, pack: LoadedPack, compare: ComparePack, table: CompareTable,
                 hub: str | None, narrative: Narrative, maps: dict, assets: list, assets_map):
        from docx import Document

        self.pack, self.compare, self.table, self.hub = pack, compare, table, hub
        self.narrative, self.maps = narrative, maps
        self.assets, self.assets_map = assets, assets_map
        self.place = compare.place
        self.name = profile_name(self.place, hub)
        self.doc = Document()
        self.figures = self.tables = 0
        self.headings: list[tuple[int, str, str]] = []  # (level, text, bookmark) for contents

    def build(self):
        self.page_setup()
        self.cover()
        contents = self.contents()
        self.summary()
        for number, chapter in enumerate(schema.DOMAINS, start=1):
            self.chapter(number, chapter)
        self.what_changed()
        self.community_assets()
        self.sources()
        self.fill_contents(contents)
        return self.doc

    # Set-up ---------------------------------------------------------------------------------
    def page_setup(self) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt

        for section in self.doc.sections:
            section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
            section.left_margin = section.right_margin = Cm(MARGIN_CM)
            section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
            footer = section.footer.paragraphs[0]
            footer.text = f"{self.name}: area profile · page "
            _field(footer, "PAGE")
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = "Arial", Pt(10)
        properties = self.doc.core_properties
        properties.title = f"{self.name}: area profile"
        properties.subject = f"{self.place} Joint Strategic Needs Assessment"
        properties.author = "JSNA Area Profiles"
        properties.language = LANGUAGE
        language = OxmlElement("w:lang")  # what screen readers speak it in
        language.set(qn("w:val"), LANGUAGE)
        normal.element.get_or_add_rPr().append(language)

    def cover(self) -> None:
        doc = self.doc
        self.para(f"{self.name}: area profile", "Title")
        compared = "neighbourhoods" if self.hub else "Family Hub areas"
        self.para(f"{self.place} Joint Strategic Needs Assessment · {compared} compared with "
                  f"the {self.place} average · {date.today():%B %Y}", "Subtitle")
        if self.hub:
            names = [a.name for a in self.table.areas if a.level == schema.LEVEL_NEIGHBOURHOOD]
            doc.add_paragraph(f"Neighbourhoods ({len(names)})").runs[0].bold = True
            for name in names:
                self.para(name, "ListBullet")
            note = next((n for h, n in sources_context(self.pack)["memberships"]
                         if h == self.hub), "")
            doc.add_paragraph(f"Membership: {note}.")
        else:
            hubs = [a.name for a in self.table.areas if a.level == schema.LEVEL_HUB]
            doc.add_paragraph(f"Family Hub areas ({len(hubs)})").runs[0].bold = True
            for name in hubs:
                self.para(name, "ListBullet")
            doc.add_paragraph(f"Ranks: 1st of {len(hubs)} = the worst figure by the "
                              "indicator's polarity.")

    def contents(self):
        """Where the contents go: filled with the document's headings once they are written,
        as real entries linking to them (not a field Word asks to update)."""
        self.para("Contents", "TOCHeading")
        place = self.doc.add_paragraph()
        self.doc.add_page_break()
        return place

    def fill_contents(self, place) -> None:
        from docx.oxml import parse_xml

        entries, part = [], ""
        for level, text, mark in self.headings:  # parts, and the topics of the chapters
            part = text if level == 1 else part
            if level == 1 or (level == 2 and part != "Executive summary"):
                entries.append((level, text, mark))
        for level, text, mark in reversed(entries):
            place._p.addnext(parse_xml(
                f'<w:p {_W}><w:pPr><w:spacing w:after="40"/><w:ind w:left="{(level - 1) * 360}"/>'
                "</w:pPr>"
                f'<w:hyperlink w:anchor="{mark}" w:history="1"><w:r><w:t xml:space="preserve">'
                f"{escape(text)}</w:t></w:r></w:hyperlink></w:p>"))
        place._p.getparent().remove(place._p)

    # Parts ------------------------------------------------------------------------------------
    def summary(self) -> None:
        doc, narrative = self.doc, self.narrative
        self.para("Executive summary", "Heading1")
        doc.add_paragraph(narrative.summary_intro)
        for number, chapter in enumerate(schema.DOMAINS, start=1):
            self.para(f"{number}. {chapter}", "Heading2")
            found = narrative.summary.get(chapter, [])
            for sentence in found:
                self.para(sentence.text, "ListBullet")
            if not found:
                doc.add_paragraph(narrative.summary_none)

    def chapter(self, number: int, chapter: str) -> None:
        doc = self.doc
        doc.add_page_break()
        self.para(f"{number}. {chapter}", "Heading1")
        self.key()
        for topic in self.narrative.chapter_topics(chapter):
            self.para(topic.name, "Heading2")
            self.para(WHY, "Heading3")
            doc.add_paragraph(topic.why)
            self.para(LOCAL_PICTURE, "Heading3")
            for sentence in topic.sentences:
                self.para(sentence.text, "ListBullet")
            if topic.indicators:
                self.comparison_table(topic.name, list(topic.indicators))
            self.para(WHAT_ELSE, "Heading3")
            self.council_text(topic.what_else)
        charts = chapter_charts(self.compare, self.table, self.hub, chapter)
        if self.maps.get(chapter) or charts:
            self.para(f"{chapter}: maps and charts", "Heading2")
            self.images(self.maps.get(chapter, []), charts)

    def what_changed(self) -> None:
        charts = trend_charts(self.compare, self.hub)
        if not charts:
            return
        self.doc.add_page_break()
        self.para(CHANGE_CHAPTER_TITLE, "Heading1")
        self.doc.add_paragraph("How has the local picture changed? Each figure in its earlier "
                               "period and today, with 95% confidence intervals, against "
                               f"{self.narrative.comparator}.")
        self.images(self.maps.get(CHANGE_CHAPTER, []), charts)

    def community_assets(self) -> None:
        if not self.assets:
            return
        doc = self.doc
        doc.add_page_break()
        self.para("Community assets", "Heading1")
        doc.add_paragraph(f"Places and groups the council lists for {self.hub or self.place}, "
                          "numbered as on the map.")
        rows = [[_Cell(h, bold=True, fill=HEADER_FILL)
                 for h in ("No.", "Name", "Description", "Postcode", "On the map")]]
        rows += [[_Cell(str(a.number)), _Cell(a.name), _Cell(a.description),
                  _Cell(a.postcode or "–"),
                  _Cell("yes" if a.placed else "no: " + ("postcode not found" if a.postcode
                                                         else "no postcode"))]
                 for a in self.assets]
        self.add_table(rows, [1.0, 4.0, 7.0, 2.2, 2.8], 8)
        if self.assets_map is not None:
            self.picture(self.assets_map, TEXT_WIDTH_CM,
                         f"{self.hub or self.place}: community assets", "Map", MAP_FORMAT)

    def sources(self) -> None:
        doc = self.doc
        doc.add_page_break()
        self.para("Sources, licences and methods", "Heading1")
        for kind, text in sources_blocks(self.table.indicators, **sources_context(self.pack)):
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(text)
            if kind == "heading":
                run.bold = True
            elif kind == "note":
                _grey(run)
        self.para("Indicator notes", "Heading1")
        for titles, note in indicator_notes(self.table.indicators):
            doc.add_paragraph().add_run(titles).bold = True
            doc.add_paragraph(note)

    # Pieces -----------------------------------------------------------------------------------
    def para(self, text: str, style_id: str = ""):
        """A paragraph in a style named by its id (a lookup by name costs a search per call);
        a heading gets a bookmark, for the contents to link to."""
        paragraph = self.doc.add_paragraph(text)
        if style_id:
            paragraph._p.get_or_add_pPr().style = style_id
        if style_id.startswith("Heading") and style_id[-1].isdigit():
            from docx.oxml import parse_xml

            number = len(self.headings) + 1
            mark = f"_heading{number}"
            paragraph._p.insert(1, parse_xml(f'<w:bookmarkStart {_W} w:id="{number}" '
                                             f'w:name="{mark}"/>'))
            paragraph._p.append(parse_xml(f'<w:bookmarkEnd {_W} w:id="{number}"/>'))
            self.headings.append((int(style_id[-1]), text, mark))
        return paragraph

    def council_text(self, blocks) -> None:
        for kind, body in blocks:
            if kind == "bullet":
                self.para(body, "ListBullet")
            elif kind == "heading":
                self.doc.add_paragraph().add_run(body).bold = True
            else:
                run = self.doc.add_paragraph().add_run(body)
                if kind == "placeholder":  # plainly a gap to fill, never a blank
                    run.italic = True
                    _grey(run)

    def key(self) -> None:
        """The tables' colours, each shown in its own fill."""
        from docx.shared import Pt

        parts = [(SIGNIFICANCE_SHORT[k], colours) for k, colours in SIGNIFICANCE_COLOURS.items()]
        paragraph = self.doc.add_paragraph("Table colours, against the "
                                           f"{self.narrative.comparator} average: ")
        for text, (fill, colour) in parts:
            _shade_run(paragraph.add_run(f" {text} "), fill, colour)
            paragraph.add_run(" ")
        paragraph.add_run("· uncoloured: not tested (no confidence limits, a count, or no "
                          "comparator value).")
        for run in paragraph.runs:
            run.font.size = Pt(8)

    def comparison_table(self, topic: str, indicators: list) -> None:
        """The topic's indicators for every area of the profile (a national column only
        where it has a figure for the topic), coloured by significance."""
        areas = [a for a in self.table.areas if a.level not in NATIONAL or any(
            self.compare.cell(a, ind).has_value for ind in indicators)]
        first, period = (4.6 if len(areas) <= 9 else 3.8), 1.6
        width = (TEXT_WIDTH_CM - first - period) / len(areas)
        rows = [[_Cell("Indicator", bold=True, fill=HEADER_FILL),
                 _Cell("Period", bold=True, fill=HEADER_FILL),
                 *[_Cell(a.name, bold=True, fill=HEADER_FILL, upright=True) for a in areas]]]
        for ind in indicators:
            rows.append([_Cell(title_with_unit(ind)), _Cell(ind.period), *[
                _Cell(*shown_cell(self.table, area, ind), right=True) for area in areas]])
        self.add_table(rows, [first, period, *[width] * len(areas)], TABLE_POINTS)
        self.tables += 1
        self.para(f"Table {self.tables}: {topic}. {self.table.title} (coloured by significance, "
                  "95% confidence intervals).", "Caption")

    def add_table(self, rows: list[list[_Cell]], widths_cm: list[float], points: float) -> None:
        """A real Word table, written as one piece of XML (python-docx's cell by cell API takes
        a second for a profile's tables): grid widths, a header row repeated on each page,
        fills and text colours."""
        from docx.oxml import parse_xml

        twips = [round(w / 2.54 * 1440) for w in widths_cm]
        size = round(points * 2)
        xml = [f'<w:tbl {_W}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(twips)}" '
               'w:type="dxa"/><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="45" '
               'w:type="dxa"/><w:right w:w="45" w:type="dxa"/></w:tblCellMar></w:tblPr>'
               "<w:tblGrid>",
               *[f'<w:gridCol w:w="{t}"/>' for t in twips], "</w:tblGrid>"]
        for number, row in enumerate(rows):
            height = f'<w:trHeight w:val="{UPRIGHT_HEIGHT}" w:hRule="atLeast"/>' \
                if any(c.upright for c in row) else ""
            xml.append("<w:tr>" + (f"<w:trPr><w:tblHeader/>{height}</w:trPr>" if number == 0
                                   else ""))
            for cell, width in zip(row, twips):
                shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.fill.lstrip("#")}"/>' \
                    if cell.fill else ""
                align = '<w:jc w:val="right"/>' if cell.right else ""
                turn = '<w:textDirection w:val="btLr"/>' if cell.upright else ""
                run = ("<w:b/>" if cell.bold else "") + \
                    f'<w:color w:val="{cell.colour.lstrip("#")}"/><w:sz w:val="{size}"/>'
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}{turn}'
                           "</w:tcPr>"
                           f'<w:p><w:pPr><w:spacing w:after="0"/>{align}</w:pPr><w:r><w:rPr>'
                           f'{run}</w:rPr><w:t xml:space="preserve">{escape(cell.text)}</w:t>'
                           "</w:r></w:p></w:tc>")
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        self.doc.element.body.insert_element_before(parse_xml("".join(xml)), "w:sectPr")

    def images(self, maps: list, charts: list) -> None:
        for caption, image in maps:
            self.picture(image, TEXT_WIDTH_CM, caption, "Map", MAP_FORMAT)
        scale = WORD_DPI / 2.54 * CHART_WIDTH_CM / CHART_WIDTH
        for chart in charts:
            self.picture(to_png(chart, CHART_WIDTH, scale), CHART_WIDTH_CM, chart.title)

    def picture(self, image, width_cm: float, caption: str, kind: str = "Figure",
                fmt: tuple = CHART_FORMAT) -> None:
        from docx.shared import Cm

        shape = self.doc.add_picture(_encoded(image, *fmt), width=Cm(width_cm))
        self.figures += 1
        described = shape._inline.docPr  # alt text: what the picture shows, as its caption says
        described.set("title", f"{kind} {self.figures}")
        described.set("descr", f"{kind} {self.figures}: {caption}. The figures it shows are in "
                               "the tables and sentences of this section.")
        self.para(f"{kind} {self.figures}: {caption}", "Caption")


def _grey(run) -> None:
    from docx.shared import RGBColor

    run.font.color.rgb = RGBColor.from_string(GREY)


def _shade(properties, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill.lstrip("#"))
    properties.append(shading)


def _shade_run(run, fill: str, colour: str) -> None:
    from docx.shared import RGBColor

    _shade(run._r.get_or_add_rPr(), fill)
    run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))


def _field(paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (page number, table of contents) that Word fills in."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def part(kind: str):
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        return char
    begin, code = paragraph.add_run(), paragraph.add_run()
    begin._r.append(part("begin"))
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    code._r.append(text)
    paragraph.add_run()._r.append(part("separate"))
    paragraph.add_run(shown or "1")
    paragraph.add_run()._r.append(part("end"))
