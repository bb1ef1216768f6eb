"""Recipes: built-in sources described as data (config/recipes), a new recipe adding an
indicator with no new code, and bad recipes or source files, each one clear line."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from conftest import config_2019, sha256_tree
from jsna_profiles.builder.pack import build_pack
from jsna_profiles.builder.sources import PlaceConfig
from jsna_profiles.core import catalogue, schema
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.recipes import CONFIG_DIR, built_in_recipes, load_recipes, read_recipe

STUDENTS = {  # a census cell the built-in recipes do not use
    "name": "Census 2011 QS601EW full-time students (a recipe added by a council)",
    "tables": {"activity": {
        "file": "census_economic_activity_more", "code_column": "GEOGRAPHY_CODE",
        "geography": "lsoa2011",
        "national": {"file": "census_economic_activity_more_national",
                     "code_column": "GEOGRAPHY_CODE", "codes": {"EW": "K04000001"}}}},
    "indicators": [{
        "id": "students_16_74", "title": "Full-time students among residents aged 16-74",
        "domain": "Prospects", "topic": "Education and skills", "unit": "%",
        "polarity": "no judgement", "period": "2011",
        "levels": ["small_area", "neighbourhood", "hub", "city", "england_and_wales"],
        "source": "census2011_qs",
        "numerator": {"sum": ["QS601EW009", "QS601EW012"]}, "denominator": "TOTAL"}],
}


def place_config(tmp_path, recipes: list[dict]) -> PlaceConfig:
    """The Coventry configuration with a recipe folder of its own beside it."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("recipes"))
    (folder / "own").mkdir()
    for i, recipe in enumerate(recipes):
        (folder / "own" / f"{i:02d}_own.json").write_text(json.dumps(recipe))
    raw = json.loads((folder / "coventry.json").read_text())
    raw["recipes"] = ["own"]
    (folder / "coventry.json").write_text(json.dumps(raw))
    return PlaceConfig.load(folder / "coventry.json", "2019")


@pytest.mark.parametrize("edition, expected", [
    ("2019", {"imd_decile", "fuel_poverty", "life_expectancy_persons", "tenure_owned",
              "residents_2020", "near_gp"}),
    ("2025", {"imd_decile", "fuel_poverty", "tenure_owned", "population", "near_gp",
              "burglary_rate", "core_homelessness", "patient_to_gp_ratio", "idaci_decile",
              "imd_decile_change", "cannot_speak_english_well"})])
def test_every_built_in_indicator_comes_from_a_recipe(edition, expected):
    recipes = load_recipes([built_in_recipes(edition)])
    ids = [item["id"] for recipe in recipes for item in recipe.indicators]
    assert ids == [i.indicator_id for i in catalogue.CATALOGUES[edition]]
    assert expected <= set(ids)
    derived = {"@areas", "@services", "@imd_change", "@denominators", "@air_quality_2016",
               "@schools"}
    for recipe in recipes:  # each names its files by role, all in the place configuration
        files = set(PlaceConfig.load(edition=edition).files)
        assert recipe.roles | recipe.national_roles <= files | derived


def test_a_new_recipe_adds_an_indicator_end_to_end(coventry_pack, tmp_path):
    """No new code: the recipe's indicator is built, aggregated, catalogued, compared."""
    from conftest import SOURCES
    from jsna_profiles.core.compare import ComparePack

    out = tmp_path / "pack.gpkg"
    build_pack(SOURCES, out, place_config(tmp_path, [STUDENTS]))
    db = sqlite3.connect(out)
    levels = dict(db.execute("SELECT level, COUNT(*) FROM indicator_values WHERE indicator_id "
                             "= 'students_16_74' GROUP BY level").fetchall())
    title = db.execute("SELECT title FROM indicator_catalogue WHERE indicator_id = "
                       "'students_16_74'").fetchone()[0]
    built_in = db.execute("SELECT COUNT(*) FROM indicator_catalogue").fetchone()[0]
    db.close()
    assert levels == {"small_area": 195, "neighbourhood": 42, "hub": 8, "city": 1,
                      "england_and_wales": 1}
    assert title == "Full-time students among residents aged 16-74"
    assert built_in == len(catalogue.CATALOGUES["2019"]) + 1
    compare = ComparePack(out)
    indicator = compare.indicator("students_16_74")
    city = compare.cell(compare.area("E08000026"), indicator)
    assert city.value == pytest.approx((12_449 + 24_219) / 231_871 * 100)  # SOURCES.md figures
    assert city.comparator_name == "" and indicator.topic == "Education and skills"


@pytest.mark.parametrize("change, message", [
    ({"unit": "furlongs"}, "the unit 'furlongs' is not one the catalogue knows"),
    ({"polarity": "higher is better"}, "the polarity 'higher is better' is not one the catalogue"),
    ({"domain": "Transport"}, "the domain 'Transport' is not a JSNA chapter"),
    ({"source": "nowhere"}, "the source 'nowhere' is not in sources.json"),
    ({"levels": ["ward"]}, "'ward' is not a level"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"title": "Students [% env('SECRET') %]"}, "contains '[%', which QGIS would run"),
])
def test_a_recipe_the_catalogue_cannot_use_is_refused_naming_file_and_indicator(tmp_path, change,
                                                                                message):
    recipe = json.loads(json.dumps(STUDENTS))
    recipe["indicators"][0].update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(recipe))
    with pytest.raises(JsnaInputError) as caught:
        read_recipe(path, json.loads((CONFIG_DIR / "sources.json").read_text()))
    assert str(caught.value).startswith("bad.json, indicator 'students_16_74': ")
    assert message in str(caught.value)


def test_a_recipe_may_not_redefine_a_built_in_indicator(tmp_path):
    recipe = json.loads(json.dumps(STUDENTS))
    recipe["indicators"][0]["id"] = "fuel_poverty"
    (tmp_path / "own.json").write_text(json.dumps(recipe))
    with pytest.raises(JsnaInputError, match="'fuel_poverty' is already defined by "
                                             "05_fuel_poverty_2020.json"):
        load_recipes([built_in_recipes("2019"), tmp_path])


def build_warnings(sources, tmp_path, config=None) -> list[str]:
    before = sha256_tree(sources)
    out = tmp_path / "pack.gpkg"
    report = build_pack(sources, out, config or config_2019())
    assert sha256_tree(sources) == before  # sources are only ever read
    assert out.is_file()  # the build went on
    return report.warnings


def one(warnings: list[str], *fragments: str) -> str:
    hits = [w for w in warnings if all(f in w for f in fragments)]
    assert len(hits) == 1, (fragments, warnings)
    return hits[0]


def test_a_recipe_naming_a_missing_column_leaves_its_indicators_out(sources_copy, tmp_path):
    recipe = json.loads(json.dumps(STUDENTS))
    recipe["indicators"][0]["numerator"] = "QS601EW099"
    warnings = build_warnings(sources_copy, tmp_path, place_config(tmp_path, [recipe]))
    one(warnings, "coventry_census2011_qs601ew_economic_activity_more_lsoa11.csv",
        "column 'QS601EW099' not found", "indicators of 'Census 2011 QS601EW full-time")


def rewrite(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_ages_that_do_not_add_up_name_the_area_and_the_rest_is_built(sources_copy, tmp_path):
    path = sources_copy / "coventry_sape_mid2020_lsoa11_single_year_age.csv"
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[5] = str(int(cells[5]) + 7)  # one single-year cell of the first small area
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    warnings = build_warnings(sources_copy, tmp_path)
    assert cells[1].startswith("E01")  # this file's columns: lsoa11_name, lsoa11_code, total
    one(warnings, path.name, f"not the total {int(cells[2]):,}", f"for {cells[1]}",
        "population estimates, mid-2020")
    db = sqlite3.connect(tmp_path / "pack.gpkg")
    kept = {r[0] for r in db.execute("SELECT DISTINCT indicator_id FROM indicator_values")}
    db.close()
    assert "age_65_plus" not in kept and {"fuel_poverty", "no_qualifications"} <= kept


def test_a_missing_age_column_is_named(sources_copy, tmp_path):
    rewrite(sources_copy / "coventry_sape_mid2020_lsoa11_single_year_age.csv", ",85,", ",85y,")
    one(build_warnings(sources_copy, tmp_path), "coventry_sape_mid2020_lsoa11_single_year_age.csv",
        "column '85' not found")


def test_census_tables_whose_totals_disagree_name_the_area(sources_copy, tmp_path):
    path = sources_copy / "coventry_census2011_qs204ew_main_language_more_lsoa11.csv"
    rewrite(path, "E01009522,1373,", "E01009522,1380,")
    one(build_warnings(sources_copy, tmp_path), "the totals TOTAL (1,373) and more:TOTAL (1,380) "
        "disagree for E01009522", "main language")


def test_services_that_cannot_be_placed_are_listed_and_the_rest_placed(sources_copy, tmp_path):
    path = sources_copy / "coventry_nhs_ods_epraccur_2019-12.csv"
    rewrite(path, "PARK LEYS MEDICAL PRACTICE,Y60,Q77,PARK LEYS MED PRACTICE,KERESLEY GREEN MED "
            "CENTRE,COVENTRY,WEST MIDLANDS,,CV6 2FL", "PARK LEYS MEDICAL PRACTICE,Y60,Q77,PARK "
            "LEYS MED PRACTICE,KERESLEY GREEN MED CENTRE,COVENTRY,WEST MIDLANDS,,ZZ9 9ZZ")
    text = path.read_text()
    lines = text.splitlines()
    second = next(i for i, line in enumerate(lines) if '"' not in line and "PARK LEYS" not in line
                  and line.split(",")[12] == "A" and line.split(",")[25] == "4")
    cells = lines[second].split(",")
    cells[9] = ""  # no postcode at all
    lines[second] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    warning = one(build_warnings(sources_copy, tmp_path), path.name, "2 active GP practice "
                  "records cannot be placed")
    assert "PARK LEYS MEDICAL PRACTICE (ZZ9 9ZZ)" in warning
    assert f"{cells[1]} (no postcode)" in warning
    db = sqlite3.connect(tmp_path / "pack.gpkg")
    placed = db.execute("SELECT COUNT(*) FROM services WHERE kind = 'GP practice'").fetchone()[0]
    db.close()
    assert placed == 52


def test_an_ods_file_in_another_layout_is_left_out_with_a_warning(sources_copy, tmp_path):
    path = sources_copy / "coventry_nhs_ods_edispensary_2025-04.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.rsplit(",", 3)[0] for line in lines) + "\n")
    warnings = build_warnings(sources_copy, tmp_path)
    one(warnings, path.name, "24 columns, not the 27 of the NHS ODS layout")
    db = sqlite3.connect(tmp_path / "pack.gpkg")
    tables = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
    kept = {r[0] for r in db.execute("SELECT DISTINCT indicator_id FROM indicator_values")}
    db.close()
    assert schema.SERVICES not in tables and "near_gp" not in kept and "fuel_poverty" in kept


@pytest.mark.parametrize("edition", ["2019", "2025"])
def test_iod_indicators_say_which_way_is_worse(edition):
    """IoD 2019's entry-to-HE indicator measures young people *not* entering (low is good);
    a title read as "entry" would turn every sentence about it backwards. Scores and ratios
    whose higher value is worse say so."""
    by_id = {i.indicator_id: i for i in catalogue.CATALOGUES[edition]}
    entry = by_id["entry_to_higher_education"]
    assert ("not entering" in entry.title.lower()) == (entry.polarity == "low is good")
    for indicator_id in ("housing_affordability", "comparative_illness_disability"):
        assert "higher = " in by_id[indicator_id].title, indicator_id
