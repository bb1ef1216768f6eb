"""Exporting layouts and atlases to PDF, PNG or SVG: to a temporary file, then renamed.

A failure never leaves a partial file and never changes an existing one; every problem is a
JsnaInputError with a message a planner can act on.
"""

from __future__ import annotations

import re
from pathlib import Path

from qgis.core import Qgis, QgsLayoutExporter, QgsPrintLayout, QgsRenderContext

from ..core.errors import JsnaInputError
from ..core.files import replace_atomically

FORMATS = ("pdf", "png", "svg")
# QGIS 3.22 names it on QgsRenderContext; later versions on Qgis.
ALWAYS_TEXT = (Qgis.TextRenderFormat.AlwaysText if hasattr(Qgis, "TextRenderFormat")
               else QgsRenderContext.TextRenderFormat.TextFormatAlwaysText)
NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(name: str) -> str:
    """A name usable as a file name on Windows, macOS and Linux; quotes and '&' stay."""
    cleaned = NOT_IN_FILE_NAMES.sub("-", name).strip(" .")
    if not any(c.isalnum() for c in cleaned):
        raise JsnaInputError(f"'{name}' cannot be turned into a file name")
    return cleaned


def _check(result, path: Path) -> None:
    if result != QgsLayoutExporter.ExportResult.Success:
        names = {QgsLayoutExporter.ExportResult.FileError: "the file could not be written",
                 QgsLayoutExporter.ExportResult.MemoryError: "not enough memory",
                 QgsLayoutExporter.ExportResult.PrintError: "the page could not be drawn",
                 QgsLayoutExporter.ExportResult.Canceled: "cancelled"}
        raise PermissionError(13, names.get(result, f"export error {int(result)}"))


def pdf_settings(dpi: int = 300) -> QgsLayoutExporter.PdfExportSettings:
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = dpi
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = True
    settings.appendGeoreference = True
    settings.exportMetadata = True
    settings.textRenderFormat = ALWAYS_TEXT  # selectable, searchable text, not outlines
    return settings


def export_layout(layout: QgsPrintLayout, out: str | Path, fmt: str | None = None,
                  dpi: int = 150) -> Path:
    """Write a layout as PDF (all pages, vector, georeferenced), PNG (one file per page after the
    first: name_2.png...) or SVG."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise JsnaInputError(f"Export format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    exporter = QgsLayoutExporter(layout)

    def write(tmp: Path) -> None:
        from osgeo import gdal

        gdal.PushErrorHandler("CPLQuietErrorHandler")  # world files for PNG are optional
        try:
            if fmt == "pdf":
                _check(exporter.exportToPdf(str(tmp), pdf_settings(dpi)), tmp)
            elif fmt == "png":
                settings = QgsLayoutExporter.ImageExportSettings()
                settings.dpi = dpi
                settings.generateWorldFile = False
                pages = layout.pageCollection().pageCount()
                if pages > 1:
                    raise JsnaInputError("PNG export of a layout with several pages: export "
                                         "one page at a time, or choose PDF")
                _check(exporter.exportToImage(str(tmp), settings), tmp)
            else:
                settings = QgsLayoutExporter.SvgExportSettings()
                settings.dpi = dpi
                settings.forceVectorOutput = True
                settings.exportAsLayers = False
                _check(exporter.exportToSvg(str(tmp), settings), tmp)
        finally:
            gdal.PopErrorHandler()
    return replace_atomically(out, write)


def export_atlas(layout: QgsPrintLayout, out: str | Path, one_file: bool = True,
                 dpi: int = 150) -> list[Path]:
    """An atlas as one multi-page PDF at ``out``, or one PDF per feature in the folder ``out``,
    named after the feature's page name. On failure no file is written or changed."""
    atlas = layout.atlas()
    if not atlas.enabled() or atlas.coverageLayer() is None:
        raise JsnaInputError("This layout has no atlas")
    out = Path(out)
    if not atlas.beginRender():
        raise JsnaInputError("The atlas has no pages: its coverage layer has no features")
    try:
        if atlas.count() == 0:
            raise JsnaInputError("The atlas has no pages: its coverage layer has no features")
        if one_file:
            def write(tmp: Path) -> None:
                result, error = QgsLayoutExporter.exportToPdf(atlas, str(tmp), pdf_settings(dpi))
                _check(result, tmp)
            return [replace_atomically(out, write)]
        if not out.is_dir():
            raise JsnaInputError(f"Folder not found: {out}")
        names = [safe_file_name(atlas.nameForPage(i)) for i in range(atlas.count())]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise JsnaInputError(f"Two pages would both be called '{duplicates[0]}.pdf'")
        return _export_pages(layout, out, names, dpi)
    finally:
        atlas.endRender()


def _export_pages(layout: QgsPrintLayout, folder: Path, names: list[str], dpi: int) -> list[Path]:
    """Every page to a temporary file first; only when all are written are they renamed."""
    atlas = layout.atlas()
    temps: list[Path] = []
    try:
        for i, name in enumerate(names):
            atlas.seekTo(i)
            tmp = folder / f".{name}.partial.pdf"
            temps.append(tmp)
            try:
                _check(QgsLayoutExporter(layout).exportToPdf(str(tmp), pdf_settings(dpi)), tmp)
            except PermissionError as exc:
                raise JsnaInputError(f"Cannot write {name}.pdf in {folder}: {exc.strerror}") \
                    from None
        targets = [folder / f"{name}.pdf" for name in names]
        for tmp, target in zip(temps, targets):
            tmp.replace(target)
        return targets
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
