"""Reading one sheet of a user's XLSX workbook as text: streamed, through defusedxml.

A preview reads only the rows it shows and only the shared strings those rows use, so an
8 MB workbook previews in a moment; the XML may not declare a DTD or entities, nor name
other files. Cells come back as the workbook stores them ("40", "3.5", "E01009522").
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pandas as pd

from ..core.errors import JsnaInputError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOCUMENT_RELATIONS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELATIONS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CELL_COLUMN = re.compile(r"^([A-Z]+)")


def _iterparse(stream):
    try:
        from defusedxml.ElementTree import iterparse
    except ImportError:
        raise JsnaInputError("Reading XLSX files safely needs the Python package defusedxml; "
                             "install it, or save the table as CSV") from None
    return iterparse(stream, events=("end",), forbid_dtd=True)


def sheet_rows(path: Path, sheet: str = "", limit: int | None = None) -> list[list[str]]:
    """The first ``limit`` rows (all rows when None) of ``sheet`` (default: the first)."""
    with zipfile.ZipFile(path) as book:
        member = _sheet_member(book, sheet, Path(path).name)
        cells = _cells(book, member, limit)
        needed = max((int(v) for row in cells for _c, kind, v in row if kind == "s"), default=-1)
        strings = _shared_strings(book, needed)
    rows = []
    for row in cells:
        width = max((column for column, _k, _v in row), default=-1) + 1
        values = [""] * width
        for column, kind, value in row:
            values[column] = strings[int(value)] if kind == "s" else value
        rows.append(values)
    return rows


def sheet_frame(path: Path, sheet: str = "", rows: int | None = None) -> pd.DataFrame:
    """The sheet's cells as text, its first row the header (an empty header cell is
    "Unnamed: <position>"); ``rows``: only the first rows after it."""
    table = sheet_rows(path, sheet, None if rows is None else rows + 1)
    if not table:
        raise JsnaInputError(f"{Path(path).name}: the sheet is empty")
    width = max(len(row) for row in table)
    header = [name or f"Unnamed: {i}" for i, name in
              enumerate(table[0] + [""] * (width - len(table[0])))]
    return pd.DataFrame([row + [""] * (width - len(row)) for row in table[1:]], columns=header,
                        dtype=str)


def _sheet_member(book: zipfile.ZipFile, sheet: str, name: str) -> str:
    """The archive member holding ``sheet``, found through the workbook and its relations."""
    with book.open("xl/workbook.xml") as stream:  # each member closed as soon as it is read
        sheets = [(e.get("name"), e.get(f"{DOCUMENT_RELATIONS}id"))
                  for _event, e in _iterparse(stream) if e.tag == f"{MAIN}sheet"]
    with book.open("xl/_rels/workbook.xml.rels") as stream:
        targets = {e.get("Id"): e.get("Target") for _event, e in _iterparse(stream)
                   if e.tag == f"{PACKAGE_RELATIONS}Relationship"}
    chosen = next((rid for title, rid in sheets if title == sheet), None) if sheet else \
        (sheets[0][1] if sheets else None)
    if chosen is None:
        raise JsnaInputError(f"{name}: no sheet called '{sheet}' (sheets: "
                             f"{', '.join(title for title, _ in sheets)})")
    target = targets.get(chosen, "")
    member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join("xl", target))
    if member not in book.namelist():
        raise ValueError(f"the sheet's part {target} is missing")
    return member


def _column(reference: str | None, position: int) -> int:
    letters = CELL_COLUMN.match(reference or "")
    if letters is None:
        return position
    number = 0
    for letter in letters.group(1):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _cells(book: zipfile.ZipFile, member: str, limit: int | None) -> list[list[tuple]]:
    """Rows as (column, kind, text) cells; kind "s" means a shared-string index."""
    with book.open(member) as stream:  # closed even when only the first rows are read
        return _rows_of(_iterparse(stream), limit)


def _rows_of(elements, limit: int | None) -> list[list[tuple]]:
    rows, row = [], []
    for _event, element in elements:
        if element.tag == f"{MAIN}c":
            kind = element.get("t", "n")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in element.iter(f"{MAIN}t"))
            else:
                value = element.find(f"{MAIN}v")
                text = "" if value is None or value.text is None else value.text
            row.append((_column(element.get("r"), len(row)), kind, text))
            element.clear()
        elif element.tag == f"{MAIN}row":
            rows.append(row)
            row = []
            element.clear()
            if limit is not None and len(rows) >= limit:
                break
    return rows


def _shared_strings(book: zipfile.ZipFile, last: int) -> list[str]:
    """Shared strings 0..``last``: the rest of the table is not read."""
    strings: list[str] = []
    if last < 0 or "xl/sharedStrings.xml" not in book.namelist():
        return strings
    with book.open("xl/sharedStrings.xml") as stream:
        for _event, element in _iterparse(stream):
            if element.tag == f"{MAIN}si":  # plain text, or rich-text runs; not phonetic guides
                runs = [element.find(f"{MAIN}t")] + [r.find(f"{MAIN}t")
                                                     for r in element.findall(f"{MAIN}r")]
                strings.append("".join(t.text or "" for t in runs if t is not None))
                element.clear()
                if len(strings) > last:
                    break
    if len(strings) <= last:
        raise ValueError("its shared strings are cut short")
    return strings
