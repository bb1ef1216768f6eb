"""The JSNA map styles, built from QGIS's own renderers and classification classes."""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsClassificationEqualInterval,
    QgsClassificationJenks,
    QgsClassificationQuantile,
    QgsColorRampShader,
    QgsExpression,
    QgsFillSymbol,
    QgsGradientColorRamp,
    QgsGradientStop,
    QgsGraduatedSymbolRenderer,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRasterLayer,
    QgsRasterShader,
    QgsRendererCategory,
    QgsRendererRange,
    QgsRuleBasedRenderer,
    QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
    QgsWkbTypes,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..core import schema
from ..core.catalogue import Indicator, lookup
from ..core.errors import JsnaInputError
from ..core.formatting import format_value, range_label
from ..core.recipes import EDITION_OF_OLDER_PACKS

ROLE_PROPERTY = "jsna/role"
EDITION_PROPERTY = "jsna/edition"

# Viridis, 10 steps: colour-blind safe and sequential; decile 1 (most deprived) darkest.
DECILE_COLOURS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                  "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
# ColorBrewer sequential ramps (colour-blind safe), light to dark.
RAMP_WORSE = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")      # OrRd
RAMP_AIR = ("#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#88419d")        # BuPu
RAMP_NEUTRAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")    # Blues
OUTLINE = "#5a5a5a"

AIR_QUALITY_ENDS = ("cleanest air", "worst air")
NO2_OBJECTIVE = 40.0  # µg/m3, annual mean (Air Quality Standards Regulations 2010)
NO2_NEAR = NO2_OBJECTIVE * 0.9

CLASSIFICATIONS = {
    "quantile": QgsClassificationQuantile,
    "equal_interval": QgsClassificationEqualInterval,
    "natural_breaks": QgsClassificationJenks,
}
METHODS = (*CLASSIFICATIONS, "fixed")
GRID_BREAKS = (10.0, 20.0, 30.0, NO2_NEAR, NO2_OBJECTIVE)
GRID_COLOURS = ("#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#f46d43", "#a50026")


def _ramp(colours: tuple[str, ...], reverse: bool = False) -> QgsGradientColorRamp:
    colours = tuple(reversed(colours)) if reverse else colours
    stops = [QgsGradientStop(i / (len(colours) - 1), QColor(c))
             for i, c in enumerate(colours[1:-1], start=1)]
    return QgsGradientColorRamp(QColor(colours[0]), QColor(colours[-1]), False, stops)


def _fill(colour: str, outline: str = OUTLINE, width: float = 0.15) -> QgsFillSymbol:
    return QgsFillSymbol.createSimple({"color": colour, "outline_color": outline,
                                       "outline_width": str(width), "outline_width_unit": "MM"})


def _require_field(layer: QgsVectorLayer, field: str) -> None:
    if layer.fields().indexFromName(field) < 0:
        raise JsnaInputError(f"Layer '{layer.name()}' has no field '{field}' to style by")


NO_DATA_FILL, NO_DATA_HATCH = "#f2f2f2", "#8c8c8c"


def no_data_symbol() -> QgsFillSymbol:
    """Light grey with grey hatching: cannot be mistaken for the lightest class of any ramp."""
    symbol = _fill(NO_DATA_FILL)
    hatch = QgsFillSymbol.createSimple({"color": NO_DATA_HATCH, "style": "b_diagonal",
                                        "outline_style": "no"})
    symbol.appendSymbolLayer(hatch.symbolLayer(0).clone())
    return symbol


def no_data_label(count: int) -> str:
    return f"No data ({count} area{'s' if count != 1 else ''})"


def _values(layer: QgsVectorLayer, field: str) -> tuple[list[float], int]:
    """The field's values, and how many features have none."""
    from qgis.core import QgsFeatureRequest

    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
    request.setSubsetOfAttributes([field], layer.fields())
    values, missing = [], 0
    for feature in layer.getFeatures(request):
        value = feature[field]
        if value is None or value == "" or (hasattr(value, "isNull") and value.isNull()):
            missing += 1
        else:
            values.append(float(value))
    return values, missing


def deprivation_renderer(layer: QgsVectorLayer, stem: str = "imd") -> str:
    """IMD 2019 (or one domain) decile as 10 categories; returns the legend title."""
    field = f"{stem}_decile"
    _require_field(layer, field)
    categories = []
    for decile, colour in enumerate(DECILE_COLOURS, start=1):
        label = str(decile)
        if decile == 1:
            label = "1 – most deprived 10%"
        elif decile == 10:
            label = "10 – least deprived 10%"
        categories.append(QgsRendererCategory(decile, _fill(colour), label))
    _, missing = _values(layer, field)
    if missing:
        categories.append(QgsRendererCategory(None, no_data_symbol(), no_data_label(missing)))
    layer.setRenderer(QgsCategorizedSymbolRenderer(field, categories))
    indicator = layer_indicator(layer, field)
    return f"{indicator.title}, {indicator.period} · {indicator.source.publisher}"


def graduated_renderer(layer: QgsVectorLayer, indicator_id: str, method: str = "quantile",
                       classes: int = 5, breaks: list[float] | None = None,
                       reference: tuple[str, float] | None = None,
                       colours: tuple[str, ...] | None = None,
                       ends: tuple[str, str] | None = None) -> str:
    """Any indicator as a choropleth; colours darken towards 'worse' by the indicator's polarity.

    Classes are made from the areas that have a value, so the first starts at the lowest. Areas
    without one are drawn hatched grey and listed as "No data" (the renderer is then rule-based,
    as QGIS's graduated renderer cannot draw missing values). ``reference`` (label, value)
    marks the class holding e.g. the city average in the legend. ``ends`` labels the first and
    last classes with what low and high mean. Returns the legend title.
    """
    indicator = layer_indicator(layer, indicator_id)
    _require_field(layer, indicator_id)
    if method not in METHODS:
        raise JsnaInputError(f"Unknown classification '{method}' (choose from {', '.join(METHODS)})")
    if colours is None:
        colours = RAMP_NEUTRAL if indicator.polarity == schema.POLARITY_NONE else RAMP_WORSE
    ramp = _ramp(colours, reverse=indicator.polarity == schema.POLARITY_HIGH_GOOD)
    values, missing = _values(layer, indicator_id)
    if method == "fixed":
        if not breaks or sorted(breaks) != list(breaks):
            raise JsnaInputError("Fixed classes need increasing break values")
        edges = sorted({min(values + [breaks[0]]), *breaks, max(values + [breaks[-1]])})
    else:
        found = CLASSIFICATIONS[method]().classes(values, classes) if values else []
        edges = [found[0].lowerBound()] + [c.upperBound() for c in found] if found else []
    renderer = QgsGraduatedSymbolRenderer(indicator_id)
    renderer.setSourceSymbol(_fill("#ffffff"))
    renderer.setSourceColorRamp(ramp)
    count = len(edges) - 1
    for i, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        label = range_label(indicator, low, high)
        if ends and i in (0, count - 1):
            label += f" ({ends[0 if i == 0 else 1]})"
        colour = ramp.color(i / max(1, count - 1))
        renderer.addClassRange(QgsRendererRange(low, high, _fill(colour.name()), label))
    if reference is not None:
        _mark_reference(renderer, indicator, *reference)
    layer.setRenderer(with_no_data(renderer, indicator_id, missing))
    return legend_title(indicator)


# Decile steps between two IMD editions, diverging: reds more deprived, blues less.
CHANGE_CLASSES = (
    (-10.0, -1.5, "#b2182b", "2 or more deciles more deprived"),
    (-1.5, -0.5, "#ef8a62", "1 decile more deprived"),
    (-0.5, 0.5, "#f7f7f7", "Same decile"),
    (0.5, 1.5, "#67a9cf", "1 decile less deprived"),
    (1.5, 10.0, "#2166ac", "2 or more deciles less deprived"),
)


def change_renderer(layer: QgsVectorLayer, field: str = "imd_decile_change") -> str:
    """IMD decile change as a diverging choropleth (unchanged areas white); areas the editions
    cannot be matched for (irregular changes) are "No data". Returns the legend title."""
    indicator = layer_indicator(layer, field)
    _require_field(layer, field)
    values, missing = _values(layer, field)
    renderer = QgsGraduatedSymbolRenderer(field)
    for low, high, colour, label in CHANGE_CLASSES:
        count = sum(1 for v in values if low <= v < high)
        renderer.addClassRange(QgsRendererRange(low, high, _fill(colour), f"{label} ({count})"))
    layer.setRenderer(with_no_data(renderer, field, missing))
    return legend_title(indicator)


def with_no_data(renderer: QgsGraduatedSymbolRenderer, field: str, missing: int):
    """The graduated renderer as it is, or, when areas have no value, the same classes as
    rules with a "No data" rule added."""
    if not missing:
        return renderer
    rules = QgsRuleBasedRenderer.convertFromRenderer(renderer)
    no_data = QgsRuleBasedRenderer.Rule(
        no_data_symbol(), 0, 0, f"{QgsExpression.quotedColumnRef(field)} IS NULL",
        no_data_label(missing))
    rules.rootRule().appendChild(no_data)
    return rules


def _mark_reference(renderer: QgsGraduatedSymbolRenderer, indicator: Indicator, label: str,
                    value: float) -> None:
    """Append '◆ <place> average <value>' to the label of the class that holds the value."""
    ranges = renderer.ranges()
    for i, rng in enumerate(ranges):
        last = i == len(ranges) - 1
        if rng.lowerValue() <= value and (value < rng.upperValue() or last):
            renderer.updateRangeLabel(
                i, f"{rng.label()}  ◆ {label} average {format_value(indicator, value)}")
            return


def legend_title(indicator: Indicator) -> str:
    unit = f", {indicator.unit}" if indicator.unit else ""
    return f"{indicator.title}{unit} ({indicator.period}) · {indicator.source.publisher}"


def fuel_poverty_renderer(layer: QgsVectorLayer, method: str = "quantile",
                          breaks: list[float] | None = None,
                          city: tuple[str, float] | None = None) -> str:
    return graduated_renderer(layer, "fuel_poverty", method, 5, breaks, city)


def air_quality_renderer(layer: QgsVectorLayer, component: str = "air_quality",
                         method: str = "quantile",
                         city: tuple[str, float] | None = None) -> str:
    """Small areas by the IoD air-quality indicator (or one component), higher = worse air.

    The class labels say so at both ends ("cleanest air", "worst air"), so the legend in the
    layers panel and in print reads the same."""
    return graduated_renderer(layer, component, method, 5, reference=city, colours=RAMP_AIR,
                              ends=AIR_QUALITY_ENDS)


def monitoring_sites_renderer(layer: QgsVectorLayer) -> str:
    """Sites coloured (and shaped) against the 40 µg/m3 NO2 annual-mean objective, labelled."""
    _require_field(layer, "no2_latest")
    root = QgsRuleBasedRenderer.Rule(None)
    rules = (
        (f'"no2_latest" > {NO2_OBJECTIVE:g}', "#d7191c", "triangle",
         f"Above {NO2_OBJECTIVE:g} µg/m³ (objective)"),
        (f'"no2_latest" >= {NO2_NEAR:g} AND "no2_latest" <= {NO2_OBJECTIVE:g}', "#fdae61",
         "diamond", f"{NO2_NEAR:g}–{NO2_OBJECTIVE:g} µg/m³ (within 10%)"),
        (f'"no2_latest" < {NO2_NEAR:g}', "#2c7bb6", "circle",
         f"Below {NO2_NEAR:g} µg/m³"),
        ('"no2_latest" IS NULL', "#9e9e9e", "square", "No valid annual mean"),
    )
    for expression, colour, shape, label in rules:
        symbol = QgsMarkerSymbol.createSimple({"name": shape, "color": colour, "size": "3.4",
                                               "outline_color": "#000000",
                                               "outline_width": "0.3"})
        root.appendChild(QgsRuleBasedRenderer.Rule(symbol, 0, 0, expression, label))
    layer.setRenderer(QgsRuleBasedRenderer(root))
    _label(layer, "\"site_name\" || '\n' || CASE WHEN \"no2_latest\" IS NULL THEN 'no valid "
           "mean' ELSE format_number(\"no2_latest\", 1) || ' µg/m³ (' || \"no2_latest_year\" "
           "|| ')' END", size=8, is_expression=True, priority=LABEL_PRIORITY["sites"])
    return f"NO2 annual mean at monitoring sites, µg/m³ (objective {NO2_OBJECTIVE:g})"


SERVICE_SYMBOLS = {  # kind -> (shape, fill colour), as the services layer names them
    "GP practice": ("square", "#1f78b4"),
    "pharmacy": ("circle", "#33a02c"),
}


def services_renderer(layer: QgsVectorLayer) -> str:
    """GP practices and pharmacies as distinct, colour-blind-safe markers."""
    _require_field(layer, "kind")
    categories = []
    for kind, (shape, colour) in SERVICE_SYMBOLS.items():
        symbol = QgsMarkerSymbol.createSimple({"name": shape, "color": colour, "size": "2.6",
                                               "outline_color": "#ffffff",
                                               "outline_width": "0.3"})
        label = "GP practice (active)" if kind == "GP practice" else "Pharmacy (active)"
        categories.append(QgsRendererCategory(kind, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer("kind", categories))
    return "GP practices and pharmacies (NHS ODS)"


def schools_renderer(layer: QgsVectorLayer) -> str:
    """Schools as triangles: state-funded ones filled, independent schools, colleges and
    universities hollow (listed, but kept out of the free-school-meals figure)."""
    _require_field(layer, "state_funded")
    categories = []
    for value, fill, outline, label in ((1, "#ff7f00", "#ffffff", "State-funded school"),
                                        (0, "255,255,255,0", "#404040",
                                         "Independent school, college or university")):
        symbol = QgsMarkerSymbol.createSimple({"name": "triangle", "color": fill, "size": "2.8",
                                               "outline_color": outline,
                                               "outline_width": "0.4"})
        categories.append(QgsRendererCategory(value, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer("state_funded", categories))
    return "Schools, colleges and universities (DfE GIAS)"


def outline_renderer(layer: QgsVectorLayer, colour: str, width: float, dashed: bool = False,
                     label_size: float | None = None, bold: bool = False,
                     priority: int = 5) -> None:
    """Hubs, neighbourhoods, city and AQMA: outlines (no fill), optionally labelled by name."""
    symbol = QgsFillSymbol.createSimple({
        "style": "no", "outline_color": colour, "outline_width": str(width),
        "outline_style": "dash" if dashed else "solid", "outline_width_unit": "MM"})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    if label_size:
        _label(layer, "name", size=label_size, bold=bold, colour=colour, priority=priority)
    else:
        layer.setLabelsEnabled(False)


VEIL = "255,255,255,150"  # a white veil fades what lies outside a map's subject
FADED = "#8a8a8a"


def emphasise(layer: QgsVectorLayer, subject: str, label: str, others: str,
              width: float = 1.0) -> None:
    """Outline the features matching the expression ``subject`` heavily and fade the others:
    a white veil over them, thin grey outlines and grey labels. ``label`` and ``others`` name
    the two in legends."""
    heavy = QgsFillSymbol.createSimple({"style": "no", "outline_color": "#000000",
                                        "outline_width": str(width), "outline_width_unit": "MM"})
    heavy.symbolLayer(0).setRenderingPass(1)  # drawn over the faded neighbours' outlines
    veil = QgsFillSymbol.createSimple({"color": VEIL, "outline_color": FADED,
                                       "outline_width": "0.25", "outline_width_unit": "MM"})
    root = QgsRuleBasedRenderer.Rule(None)
    root.appendChild(QgsRuleBasedRenderer.Rule(heavy, 0, 0, subject, label))
    root.appendChild(QgsRuleBasedRenderer.Rule(veil, 0, 0, f"NOT ({subject})", others))
    renderer = QgsRuleBasedRenderer(root)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    if layer.labelsEnabled() and isinstance(layer.labeling(), QgsVectorLayerSimpleLabeling):
        settings = layer.labeling().settings()
        properties = settings.dataDefinedProperties()
        properties.setProperty(QgsPalLayerSettings.Property.Color, QgsProperty.fromExpression(
            f"CASE WHEN {subject} THEN '#000000' ELSE '{FADED}' END"))
        settings.setDataDefinedProperties(properties)
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))


# QGIS's label priorities (0 to 10): where labels compete for room, a monitoring site's reading
# and a hub's name are placed before a neighbourhood's name.
LABEL_PRIORITY = {"sites": 10, "hubs": 8, "neighbourhoods": 2}


def _label(layer: QgsVectorLayer, field: str, size: float, bold: bool = False,
           colour: str = "#202020", is_expression: bool = False, priority: int = 5) -> None:
    settings = QgsPalLayerSettings()
    settings.priority = priority
    settings.fieldName = field
    settings.isExpression = is_expression
    text = QgsTextFormat()
    font = QFont("DejaVu Sans")
    font.setBold(bold)
    text.setFont(font)
    text.setSize(size)
    text.setColor(QColor(colour))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor("#ffffff"))
    text.setBuffer(buffer)
    settings.setFormat(text)
    if layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
        settings.placement = QgsPalLayerSettings.Placement.OverPoint
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def background_grid_renderer(layer: QgsRasterLayer) -> str:
    """Stepped ramp breaking at 36 and 40 µg/m3 (10% below, and at, the NO2 objective)."""
    items = []
    labels = ("< 10", "10 – 20", "20 – 30", f"30 – {NO2_NEAR:g}",
              f"{NO2_NEAR:g} – {NO2_OBJECTIVE:g} (within 10% of objective)",
              f"> {NO2_OBJECTIVE:g} (above objective)")
    for upper, colour, label in zip((*GRID_BREAKS, float("inf")), GRID_COLOURS, labels):
        items.append(QgsColorRampShader.ColorRampItem(upper, QColor(colour), label))
    shader_function = QgsColorRampShader(0, 100, None, QgsColorRampShader.Type.Discrete)
    shader_function.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_function)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    layer.setRenderer(renderer)
    layer.setOpacity(0.75)
    return "Background NO2 (Defra 1 km background maps), µg/m³"


def set_role(layer, role: str, edition: str = EDITION_OF_OLDER_PACKS) -> None:
    """Which pack table a layer shows, and the pack's edition (what its fields mean)."""
    layer.setCustomProperty(ROLE_PROPERTY, role)
    layer.setCustomProperty(EDITION_PROPERTY, edition)


def edition_of(layer) -> str:
    return str(layer.customProperty(EDITION_PROPERTY, EDITION_OF_OLDER_PACKS))


def layer_indicator(layer, indicator_id: str) -> Indicator:
    """The indicator a layer's field holds, as the layer's pack edition defines it."""
    indicator = lookup(indicator_id, edition_of(layer))
    if indicator is None:
        raise JsnaInputError(f"Unknown indicator '{indicator_id}'")
    return indicator


def role(layer) -> str:
    return layer.customProperty(ROLE_PROPERTY, "")

