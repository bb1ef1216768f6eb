"""Report-ready maps: one page with map, title, subtitle, legend, scale bar, north arrow, locator
inset, sources, licence and date, for a hub, a neighbourhood or the whole city."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from qgis.core import QgsExpression, QgsFeatureRequest, QgsPrintLayout, QgsProject, QgsRectangle

from ..core import schema
from ..core.catalogue import SOURCES, Indicator
from ..core.errors import JsnaInputError
from ..core.formatting import format_value
from ..core.recipes import DEFAULT_EDITION, EDITIONS
from ..layers.pack import LoadedPack
from ..layers.themes import (
    THEME_OVERLAYS,
    THEMES,
    known_in,
    theme_heading,
    theme_indicator,
    theme_styles,
)
from . import items
from .background import BACKGROUND_ROLE, OSM_ATTRIBUTION, background_layer
from .items import Paper

EXTENTS = ("hub", "neighbourhood", "city")
BACKGROUND_OPACITY = 0.72  # the choropleth over a background map: streets show through


@dataclass
class ReportMap:
    """What a planner asks for: which map, of which area, on which paper."""

    theme: str
    extent: str = "hub"
    area: str | None = None  # hub name, or neighbourhood code or name; None for the city
    paper: Paper = field(default_factory=Paper)
    level: str = schema.LEVEL_SMALL_AREA
    options: dict = field(default_factory=dict)  # indicator_id, domain, component, method
    background: bool = False  # an OpenStreetMap background under a translucent choropleth

    def __post_init__(self):
        if self.theme not in THEMES:
            raise JsnaInputError(f"Unknown map '{self.theme}' (choose from {', '.join(THEMES)})")
        if self.extent not in EXTENTS:
            raise JsnaInputError(f"Map extent must be one of {', '.join(EXTENTS)}")
        if self.extent != "city" and not self.area:
            raise JsnaInputError(f"Name the {self.extent} to map")
        if not any(known_in(self.theme, self.options, e) for e in EDITIONS):
            theme_indicator(self.theme, self.options, DEFAULT_EDITION)  # says what is unknown

    def indicator(self, pack: LoadedPack) -> Indicator:
        """The mapped indicator, as the pack's edition defines it."""
        return theme_indicator(self.theme, self.options, pack.contents.edition)


def emphasis(spec: ReportMap, atlas: bool = False) -> dict:
    """What the map outlines and leaves unfaded (role -> (expression, legend label, the rest's
    label)): the hub, the neighbourhood, or (in an atlas) each page's neighbourhood; nothing on
    a map of the city."""
    chosen = {}
    if spec.extent == "hub":
        chosen[schema.HUBS] = hub_emphasis(spec.area)
    if atlas:
        chosen[schema.NEIGHBOURHOODS] = ("$id = @atlas_featureid", "This page's neighbourhood",
                                         "Other neighbourhoods")
    elif spec.extent == "neighbourhood":
        chosen[schema.NEIGHBOURHOODS] = ("({}) OR ({})".format(
            QgsExpression.createFieldEqualityExpression("code", spec.area),
            QgsExpression.createFieldEqualityExpression("name", spec.area)),
            "The neighbourhood mapped", "Other neighbourhoods")
    return chosen


def hub_emphasis(hub: str) -> tuple[str, str, str]:
    return (QgsExpression.createFieldEqualityExpression("name", hub), f"{hub} Family Hub area",
            "Other Family Hub areas (faded)")


def area_extent(pack: LoadedPack, kind: str, area: str | None) -> tuple[QgsRectangle, str]:
    """The extent to map and how the title names it."""
    place = pack.contents.place
    if kind == "city":
        return pack.extent, place
    table = schema.HUBS if kind == "hub" else schema.NEIGHBOURHOODS
    layer = pack.layer(table)
    expression = QgsExpression.createFieldEqualityExpression("name", area)
    if kind == "neighbourhood":
        expression += " OR " + QgsExpression.createFieldEqualityExpression("code", area)
    feature = next(layer.getFeatures(QgsFeatureRequest(QgsExpression(expression))), None)
    if feature is None:
        names = ", ".join(sorted(str(f["name"]) for f in layer.getFeatures()))
        raise JsnaInputError(f"No {kind} called '{area}' in the {place} pack ({kind}s: {names})")
    label = f"{feature['name']} Family Hub reach area" if kind == "hub" else str(feature["name"])
    return feature.geometry().boundingBox(), label


def theme_layers(pack: LoadedPack, theme: str, level: str) -> list:
    """Top to bottom: outlines and points above the choropleth."""
    layers = [pack.layers[r] for r in sorted(THEME_OVERLAYS.get(theme, ()), reverse=True)
              if r in pack.layers] + [pack.layer(schema.HUBS)]
    if level == schema.LEVEL_SMALL_AREA:
        layers += [pack.layer(schema.NEIGHBOURHOODS), pack.layer(schema.SMALL_AREAS)]
    else:
        layers += [pack.layer(schema.NEIGHBOURHOODS), pack.layer(schema.CITY)]
    return layers


def attributions(indicator: Indicator, theme: str) -> list[str]:
    """The map's credits, for a line that starts "Sources:" (so ONS's statement loses its own
    leading "Source: ")."""
    lines = [indicator.source.attribution, SOURCES["boundaries"].attribution,
             SOURCES["hcl_names"].attribution]
    if theme == "air_quality":
        lines.append(SOURCES["aurn"].attribution)
    return list(dict.fromkeys(line.removeprefix("Source: ") for line in lines))


def report_boxes(paper: Paper, sources_height: float = 0.0) -> dict:
    """Where each item of a report map goes on the page (x, y, width, height in mm; the scale
    bar: x, y, greatest width). ``sources_height``: what the sources text needs; a longer one
    takes room from the map.

    The map fills the page down to the sources, which run beneath it. Beside it (below it, in
    portrait) the legend starts at the top and the locator ends level with the map's foot, with
    the scale bar and north arrow under the locator: all outside the map frame, so none covers a
    label.
    """
    s, m, width, height = paper.scale, items.MARGIN, paper.width, paper.height
    top = m + 19 * s
    footer = max((12 if paper.orientation == "landscape" else 15) * s, sources_height + 1.5)
    if paper.orientation == "landscape":
        map_box = (m, top, width * 0.64, height - top - m - footer)
        side_x = m + map_box[2] + 5
        side_w = width - side_x - m
        locator_h = map_box[3] * 0.33
        locator_box = (side_x, top + map_box[3] - locator_h, side_w, locator_h)
        legend_box = (side_x, top, side_w, map_box[3] - locator_h - 3)
        sources_w = map_box[2]
    else:
        map_box = (m, top, width - 2 * m, height * 0.5)
        below = top + map_box[3] + 4
        side_w = (width - 2 * m) * 0.38
        side_x = width - m - side_w
        furniture = 12 * s  # the scale bar and north arrow, under the locator
        locator_h = min(side_w, height - m - footer - furniture - below)
        locator_box = (side_x, height - m - footer - furniture - locator_h, side_w, locator_h)
        legend_box = (m, below, (width - 2 * m) * 0.58, height - m - footer - below)
        sources_w = map_box[2]
    foot = locator_box[1] + locator_box[3] + 1.5
    return {
        "title": (m, m, width - 2 * m, 10 * s),
        "subtitle": (m, m + 10 * s, width - 2 * m, 7 * s),
        "map": map_box, "legend": legend_box, "locator": locator_box,
        "north_arrow": (side_x + side_w - 5 * s, foot, 5 * s, footer - 1.5),
        "scale_bar": (side_x, foot, side_w - 10 * s),
        "sources": (m, height - m - footer + 1.5, sources_w, footer - 1.5),
    }


def report_page(layout: QgsPrintLayout, page: int, pack: LoadedPack, spec: ReportMap,
                legend_title: str, styles: dict, atlas: bool = False, follow_map: bool = True,
                background=None):
    """Lay out one report map on page ``page`` (already sized to ``spec.paper``); returns the map.

    In an ``atlas`` the title names each page's neighbourhood. ``background``: a layer drawn
    under everything, credited in the sources line.
    """
    paper, s = spec.paper, spec.paper.scale
    extent, default_label = area_extent(pack, spec.extent, spec.area)
    indicator = spec.indicator(pack)
    heading = theme_heading(spec.theme, pack.contents.edition) or indicator.title.lower()
    credits = attributions(indicator, spec.theme)
    if background is not None:
        credits.append(OSM_ATTRIBUTION)
    sources = items.fitted_label(layout, "sources", items.Paragraph(
        f"Sources: {' | '.join(credits)}. Map produced {date.today():%d %B %Y} with JSNA Area "
        "Profiles.", 7 * s, colour="#404040"), (0, 0, report_boxes(paper)["sources"][2]), page)
    boxes = report_boxes(paper, sources.rectWithFrame().height())
    items.place(sources, *boxes["sources"], page=page)
    items.label(layout, "title", f": {heading}" if atlas else f"{default_label}: {heading}",
                boxes["title"], 16 * s, page, bold=True, field_before="name" if atlas else "")
    city = pack.city_value(indicator.indicator_id)
    compared = (f" · {pack.contents.place} average {format_value(indicator, city)}"
                if city is not None and indicator.value_type not in ("rank", "decile") else "")
    items.label(layout, "subtitle", f"{indicator.title} · {indicator.period}{compared}",
                boxes["subtitle"], 10 * s, page, colour="#404040")
    layers = theme_layers(pack, spec.theme, spec.level)
    request = QgsFeatureRequest().setFilterRect(extent).setLimit(1).setNoAttributes()
    if next(layers[-1].getFeatures(request), None) is None:
        raise JsnaInputError(f"Nothing to map: the layer '{layers[-1].name()}' has no features "
                             f"in the extent of {default_label}")
    margin = 0.35 if spec.extent == "neighbourhood" else 0.06  # a neighbourhood with its context
    drawn = layers + ([background] if background is not None else [])
    main = items.map_item(layout, "map", drawn, extent, boxes["map"], page, styles, margin)
    entries = [(layer, legend_title if layer is layers[-1] else layer.name())
               for layer in layers if layer.id() != pack.layer(schema.NEIGHBOURHOODS).id()
               or spec.level == schema.LEVEL_NEIGHBOURHOOD]
    items.legend(layout, main, entries, boxes["legend"], page, s, follow_map)
    locator_layers = [pack.layer(schema.HUBS), pack.layer(schema.CITY)]
    items.locator(layout, main, locator_layers, pack.extent, boxes["locator"], page)
    items.north_arrow(layout, main, boxes["north_arrow"], page)
    x, y, width = boxes["scale_bar"]
    items.scale_bar(layout, main, x, y, page, width)
    return main


def map_background(project: QgsProject, pack: LoadedPack, wanted: bool,
                   warn: Callable[[str], None] | None):
    """The background layer when one is wanted and can be had, else None (``warn`` told why)."""
    if not wanted:
        return None
    layer = background_layer(project, pack.group, warn or (lambda _text: None))
    if layer is not None:
        pack.layers[BACKGROUND_ROLE] = layer
    return layer


def report_layout(project: QgsProject, pack: LoadedPack, spec: ReportMap,
                  add_to_project: bool = False,
                  warn: Callable[[str], None] | None = None) -> QgsPrintLayout:
    """A one-page layout for ``spec``; added to the project's layout manager when asked, under a
    name no other layout has. The user's own layer styles are left as they were. ``warn`` is
    told of anything left out (a background map that could not be loaded)."""
    _, area_label = area_extent(pack, spec.extent, spec.area)
    heading = theme_heading(spec.theme, pack.contents.edition) or spec.indicator(pack).title
    name = f"{pack.contents.place} {area_label.replace(' Family Hub reach area', '')} " \
           f"{heading} {spec.paper.size} {spec.paper.orientation}"
    layout = items.new_layout(project, items.unique_layout_name(project, name))
    items.set_page(layout, 0, spec.paper)
    background = map_background(project, pack, spec.background, warn)
    opacity = BACKGROUND_OPACITY if background is not None else 1.0
    with theme_styles(pack, spec.theme, spec.level, emphasis(spec), opacity,
                      **spec.options) as (title, styles):
        report_page(layout, 0, pack, spec, title, styles, background=background)
    if add_to_project:
        project.layoutManager().addLayout(layout)
    return layout
