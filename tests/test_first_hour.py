"""What a new user meets in the first hour: opening a pack without QGIS warnings, short layer
names, "No data" classes, the map-any-indicator dialog, England in the compare dock, numbers in
the workbook, report maps whose furniture covers nothing, emphasis of the mapped hub, messages
that clear, Processing defaults, and the optional OpenStreetMap background."""

import http.server
import threading
from functools import partial

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsLayoutItemLabel,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsProject,
    QgsRuleBasedRenderer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QImage

from conftest import ENGLAND
from jsna_profiles.core import schema
from jsna_profiles.core.catalogue import CATALOGUES, lookup
from jsna_profiles.core.formatting import format_value, indicator_label
from jsna_profiles.layers.pack import APPROXIMATE_MEANING, open_pack
from jsna_profiles.layers.themes import THEME_FIELDS, apply_theme, layer_name
from jsna_profiles.layouts.report_map import ReportMap, report_layout

CATALOGUE = CATALOGUES["2019"]  # the edition of the pack these tests open
BY_ID = {indicator.indicator_id: indicator for indicator in CATALOGUE}

BNG, WGS84 = QgsCoordinateReferenceSystem("EPSG:27700"), QgsCoordinateReferenceSystem("EPSG:4326")


@pytest.fixture
def pack(coventry_pack, project):
    return open_pack(coventry_pack, project)


def layout_items(layout, kind):
    return [i for i in layout.items() if isinstance(i, kind)]


# Opening ---------------------------------------------------------------------------------------
def test_opening_needs_no_transform_qgis_would_warn_about(pack, project):
    """Debian has no OSTN15 grid: distances use Airy 1830, and British National Grid <-> WGS 84
    has an installed operation chosen in the project, so QGIS has no preferred transform to
    miss."""
    assert project.ellipsoid() == schema.PACK_ELLIPSOID == "EPSG:7001"
    context = project.transformContext()
    assert context.hasTransform(BNG, WGS84)
    from qgis.core import QgsCoordinateTransform, QgsDatumTransform, QgsPointXY

    preferred = QgsDatumTransform.operations(BNG, WGS84)[0]
    transform = QgsCoordinateTransform(BNG, WGS84, project)
    point = transform.transform(QgsPointXY(433000, 279000))  # central Coventry
    assert transform.instantiatedCoordinateOperationDetails().isAvailable
    assert -1.53 < point.x() < -1.50 and 52.40 < point.y() < 52.42
    if not preferred.isAvailable:  # the machine lacks the grid: the project names another
        assert context.calculateCoordinateOperation(BNG, WGS84) != preferred.proj


def test_short_layer_names_and_what_they_are_in_metadata(pack):
    names = {role: layer.name() for role, layer in pack.layers.items()}
    assert names[schema.NEIGHBOURHOODS] == "Neighbourhoods"
    assert names[schema.HUBS] == "Family Hub areas"
    assert all(len(name) <= 22 for name in names.values()), names
    nb = pack.layer(schema.NEIGHBOURHOODS).metadata()
    assert "MSOA 2011" in nb.title() and APPROXIMATE_MEANING in nb.abstract()
    assert "Harmony: all 15 small areas as the lookup gives them" in nb.abstract()
    title = apply_theme(pack, "fuel_poverty")
    layer = pack.layer(schema.SMALL_AREAS)
    assert layer.name() == "Fuel poverty 2020"
    assert layer.metadata().title() == title and "(2020) · BEIS" in title
    assert "Open Government Licence" in layer.metadata().abstract()
    for theme, field in THEME_FIELDS.items():  # every theme's name fits the layers panel
        indicator = lookup(field, "2019") or lookup(field, "2025")
        assert len(layer_name(theme, indicator)) <= 30, theme


def test_open_message_is_one_line_with_details(plugin, qgis_iface, coventry_pack):
    plugin.open_pack(str(coventry_pack))
    bar = qgis_iface.messageBar()
    shown = [item for item in bar.items() if "Opened Coventry" in item.text()]
    assert len(shown) == 1
    assert shown[0].text() == "Opened Coventry: 162 of 195 small areas are approximate hub members"
    assert shown[0].duration() == 0  # stays until closed
    from qgis.PyQt.QtWidgets import QPushButton

    assert shown[0].findChild(QPushButton, "jsna_details") is not None


def test_the_plugin_has_its_own_menu(plugin, qgis_iface):
    bar = qgis_iface.mainWindow().menuBar()
    menus = [a.menu() for a in bar.actions() if a.menu() is not None
             and a.menu().objectName() == "JsnaAreaProfilesMenu"]
    assert len(menus) == 1 and menus[0].title() == "&JSNA Area Profiles"
    texts = [a.text() for a in menus[0].actions() if not a.isSeparator()]
    assert texts[0] == "Open data pack…" and "Report map…" in texts
    plugin.unload()
    assert not [a for a in bar.actions() if a.menu() is not None
                and a.menu().objectName() == "JsnaAreaProfilesMenu"]
    plugin.initGui()  # the fixture unloads it again


def test_map_buttons_say_what_is_mapped(plugin, qgis_iface, coventry_pack):
    plugin.open_pack(str(coventry_pack))
    plugin.apply_theme("fuel_poverty")
    status = qgis_iface.statusBarIface().showMessage
    assert "Households in fuel poverty" in status.call_args[0][0]


def test_old_error_is_cleared_by_a_success(plugin, qgis_iface, coventry_pack, monkeypatch):
    from qgis.core import Qgis
    from qgis.gui import QgsMessageBar

    bar = QgsMessageBar()  # a real one: the test double only records messages
    monkeypatch.setattr(qgis_iface, "messageBar", lambda: bar)
    assert plugin.apply_theme("fuel_poverty") is None  # no pack yet: an error, pinned
    assert any(i.level() == Qgis.MessageLevel.Critical for i in bar.items())
    bar.pushMessage("Another plugin", "its own news", Qgis.MessageLevel.Warning, 0)
    plugin.open_pack(str(coventry_pack))
    assert not any(i.level() == Qgis.MessageLevel.Critical for i in bar.items())
    assert [i.text() for i in bar.items() if i.title() == "Another plugin"] == ["its own news"]


# Maps ------------------------------------------------------------------------------------------
def test_areas_without_a_value_are_a_no_data_class(pack):
    layer = pack.layer(schema.SMALL_AREAS)
    values = [f["idaci"] for f in layer.getFeatures()]
    missing = sum(v is None or (hasattr(v, "isNull") and v.isNull()) for v in values)
    assert missing == 13  # of 195: the IoD suppresses small counts
    apply_theme(pack, "indicator", indicator_id="idaci")
    renderer = layer.renderer()
    assert isinstance(renderer, QgsRuleBasedRenderer)
    rules = renderer.rootRule().children()
    assert rules[-1].label() == "No data (13 areas)"
    assert rules[-1].filterExpression() == '"idaci" IS NULL'
    assert rules[-1].symbol().color().name() == "#f2f2f2"
    assert rules[-1].symbol().symbolLayerCount() == 2  # grey and hatched
    lowest = min(float(v) for v in values if v is not None and not
                 (hasattr(v, "isNull") and v.isNull()))
    assert rules[0].label().startswith(format_value(BY_ID["idaci"], lowest).rstrip("%"))
    drawn = {rule.label() for rule in rules}
    assert len(drawn) == 6  # five classes and "No data"
    # complete indicators keep QGIS's graduated renderer, editable as usual
    apply_theme(pack, "fuel_poverty")
    assert layer.renderer().type() == "graduatedSymbol"
    assert layer.renderer().ranges()[0].lowerValue() == pytest.approx(4.58, abs=0.01)


def test_no_data_is_in_the_printed_legend(pack, project, tmp_path):
    from qgis.core import QgsLayoutItemLegend

    spec = ReportMap("indicator", "city", options={"indicator_id": "idaci"})
    layout = report_layout(project, pack, spec)
    legend = layout_items(layout, QgsLayoutItemLegend)[0]
    model = legend.model()
    texts = []
    for node in model.rootGroup().findLayers():
        for legend_node in model.layerLegendNodes(node):
            texts.append(str(legend_node.data(Qt.ItemDataRole.DisplayRole)))
    assert "No data (13 areas)" in texts


def test_air_quality_legend_says_what_high_means(pack):
    apply_theme(pack, "air_quality")
    labels = [r.label() for r in pack.layer(schema.SMALL_AREAS).renderer().ranges()]
    assert labels[0].endswith("(cleanest air)") and "(worst air)" in labels[-1]


def test_proportions_are_shown_as_percentages(pack):
    for indicator_id in ("staying_on_post16", "household_overcrowding", "no_central_heating"):
        indicator = BY_ID[indicator_id]
        assert indicator.unit == "%", indicator_id
        value = pack.city_value(indicator_id)
        assert 1 < value < 100 and format_value(indicator, value).endswith("%")
    for edition in CATALOGUES:
        assert not [i.indicator_id for i in CATALOGUES[edition] if i.unit.startswith("proportion")]


# Map any indicator -------------------------------------------------------------------------------
def test_indicator_names_are_unique_and_say_the_unit():
    labels = [indicator_label(i) for i in CATALOGUE]
    assert len(labels) == len(set(labels))
    fuel = [label for label in labels if "Households in fuel poverty" in label]
    assert sorted(fuel) == ["Housing and Environment · Households in fuel poverty, % (2020)",
                            "Housing and Environment · Households in fuel poverty, households "
                            "(2020)"]


@pytest.fixture
def style_dialog(qgis_app):
    """The dialog class, with the plugin's remembered choices cleared before and after."""
    from qgis.core import QgsSettings

    from jsna_profiles.ui.style_dialog import StyleDialog

    QgsSettings().remove("jsna_area_profiles")
    yield lambda parent=None: StyleDialog(parent, edition="2019")  # the fixture pack's edition
    QgsSettings().remove("jsna_area_profiles")


def shown(dialog):
    """The indicators listed (not the chapter headings)."""
    return [dialog.indicators.item(r) for r in range(dialog.indicators.count())
            if not dialog.indicators.item(r).isHidden()
            and dialog.indicators.item(r).flags() & Qt.ItemFlag.ItemIsSelectable]


def test_style_dialog_filters_validates_and_remembers(style_dialog):
    from qgis.PyQt.QtWidgets import QDialog

    dialog = style_dialog()
    everything = len(shown(dialog))
    assert everything > 60
    dialog.filter.setText("fuel poverty %")
    assert [i.text() for i in shown(dialog)] == ["Households in fuel poverty, % (2020)"]
    assert dialog.indicator_id == "fuel_poverty"
    visible = [dialog.indicators.item(r).text() for r in range(dialog.indicators.count())
               if not dialog.indicators.item(r).isHidden()]
    assert visible == ["Housing and Environment", "Households in fuel poverty, % (2020)"]
    dialog.filter.setText("prospects children")  # the chapter's name is searched too
    assert "Income deprivation affecting children (IDACI), % (2015-16)" in [
        i.text() for i in shown(dialog)]
    dialog.filter.clear()
    assert len(shown(dialog)) == everything
    dialog.set_indicator("fuel_poverty")
    dialog.method.setCurrentIndex(dialog.method.findData("fixed"))
    dialog.breaks.setText("30, 10")
    dialog.accept()  # refused: the dialog stays open with every choice
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.breaks_error.isHidden() and "increasing" in dialog.breaks_error.text()
    assert dialog.indicator_id == "fuel_poverty" and dialog.breaks.text() == "30, 10"
    dialog.breaks.setText("10, 20, 30")
    assert dialog.breaks_error.isHidden()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    again = style_dialog()  # the next time, the same choices
    assert again.choice() == ("indicator", schema.LEVEL_SMALL_AREA,
                              {"indicator_id": "fuel_poverty", "method": "fixed", "classes": 5,
                               "breaks_text": "10, 20, 30"})


def test_export_dialog_keeps_choices_when_the_path_is_missing(style_dialog):
    from qgis.PyQt.QtWidgets import QDialog

    from jsna_profiles.ui.hub_export_dialog import HubExportDialog

    dialog = HubExportDialog("profile", ["Aspire", "Harmony"], "Coventry")
    assert dialog.hub.currentData() == "Aspire"  # nothing chosen before: the first hub
    dialog.hub.setCurrentIndex(dialog.hub.findData("Harmony"))
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.output_error.isHidden() and dialog.hub.currentData() == "Harmony"
    assert dialog.minimumWidth() >= 500
    dialog.output.setFilePath("/tmp/harmony.pdf")
    assert dialog.output_error.isHidden()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    atlas = HubExportDialog("atlas", ["Aspire", "Harmony"], "Coventry")
    assert atlas.hub.currentData() == "Harmony"  # the hub chosen last, in every dialog


# Compare dock ------------------------------------------------------------------------------------
@pytest.mark.skipif(not ENGLAND.is_dir(), reason=f"national files not found at {ENGLAND}")
def test_england_figures_fill_the_coventry_pack(coventry_pack):
    from jsna_profiles.core.compare import ENGLAND as AGAINST_ENGLAND
    from jsna_profiles.core.compare import ComparePack

    compare = ComparePack(coventry_pack)
    with_figure, shown_ = compare.national_coverage()
    assert with_figure >= 35 and shown_ > with_figure  # the IoD's, fuel poverty, census
    table = compare.table("Harmony", comparator=AGAINST_ENGLAND)
    income = next(i for i in table.indicators if i.indicator_id == "income_deprivation")
    cell = table.cell(next(a for a in table.areas if a.name == "Harmony"), income)
    # England's figure, computed here straight from the national files with pandas: income
    # numerators over mid-2015 populations, summed over England's LSOAs that publish one
    import pandas as pd

    numerators = pd.read_csv(ENGLAND / "iod2019_underlying_indicators_england.csv.gz",
                             usecols=["lsoa11_code", "income_domain_numerator"])
    population = pd.read_csv(ENGLAND / "File_6_-_IoD2019_Population_Denominators.csv.gz",
                             encoding="utf-8-sig", thousands=",")
    both = numerators.merge(population, left_on="lsoa11_code", right_on="LSOA code (2011)")
    both = both.dropna(subset=["income_domain_numerator"])
    assert len(both) > 32_800
    expected = 100 * both["income_domain_numerator"].sum() / both[
        "Total population: mid 2015 (excluding prisoners)"].sum()
    assert cell.comparator_value == pytest.approx(expected, rel=1e-9)
    assert 12 < expected < 14 and cell.significance == "worse"  # Harmony: about 22%


def test_dock_says_how_many_indicators_england_covers(panel_on_england):
    panel = panel_on_england
    with_figure, shown_ = panel.compare.national_coverage()
    assert f"{with_figure} of {shown_} indicators have a figure for England" in \
        panel.legend.text()
    panel.choose_neighbourhood("E02001981")
    assert panel.spine.title == "Hillfields: against the Coventry average (table: England)"


@pytest.fixture
def panel_on_england(plugin, coventry_pack):
    from jsna_profiles.core import compare as cmp

    plugin.open_pack(str(coventry_pack))
    panel = plugin.show_compare_panel()
    panel.set_hub("Harmony")
    panel.set_comparator(cmp.ENGLAND)
    return panel


def test_dock_opens_wide_enough(panel_on_england, qgis_iface):
    panel = panel_on_england
    assert panel.hub_combo.sizeHint().width() >= panel.hub_combo.fontMetrics().horizontalAdvance(
        "Whole Coventry (all neighbourhoods)")


def test_workbook_holds_numbers(panel_on_england, tmp_path):
    from openpyxl import load_workbook

    path = panel_on_england.export_xlsx(tmp_path / "harmony.xlsx")
    sheet = load_workbook(path)["Comparison"]
    header = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "Households in fuel poverty"
               and r[3].value == "%")
    harmony = row[header.index("Harmony")]
    assert isinstance(harmony.value, float) and harmony.number_format == '#,##0.0"%"'
    assert harmony.fill.fgColor.rgb.endswith("C00000")  # still coloured: worse than England


# Report maps -------------------------------------------------------------------------------------
def test_scale_bar_and_north_arrow_sit_outside_the_map(pack, project):
    for paper in (("A4", "landscape"), ("A4", "portrait")):
        from jsna_profiles.layouts.items import Paper

        layout = report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Harmony",
                                                        Paper(*paper)))
        frame = next(i for i in layout_items(layout, QgsLayoutItemMap) if i.id() == "map")
        furniture = layout_items(layout, QgsLayoutItemScaleBar) + [
            i for i in layout_items(layout, QgsLayoutItemPicture) if i.id() == "north_arrow"]
        assert len(furniture) == 2
        for item in furniture:
            assert not item.sceneBoundingRect().intersects(frame.sceneBoundingRect()), paper
            assert not item.hasBackground()
        page = layout.pageCollection().page(0).rect()
        for item in layout.items():
            if hasattr(item, "id") and item.id():
                assert page.contains(item.sceneBoundingRect()), (item.id(), paper)


def test_legend_titles_wrap_by_their_measured_width(qgis_app):
    from jsna_profiles.layouts.items import LEGEND_WRAP, text_width, wrap

    assert LEGEND_WRAP not in wrap("Households in fuel poverty, % (2020) · BEIS", 79, 9)
    long = wrap("Index of Multiple Deprivation decile (1 = most deprived 10% in England), "
                "2019 · MHCLG", 79, 9)
    lines = long.split(LEGEND_WRAP)
    assert len(lines) == 2 and all(text_width(line, 9) <= 79 for line in lines)


def test_the_mapped_hub_is_emphasised_and_the_rest_faded(pack, project, tmp_path):
    from jsna_profiles.layouts.export import export_layout

    layout = report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Harmony"))
    frame = next(i for i in layout_items(layout, QgsLayoutItemMap) if i.id() == "map")
    hubs_style = frame.layerStyleOverrides()[pack.layer(schema.HUBS).id()]
    assert "&quot;name&quot; = 'Harmony'" in hubs_style
    assert "Other Family Hub areas" in hubs_style
    assert pack.layer(schema.HUBS).renderer().type() == "singleSymbol"  # the user's, unchanged
    png = export_layout(layout, tmp_path / "map.png", dpi=60)
    image = QImage(str(png))

    def lightness_at(x, y):  # a layout point in mm -> the pixel's lightness
        return QColor(image.pixel(int(x * 60 / 25.4), int(y * 60 / 25.4))).lightness()
    extent = frame.extent()
    rect = frame.sceneBoundingRect()

    def page_point(easting, northing):
        return (rect.left() + (easting - extent.xMinimum()) / extent.width() * rect.width(),
                rect.top() + (extent.yMaximum() - northing) / extent.height() * rect.height())
    hillfields = pack.layer(schema.NEIGHBOURHOODS).getFeature(next(
        f.id() for f in pack.layer(schema.NEIGHBOURHOODS).getFeatures()
        if f["name"] == "Hillfields")).geometry().pointOnSurface().asPoint()
    inside = lightness_at(*page_point(hillfields.x(), hillfields.y()))
    assert inside < 160  # Hillfields: fuel poverty drawn at full strength
    outside_fills = []
    for feature in pack.layer(schema.NEIGHBOURHOODS).getFeatures():
        point = feature.geometry().pointOnSurface().asPoint()
        if feature["hub"] != "Harmony" and extent.contains(point):
            outside_fills.append(lightness_at(*page_point(point.x(), point.y())))
    assert min(outside_fills) > 140  # every other hub's area is veiled


def test_atlas_outlines_each_page_neighbourhood(pack, project):
    from jsna_profiles.layouts.atlas import atlas_layout

    layout = atlas_layout(project, pack, "deprivation", "Harmony")
    frame = next(i for i in layout_items(layout, QgsLayoutItemMap) if i.id() == "map")
    style = frame.layerStyleOverrides()[pack.layer(schema.NEIGHBOURHOODS).id()]
    assert "$id = @atlas_featureid" in style and "This page's neighbourhood" in style


# Background map ----------------------------------------------------------------------------------
class _Tiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args):
        pass


@pytest.fixture
def tile_server(tmp_path):
    """A local XYZ server answering every tile with the same small PNG (not OpenStreetMap's)."""
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(QColor("#d0e0f0"))
    folder = tmp_path / "tiles"
    folder.mkdir()
    image.save(str(folder / "tile.png"))

    class Handler(_Tiles):
        def translate_path(self, path):
            return str(folder / "tile.png")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler,
                                                                       directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


def test_background_map_is_credited(pack, project, tile_server, monkeypatch):
    monkeypatch.setenv("JSNA_BACKGROUND_URL", tile_server)
    warnings = []
    spec = ReportMap("fuel_poverty", "hub", "Harmony", background=True)
    layout = report_layout(project, pack, spec, warn=warnings.append)
    assert warnings == []
    frame = next(i for i in layout_items(layout, QgsLayoutItemMap) if i.id() == "map")
    assert frame.layers()[-1].name() == "OpenStreetMap (background)"
    sources = next(i for i in layout_items(layout, QgsLayoutItemLabel) if i.id() == "sources")
    assert "© OpenStreetMap contributors" in sources.text()
    choropleth = frame.layerStyleOverrides()[pack.layer(schema.SMALL_AREAS).id()]
    assert "0.72" in choropleth  # translucent over the streets
    assert pack.layer(schema.SMALL_AREAS).opacity() == 1.0  # the user's layer untouched


def test_background_offline_makes_the_map_without_it(pack, project, monkeypatch):
    monkeypatch.setenv("JSNA_BACKGROUND_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    warnings = []
    spec = ReportMap("fuel_poverty", "hub", "Harmony", background=True)
    layout = report_layout(project, pack, spec, warn=warnings.append)
    frame = next(i for i in layout_items(layout, QgsLayoutItemMap) if i.id() == "map")
    assert "OpenStreetMap (background)" not in [layer.name() for layer in frame.layers()]
    assert len(warnings) == 1 and "made without it" in warnings[0]
    sources = next(i for i in layout_items(layout, QgsLayoutItemLabel) if i.id() == "sources")
    assert "OpenStreetMap" not in sources.text()


# Processing --------------------------------------------------------------------------------------
def test_processing_offers_the_open_pack_and_its_hubs(plugin, coventry_pack):
    from qgis.core import QgsApplication, QgsProcessingParameterEnum

    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("jsna")
    assert {a.group() for a in provider.algorithms()} == {"Data packs", "Compare",
                                                          "Maps and profiles"}
    plugin.open_pack(str(coventry_pack))
    algorithm = registry.createAlgorithmById("jsna:hubprofile")
    assert algorithm.parameterDefinition("PACK").defaultValue() == str(coventry_pack.resolve())
    hub = algorithm.parameterDefinition("HUB")
    assert isinstance(hub, QgsProcessingParameterEnum) and "Harmony" in hub.options()
    QgsProject.instance().clear()
    closed = registry.createAlgorithmById("jsna:hubprofile")
    assert closed.parameterDefinition("PACK").defaultValue() is None


# Bad input for England's figures ------------------------------------------------------------------
def test_england_figures_from_a_wrong_folder_say_which_file(tmp_path):
    from jsna_profiles.builder.england import england_figures
    from jsna_profiles.builder.sources import BuildReport
    from jsna_profiles.core.errors import JsnaInputError

    (tmp_path / "notes.txt").write_text("not a national file")
    with pytest.raises(JsnaInputError, match="the 2025 edition's national files "
                                             "lsoa_2021_bsc_ew.geojson.gz, "):
        england_figures(tmp_path, BuildReport())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.skipif(not ENGLAND.is_dir(), reason=f"national files not found at {ENGLAND}")
def test_a_damaged_cache_entry_is_made_again(tmp_path, monkeypatch):
    from jsna_profiles.builder.england import england_figures
    from jsna_profiles.builder.sources import BuildReport

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = england_figures(ENGLAND, BuildReport(), "2019")
    [cached] = (tmp_path / "jsna_profiles").iterdir()
    cached.write_text("half a line, cut short by a full disk\n\"")
    again = england_figures(ENGLAND, BuildReport(), "2019")
    assert again.equals(first)  # exactly: a cold build and a cached build make equal packs
    assert england_figures(ENGLAND, BuildReport(), "2019").equals(first)
    assert len(again) >= 28
