"""An atlas of neighbourhoods: a report map page per neighbourhood of a hub (or of the city)."""

from __future__ import annotations

from qgis.core import QgsExpression, QgsFeatureRequest, QgsLayoutItemMap, QgsPrintLayout, QgsProject

from ..core import schema
from ..core.errors import JsnaInputError
from ..layers.pack import LoadedPack
from ..layers.themes import theme_heading, theme_styles
from . import items
from .items import Paper
from .report_map import ReportMap, emphasis, hub_emphasis, report_page


def atlas_layout(project: QgsProject, pack: LoadedPack, theme: str, hub: str | None = None,
                 paper: Paper | None = None, add_to_project: bool = False,
                 **options) -> QgsPrintLayout:
    """Neighbourhoods as the atlas coverage (only ``hub``'s when given), a page each, named after
    the neighbourhood; the map follows each one with a margin around it."""
    layer = pack.layer(schema.NEIGHBOURHOODS)
    coverage_filter = QgsExpression.createFieldEqualityExpression("hub", hub) if hub else ""
    request = QgsFeatureRequest(QgsExpression(coverage_filter)) if hub else QgsFeatureRequest()
    first = next(layer.getFeatures(request), None)
    if first is None:
        raise JsnaInputError(f"The hub '{hub}' has no neighbourhoods in the "
                             f"{pack.contents.place} pack" if hub else "The pack has no neighbourhoods")
    spec = ReportMap(theme, "neighbourhood", str(first["code"]), paper or Paper(),
                     options=dict(options))
    heading = theme_heading(theme, pack.contents.edition) or spec.indicator(pack).title
    scope = hub or pack.contents.place
    layout = items.new_layout(project, items.unique_layout_name(
        project, f"{pack.contents.place} {scope} neighbourhoods {heading} atlas"))
    items.set_page(layout, 0, spec.paper)
    chosen = emphasis(spec, atlas=True)
    if hub:
        chosen[schema.HUBS] = hub_emphasis(hub)
    with theme_styles(pack, theme, spec.level, chosen, **spec.options) as (title, styles):
        main = report_page(layout, 0, pack, spec, title, styles, atlas=True)
    main.setAtlasDriven(True)
    main.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
    main.setAtlasMargin(0.35)
    atlas = layout.atlas()
    atlas.setCoverageLayer(layer)
    atlas.setFilterFeatures(bool(hub))
    atlas.setFilterExpression(coverage_filter)
    atlas.setPageNameExpression('"name"')
    atlas.setSortFeatures(True)
    atlas.setSortExpression('"name"')
    atlas.setHideCoverage(False)
    atlas.setEnabled(True)
    if add_to_project:
        project.layoutManager().addLayout(layout)
    return layout
