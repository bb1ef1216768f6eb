"""The map themes a JSNA needs, applied to a loaded pack's layers by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from qgis.core import QgsMapLayerStyle

from ..core import schema
from ..core.catalogue import Indicator, lookup
from ..core.errors import JsnaInputError
from ..core.recipes import EDITIONS
from . import styles
from .pack import LoadedPack

THEME_FIELDS = schema.MAP_THEME_FIELDS
THEMES = (*THEME_FIELDS, "indicator")
# Themes drawn as a choropleth of their one indicator.
INDICATOR_THEMES = ("population_density", "ethnicity", "no_qualifications",
                    "long_term_illness", "gp_access")
# The layers a theme shows above its choropleth (hidden otherwise).
THEME_OVERLAYS = {"air_quality": (schema.AQMA, schema.MONITORING_SITES),
                  "gp_access": (schema.SERVICES,)}
# How titles, layer names and menus name each theme ("indicator": by the indicator's title).
THEME_HEADING = {"deprivation": "deprivation", "fuel_poverty": "fuel poverty",
                 "air_quality": "air quality", "population_density": "population density",
                 "ethnicity": "ethnic groups other than White British",
                 "no_qualifications": "no qualifications",
                 "long_term_illness": "limiting long-term illness",
                 "gp_access": "access to GP practices", "crime": "crime (IoD {edition})",
                 "deprivation_change": "change in deprivation since 2019", "indicator": ""}
# Shorter still for the layers panel, where the heading is long.
LAYER_NAMES = {"ethnicity": "Not White British", "long_term_illness": "Limiting illness",
               "gp_access": "Distance to a GP", "crime": "Crime deciles",
               "deprivation_change": "IMD decile change"}
ABOUT_PROPERTY = "jsna/about"


def _theme_field(theme: str, options: dict) -> str:
    if theme == "indicator":
        return str(options.get("indicator_id"))
    if theme == "deprivation":
        return f"{options.get('domain', 'imd')}_decile"
    if theme == "air_quality":
        return options.get("component", "air_quality")
    return THEME_FIELDS[theme]


def known_in(theme: str, options: dict, edition: str) -> bool:
    """Whether an edition's packs (or a pack a user added to) define the theme's indicator."""
    return lookup(_theme_field(theme, options), edition) is not None


def theme_indicator(theme: str, options: dict, edition: str) -> Indicator:
    """The indicator a theme maps, given its options, as the pack's edition defines it."""
    indicator_id = _theme_field(theme, options)
    indicator = lookup(indicator_id, edition)
    if indicator is None:
        raise JsnaInputError(f"Unknown indicator '{indicator_id}'")
    return indicator


def theme_heading(theme: str, edition: str) -> str:
    """How a title names the theme ("" for "indicator": its title is used), with the edition
    where the theme is one of the IoD's."""
    return THEME_HEADING.get(theme, "").format(edition=edition)


def short_title(indicator: Indicator) -> str:
    """The title without its bracketed detail; counts say so ("…, number")."""
    text = re.sub(r"\s*\([^)]*\)", "", indicator.title).strip()
    return f"{text}, number" if indicator.value_type == "count" else text


def layer_name(theme: str, indicator: Indicator) -> str:
    """A name short enough for the layers panel: "Fuel poverty 2020"."""
    heading = LAYER_NAMES.get(theme) or THEME_HEADING.get(theme, "")
    if theme == "deprivation" and not indicator.indicator_id.startswith("imd"):
        heading = ""
    text = heading[:1].upper() + heading[1:] if heading else short_title(indicator)
    return f"{text} {indicator.period}"


def _describe_theme(layer, indicator: Indicator, title: str) -> None:
    """The layer's metadata says what is mapped: legend title, period, source and licence."""
    metadata = layer.metadata()
    about = layer.customProperty(ABOUT_PROPERTY) or metadata.abstract()
    layer.setCustomProperty(ABOUT_PROPERTY, about)
    metadata.setTitle(title)
    metadata.setAbstract(f"Mapped: {title}. Period: {indicator.period}. Source: "
                         f"{indicator.source.publisher}, {indicator.source.title}. "
                         f"{indicator.source.attribution}\n\n{about}")
    layer.setMetadata(metadata)


def available_themes(pack: LoadedPack) -> list[str]:
    """The map themes this pack has figures for (national packs have no fuel poverty)."""
    fields = pack.layer(schema.SMALL_AREAS).fields()
    return [theme for theme, field in THEME_FIELDS.items() if fields.indexFromName(field) >= 0]


def apply_theme(pack: LoadedPack, theme: str, level: str = schema.LEVEL_SMALL_AREA,
                rename: bool = True, **options) -> str:
    """Style the small-area (or neighbourhood) layer by a theme; returns the legend title.

    Options: ``domain`` (deprivation: imd or a domain stem), ``method`` and ``breaks``
    (graduated themes), ``component`` (air quality), ``indicator_id`` and ``classes``.
    The layer is renamed to its legend title so legends carry unit, period and source
    (``rename=False``: left as it is, for a layout that titles its legend itself).
    """
    if theme not in THEMES:
        raise JsnaInputError(f"Unknown map theme '{theme}' (choose from {', '.join(THEMES)})")
    if level not in (schema.LEVEL_SMALL_AREA, schema.LEVEL_NEIGHBOURHOOD):
        raise JsnaInputError("Choropleths are drawn for small areas or neighbourhoods")
    if level == schema.LEVEL_SMALL_AREA and theme in THEME_FIELDS and \
            theme not in available_themes(pack):
        raise JsnaInputError(_not_in_pack(pack, theme))
    layer = pack.layer(schema.LEVEL_LAYERS[level])
    method = options.get("method", "quantile")
    if "breaks_text" in options:
        options["breaks"] = parse_breaks(options["breaks_text"])
    if theme in ("deprivation", "crime"):
        stem = "crime" if theme == "crime" else options.get("domain", "imd")
        title = styles.deprivation_renderer(layer, stem)
    elif theme == "deprivation_change":
        title = styles.change_renderer(layer)
    elif theme == "fuel_poverty":
        title = styles.fuel_poverty_renderer(layer, method, options.get("breaks"),
                                             _reference(pack, "fuel_poverty"))
    elif theme == "air_quality":
        component = options.get("component", "air_quality")
        title = styles.air_quality_renderer(layer, component, method,
                                            _reference(pack, component))
    elif theme in INDICATOR_THEMES:
        field = THEME_FIELDS[theme]
        title = styles.graduated_renderer(layer, field, method, options.get("classes", 5),
                                          options.get("breaks"), _reference(pack, field))
    else:
        indicator_id = options.get("indicator_id")
        indicator = theme_indicator(theme, options, pack.contents.edition)
        if level not in indicator.levels:
            raise JsnaInputError(f"'{indicator.title}' is not published for "
                                 f"{level.replace('_', ' ')}s")
        title = styles.graduated_renderer(layer, indicator_id, method, options.get("classes", 5),
                                          options.get("breaks"), _reference(pack, indicator_id))
    for role in THEME_OVERLAYS.get(theme, ()):
        if role in pack.layers:
            pack.group.findLayer(pack.layers[role].id()).setItemVisibilityChecked(True)
    if rename:
        indicator = theme_indicator(theme, options, pack.contents.edition)
        layer.setName(layer_name(theme, indicator))
        _describe_theme(layer, indicator, title)
    layer.triggerRepaint()
    return title


def _not_in_pack(pack: LoadedPack, theme: str) -> str:
    """Why a theme cannot be drawn from this pack, and which edition's pack can draw it."""
    edition = pack.contents.edition
    text = (f"The {pack.contents.place} pack ({edition} edition) has no figures for the "
            f"{theme_heading(theme, edition)} map")
    other = [e for e in EDITIONS if e != edition and known_in(theme, {}, e)]
    return text + (f"; a {other[0]}-edition pack has them (jsna build-pack --edition "
                   f"{other[0]})" if other else "")


def parse_breaks(text: str) -> list[float]:
    """'10, 15, 20' -> [10.0, 15.0, 20.0]; a clear error for anything else."""
    try:
        breaks = [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise JsnaInputError(f"Breaks must be numbers separated by commas, not '{text}'") from None
    if not breaks or breaks != sorted(set(breaks)):
        raise JsnaInputError("Breaks must be increasing numbers, e.g. 10, 15, 20")
    return breaks


def _reference(pack: LoadedPack, indicator_id: str) -> tuple[str, float] | None:
    value = pack.city_value(indicator_id)
    return None if value is None else (pack.contents.place, value)


@contextmanager
def user_styles_kept(pack: LoadedPack, level: str = schema.LEVEL_SMALL_AREA) -> Iterator[None]:
    """Whatever themes are applied inside, the layer's own style and the overlays' visibility
    are put back afterwards (names are never changed), so the user's map is unchanged."""
    layer = pack.layer(schema.LEVEL_LAYERS[level])
    saved_style = QgsMapLayerStyle()
    saved_style.readFromLayer(layer)
    overlays = {role for roles in THEME_OVERLAYS.values() for role in roles}
    nodes = [pack.group.findLayer(pack.layers[role].id())
             for role in sorted(overlays) if role in pack.layers]
    visible = [node.itemVisibilityChecked() for node in nodes]
    try:
        yield
    finally:
        saved_style.writeToLayer(layer)
        for node, was_visible in zip(nodes, visible):
            node.setItemVisibilityChecked(was_visible)
        layer.triggerRepaint()


def themed(pack: LoadedPack, theme: str, level: str = schema.LEVEL_SMALL_AREA,
           emphasis: dict | None = None, opacity: float = 1.0, **options) -> tuple[str, dict]:
    """Apply a theme (inside ``user_styles_kept``): its legend title, and the styles to pin on
    map frames (layer id -> style XML). ``emphasis`` (role -> (expression, label, others'
    label)) outlines the map's subject in that layer and fades the rest, in the pinned style
    only; ``opacity`` below 1 lets a background map show through the choropleth."""
    title = apply_theme(pack, theme, level, rename=False, **options)
    pack.layer(schema.LEVEL_LAYERS[level]).setOpacity(opacity)
    styles = {}
    for role, each in pack.layers.items():
        if emphasis and role in emphasis:
            styles[each.id()] = _emphasised_style(each, emphasis[role])
            continue
        style = QgsMapLayerStyle()
        style.readFromLayer(each)
        styles[each.id()] = style.xmlData()
    return title, styles


_EMPHASISED: dict = {}  # (layer id, subject, the layer's own style) -> emphasised style XML
EMPHASISED_KEPT = 32


def _emphasised_style(layer, subject: tuple) -> str:
    """The layer's style XML with its subject emphasised, made on a copy: the layer itself is
    never restyled (layouts' legends already made follow it). Copying a layer takes a tenth
    of a second, so each emphasis is made once while the layer's own style is unchanged (a
    profile's nine maps share one)."""
    own = QgsMapLayerStyle()
    own.readFromLayer(layer)
    key = (layer.id(), subject, own.xmlData())
    if key not in _EMPHASISED:
        copy = layer.clone()
        try:
            styles.emphasise(copy, *subject)
            emphasised = QgsMapLayerStyle()
            emphasised.readFromLayer(copy)
        finally:
            del copy
        if len(_EMPHASISED) >= EMPHASISED_KEPT:
            _EMPHASISED.clear()
        _EMPHASISED[key] = emphasised.xmlData()
    return _EMPHASISED[key]


@contextmanager
def theme_styles(pack: LoadedPack, theme: str, level: str = schema.LEVEL_SMALL_AREA,
                 emphasis: dict | None = None, opacity: float = 1.0,
                 **options) -> Iterator[tuple[str, dict]]:
    """Style by a theme only for as long as a layout needs it: yields what ``themed`` gives,
    then puts the user's styles back."""
    with user_styles_kept(pack, level):
        yield themed(pack, theme, level, emphasis, opacity, **options)
