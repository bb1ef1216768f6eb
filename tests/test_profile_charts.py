"""Issue 11: the profile's charts (drawn, with ink where the data puts it), the dock's chart
choices, and every hub's profile and the city's in the JSNA's four chapters."""

from __future__ import annotations

import subprocess

import pytest
from qgis.PyQt.QtGui import QColor

from conftest import ROOT, needs_sources
from jsna_profiles.charts.profile_charts import AREA_COLOUR, CompareAreas, group_chart
from jsna_profiles.charts.render import to_png
from jsna_profiles.core import compare as cmp
from jsna_profiles.core.compare_export import SIGNIFICANCE_COLOURS

pytestmark = needs_sources
WIDTH = 760


def colour_at(image, x: float, y: float) -> str:
    return QColor(image.pixel(int(x * 2), int(y * 2))).name().upper()


def column_colours(image, x: float) -> set[str]:
    return {QColor(image.pixel(int(x * 2), y)).name().upper() for y in range(image.height())}


def test_age_profile_draws_the_tallest_band_tallest(coventry_pack, qgis_app):
    """Harmony's largest five-year band (20-24: students) is its tallest bar."""
    compare = cmp.ComparePack(coventry_pack)
    rows = compare.chart_rows("Harmony", "age_bands")
    assert len(rows) == 19 and rows[0].indicator.indicator_id == "age_band_00_04"
    chart = group_chart("age_bands", rows, "Harmony", "Coventry")
    image = to_png(chart, WIDTH)
    step = (WIDTH - 52 - 10) / len(rows)
    heights = []
    for i in range(len(rows)):
        x = 52 + (i + 0.5) * step
        blue = [y for y in range(image.height())
                if QColor(image.pixel(int(x * 2), y)).name().upper() == AREA_COLOUR.name().upper()]
        heights.append(len(blue))
    tallest = max(range(len(rows)), key=lambda i: rows[i].cell.value)
    assert rows[tallest].indicator.title == "Residents aged 20-24"
    assert heights.index(max(heights)) == tallest
    assert heights[-1] < heights[tallest] / 5  # 90+ is small


def test_group_bars_and_compare_areas_colour_by_significance(coventry_pack, qgis_app):
    compare = cmp.ComparePack(coventry_pack)
    rows = compare.chart_rows("Harmony", "main_languages")
    assert [r.indicator.title for r in rows][:3] == ["Main language: English",
                                                      "Main language: Polish",
                                                      "Main language: Panjabi"]
    bars = to_png(group_chart("main_languages", rows, "Harmony", "Coventry"), WIDTH)
    assert AREA_COLOUR.name().upper() in column_colours(bars, WIDTH * 0.45)
    areas = compare.hub_neighbourhoods("Harmony")
    cells = compare.compare_areas("no_qualifications", areas)
    assert [c.value for c in cells] == sorted((c.value for c in cells), reverse=True)
    city = compare.reference_value(compare.indicator("no_qualifications"))
    image = to_png(CompareAreas("No qualifications", cells, city, "Coventry"), WIDTH)
    top = 26 + 22 + 6
    for i, cell in enumerate(cells):  # the bar's start is in its significance colour
        expected = SIGNIFICANCE_COLOURS[cell.significance][0].upper()
        assert colour_at(image, WIDTH * 0.30 + 3, top + 19 * i + 9.5) == expected, cell.area.name


def test_dock_draws_every_chart_and_saves_it(coventry_pack, qgis_app, tmp_path):
    from jsna_profiles.ui.compare_panel import COMPARE_AREAS, ComparePanel

    panel = ComparePanel()
    panel.set_pack(cmp.ComparePack(coventry_pack))
    panel.set_hub(cmp.ALL_HUBS)
    assert [a.name for a in panel.table.areas][:2] == ["Aspire", "Families for All"]
    assert not panel.neighbourhood_list.isEnabled()
    choices = [panel.chart_combo.itemData(i) for i in range(panel.chart_combo.count())]
    assert choices == ["spine", "age_bands", "ethnic_groups", "main_languages", "religions",
                       COMPARE_AREAS]
    panel.chart_combo.setCurrentIndex(choices.index("ethnic_groups"))
    assert panel.spine.title == "Coventry: ethnic groups"  # the city, against England
    panel.chart_combo.setCurrentIndex(choices.index(COMPARE_AREAS))
    panel.choose_indicator("no_qualifications")
    assert panel.spine.title.startswith("Residents aged 16+ with no qualifications")
    assert len(panel.spine.rows) == 8
    png = panel.spine.export_png(tmp_path / "hubs.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = panel.spine.export_svg(tmp_path / "hubs.svg").read_text()
    assert "Park Edge" in svg
    panel.set_hub("Harmony")
    assert len(panel.spine.rows) == 3  # Harmony's neighbourhoods
    panel.close()


@pytest.fixture(scope="module")
def every_profile(coventry_pack, tmp_path_factory):
    """`jsna profile --hub all`, as a user runs it."""
    folder = tmp_path_factory.mktemp("profiles")
    result = subprocess.run([str(ROOT / "bin" / "jsna"), "profile", "--pack", str(coventry_pack),
                             "--hub", "all", "--out", str(folder), "--dpi", "96"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return folder


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_profile_all_writes_nine_profiles(every_profile):
    names = sorted(p.name for p in every_profile.glob("*.pdf"))
    assert names == ["aspire profile.pdf", "coventry profile.pdf", "families for all profile.pdf",
                     "harmony profile.pdf", "mosaic profile.pdf", "park edge profile.pdf",
                     "pathway profile.pdf", "the moat profile.pdf", "woodside profile.pdf"]


@pytest.mark.parametrize("name, must", [
    ("harmony profile.pdf", ["Harmony Family Hub reach area: area profile",
                             "Residents (mid-2020 estimate)", "Population growth, mid-2017 to",
                             "Harmony: age profile", "Harmony: ethnic groups",
                             "Harmony: main language", "Residents aged 16+ with no qualifications",
                             "Day-to-day activities limited a lot", "Bad or very bad general health",
                             "Residents within a 15-minute walk (1.2 km) of a GP practice",
                             "Harmony Family Hub reach area: access to GP practices",
                             "Harmony Family Hub reach area: fuel poverty",
                             "Hillfields: spine chart", "Sources, licences and methods"]),
    ("coventry profile.pdf", ["Coventry and its Family Hub areas: area profile",
                              "Coventry's Family Hub areas compared with Coventry",
                              "Coventry: age profile", "England and Wales",
                              "Coventry: population density", "Coventry: crime (IoD 2019)"]),
])
def test_profiles_have_the_four_chapters_and_the_new_indicators(every_profile, name, must):
    text = " ".join(pdf_text(every_profile / name).replace("ﬁ", "fi").split())
    for chapter in ("1. Demographics and Communities", "2. Prospects",
                    "3. Housing and Environment", "4. Health and Wellbeing"):
        assert chapter in text
    for fragment in must:
        assert fragment in text, fragment
    order = [text.index(c) for c in ("1. Demographics", "2. Prospects", "3. Housing",
                                     "4. Health")]
    assert order == sorted(order)


def test_a_chart_in_a_saved_project_comes_back(coventry_pack, qgis_app, tmp_path):
    """A profile layout saved in a project keeps its charts (as SVG in the item)."""
    from qgis.core import QgsPrintLayout, QgsProject

    from jsna_profiles.layouts.chart_item import CHART_ITEM_TYPE, chart_item

    compare = cmp.ComparePack(coventry_pack)
    project = QgsProject()
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName("charts")
    chart = group_chart("religions", compare.chart_rows("Harmony", "religions"), "Harmony",
                        "Coventry")
    chart_item(layout, "religion", chart, (10, 10, 120, 60), 0)
    project.layoutManager().addLayout(layout)
    assert project.write(str(tmp_path / "charts.qgz"))
    again = QgsProject()
    assert again.read(str(tmp_path / "charts.qgz"))
    items = [i for i in again.layoutManager().layoutByName("charts").items()
             if i.type() == CHART_ITEM_TYPE]
    assert len(items) == 1 and b"Harmony: religion" in items[0].svg and b"Sikh" in items[0].svg
    project.clear()
    again.clear()


def test_profile_legends_list_the_classes_in_each_map_view(coventry_pack, project):
    """Profiles choose legend classes once, from the features in each map's extent (QGIS's
    live filter is kept for layouts made to be edited)."""
    from qgis.core import QgsFeatureRequest, QgsLayoutItemLegend, QgsMapLayerLegendUtils

    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.profile import profile_layout

    pack = open_pack(coventry_pack, project)
    layout = profile_layout(project, pack, cmp.ComparePack(coventry_pack), "Woodside")
    checked = 0
    for legend in (i for i in layout.items() if isinstance(i, QgsLayoutItemLegend)):
        assert not legend.legendFilterByMapEnabled()
        for node in legend.model().rootGroup().findLayers():
            title = node.customProperty("legend/title-label") or ""
            if not title.startswith("Index of Multiple Deprivation decile"):
                continue
            request = QgsFeatureRequest().setFilterRect(legend.linkedMap().extent())
            present = {f["imd_decile"] for f in node.layer().getFeatures(request)}
            order = QgsMapLayerLegendUtils.legendNodeOrder(node) or list(range(10))
            assert order == [d - 1 for d in sorted(present)]
            checked += 1
    assert checked == 1
