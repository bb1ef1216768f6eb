"""The Coventry pack built from the real source files, checked against published figures."""

import sqlite3
from contextlib import closing

import fiona
import geopandas as gpd
import pytest

from conftest import ENGLAND, SOURCES, config_2019, needs_sources

pytestmark = needs_sources

HILLFIELDS, CITY = "E02001981", "E08000026"
HARMONY = {"E02001988", "E02001981", "E02001973"}  # City Centre, Hillfields, Stoke (per LSOA)


@pytest.fixture(scope="module")
def values(coventry_pack):
    return gpd.read_file(coventry_pack, layer="indicator_values")


def value(values, code, indicator):
    row = values[(values.area_code == code) & (values.indicator_id == indicator)]
    assert len(row) == 1, (code, indicator)
    return row.iloc[0]


def test_layers_counts_and_crs(coventry_pack):
    layers = set(fiona.listlayers(coventry_pack))
    assert {"small_areas", "neighbourhoods", "hubs", "city", "aqma", "monitoring_sites",
            "indicator_catalogue", "indicator_values", "hub_lookup", "pack_info",
            "layer_styles"} <= layers
    small = gpd.read_file(coventry_pack, layer="small_areas")
    nb = gpd.read_file(coventry_pack, layer="neighbourhoods")
    assert len(small) == 195 and small["code"].is_unique
    assert len(nb) == 42 and nb["code"].is_unique
    assert small.crs.to_epsg() == 27700 and nb.crs.to_epsg() == 27700
    # every small area matched a neighbourhood, every neighbourhood has its HCL name
    assert set(small["neighbourhood_code"]) == set(nb["code"])
    assert nb.set_index("code").loc[HILLFIELDS, "name"] == "Hillfields"
    assert nb.set_index("code").loc["E02001977", "name"] == "Naul's Mill & Bishopsgate Green"
    # dissolving keeps the area: neighbourhoods cover the small areas
    assert nb.area.sum() == pytest.approx(small.area.sum(), rel=1e-6)


def test_city_fuel_poverty_is_the_published_20_3_percent(values):
    row = value(values, CITY, "fuel_poverty")
    assert round(row.value, 1) == 20.3  # BEIS sub-regional fuel poverty 2022, Coventry 20.3%
    assert (row.numerator, row.denominator) == (28208, 138952)
    assert value(values, "E92000001", "fuel_poverty").value == pytest.approx(13.23, abs=0.01)


def test_neighbourhood_counts_sum_from_small_areas(coventry_pack, values):
    small = gpd.read_file(coventry_pack, layer="small_areas")
    members = small[small.neighbourhood_code == HILLFIELDS]["code"]
    parts = values[(values.indicator_id == "fuel_poverty") & values.area_code.isin(members)]
    row = value(values, HILLFIELDS, "fuel_poverty")
    assert row.numerator == parts.numerator.sum() and row.denominator == parts.denominator.sum()


def test_hillfields_share_in_most_deprived_tenth_agrees_with_jsna(values):
    # Coventry JSNA Harmony profile: "38%" of Hillfields' residents in England's most deprived 10%
    assert value(values, HILLFIELDS, "pop_most_deprived_10pct").value == pytest.approx(38, abs=2)


def test_harmony_and_mosaic_membership(coventry_pack):
    nb = gpd.read_file(coventry_pack, layer="neighbourhoods")
    harmony = nb[nb.hub == "Harmony"]
    assert set(harmony.code) == HARMONY
    assert harmony.hub_approximate.sum() == 0  # the three the profile names outright
    assert (nb.hub == "Not assigned").sum() == 0  # the others go to the nearest hub site
    hubs = gpd.read_file(coventry_pack, layer="hubs").set_index("name")
    assert hubs.loc["Harmony", "membership_note"].startswith("all 15 small areas")
    assert hubs.loc["Mosaic", "membership_note"].startswith("21 of 39 small areas approximate")
    assert hubs.loc["Harmony", "quadrant"] == "Central"


def test_life_expectancy_keeps_published_limits(values):
    row = value(values, "E02001958", "life_expectancy_male")
    assert row.value == pytest.approx(80.4378, abs=1e-3)
    assert row.lower95 == pytest.approx(78.9906, abs=1e-3)
    assert row.upper95 == pytest.approx(81.8849, abs=1e-3)


def test_catalogue_names_method_source_and_licence(coventry_pack):
    catalogue = gpd.read_file(coventry_pack, layer="indicator_catalogue").set_index("indicator_id")
    fuel = catalogue.loc["fuel_poverty"]
    assert fuel.aggregation == "ratio of summed numerators and denominators"
    assert "BEIS" in fuel.source and "Open Government Licence" in fuel.licence
    assert catalogue.loc["air_quality", "aggregation"].startswith("population-weighted mean")


def test_air_quality_and_monitoring_sites(coventry_pack, values):
    assert len(values[(values.indicator_id == "air_quality") & (values.level == "small_area")]) \
        == 195
    sites = gpd.read_file(coventry_pack, layer="monitoring_sites").set_index("site_id")
    assert set(sites.index) == {"COAL", "COV3"}  # COBR has no coordinates: reported, skipped
    assert sites.loc["COAL", "no2_latest_year"] == 2018
    warnings = coventry_pack.with_suffix(".warnings").read_text()
    assert "site COBR has no coordinates" in warnings
    aqma = gpd.read_file(coventry_pack, layer="aqma")
    assert aqma.loc[0, "declared"] == 2009


def test_styles_saved_in_layer_styles(coventry_pack):
    with closing(sqlite3.connect(coventry_pack)) as db, db:
        rows = db.execute("SELECT f_table_name, styleName, useAsDefault FROM layer_styles").fetchall()
    styles = {(table, name): default for table, name, default in rows}
    assert styles[("small_areas", "Deprivation (IMD 2019 decile)")] == 1
    assert styles[("small_areas", "Fuel poverty")] == 0
    assert styles[("small_areas", "Air quality")] == 0
    assert styles[("small_areas", "Population density")] == 0
    assert styles[("small_areas", "Distance to a GP practice")] == 0
    assert styles[("small_areas", "Ethnicity: not White British")] == 0
    assert max(len(name) for _, name in styles) <= 30  # GDAL's limit for layer_styles names
    for table in ("hubs", "neighbourhoods", "monitoring_sites", "aqma", "city", "services"):
        assert styles[(table, "JSNA default")] == 1


def test_build_is_deterministic(coventry_pack, tmp_path):
    from jsna_profiles.builder.pack import build_pack

    again = tmp_path / "again.gpkg"
    build_pack(SOURCES, again, config_2019(), with_styles=False,
               england=ENGLAND if ENGLAND.is_dir() else None)
    for layer in ("indicator_values", "small_areas", "neighbourhoods", "pack_info"):
        first = gpd.read_file(coventry_pack, layer=layer)
        second = gpd.read_file(again, layer=layer)
        assert first.equals(second), layer
