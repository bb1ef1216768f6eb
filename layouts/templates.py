"""The report map arrangement as QGIS layout templates (.qpt), one per paper size and
orientation, for planners who start from QGIS's own "New from template"."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProject, QgsReadWriteContext, QgsRectangle

from ..core.catalogue import SOURCES
from . import items
from .items import PAPER_SIZES, Paper
from .report_map import report_boxes

PLACEHOLDER_EXTENT = QgsRectangle(0, 0, 1000, 1000)


def template_layout(project: QgsProject, paper: Paper):
    """Every item of a report map, with placeholder text and no layers, for the user to fill."""
    layout = items.new_layout(project, f"JSNA report map {paper.size} {paper.orientation}")
    items.set_page(layout, 0, paper)
    boxes, s = report_boxes(paper), paper.scale
    items.label(layout, "title", "Area: map title", boxes["title"], 16 * s, bold=True)
    items.label(layout, "subtitle", "Indicator · period · compared with the local average",
                boxes["subtitle"], 10 * s, colour="#404040")
    main = items.map_item(layout, "map", [], PLACEHOLDER_EXTENT, boxes["map"])
    items.legend(layout, main, [], boxes["legend"], scale=s).setAutoUpdateModel(True)
    items.locator(layout, main, [], PLACEHOLDER_EXTENT, boxes["locator"])
    items.north_arrow(layout, main, boxes["north_arrow"])
    x, y, width = boxes["scale_bar"]
    items.scale_bar(layout, main, x, y, width=width)
    items.label(layout, "sources", f"Sources: (indicator source and licence) | "
                f"{SOURCES['boundaries'].attribution}. Map produced "
                "[% format_date(now(), 'd MMMM yyyy') %] with JSNA Area Profiles.",
                boxes["sources"], 7 * s, colour="#404040")
    return layout


def write_templates(folder: Path) -> list[Path]:
    """One .qpt per paper size and orientation, e.g. jsna_report_map_A4_landscape.qpt."""
    folder.mkdir(parents=True, exist_ok=True)
    project = QgsProject()
    written = []
    for size in PAPER_SIZES:
        for orientation in items.ORIENTATIONS:
            paper = Paper(size, orientation)
            layout = template_layout(project, paper)
            path = folder / f"jsna_report_map_{size}_{orientation}.qpt"
            if not layout.saveAsTemplate(str(path), QgsReadWriteContext()):
                raise OSError(f"could not write {path}")
            written.append(path)
    return written
