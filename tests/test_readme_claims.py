"""What the README promises and no other test checked: spine rows centred on the median where
the pack has no city figure, Byar limits for crude rates, the locator's red outline,
georeferenced PDFs, .qml styles, the map zoomed to the city on open, own indicators from a
table OGR reads."""

import math
import sqlite3
import statistics
from contextlib import closing

import geopandas as gpd
import pytest
from qgis.core import QgsProject, QgsVectorLayer
from qgis.PyQt.QtGui import QImage

from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator
from jsna_profiles.charts.render import to_svg
from jsna_profiles.charts.spine import WIDTH, SpineChart
from jsna_profiles.cli import main
from jsna_profiles.core import compare as cmp
from jsna_profiles.core.formatting import format_value
from jsna_profiles.core.gdal_calls import quiet_gdal
from jsna_profiles.core.packfile import copy_database
from jsna_profiles.layers.pack import open_pack
from jsna_profiles.layouts.export import export_layout
from jsna_profiles.layouts.items import Paper
from jsna_profiles.layouts.report_map import ReportMap, report_boxes, report_layout

HILLFIELDS = "E02001981"
Z = 1.959963984540054


def neighbourhood_values(pack, indicator: str) -> list[float]:
    with closing(sqlite3.connect(pack)) as db, db:
        rows = db.execute("SELECT value FROM indicator_values WHERE level = 'neighbourhood' AND "
                          "indicator_id = ? AND value IS NOT NULL", (indicator,)).fetchall()
    db.close()
    return [r[0] for r in rows]


def test_spine_rows_without_a_city_figure_centre_on_the_median_marked_with_a_star(
        coventry_pack):
    rows = {r.indicator.indicator_id: r
            for r in cmp.ComparePack(coventry_pack).spine_rows(HILLFIELDS)}
    male = rows["life_expectancy_male"]
    values = neighbourhood_values(coventry_pack, "life_expectancy_male")
    assert len(values) == 42
    assert male.centre == pytest.approx(statistics.median(values))
    assert male.centre_label == cmp.MEDIAN_CENTRE
    assert rows["fuel_poverty"].centre == pytest.approx(20.3005, abs=1e-4)  # the city's own
    svg = to_svg(SpineChart("Hillfields", list(rows.values())), WIDTH).decode()
    assert f">{format_value(male.indicator, male.centre)}*<" in svg  # e.g. "80.9 years*"
    assert "centred on the neighbourhoods' median" in svg


def byar(observed: float) -> tuple[float, float]:
    """Byar's limits as the Fingertips technical guidance writes them."""
    o = observed
    lower = o * (1 - 1 / (9 * o) - Z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def test_crude_rates_get_byar_limits(coventry_pack, tmp_path):
    """A rate per 1,000 (synthetic counts, labelled so) is compared with Byar's limits."""
    pack = tmp_path / "pack.gpkg"
    copy_database(coventry_pack, pack)
    with closing(sqlite3.connect(pack)) as db, db:
        lsoas = [r[0] for r in db.execute("SELECT code FROM small_areas ORDER BY code")]
    db.close()
    rows = [(code, 20 + i % 30, 1500) for i, code in enumerate(lsoas)]
    table = tmp_path / "admissions.csv"
    table.write_text("lsoa,admissions,population\n"
                     + "".join(f"{c},{n},{d}\n" for c, n, d in rows))
    add_indicator(pack, IndicatorTable(
        table, "admissions_rate", "Admissions per 1,000 (synthetic test data)", "lsoa",
        numerator_column="admissions", denominator_column="population", unit="per 1,000",
        polarity="low is good", source="Synthetic test data"))
    with closing(sqlite3.connect(pack)) as db, db:
        members = {r[0] for r in db.execute("SELECT code FROM hub_lookup WHERE "
                                            "neighbourhood_code = ?", (HILLFIELDS,))}
    db.close()
    observed = sum(n for c, n, _ in rows if c in members)
    population = sum(d for c, _, d in rows if c in members)
    table = cmp.ComparePack(pack).table("Harmony")
    area = next(a for a in table.areas if a.code == HILLFIELDS)
    indicator = next(i for i in table.indicators if i.indicator_id == "admissions_rate")
    cell = table.cell(area, indicator)
    lower, upper = byar(observed)
    assert indicator.value_type == "rate" and cell.method == cmp.METHOD_COUNT
    assert cell.value == pytest.approx(observed / population * 1000)
    assert (cell.lower, cell.upper) == pytest.approx((lower / population * 1000,
                                                      upper / population * 1000))


@pytest.fixture
def fuel_poverty_map(coventry_pack):
    project = QgsProject()
    pack = open_pack(coventry_pack, project)
    layout = report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Harmony"))
    yield layout
    project.clear()


def test_locator_outlines_the_map_in_red(fuel_poverty_map, tmp_path):
    dpi = 100
    png = export_layout(fuel_poverty_map, tmp_path / "map.png", dpi=dpi)
    image = QImage(str(png))
    x, y, w, h = (v * dpi / 25.4 for v in report_boxes(Paper())["locator"])

    def red(px: int, py: int) -> bool:
        colour = image.pixelColor(px, py)
        return colour.red() > 180 and colour.green() < 60 and colour.blue() < 60
    inside = sum(red(px, py) for px in range(int(x), int(x + w)) for py in range(int(y), int(y + h)))
    assert inside > 100  # the outline of the mapped extent, drawn on the locator
    overview = next(i for i in fuel_poverty_map.items() if getattr(i, "id", lambda: "")()
                    == "locator").overview()
    assert overview.frameSymbol().color().name() == "#ff0000"
    assert overview.frameSymbol().symbolLayer(0).strokeColor().name() == "#d00000"


def test_pdf_is_georeferenced_in_british_national_grid(fuel_poverty_map, tmp_path):
    pdf = export_layout(fuel_poverty_map, tmp_path / "map.pdf")
    with quiet_gdal() as (gdal, _ogr, osr):
        source = gdal.Open(str(pdf))
        crs = osr.SpatialReference(wkt=source.GetProjection())
        crs.AutoIdentifyEPSG()
        assert crs.GetAuthorityCode(None) == "27700"
        x0, dx, _, y0, _, dy = source.GetGeoTransform()
    page = (x0, y0 + dy * source.RasterYSize, x0 + dx * source.RasterXSize, y0)
    extent = next(i for i in fuel_poverty_map.items()
                  if getattr(i, "id", lambda: "")() == "map").extent()
    assert page[0] < extent.xMinimum() < extent.xMaximum() < page[2]
    assert page[1] < extent.yMinimum() < extent.yMaximum() < page[3]


def test_export_styles_writes_qml_files_that_load(coventry_pack, tmp_path, capsys):
    assert main(["export-styles", "--pack", str(coventry_pack), "--out-dir",
                 str(tmp_path / "qml")]) == 0
    written = sorted(p.name for p in (tmp_path / "qml").iterdir())
    assert written == sorted(f"{t}.qml" for t in ("hubs", "monitoring_sites", "neighbourhoods",
                                                  "city", "aqma", "small_areas", "services"))
    project = QgsProject()
    pack = open_pack(coventry_pack, project)
    for name in written:
        original = pack.layer(name[:-4])
        layer = QgsVectorLayer(original.source(), "copy", "ogr")
        _, ok = layer.loadNamedStyle(str(tmp_path / "qml" / name))
        assert ok and layer.renderer().type() == original.renderer().type(), name
    project.clear()


def test_opening_a_pack_zooms_to_the_city(plugin, coventry_pack):
    plugin.open_pack(str(coventry_pack))
    city, shown = plugin.pack.extent, plugin.iface.mapCanvas().extent()
    assert shown.contains(city)
    assert min(shown.width() / city.width(), shown.height() / city.height()) < 1.05


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_own_indicator_from_a_table_ogr_reads(coventry_pack, tmp_path, suffix):
    """Synthetic test data, as a GeoPackage table, GeoJSON and Shapefile (attributes only)."""
    pack = tmp_path / "pack.gpkg"
    copy_database(coventry_pack, pack)
    frame = gpd.GeoDataFrame({"lsoa": ["E01009522", "E01009523"], "n": [3, 4], "d": [40, 50]},
                             geometry=gpd.points_from_xy([430000, 431000], [279000, 280000]),
                             crs=27700)
    table = tmp_path / f"own{suffix}"
    frame.to_file(table)
    add_indicator(pack, IndicatorTable(table, "own_rate", "Own rate (synthetic test data)",
                                       "lsoa", numerator_column="n", denominator_column="d",
                                       unit="%", source="Synthetic test data"))
    with closing(sqlite3.connect(pack)) as db, db:
        values = dict(db.execute("SELECT area_code, value FROM indicator_values WHERE "
                                 "indicator_id = 'own_rate' AND level = 'small_area'"))
    db.close()
    assert values == {"E01009522": pytest.approx(7.5), "E01009523": pytest.approx(8.0)}

