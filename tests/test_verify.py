"""The checks that stand between a written file and the user's file: a PDF, PNG, SVG or
workbook cut short anywhere, or with a hole in it, is caught (and pdfinfo agrees)."""

import subprocess
import zipfile

import pytest
from qgis.core import QgsProject

from jsna_profiles.core import verify
from jsna_profiles.layers.pack import open_pack
from jsna_profiles.layouts.export import export_layout
from jsna_profiles.layouts.report_map import ReportMap, report_layout


@pytest.fixture(scope="module")
def exports(coventry_pack, tmp_path_factory):
    """A real report map as PDF (georeferenced: GDAL appends a second cross-reference
    section), PNG and SVG, as QGIS writes them."""
    folder = tmp_path_factory.mktemp("exports")
    project = QgsProject()
    try:
        layout = report_layout(project, open_pack(coventry_pack, project),
                               ReportMap("fuel_poverty", "hub", "Harmony"))
        files = {fmt: export_layout(layout, folder / f"map.{fmt}", dpi=40)
                 for fmt in ("pdf", "png", "svg")}
    finally:
        project.clear()
    return files


def pdfinfo_accepts(path) -> bool:
    result = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    return result.returncode == 0 and "Syntax Error" not in result.stderr \
        and "Couldn't" not in result.stderr


def cut(source, target, length: int):
    target.write_bytes(source.read_bytes()[:length])
    return target


def test_whole_files_pass(exports):
    assert exports["pdf"].read_bytes().count(b"startxref") == 2  # QGIS's, then GDAL's update
    verify.pdf(exports["pdf"])
    verify.png(exports["png"])
    verify.svg(exports["svg"])


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg"])
def test_files_cut_short_anywhere_fail(exports, tmp_path, fmt):
    whole = exports[fmt]
    size = whole.stat().st_size
    check = verify.by_format(fmt)
    for length in (0, 8, size // 7, size // 2, size - 4096, size - 20, size - 2):
        short = cut(whole, tmp_path / f"short.{fmt}", length)
        with pytest.raises(verify.IncompleteFileError):
            check(short)
        if fmt == "pdf" and 0 < length <= size // 2:  # poppler agrees (it mends small cuts)
            assert not pdfinfo_accepts(short), length


def test_a_pdf_with_a_hole_fails(exports, tmp_path):
    """A write that failed in the middle (zeros where a block should be) and a body shifted by
    lost bytes, with the trailer intact, are both caught."""
    data = exports["pdf"].read_bytes()
    holed = tmp_path / "holed.pdf"
    middle = len(data) // 2
    holed.write_bytes(data[:middle] + bytes(4096) + data[middle + 4096:])
    with pytest.raises(verify.IncompleteFileError, match="object \\d+"):
        verify.pdf(holed)
    shifted = tmp_path / "shifted.pdf"
    shifted.write_bytes(data[:middle] + data[middle + 4096:])
    with pytest.raises(verify.IncompleteFileError):
        verify.pdf(shifted)


def test_a_png_with_a_damaged_chunk_fails(exports, tmp_path):
    data = bytearray(exports["png"].read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(bytes(data))
    with pytest.raises(verify.IncompleteFileError, match="damaged"):
        verify.png(damaged)


def test_workbooks_and_xml(tmp_path):
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>" * 200)
        archive.writestr("xl/workbook.xml", "<workbook/>" * 200)
    verify.zip_archive(book, ("xl/workbook.xml",))
    with pytest.raises(verify.IncompleteFileError, match="missing"):
        verify.zip_archive(book, ("xl/worksheets/sheet1.xml",))
    short = cut(book, tmp_path / "short.xlsx", book.stat().st_size - 30)
    with pytest.raises(verify.IncompleteFileError):
        verify.zip_archive(short)
    style = tmp_path / "style.qml"
    style.write_text("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis><a/></qgis>")
    verify.xml_document(style, "qgis")
    with pytest.raises(verify.IncompleteFileError, match="cut short"):
        verify.xml_document(cut(style, tmp_path / "short.qml", 70), "qgis")
    laughs = tmp_path / "laughs.svg"
    laughs.write_text('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>')
    with pytest.raises(verify.IncompleteFileError, match="entities"):
        verify.svg(laughs)


def test_same_bytes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"abc")
    verify.same_bytes(path, b"abc")
    with pytest.raises(verify.IncompleteFileError, match="3 of 4 bytes"):
        verify.same_bytes(path, b"abcd")
