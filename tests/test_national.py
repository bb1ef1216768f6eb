"""Packs from the national files: any English local authority, and all of England.

Uses ../shared/data/england (or $JSNA_ENGLAND); skipped, saying so, without it.
"""

import os
import sqlite3
from contextlib import closing

import pytest

from conftest import ENGLAND
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError

needs_england = pytest.mark.skipif(not ENGLAND.is_dir(),
                                   reason=f"national files not found at {ENGLAND}")


@pytest.fixture(scope="module")
def coventry_national(tmp_path_factory, qgis_app):
    if not ENGLAND.is_dir():
        pytest.skip(f"national files not found at {ENGLAND}")
    from jsna_profiles.builder.england import build_england_pack

    out = tmp_path_factory.mktemp("national") / "coventry.gpkg"
    build_england_pack(ENGLAND, out, "coventry")
    return out


@needs_england
def test_any_authority_by_name_matches_the_local_build(coventry_national, coventry_pack):
    national, local = ComparePack(coventry_national), ComparePack(coventry_pack)
    assert (national.place, national.city_code, len(national.neighbourhoods)) == \
        ("Coventry", "E08000026", 42)
    assert national.hubs == ["Coventry"]  # no lookup given: the authority is one hub
    income = next(i for i in national.indicators if i.indicator_id == "income_deprivation")
    city = national.cell(national.area("E08000026"), income, "england")
    local_city = local.cell(local.area("E08000026"), income)
    assert city.value == pytest.approx(local_city.value)  # 15.4%, from the same counts
    assert city.comparator_name == "England" and city.comparator_value == pytest.approx(12.83,
                                                                                         abs=0.01)
    assert city.significance == "worse"


@needs_england
def test_hub_lookup_and_unknown_authority(tmp_path, qgis_app):
    from jsna_profiles.builder.england import build_england_pack

    with pytest.raises(JsnaInputError, match="did you mean Coventry"):
        build_england_pack(ENGLAND, tmp_path / "x.gpkg", "Coventree")
    # SYNTHETIC lookup for the test: two made-up hubs over Rutland's LSOAs, by neighbourhood
    rutland = tmp_path / "rutland.gpkg"
    build_england_pack(ENGLAND, rutland, "E06000017")
    with closing(sqlite3.connect(f"file:{rutland}?mode=ro&immutable=1", uri=True)) as db:
        lsoas = db.execute("SELECT code, neighbourhood_code FROM small_areas ORDER BY code")
        lsoas = lsoas.fetchall()
    first = min(nb for _, nb in lsoas)
    lookup = tmp_path / "hubs.csv"
    lookup.write_text("area_code,hub,basis\n" + "".join(
        f"{code},{'North' if nb == first else 'South'},synthetic test lookup\n"
        for code, nb in lsoas))
    build_england_pack(ENGLAND, rutland, "Rutland", lookup)
    assert ComparePack(rutland).hubs == ["North", "South"]
    assert not list(tmp_path.glob(".*"))


def test_england_pack_builds_opens_and_compares(tmp_path_factory, qgis_app):
    """The whole of England: 32,844 small areas, 6,791 neighbourhoods, 317 districts."""
    if not ENGLAND.is_dir() or os.environ.get("JSNA_SKIP_ENGLAND"):
        pytest.skip(f"national files not found at {ENGLAND} (or JSNA_SKIP_ENGLAND set)")
    from qgis.core import QgsProject

    from jsna_profiles.builder.england import build_england_pack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme

    out = tmp_path_factory.mktemp("england") / "england.gpkg"
    build_england_pack(ENGLAND, out)
    project = QgsProject()
    pack = open_pack(out, project)
    assert pack.layer("small_areas").featureCount() == 32844
    assert pack.layer("neighbourhoods").featureCount() == 6791
    assert pack.layer("hubs").featureCount() == 317
    apply_theme(pack, "deprivation")
    assert pack.layer("small_areas").renderer().classAttribute() == "imd_decile"
    project.clear()
    compare = ComparePack(out)
    table = compare.table("Coventry")
    assert [a.name for a in table.areas][-2:] == ["Coventry", "England"]
    assert sum(a.level == "neighbourhood" for a in table.areas) == 42


@pytest.fixture(scope="module")
def rutland_files(tmp_path_factory):
    """A new council's own files. SYNTHETIC except the boundaries: Rutland's LSOA polygons
    from the national file, saved as a GeoPackage in Web Mercator with a code column of their
    own; a made-up two-hub lookup; a made-up local indicator."""
    if not ENGLAND.is_dir():
        pytest.skip(f"national files not found at {ENGLAND}")
    import geopandas as gpd

    folder = tmp_path_factory.mktemp("rutland")
    lsoas = gpd.read_file(f"/vsigzip/{ENGLAND / 'lsoa_2011_bsc_ew.geojson.gz'}")
    rutland = lsoas[lsoas["LSOA11NM"].str.startswith("Rutland")].to_crs("EPSG:3857")
    rutland = rutland.rename(columns={"LSOA11CD": "lsoa_id"})[["lsoa_id", "geometry"]]
    rutland.to_file(folder / "our_lsoas.gpkg", driver="GPKG")
    codes = sorted(rutland["lsoa_id"])
    (folder / "hubs.csv").write_text("area_code,hub,basis\n" + "".join(
        f"{code},{'Oakham' if i < len(codes) // 2 else 'Uppingham'},synthetic test lookup\n"
        for i, code in enumerate(codes)))
    (folder / "visits.csv").write_text("lsoa,visits,families\n" + "".join(
        f"{code},{10 + i % 7},{60 + i % 11}\n" for i, code in enumerate(codes)))
    return folder


def test_another_council_end_to_end(rutland_files, tmp_path, qgis_app):
    """Build for the council from its own boundaries and lookup, add its own indicator, and get
    the maps, comparison and profile Coventry gets."""
    from qgis.core import QgsProject
    from test_layouts import pdf_pages, pdf_text

    from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator
    from jsna_profiles.builder.england import build_england_pack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.export import export_layout
    from jsna_profiles.layouts.profile import profile_layout
    from jsna_profiles.layouts.report_map import ReportMap, report_layout

    pack = tmp_path / "rutland.gpkg"
    build_england_pack(ENGLAND, pack, "Rutland", rutland_files / "hubs.csv",
                       boundaries=rutland_files / "our_lsoas.gpkg", code_column="lsoa_id")
    add_indicator(pack, IndicatorTable(
        rutland_files / "visits.csv", "visits_synthetic", "Synthetic family visits (test data)",
        "lsoa", numerator_column="visits", denominator_column="families", unit="%",
        polarity="high is good", source="Synthetic test data"))
    compare = ComparePack(pack)
    assert compare.place == "Rutland" and compare.hubs == ["Oakham", "Uppingham"]
    assert compare.has_england()
    table = compare.table("Oakham", comparator="england")
    assert {i.indicator_id for i in table.indicators} >= {"visits_synthetic", "idaci"}
    project = QgsProject()
    loaded = open_pack(pack, project)
    layout = report_layout(project, loaded, ReportMap("indicator", "hub", "Oakham",
                                                      options={"indicator_id": "visits_synthetic"}))
    assert "Oakham Family Hub reach area" in pdf_text(export_layout(layout, tmp_path / "map.pdf"))
    profile = export_layout(profile_layout(project, loaded, compare, "Oakham"),
                            tmp_path / "oakham.pdf")
    text = pdf_text(profile)
    assert "Oakham: neighbourhoods compared with Rutland" in text
    assert "Synthetic family visits" in text and pdf_pages(profile) > 6
    project.clear()


def test_another_council_through_qgis_process(rutland_files, tmp_path, qgis_process):
    """The same steps as a GIS officer runs them in a batch: qgis_process, plugin from the zip."""
    from test_layouts import pdf_pages

    def run(*args):
        result = qgis_process(*args)
        assert result.returncode == 0, result.stdout + result.stderr

    pack = tmp_path / "rutland.gpkg"
    run("run", "jsna:buildnational", "--", f"SOURCES={ENGLAND}", "LOCAL_AUTHORITY=Rutland",
        f"HUB_LOOKUP={rutland_files / 'hubs.csv'}",
        f"BOUNDARIES={rutland_files / 'our_lsoas.gpkg'}", "CODE_FIELD=lsoa_id", f"OUTPUT={pack}")
    run("run", "jsna:addindicator", "--", f"PACK={pack}", f"TABLE={rutland_files / 'visits.csv'}",
        "ID=visits_synthetic", "TITLE=Synthetic family visits", "CODE_COLUMN=lsoa",
        "NUMERATOR_COLUMN=visits", "DENOMINATOR_COLUMN=families", "UNIT=%",
        "SOURCE=Synthetic test data", "POLARITY=high is good")
    out = tmp_path / "oakham.pdf"
    run("run", "jsna:hubprofile", "--", f"PACK={pack}", "HUB=Oakham", f"OUTPUT={out}")
    assert pdf_pages(out) > 6


@needs_england
@pytest.mark.parametrize("kind, message", [
    ("no_code_column", "column 'lsoa_id' not found"),
    ("lsoa_2021", "LSOA 2021 codes (E01035000"),
    ("not_lsoa", "holds no LSOA codes"),
    ("two_hubs", "appears more than once"),
])
def test_bad_own_files_are_named(rutland_files, tmp_path, kind, message, qgis_app):
    import geopandas as gpd

    from jsna_profiles.builder.england import build_england_pack

    boundaries = rutland_files / "our_lsoas.gpkg"
    lookup = None
    if kind in ("no_code_column", "lsoa_2021", "not_lsoa"):
        frame = gpd.read_file(boundaries)
        if kind == "no_code_column":
            frame = frame.rename(columns={"lsoa_id": "id"})
        elif kind == "lsoa_2021":
            frame["lsoa_id"] = [f"E0103{5000 + i}" for i in range(len(frame))]
        else:
            frame["lsoa_id"] = [f"area {i}" for i in range(len(frame))]
        boundaries = tmp_path / "theirs.shp"  # another format, for good measure
        frame.to_file(boundaries)
    else:
        rows = (rutland_files / "hubs.csv").read_text().splitlines()
        lookup = tmp_path / "two_hubs.csv"
        lookup.write_text("\n".join(rows + [rows[1].replace("Oakham", "Uppingham")]) + "\n")
    with pytest.raises(JsnaInputError, match=message.replace("(", r"\(")):
        build_england_pack(ENGLAND, tmp_path / "out.gpkg", "Rutland", lookup,
                           boundaries=boundaries, code_column="lsoa_id")
    assert not (tmp_path / "out.gpkg").exists()
