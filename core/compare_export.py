"""The comparison table as CSV, XLSX, and tab-separated text and HTML for the clipboard."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from . import schema as s
from . import statistics as st
from . import verify
from .compare import ALL_HUBS, LONG_COLUMNS, CompareTable
from .files import write_bytes_atomically
from .formatting import excel_format, format_value, ordinal

# Fingertips' significance colours: (fill, text).
SIGNIFICANCE_COLOURS = {
    st.BETTER: ("#92D050", "#000000"),
    st.SIMILAR: ("#FFC000", "#000000"),
    st.WORSE: ("#C00000", "#FFFFFF"),
    st.HIGHER: ("#5555E6", "#FFFFFF"),
    st.LOWER: ("#BED2FF", "#000000"),
}
SIGNIFICANCE_SHORT = {
    st.BETTER: "Better", st.SIMILAR: "Similar", st.WORSE: "Worse", st.HIGHER: "Higher",
    st.LOWER: "Lower", st.NOT_TESTED: "Not tested",
}
SIGNIFICANCE_LABELS = {
    st.BETTER: "Significantly better", st.SIMILAR: "Not significantly different",
    st.WORSE: "Significantly worse", st.HIGHER: "Significantly higher",
    st.LOWER: "Significantly lower", st.NOT_TESTED: "Not tested",
}


def grid(table: CompareTable) -> list[list[str]]:
    """Header plus one row per indicator: the figures as the panel shows them."""
    header = ["Domain", "Indicator", "Period", "Unit"] + [a.name for a in table.areas]
    rows = [header]
    for ind in table.indicators:
        cells = [table.cell(area, ind) for area in table.areas]
        rows.append([ind.domain, ind.title, ind.period, ind.unit]
                    + [format_value(ind, c.value) for c in cells])
    return rows


def shown_cell(table: CompareTable, area, indicator) -> tuple[str, str | None, str]:
    """(text, fill or None, text colour) of a profile table's cell: the figure as the tables
    round it, coloured by significance; hubs side by side also carry their rank ("3rd")."""
    cell = table.cell(area, indicator)
    fill, colour = SIGNIFICANCE_COLOURS.get(cell.significance, (None, "#000000"))
    text = format_value(indicator, cell.value)
    if area.level == s.LEVEL_HUB and table.hub == ALL_HUBS and cell.rank:
        text += f" ({ordinal(cell.rank)})"
    return text, fill, colour


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """Text a spreadsheet will not run as a formula: names and titles come from outside, and
    "=HYPERLINK(...)" or "@SUM(...)" must stay text. Numbers ("-1.5", "-2%") are left as they
    are; other text starting with = + - @ tab or CR gets a leading apostrophe (OWASP's advice)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value.replace(",", "").removesuffix("%"))
        return value
    except ValueError:
        return "'" + value


def to_tsv(table: CompareTable) -> str:
    """Tab-separated text: pastes into Excel and Word as a table."""
    return "\n".join("\t".join(_clean(inert(v)) for v in row) for row in grid(table)) + "\n"


def to_html(table: CompareTable) -> str:
    """The same grid as an HTML table with significance colours: Word pastes it as a table."""
    rows = [[inert(v) for v in row] for row in grid(table)]
    head = "".join(f"<th>{_escape(h)}</th>" for h in rows[0])
    body = []
    for ind, row in zip(table.indicators, rows[1:]):
        cells = [f"<td>{_escape(v)}</td>" for v in row[:4]]
        for area, text in zip(table.areas, row[4:]):
            fill, colour = SIGNIFICANCE_COLOURS.get(table.cell(area, ind).significance,
                                                    ("#FFFFFF", "#000000"))
            cells.append(f'<td style="background:{fill};color:{colour};text-align:right">'
                         f"{_escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = _escape(f"Compared with {table.comparator_name} (95% confidence intervals)")
    return (f'<table border="1" cellspacing="0"><caption>{caption}</caption><tr>{head}</tr>'
            + "".join(body) + "</table>")


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: str) -> str:
    return str(text).replace("\t", " ").replace("\n", " ")


def csv_text(table: CompareTable) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LONG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: inert(v) for k, v in row.items()} for row in table.long_rows())
    return buffer.getvalue()


def write_csv(table: CompareTable, path: str | Path) -> Path:
    """UTF-8 with a byte-order mark, so Excel reads names like "Naul's Mill" and dashes right."""
    return write_bytes_atomically(path, csv_text(table).encode("utf-8-sig"))


def write_xlsx(table: CompareTable, path: str | Path) -> Path:
    """A workbook: the coloured comparison, the long data with limits, and the sources."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Comparison"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    rows = grid(table)
    sheet.append(rows[0])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, ind in enumerate(table.indicators, start=3):
        sheet.append(rows[r - 2][:4])
        for c, area in enumerate(table.areas, start=5):
            cell = table.cell(area, ind)
            target = sheet.cell(row=r, column=c, value=None if math.isnan(cell.value)
                                else cell.value)  # a number Excel can sum and chart
            target.number_format = excel_format(ind)
            colours = SIGNIFICANCE_COLOURS.get(cell.significance)
            if colours:
                fill, text = colours
                target.fill = PatternFill("solid", fgColor=fill[1:])
                target.font = Font(color=text[1:])
    key_row = len(table.indicators) + 4
    sheet.cell(row=key_row, column=1, value=f"Colours: significance against {table.comparator_name} "
               "(95% confidence interval)").font = Font(italic=True)
    for i, (outcome, (fill, text)) in enumerate(SIGNIFICANCE_COLOURS.items(), start=1):
        cell = sheet.cell(row=key_row + i, column=1, value=SIGNIFICANCE_LABELS[outcome])
        cell.fill = PatternFill("solid", fgColor=fill[1:])
        cell.font = Font(color=text[1:])
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 48
    sheet.freeze_panes = "E3"

    data = book.create_sheet("Data")
    data.append(list(LONG_COLUMNS))
    for row in table.long_rows():
        data.append([row[c] for c in LONG_COLUMNS])
    sources = book.create_sheet("Sources")
    sources.append(["Indicator", "Period", "Source", "Licence", "Attribution"])
    for ind in table.indicators:
        sources.append([ind.title, ind.period, ind.source, ind.licence, ind.attribution])
    for worksheet in book.worksheets:
        _text_not_formulas(worksheet)
    buffer = io.BytesIO()  # made in memory: a failed write cannot leave openpyxl half-way
    book.save(buffer)
    data = buffer.getvalue()
    verify.zip_archive(io.BytesIO(data), ("[Content_Types].xml", "xl/worksheets/sheet3.xml"))
    return write_bytes_atomically(path, data)


def _text_not_formulas(sheet) -> None:
    """openpyxl makes any text starting with '=' a formula: keep every such cell as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
