"""The compare dock, driven through its widgets' signals, linked to the map and the project."""

import pytest
from qgis.core import QgsExpression, QgsFeatureRequest, QgsGraduatedSymbolRenderer, QgsProject
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QImage
from qgis.PyQt.QtWidgets import QApplication

from jsna_profiles.core import compare as cmp
from jsna_profiles.core import statistics as st
from jsna_profiles.layers.selection import code_filter
from jsna_profiles.ui.compare_model import FIXED_COLUMNS
from jsna_profiles.ui.compare_panel import CODE_ROLE

HILLFIELDS = "E02001981"
NAULS_MILL = ("E02001977", "Naul's Mill & Bishopsgate Green")


@pytest.fixture
def panel(plugin, coventry_pack):
    assert plugin.open_pack(str(coventry_pack)) is not None
    panel = plugin.show_compare_panel()
    assert panel is not None
    return panel


def choose_hub(panel, hub):
    panel.hub_combo.setCurrentIndex(panel.hub_combo.findData(hub))  # emits currentIndexChanged


def column_of(panel, name):
    for section in range(panel.model.columnCount()):
        if panel.model.headerData(section, Qt.Orientation.Horizontal) == name:
            return section
    raise AssertionError(f"no column {name}")


def fuel_poverty_row(panel):
    return panel.model.row_of("fuel_poverty")


def list_item(panel, code):
    for i in range(panel.neighbourhood_list.count()):
        if panel.neighbourhood_list.item(i).data(CODE_ROLE) == code:
            return panel.neighbourhood_list.item(i)
    raise AssertionError(code)


def test_compare_panel_without_pack_says_so(plugin, qgis_iface):
    assert plugin.show_compare_panel() is None
    assert "Open a data pack first" in qgis_iface.messageBar().get_messages(2)[-1]


def test_hub_change_fills_table_with_significance(panel):
    choose_hub(panel, "Harmony")
    assert panel.neighbourhood_list.count() == 3
    headers = [panel.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(panel.model.columnCount())]
    assert headers[:2] == list(FIXED_COLUMNS) and headers[-4:] == ["Harmony", "Coventry", "England",
                                                                "England and Wales"]
    index = panel.model.index(fuel_poverty_row(panel), column_of(panel, "Hillfields"))
    assert panel.model.data(index) == "35.7%"
    assert panel.model.data(index, Qt.ItemDataRole.BackgroundRole).color().name() == "#c00000"
    tip = panel.model.data(index, Qt.ItemDataRole.ToolTipRole)
    for text in ("Numerator: 1,673; denominator: 4,684", "95% confidence interval: 34.4% to 37.1%",
                 "Significantly worse than Coventry (20.3%)", "Rank 2 of 42 neighbourhoods",
                 "Period: 2020", "BEIS"):
        assert text in tip
    score = panel.model.index(panel.model.row_of("imd_score_msoa"), column_of(panel, "Hillfields"))
    assert panel.model.data(score, Qt.ItemDataRole.BackgroundRole) is None
    assert "no confidence limits" in panel.model.data(score, Qt.ItemDataRole.ToolTipRole)
    assert panel.spine.rows and panel.spine.title.startswith("Central Coventry")


def test_unticking_a_neighbourhood_drops_its_column(panel):
    choose_hub(panel, "Harmony")
    before = panel.model.columnCount()
    list_item(panel, HILLFIELDS).setCheckState(Qt.CheckState.Unchecked)  # emits itemChanged
    assert panel.model.columnCount() == before - 1
    with pytest.raises(AssertionError):
        column_of(panel, "Hillfields")


def test_comparator_change_recolours(panel):
    choose_hub(panel, "Harmony")
    panel.comparator_combo.setCurrentIndex(panel.comparator_combo.findData(cmp.HUB))
    cell = panel.model.cell(fuel_poverty_row(panel), column_of(panel, "Hillfields"))
    assert cell.comparator_name == "Harmony" and cell.significance == st.WORSE
    assert cell.comparator_value == pytest.approx(30.47, abs=0.01)  # its 15 small areas
    choose_hub(panel, None)  # the whole city: no hub to compare with
    assert panel.comparator == cmp.CITY
    hub_item = panel.comparator_combo.model().item(panel.comparator_combo.findData(cmp.HUB))
    assert not hub_item.isEnabled()


def test_neighbourhood_choice_selects_and_zooms_on_map(panel, plugin):
    choose_hub(panel, "Harmony")
    panel.neighbourhood_list.setCurrentItem(list_item(panel, HILLFIELDS))
    layer = plugin.pack.layer("neighbourhoods")
    assert [f["code"] for f in layer.selectedFeatures()] == [HILLFIELDS]
    extent = plugin.iface.mapCanvas().extent()
    assert extent.contains(layer.boundingBoxOfSelected())
    assert extent.area() < plugin.pack.extent.area() / 2  # zoomed in from the whole city
    assert panel.spine.title.startswith("Hillfields")


def test_map_selection_updates_panel(panel, plugin):
    choose_hub(panel, "Harmony")
    layer = plugin.pack.layer("neighbourhoods")
    request = QgsFeatureRequest(QgsExpression(code_filter([NAULS_MILL[1]], "name")))
    ids = [f.id() for f in layer.getFeatures(request)]
    assert len(ids) == 1  # a name with a quote and an ampersand, quoted by QGIS's helper
    layer.selectByIds(ids)  # emits selectionChanged, as a map click does
    assert panel.hub == "Pathway"  # Naul's Mill's hub (the nearest): the panel follows it
    assert panel.current_code == NAULS_MILL[0]
    assert panel.neighbourhood_list.currentItem().text() == NAULS_MILL[1]
    assert panel.spine.title.startswith(NAULS_MILL[1])
    mosaic = next(f.id() for f in layer.getFeatures() if f["hub"] == "Mosaic")
    choose_hub(panel, "Harmony")
    panel.close()  # closed and opened again: still linked to the map
    assert plugin.show_compare_panel() is panel and not panel.isHidden()
    layer.selectByIds([mosaic])
    assert panel.hub == "Mosaic"


def test_indicator_row_restyles_map(panel, plugin):
    choose_hub(panel, "Harmony")
    panel.view.selectRow(panel.model.row_of("idaci"))
    renderer = plugin.pack.layer("neighbourhoods").renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer)
    assert renderer.classAttribute() == "idaci"
    assert "Income deprivation affecting children" in plugin.pack.layer("neighbourhoods").name()
    panel.view.selectRow(panel.model.domain_rows()[0])  # a domain heading changes nothing
    assert plugin.pack.layer("neighbourhoods").renderer().classAttribute() == "idaci"


def test_exports_from_the_panel(panel, tmp_path):
    choose_hub(panel, "Harmony")
    panel.neighbourhood_list.setCurrentItem(list_item(panel, HILLFIELDS))
    text = panel.copy_table()
    assert QApplication.clipboard().text() == text
    html = QApplication.clipboard().mimeData().html()
    assert "<table" in html and "background:#C00000" in html and "Naul" not in html
    lines = [line.split("\t") for line in text.splitlines()]
    assert lines[0][:4] == ["Domain", "Indicator", "Period", "Unit"] and "Hillfields" in lines[0]
    assert all(len(line) == len(lines[0]) for line in lines)
    assert panel.export_csv(tmp_path / "harmony.csv").stat().st_size > 10_000
    assert panel.export_xlsx(tmp_path / "harmony.xlsx").stat().st_size > 5_000
    png = panel.spine.export_png(tmp_path / "spine.png")
    image = QImage(str(png))
    assert image.width() == 2 * 760 and image.height() > 1000
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 4)
               for y in range(0, image.height(), 4)}
    assert "#c00000" in colours and "#8c8c8c" in colours  # a 'worse' marker and a quartile band
    svg = panel.spine.export_svg(tmp_path / "spine.svg").read_text()
    assert "<svg" in svg and "Hillfields" in svg


def test_choices_are_saved_in_the_project_and_restored(panel, plugin, coventry_pack, tmp_path):
    choose_hub(panel, "Harmony")
    list_item(panel, "E02001973").setCheckState(Qt.CheckState.Unchecked)
    panel.comparator_combo.setCurrentIndex(panel.comparator_combo.findData(cmp.ENGLAND))
    panel.neighbourhood_list.setCurrentItem(list_item(panel, HILLFIELDS))
    panel.view.selectRow(panel.model.row_of("fuel_poverty"))
    project_file = tmp_path / "jsna.qgz"
    assert QgsProject.instance().write(str(project_file))
    QgsProject.instance().clear()
    assert panel.isHidden()
    assert QgsProject.instance().read(str(project_file))
    restored = plugin.compare_panel
    assert not restored.isHidden()
    assert restored.hub == "Harmony" and restored.comparator == cmp.ENGLAND
    assert "E02001973" not in restored.checked_codes() and len(restored.checked_codes()) == 2
    assert restored.current_code == HILLFIELDS
    indicator = restored.model.indicator_at(restored.view.currentIndex().row())
    assert indicator.indicator_id == "fuel_poverty"
