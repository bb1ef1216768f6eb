"""Packs from the national files: any English local authority, and all of England, in the
2025 edition (the default) and the 2019 one (a council's own 2011 boundaries).

Uses ../shared/data/england (or $JSNA_ENGLAND); skipped, saying so, without it.
"""

import os
import sqlite3
from contextlib import closing

import pandas as pd
import pytest

from conftest import ENGLAND
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError

needs_england = pytest.mark.skipif(not ENGLAND.is_dir(),
                                   reason=f"national files not found at {ENGLAND}")


def query(pack, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{pack}?mode=ro&immutable=1", uri=True)) as db:
        return db.execute(sql, params).fetchall()


def census_sums(codes: set) -> dict:
    """Census 2021 totals of the LSOAs ``codes``, straight from the England-wide raw files with
    pandas: indicator id -> (numerator, denominator)."""
    def table(name):
        frame = pd.read_csv(ENGLAND / f"census2021_{name}_england.csv.gz")
        return frame[frame["lsoa21_code"].isin(codes)]

    def share(frame, column, wanted, total):
        return (float(frame.loc[frame[column].isin(wanted), "n"].sum()),
                float(frame.drop_duplicates("lsoa21_code")[total].sum()))

    age = table("age_6_categories_lsoa21_hack25usefuldata")
    tenure = table("ts054_tenure_lsoa21_demographr")
    return {
        "population": (float(age["usual_residents"].sum()), None),
        "age_65_plus": (float(age.loc[age["age_group"] == "Aged 65 years and over",
                                      "usual_residents"].sum()),
                        float(age["usual_residents"].sum())),
        "rel_muslim": share(table("ts030_religion_lsoa21_demographr"), "religion", ["Muslim"],
                            "total_residents"),
        "disabled": share(table("ts038_disability_lsoa21_demographr"), "disability",
                          ["Disabled under the Equality Act"], "total_residents"),
        "tenure_social_rented": share(tenure, "tenure", [
            "Social rented: Rents from council or Local Authority",
            "Social rented: Other social rented"], "total_households"),
        "overcrowded_bedrooms": share(table("ts052_occupancy_rating_bedrooms_lsoa21_demographr"),
                                      "occupancy_rating",
                                      ["-1 (overcrowded)", "-2 or less (overcrowded)"],
                                      "total_households"),
    }


def assert_census_totals(pack, code: str, codes: set) -> None:
    """The pack's figures for the area ``code`` (its city) equal the raw files' sums."""
    for indicator_id, (numerator, denominator) in census_sums(codes).items():
        [(value, packed_numerator, packed_denominator)] = query(
            pack, "SELECT value, numerator, denominator FROM indicator_values WHERE "
            "area_code = ? AND indicator_id = ?", code, indicator_id)
        assert packed_numerator == numerator, indicator_id
        if denominator is not None:
            assert packed_denominator == denominator, indicator_id
            assert value == pytest.approx(100 * numerator / denominator), indicator_id


def lsoas_of(authority: str) -> set:
    """An authority's LSOA 2021 codes, from IoD 2025's File 1."""
    names = pd.read_csv(ENGLAND / "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz")
    return set(names.loc[names["Local Authority District name (2024)"] == authority,
                         "LSOA code (2021)"])


@pytest.fixture(scope="module")
def coventry_national(tmp_path_factory, qgis_app):
    if not ENGLAND.is_dir():
        pytest.skip(f"national files not found at {ENGLAND}")
    from jsna_profiles.builder.england import build_england_pack

    out = tmp_path_factory.mktemp("national") / "coventry.gpkg"
    build_england_pack(ENGLAND, out, "coventry")  # the 2025 edition, the default
    return out


@needs_england
def test_any_authority_on_the_2025_edition_has_coventrys_topics(coventry_national,
                                                                coventry_pack_2025):
    national, local = ComparePack(coventry_national), ComparePack(coventry_pack_2025)
    assert (national.place, national.city_code, len(national.neighbourhoods)) == \
        ("Coventry", "E08000026", 42)
    assert national.hubs == ["Coventry"]  # no lookup given: the authority is one hub
    assert len(query(coventry_national, "SELECT code FROM small_areas")) == 203
    topics = {(i.domain, i.topic) for i in national.indicators}
    # what the England-wide files do not hold: Census TS037, TS029, TS019, TS021's 19 groups
    # (MSOA), fuel poverty, GP practices, File 7 (the pack notes name the recipes)
    not_national = {"General health", "Migration", "Fuel poverty", "Access to services"}
    assert {(i.domain, i.topic) for i in local.indicators
            if i.topic not in not_national} == topics
    notes = " ".join(v for k, v in query(coventry_national, "SELECT key, value FROM pack_info")
                     if k.startswith("note:"))
    assert "Not in the national files, so not in this pack: Census 2021 TS021 ethnic group: " \
        "19 groups by MSOA 2021; Census 2021 TS037 general health" in notes
    assert "weighted by Census 2021 usual residents (IoD 2025's File 7 denominators were " \
        "not given)" in notes
    by_id = {i.indicator_id: i for i in national.indicators}
    for indicator_id in ("rel_muslim", "tenure_social_rented", "ethnic_not_white", "flats"):
        city = national.cell(national.area("E08000026"), by_id[indicator_id], "england")
        assert city.value == pytest.approx(local.cell(local.area("E08000026"),
                                                      by_id[indicator_id]).value)
        assert city.comparator_name == "England" and city.comparator_value is not None
    # IoD averages: File 7's mid-2022 weights in the local pack, Census 2021's here
    imd = national.cell(national.area("E08000026"), by_id["imd_score"], "england")
    assert imd.value == pytest.approx(27.478, abs=0.001)
    assert local.cell(local.area("E08000026"), by_id["imd_score"]).value == \
        pytest.approx(27.528, abs=0.001)
    assert imd.comparator_value == pytest.approx(21.84, abs=0.01)
    assert_census_totals(coventry_national, "E08000026", lsoas_of("Coventry"))


@needs_england
def test_hub_lookup_and_unknown_authority(tmp_path, qgis_app):
    from jsna_profiles.builder.england import build_england_pack

    with pytest.raises(JsnaInputError, match="did you mean Coventry"):
        build_england_pack(ENGLAND, tmp_path / "x.gpkg", "Coventree")
    # SYNTHETIC lookup for the test: two made-up hubs over Rutland's LSOAs, by neighbourhood
    names = pd.read_csv(ENGLAND / "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz")
    rutland = names[names["Local Authority District code (2024)"] == "E06000017"]
    first = rutland["LSOA name (2021)"].str[:-1].min()
    lookup = tmp_path / "hubs.csv"
    lookup.write_text("area_code,hub,basis\n" + "".join(
        f"{code},{'North' if name[:-1] == first else 'South'},synthetic test lookup\n"
        for code, name in zip(rutland["LSOA code (2021)"], rutland["LSOA name (2021)"])))
    pack = tmp_path / "rutland.gpkg"
    build_england_pack(ENGLAND, pack, "Rutland", lookup)
    compare = ComparePack(pack)
    assert compare.hubs == ["North", "South"] and compare.has_england()
    assert_census_totals(pack, "E06000017", set(rutland["LSOA code (2021)"]))
    [(schools,)] = query(pack, "SELECT COUNT(*) FROM schools")
    gias = pd.read_csv(ENGLAND / "gias_schools_2025_england.csv.gz", dtype={"lsoa_code": str})
    assert schools == gias["lsoa_code"].isin(set(rutland["LSOA code (2021)"])).sum() > 10
    assert not list(tmp_path.glob(".*"))


def test_england_pack_builds_opens_and_compares(tmp_path_factory, qgis_app):
    """The whole of England on the 2025 edition: 33,755 small areas, 296 districts, and
    England's Census totals those of the raw files."""
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
    assert pack.layer("small_areas").featureCount() == 33755
    assert pack.layer("hubs").featureCount() == 296
    apply_theme(pack, "deprivation")
    assert pack.layer("small_areas").renderer().classAttribute() == "imd_decile"
    assert "2016" in apply_theme(pack, "air_quality")  # the data year of IoD 2019's indicator
    rules = pack.layer("small_areas").renderer().rootRule().children()
    assert rules[0].filterExpression().startswith('"air_quality" >=')
    assert rules[-1].filterExpression() == '"air_quality" IS NULL'  # the 6 irregular areas
    assert "6" in rules[-1].label()
    project.clear()
    compare = ComparePack(out)
    table = compare.table("Coventry")
    assert [a.name for a in table.areas][-2:] == ["Coventry", "England"]
    assert sum(a.level == "neighbourhood" for a in table.areas) == 42
    assert_census_totals(out, "E92000001", set(pd.read_csv(
        ENGLAND / "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz")["LSOA code (2021)"]))
    [(population,)] = query(out, "SELECT value FROM indicator_values WHERE level = 'city' AND "
                                 "indicator_id = 'population'")
    assert population == 56_489_608  # SOURCES.md: the age file's England sum


@needs_england
@pytest.mark.parametrize("kind, message", [
    ("missing", "national files census2021_ts030_religion_lsoa21_demographr_england.csv.gz "
                "are missing"),
    ("cut_gzip", "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz: cannot be read as CSV"),
    ("fewer_rows", "iod2025_england_lsoa21_underlying_indicators.csv.gz: no row for 32,755 of "
                   "the 33,755 small areas"),
    ("geography_2011", "lsoa_2021_bsc_ew.geojson.gz: column 'lsoa21_code' not found"),
])
def test_a_bad_national_file_is_named_and_no_pack_is_written(tmp_path, kind, message, qgis_app):
    """Missing, cut short (a broken gzip, or a whole file with rows missing) or of the other
    geography: one line naming the file, and nothing written."""
    import gzip

    from jsna_profiles.builder.england import NATIONAL, build_england_pack

    folder = tmp_path / "national"
    folder.mkdir()
    for name in NATIONAL["2025"].files.values():
        if (ENGLAND / name).is_file():
            (folder / name).symlink_to(ENGLAND / name)
    if kind == "missing":
        (folder / "census2021_ts030_religion_lsoa21_demographr_england.csv.gz").unlink()
    elif kind == "cut_gzip":
        name = "File_1_IoD2025_Index_of_Multiple_Deprivation.csv.gz"
        whole = (ENGLAND / name).read_bytes()
        (folder / name).unlink()
        (folder / name).write_bytes(whole[:len(whole) // 2])
    elif kind == "fewer_rows":
        name = "iod2025_england_lsoa21_underlying_indicators.csv.gz"
        with gzip.open(ENGLAND / name, "rt") as stream:
            lines = stream.readlines()[:1001]
        (folder / name).unlink()
        with gzip.open(folder / name, "wt") as stream:
            stream.writelines(lines)
    else:
        (folder / "lsoa_2021_bsc_ew.geojson.gz").unlink()
        (folder / "lsoa_2021_bsc_ew.geojson.gz").symlink_to(ENGLAND / "lsoa_2011_bsc_ew.geojson.gz")
    with pytest.raises(JsnaInputError, match=message.replace("(", r"\(")) as raised:
        build_england_pack(folder, tmp_path / "out.gpkg", "Rutland")
    assert "\n" not in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["national"]


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
                       boundaries=rutland_files / "our_lsoas.gpkg", code_column="lsoa_id",
                       edition="2019")
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
        f"BOUNDARIES={rutland_files / 'our_lsoas.gpkg'}", "CODE_FIELD=lsoa_id", "EDITION=2019",
        f"OUTPUT={pack}")
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
                           boundaries=boundaries, code_column="lsoa_id", edition="2019")
    assert not (tmp_path / "out.gpkg").exists()
