"""Reading users' workbooks: cells as the workbook stores them, any sheet by name, and a
preview that reads only the rows it shows (workbooks here are synthetic test data)."""

import zipfile

import pytest
from openpyxl import Workbook

from jsna_profiles.builder.add_indicator import preview, read_any_table
from jsna_profiles.builder.xlsx import sheet_rows
from jsna_profiles.core.errors import JsnaInputError


def workbook(path, rows: int = 5):
    book = Workbook()
    sheet = book.active
    sheet.title = "notes"
    sheet.append(["about this synthetic workbook"])
    rates = book.create_sheet("rates")
    rates.append(["code", "name", "n", "d"])
    for i in range(rows):
        rates.append([f"E0100{9522 + i}", f"Area {i}", i, 40.5])
    rates["F2"] = "far column"
    book.save(path)
    return path


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def shared_strings_workbook(path, strings: list[str], rows: list[list[int]]):
    """A minimal workbook as Excel writes them: every text cell an index into sharedStrings.xml
    (openpyxl 3.0 writes inline strings instead). The third string is rich text with a
    phonetic guide, which is not part of the cell's text."""
    items = [f"<si><t>{text}</t></si>" for text in strings]
    items[2] = f"<si><r><t>{strings[2][:4]}</t></r><r><t>{strings[2][4:]}</t></r>" \
               "<rPh sb='0' eb='1'><t>ruby</t></rPh></si>"
    sheet = "".join(f'<row r="{r + 1}">' + "".join(
        f'<c r="{chr(65 + c)}{r + 1}" t="s"><v>{index}</v></c>' for c, index in enumerate(row))
        + "</row>" for r, row in enumerate(rows))
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"/>',
        "xl/workbook.xml": f'<workbook {MAIN} xmlns:r="{RELS}"><sheets><sheet name="rates" '
                           'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/'
                                      'package/2006/relationships"><Relationship Id="rId1" '
                                      'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f"<worksheet {MAIN}><sheetData>{sheet}</sheetData>"
                                    "</worksheet>",
        "xl/sharedStrings.xml": f"<sst {MAIN}>{''.join(items)}</sst>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def cut_member(whole, cut, member: str, before: bytes):
    """A copy of the workbook whose ``member`` ends just before ``before``."""
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: data.index(before)] if item.filename == member else data)
    return cut


def test_cells_as_stored_by_sheet_name(tmp_path):
    rows = sheet_rows(workbook(tmp_path / "book.xlsx"), "rates")
    assert rows[0] == ["code", "name", "n", "d"]
    assert rows[1] == ["E01009522", "Area 0", "0", "40.5", "", "far column"]
    assert sheet_rows(tmp_path / "book.xlsx") == [["about this synthetic workbook"]]
    with pytest.raises(JsnaInputError, match="no sheet called 'Rates' \\(sheets: notes, rates\\)"):
        sheet_rows(tmp_path / "book.xlsx", "Rates")


def test_the_same_table_through_the_indicator_reader(tmp_path):
    frame = read_any_table(workbook(tmp_path / "book.xlsx", rows=3), "rates")
    assert list(frame.columns) == ["code", "name", "n", "d", "Unnamed: 4", "Unnamed: 5"]
    assert frame["n"].tolist() == ["0", "1", "2"]


def test_preview_reads_only_what_it_shows(tmp_path):
    """The sheet's XML is cut off after its first rows: the preview still works, a full read
    says the file is damaged; so the preview never reached the rest."""
    whole = workbook(tmp_path / "whole.xlsx", rows=2000)
    cut = cut_member(whole, tmp_path / "cut.xlsx", "xl/worksheets/sheet2.xml", b'<row r="40"')
    columns, rows = preview(cut, rows=5, sheet="rates")
    assert columns[:4] == ["code", "name", "n", "d"] and len(rows) == 5
    with pytest.raises(JsnaInputError, match="cut.xlsx: cannot be read as a table"):
        read_any_table(cut, "rates")


def test_shared_strings_and_rich_text(tmp_path):
    strings = ["code", "name", "Rich text", "E01009522"] + [f"unused {i}" for i in range(500)]
    path = shared_strings_workbook(tmp_path / "excel.xlsx", strings, [[0, 1], [3, 2]])
    assert sheet_rows(path) == [["code", "name"], ["E01009522", "Rich text"]]


def test_preview_reads_only_the_shared_strings_it_shows(tmp_path):
    strings = ["code", "name", "Rich text", "E01009522"] + [f"unused {i}" for i in range(500)]
    whole = shared_strings_workbook(tmp_path / "excel.xlsx", strings, [[0, 1], [3, 2], [400, 401]])
    cut = cut_member(whole, tmp_path / "cut.xlsx", "xl/sharedStrings.xml", b"<t>unused 10</t>")
    assert preview(cut, rows=1)[1] == [["E01009522", "Rich text"]]
    with pytest.raises(JsnaInputError, match="cannot be read as a table"):
        read_any_table(cut)
