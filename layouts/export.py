"""Exporting layouts and atlases to PDF, PNG or SVG: to a temporary file, then renamed.

A failure never leaves a partial file and never changes an existing one; every problem is a
JsnaInputError with a message a planner can act on.
"""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import Qgis, QgsLayoutExporter, QgsPrintLayout, QgsRenderContext

from ..core import verify
from ..core.errors import JsnaInputError
from ..core.files import (
    distinct_file_names,
    refuse_database,
    replace_atomically,
    same_name_key,
    temporary_beside,
    write_error,
    written_beside,
)
from ..core.gdal_calls import quiet_gdal

FORMATS = ("pdf", "png", "svg")
# QGIS 3.22 names it on QgsRenderContext; later versions on Qgis.
ALWAYS_TEXT = (Qgis.TextRenderFormat.AlwaysText if hasattr(Qgis, "TextRenderFormat")
               else QgsRenderContext.TextRenderFormat.TextFormatAlwaysText)


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
        with quiet_gdal():  # world files for PNG are optional
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
    return replace_atomically(out, write, verify.by_format(fmt))


def export_atlas(layout: QgsPrintLayout, out: str | Path, one_file: bool = True,
                 dpi: int = 150, overwrite: bool = False) -> list[Path]:
    """An atlas as one multi-page PDF at ``out``, or one PDF per feature in the folder ``out``,
    named after the feature's page name (files already there are replaced only when
    ``overwrite`` is given). On failure no file is written or changed."""
    atlas = _begin_atlas(layout)
    out = Path(out)
    try:
        if one_file:
            def write(tmp: Path) -> None:
                result, error = QgsLayoutExporter.exportToPdf(atlas, str(tmp), pdf_settings(dpi))
                _check(result, tmp)
            return [replace_atomically(out, write, verify.pdf)]
        if not out.is_dir():
            raise JsnaInputError(f"Folder not found: {out}")
        names = distinct_file_names([atlas.nameForPage(i) for i in range(atlas.count())])
        targets = _page_targets(out, names, overwrite)
        return _export_pages(layout, targets, dpi)
    finally:
        atlas.endRender()


def _begin_atlas(layout: QgsPrintLayout):
    atlas = layout.atlas()
    if not atlas.enabled() or atlas.coverageLayer() is None:
        raise JsnaInputError("This layout has no atlas")
    if not atlas.beginRender() or atlas.count() == 0:
        atlas.endRender()
        raise JsnaInputError("The atlas has no pages: its coverage layer has no features")
    return atlas


def atlas_files_present(layout: QgsPrintLayout, folder: str | Path) -> list[Path]:
    """The files in ``folder`` a per-neighbourhood export would replace (to ask first)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    atlas = _begin_atlas(layout)
    try:
        names = distinct_file_names([atlas.nameForPage(i) for i in range(atlas.count())])
    finally:
        atlas.endRender()
    present = {same_name_key(p.name): p for p in folder.iterdir()}
    return [present[key] for key in (same_name_key(f"{n}.pdf") for n in names) if key in present]


def _page_targets(folder: Path, names: list[str], overwrite: bool) -> list[Path]:
    """Where each page goes; files already there (by any spelling a case-insensitive system
    would take for the same file) are replaced only when ``overwrite`` is given."""
    present = {same_name_key(p.name): p for p in folder.iterdir()}
    targets = []
    for name in names:
        existing = present.get(same_name_key(f"{name}.pdf"))
        if existing is None:
            targets.append(folder / f"{name}.pdf")
            continue
        if existing.is_dir():
            raise JsnaInputError(f"A folder called {existing.name} is in the way in {folder}")
        refuse_database(existing)
        if not overwrite:
            clashes = [n for n in names if same_name_key(f"{n}.pdf") in present]
            raise JsnaInputError(
                f"{len(clashes)} of the {len(names)} files are already in {folder} (e.g. "
                f"{existing.name}); choose an empty folder, or allow replacing them")
        targets.append(existing)
    return targets


def _export_pages(layout: QgsPrintLayout, targets: list[Path], dpi: int) -> list[Path]:
    """Every page to a checked temporary file first; only when all are written do they take
    their places, and if one cannot, the files already moved are put back as they were."""
    atlas = layout.atlas()
    temps: list[Path] = []

    def page(tmp: Path) -> None:
        _check(QgsLayoutExporter(layout).exportToPdf(str(tmp), pdf_settings(dpi)), tmp)
    try:
        for i, target in enumerate(targets):
            atlas.seekTo(i)
            temps.append(written_beside(target, page, verify.pdf))
        _put_in_place(temps, targets)
        return targets
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def _put_in_place(temps: list[Path], targets: list[Path]) -> None:
    """Rename each temporary file to its target, keeping the old files aside until all are in
    place; on any failure, every target is as it was before."""
    kept: list[tuple[Path, Path]] = []  # (old file moved aside, its place)
    placed: list[Path] = []
    try:
        for tmp, target in zip(temps, targets):
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
                aside = temporary_beside(target, ".old")
                try:
                    os.replace(target, aside)
                except OSError:
                    aside.unlink(missing_ok=True)  # the placeholder made for it
                    raise
                kept.append((aside, target))
            os.replace(tmp, target)
            placed.append(target)
    except (OSError, JsnaInputError) as exc:
        for target in placed:
            target.unlink(missing_ok=True)
        for aside, target in kept:
            os.replace(aside, target)
        if isinstance(exc, JsnaInputError):
            raise
        raise write_error(exc, targets[len(placed)]) from None
    for aside, _target in kept:
        aside.unlink(missing_ok=True)
