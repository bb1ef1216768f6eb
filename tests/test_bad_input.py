"""Bad input gets one clear message naming the file, column or code; inputs stay unchanged."""

import json
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from conftest import ROOT, config_2019, needs_sources, sha256_tree
from jsna_profiles.core.errors import JsnaInputError

pytestmark = needs_sources


def build(sources, tmp_path):
    from jsna_profiles.builder.pack import build_pack

    return build_pack(sources, tmp_path / "out.gpkg", config_2019(), with_styles=False)


def rewrite(path, old, new):
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def expect_error(sources, tmp_path, *fragments):
    before = sha256_tree(sources)
    with pytest.raises(JsnaInputError) as caught:
        build(sources, tmp_path)
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    assert sha256_tree(sources) == before  # input files never modified
    assert not list(tmp_path.glob("*.gpkg")) and not list(tmp_path.glob(".*.gpkg"))


def test_missing_source_file(sources_copy, tmp_path):
    (sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv").unlink()
    expect_error(sources_copy, tmp_path, "Missing source file",
                 "coventry_fuel_poverty_2020_lsoa11.csv")


def test_renamed_column(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv", "Number of households,",
            "Households,")
    expect_error(sources_copy, tmp_path, "coventry_fuel_poverty_2020_lsoa11.csv",
                 "'Number of households' not found")


def test_non_numeric_cell(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv", ",697,150,", ",697,lots,")
    expect_error(sources_copy, tmp_path, "'lots'", "E01009522", "is not a number")


def test_suppressed_cells_are_missing_not_errors(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv", ",697,150,", ",697,c,")
    report = build(sources_copy, tmp_path)
    assert any("suppressed" in w and "fuel poverty" in w for w in report.warnings)
    with closing(sqlite3.connect(tmp_path / "out.gpkg")) as db, db:
        value = db.execute("SELECT value FROM indicator_values WHERE area_code = 'E01009522' "
                           "AND indicator_id = 'fuel_poverty'").fetchone()
        wide = db.execute("SELECT fuel_poverty FROM small_areas WHERE code = 'E01009522'"
                          ).fetchone()
        neighbours = db.execute("SELECT COUNT(*) FROM indicator_values WHERE level = "
                                "'small_area' AND indicator_id = 'fuel_poverty' AND value IS NOT "
                                "NULL").fetchone()
    db.close()
    assert value == (None,) and wide == (None,)  # missing, not 0 and not an error
    assert neighbours == (194,)  # every other small area keeps its value


def test_duplicate_code(sources_copy, tmp_path):
    path = sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n")
    expect_error(sources_copy, tmp_path, "E01009522 appears more than once")


def test_lsoa_2021_codes_in_a_2011_build(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_fuel_poverty_2020_lsoa11.csv", "E01009522", "E01034735")
    expect_error(sources_copy, tmp_path, "E01034735 is an LSOA 2021 code")


def _edit_geojson(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_lonlat_declared_as_british_national_grid(sources_copy, tmp_path):
    path = sources_copy / "coventry_lsoa_2011_bsc.geojson"
    _edit_geojson(path, lambda d: d["crs"]["properties"].update(name="urn:ogc:def:crs:EPSG::27700"))
    expect_error(sources_copy, tmp_path, "coventry_lsoa_2011_bsc.geojson", "longitude/latitude")


def test_empty_geometry(sources_copy, tmp_path):
    path = sources_copy / "coventry_lsoa_2011_bsc.geojson"
    _edit_geojson(path, lambda d: d["features"][0].update(geometry=None))
    expect_error(sources_copy, tmp_path, "E01009522 has an empty geometry")


def test_hub_lookup_assigning_unknown_area(sources_copy, tmp_path):
    from jsna_profiles.builder.pack import build_pack

    lookup = tmp_path / "lookup.csv"
    lookup.write_text("area_code,hub,basis\nE02009999,Harmony,made up\n")
    with pytest.raises(JsnaInputError, match="E02009999 is not a small area or neighbourhood"):
        build_pack(sources_copy, tmp_path / "x.gpkg", config_2019(), hub_lookup=lookup,
                   with_styles=False)


def test_pack_missing_a_layer_and_foreign_geopackage(coventry_pack, tmp_path, project):
    import shutil

    from jsna_profiles.layers.pack import open_pack

    damaged = tmp_path / "damaged.gpkg"
    shutil.copy(coventry_pack, damaged)
    with closing(sqlite3.connect(damaged)) as db, db:
        db.execute("DROP TABLE neighbourhoods")
        db.execute("DELETE FROM gpkg_contents WHERE table_name = 'neighbourhoods'")
        db.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'neighbourhoods'")
    with pytest.raises(JsnaInputError, match="missing the layer 'neighbourhoods'"):
        open_pack(damaged, project)
    foreign = tmp_path / "foreign.gpkg"
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=27700).to_file(foreign)
    with pytest.raises(JsnaInputError, match="not a JSNA data pack"):
        open_pack(foreign, project)
    text = tmp_path / "notes.gpkg"
    text.write_text("not a database")
    with pytest.raises(JsnaInputError, match="not a GeoPackage"):
        open_pack(text, project)
    assert len(project.mapLayers()) == 0


def test_command_line_gives_one_line_and_exit_status_2(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bin" / "jsna"), "build-pack",
                             "--sources", str(tmp_path / "nowhere"), "--out",
                             str(tmp_path / "x.gpkg")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("jsna build-pack: error: Source "
                                                             "folder not found")
    assert "Traceback" not in result.stderr


def test_invalid_geometry_is_repaired_and_reported(sources_copy, tmp_path):
    path = sources_copy / "coventry_lsoa_2011_bsc.geojson"

    def bowtie(data):
        x, y = data["features"][0]["geometry"]["coordinates"][0][0]
        d = 0.005  # degrees; the edges cross: a self-intersecting "bow tie"
        bow_tie = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
        data["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [bow_tie]}

    _edit_geojson(path, bowtie)
    report = build(sources_copy, tmp_path)
    assert any("invalid geometries repaired (E01009522)" in w for w in report.warnings)


def test_monitoring_site_with_lonlat_in_grid_columns(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_no2_monitoring_sites.csv", "430010.742216842,279375.498328876",
            "-1.560228,52.411563")
    expect_error(sources_copy, tmp_path, "site COAL", "look like longitude/latitude")
