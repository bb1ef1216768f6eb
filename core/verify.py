"""Checks that a written file is whole, before it takes the place of the user's file.

Writers do not always notice a full disk: QGIS's layout exporter reports success when the PDF
or SVG it wrote was cut short. Each check reads the file back and raises
:class:`IncompleteFileError` saying what is missing. No Qt; the standard library only.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat


class IncompleteFileError(Exception):
    """The file on disk is not the whole file its writer meant to write."""


_PDF_TAIL = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_SUBSECTION = re.compile(rb"\s*(\d+) (\d+)\s*")
_PREV = re.compile(rb"/Prev\s+(\d+)")


def pdf(path: Path) -> None:
    """Header, trailer, every cross-reference section, and every object they list: where they
    say, and each compressed stream inflating to its end (a PDF cut short, shifted by lost
    bytes or holed by a failed write fails; ``pdfinfo`` says "Couldn't find trailer")."""
    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF-"):
        raise IncompleteFileError("no PDF header")
    tail = _PDF_TAIL.search(data[-1024:])
    if tail is None:
        raise IncompleteFileError("no trailer at the end of the PDF")
    offset, seen, has_root, objects = int(tail.group(1)), set(), False, {}
    while offset is not None:
        if offset in seen or offset >= len(data):
            raise IncompleteFileError(f"cross-reference table at byte {offset} is missing")
        seen.add(offset)
        if data.startswith(b"xref", offset):
            offset, root, entries = _xref_table(data, offset + 4)
        else:
            offset, root, entries = _xref_stream(data, offset)
        has_root = has_root or root
        for number, where in entries.items():
            objects.setdefault(number, where)  # a later section replaces an earlier one
    if not has_root:
        raise IncompleteFileError("the PDF trailer names no document catalogue")
    for number, where in objects.items():
        _object_at(data, where, number)


_OBJECT = re.compile(rb"\s*(\d+)\s+\d+\s+obj\b")
_STREAM = re.compile(rb">>\s*stream\r?\n")


def _object_at(data: bytes, offset: int, number: int) -> None:
    """Object ``number`` starts at ``offset``; if it is a compressed stream, it inflates."""
    head = _OBJECT.match(data, offset)
    if head is None or int(head.group(1)) != number:
        raise IncompleteFileError(f"object {number} is not at byte {offset}")
    end = data.find(b"endobj", head.end())
    if end < 0:
        raise IncompleteFileError(f"object {number} is cut short")
    stream = _STREAM.search(data, head.end(), end)
    if stream is None or b"/FlateDecode" not in data[head.end():stream.start()]:
        return
    inflater, pending = zlib.decompressobj(), data[stream.end():end]
    try:
        while pending and not inflater.eof:
            inflater.decompress(pending, 1 << 20)  # a megabyte at a time: memory stays small
            pending = inflater.unconsumed_tail
    except zlib.error:
        raise IncompleteFileError(f"the stream of object {number} is damaged") from None
    if not inflater.eof:
        raise IncompleteFileError(f"the stream of object {number} is cut short")


def _xref_table(data: bytes, position: int) -> tuple[int | None, bool, dict]:
    entries = {}
    while True:
        header = _SUBSECTION.match(data, position)
        if header is None:
            break
        first, count = int(header.group(1)), int(header.group(2))
        position = header.end()
        for number in range(first, first + count):
            entry = _XREF_ENTRY.match(data, position)
            if entry is None:
                raise IncompleteFileError(f"cross-reference entry {number} is damaged")
            if entry.group(3) == b"n":
                entries[number] = int(entry.group(1))
            position = entry.end()
            while position < len(data) and data[position] in b" \r\n":
                position += 1
    if not data.startswith(b"trailer", position):
        raise IncompleteFileError("the PDF trailer is missing")
    end = data.find(b">>", position)
    if end < 0:
        raise IncompleteFileError("the PDF trailer is cut short")
    trailer = data[position:end]
    previous = _PREV.search(trailer)
    return (int(previous.group(1)) if previous else None), b"/Root" in trailer, entries


def _xref_stream(data: bytes, offset: int) -> tuple[int | None, bool, dict]:
    """A compressed cross-reference stream (PDF 1.5): its objects are checked like a table's."""
    head = re.match(rb"\s*(\d+)\s+\d+\s+obj\s*<<(.*?)>>\s*stream\r?\n",
                    data[offset:offset + 4096], re.S)
    if head is None or b"/XRef" not in head.group(2):
        raise IncompleteFileError(f"no cross-reference at byte {offset}")
    info = head.group(2)
    start = offset + head.end()
    end = data.find(b"endstream", start)
    widths = re.search(rb"/W\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s*\]", info)
    size = re.search(rb"/Size\s+(\d+)", info)
    if end < 0 or widths is None or size is None:
        raise IncompleteFileError("the cross-reference stream is cut short")
    try:
        table = zlib.decompress(data[start:end].rstrip(b"\r\n"))
    except zlib.error:
        raise IncompleteFileError("the cross-reference stream is damaged") from None
    w = [int(x) for x in widths.groups()]
    index = re.search(rb"/Index\s*\[([\d\s]+)\]", info)
    numbers = [int(x) for x in index.group(1).split()] if index else [0, int(size.group(1))]
    entries, row, position = {}, sum(w), 0
    for first, count in zip(numbers[::2], numbers[1::2]):
        for number in range(first, first + count):
            fields = [int.from_bytes(table[position + sum(w[:i]):position + sum(w[:i + 1])], "big")
                      for i in range(3)]
            position += row
            if (fields[0] if w[0] else 1) == 1:
                entries[number] = fields[1]
    previous = _PREV.search(info)
    return (int(previous.group(1)) if previous else None), b"/Root" in info, entries


def png(path: Path) -> None:
    """Signature, then chunks whose checksums match, ending with IEND."""
    data = Path(path).read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise IncompleteFileError("no PNG signature")
    position, kind = 8, b""
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 4:position + 8 + length]
        if len(body) != 4 + length or position + 12 + length > len(data):
            break
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        if zlib.crc32(body) & 0xFFFFFFFF != crc:
            raise IncompleteFileError(f"PNG chunk {kind.decode('latin-1')} is damaged")
        position += 12 + length
        if kind == b"IEND":
            return
    raise IncompleteFileError("the PNG image is cut short")


def xml_document(path: Path, root: str) -> None:
    """Well-formed XML whose root element is ``root`` (svg, qgis...); no entity declarations."""
    parser = expat.ParserCreate()
    roots: list[str] = []

    def start(name, _attributes):
        if not roots:
            roots.append(name.rsplit(":", 1)[-1])

    def refuse(*_args):
        raise IncompleteFileError("the file declares entities")
    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse
    try:
        with Path(path).open("rb") as stream:
            parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise IncompleteFileError(f"the XML is cut short or damaged ({expat.ErrorString(exc.code)})") \
            from None
    if roots != [root]:
        raise IncompleteFileError(f"the document is not {root}")


def svg(path: Path) -> None:
    xml_document(path, "svg")


def zip_archive(path: Path, members: tuple[str, ...] = ()) -> None:
    """A ZIP (XLSX, DOCX) whose every member is whole and which holds ``members``."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise IncompleteFileError(f"the archive is cut short or damaged ({exc})") from None
    if damaged is not None:
        raise IncompleteFileError(f"{damaged} in the archive is damaged")
    missing = [m for m in members if m not in names]
    if missing:
        raise IncompleteFileError(f"{missing[0]} is missing from the archive")


def same_bytes(path: Path, expected: bytes) -> None:
    written = Path(path).read_bytes()
    if written != expected:
        raise IncompleteFileError(f"{len(written):,} of {len(expected):,} bytes were written")


def by_format(fmt: str):
    """The check for an export format."""
    return {"pdf": pdf, "png": png, "svg": svg}[fmt]
