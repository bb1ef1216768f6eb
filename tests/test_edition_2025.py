"""The 2025 edition (IoD 2025, Census 2021, 2021 small areas) and what changed since 2019:
figures checked against the raw files and MHCLG's published local-authority summary."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from contextlib import closing

import pandas as pd
import pytest

from conftest import ROOT, SOURCES, needs_sources
from jsna_profiles.builder.change import change_table, imd_2019_on_2021_areas
from jsna_profiles.core.errors import JsnaInputError

pytestmark = needs_sources
DECILE_2025 = ("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of "
               "LSOA")  # as File 1 spells its header


def raw_rows(name: str) -> list[dict]:
    with open(SOURCES / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def query(pack, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(pack)) as db:
        return db.execute(sql, params).fetchall()


def city(pack, indicator_id: str) -> tuple:
    return query(pack, "SELECT value, numerator, denominator, period FROM indicator_values "
                       "WHERE level = 'city' AND indicator_id = ?", indicator_id)[0]


def test_pack_holds_the_2025_edition_on_2021_small_areas(coventry_pack_2025):
    info = dict(query(coventry_pack_2025, "SELECT key, value FROM pack_info"))
    assert info["edition"] == "2025" and "2021 small areas" in info["edition_name"]
    assert query(coventry_pack_2025, "SELECT COUNT(*) FROM small_areas")[0][0] == 203
    assert query(coventry_pack_2025, "SELECT COUNT(*) FROM neighbourhoods")[0][0] == 42
    # Coventry's MSOA codes did not change in 2021: every one keeps its HCL name
    names = dict(query(coventry_pack_2025, "SELECT code, name FROM neighbourhoods"))
    assert names["E02001988"] == "Central Coventry" and not [c for c, n in names.items()
                                                             if n.startswith("Coventry ")]
    assert "IMD 2019 on 2021 small areas: 187 unchanged, 16 split" in info.values()
    styles = [name for (name,) in query(coventry_pack_2025, "SELECT styleName FROM layer_styles "
                                                            "WHERE f_table_name = 'small_areas'")]
    assert {"Deprivation (IMD 2025 decile)", "Crime (IoD 2025 decile)",
            "Deprivation change since 2019"} <= set(styles)
    assert max(len(name) for name in styles) <= 30  # the table's limit (QGIS 3.40 says so)


def test_imd_2025_deciles_equal_file_1(coventry_pack_2025):
    file1 = pd.Series([int(r[DECILE_2025]) for r in raw_rows("coventry_iod2025_file1_imd.csv")])
    packed = pd.Series([int(v) for (v,) in query(coventry_pack_2025,
                                                  "SELECT imd_decile FROM small_areas")])
    assert packed.value_counts().sort_index().to_dict() == \
        file1.value_counts().sort_index().to_dict()
    assert packed.value_counts()[1] == 36  # SOURCES.md: 36 of 203 in decile 1


def test_share_in_most_deprived_tenth_equals_file_10(coventry_pack_2025):
    published = float(raw_rows("coventry_iod2025_lad24_summary.csv")[0][
        "imd_proportion_of_lso_as_in_most_deprived_10_percent_nationally"])
    value, numerator, denominator, period = city(coventry_pack_2025, "most_deprived_10_areas")
    assert published == 0.1773 and round(value / 100, 4) == published
    assert (numerator, denominator, period) == (36, 203, "2025")


def test_census_2021_city_totals_equal_the_raw_files(coventry_pack_2025):
    ages = raw_rows("coventry_census2021_age_6_categories_lsoa21_hack25usefuldata.csv")
    assert city(coventry_pack_2025, "population")[0] == sum(int(r["usual_residents"])
                                                             for r in ages) == 345_316
    health = raw_rows("coventry_census2021_ts037_general_health_lsoa21.csv")
    _, numerator, denominator, _ = city(coventry_pack_2025, "bad_health")
    assert numerator == sum(int(r["Bad health"]) + int(r["Very bad health"]) for r in health)
    assert denominator == sum(int(r["Total: All usual residents"]) for r in health)
    tenure = raw_rows("coventry_census2021_ts054_tenure_lsoa21_demographr.csv")
    social = sum(int(r["n"]) for r in tenure if r["tenure"].startswith("Social rented"))
    assert city(coventry_pack_2025, "tenure_social_rented")[1] == social
    msoa = raw_rows("coventry_census2021_ts021_ethnic_group_msoa21.csv")
    total = sum(int(r["Ethnic group: Total: All usual residents"]) for r in msoa)
    assert city(coventry_pack_2025, "ethnic_not_white_british")[2] == total == 345_325


def test_titles_carry_each_figures_period(coventry_pack_2025):
    periods = dict(query(coventry_pack_2025, "SELECT indicator_id, period FROM "
                                             "indicator_catalogue"))
    assert periods["imd_decile"] == "2025" and periods["fuel_poverty"] == "2022"
    assert periods["population"] == periods["bad_health"] == "2021"
    assert periods["imd_decile_2019"] == "2019" and periods["imd_decile_change"] == "2019 to 2025"
    sources = dict(query(coventry_pack_2025, "SELECT indicator_id, source FROM "
                                             "indicator_catalogue"))
    assert "Indices of Deprivation 2025" in sources["imd_decile"]
    assert "Census 2021" in sources["bad_health"]


# What changed ------------------------------------------------------------------------------------
# Synthetic cases (made up for this test): 2011 areas A (rank 100), B (rank 20,000, 1,000
# people), C (rank 30,000, 3,000 people), D (rank 5).
RANKS = pd.Series({"A": 100.0, "B": 20_000.0, "C": 30_000.0, "D": 5.0})
DECILES = pd.Series({"A": 1.0, "B": 7.0, "C": 10.0, "D": 1.0})
PEOPLE = pd.Series({"A": 1500.0, "B": 1000.0, "C": 3000.0, "D": 1200.0})
LOOKUP = pd.DataFrame({"lsoa11_code": ["A", "B", "C", "D", "D"],
                       "lsoa21_code": ["U1", "M1", "M1", "S1", "S2"],
                       "change_code": ["U", "M", "M", "S", "S"]})


def test_change_for_unchanged_split_and_merged_areas():
    before = imd_2019_on_2021_areas(RANKS, DECILES, LOOKUP, PEOPLE).set_index("code")
    assert before.loc["U1", "imd_rank_2019"] == 100 and before.loc["U1", "change_code"] == "U"
    assert before.loc["S1", "imd_rank_2019"] == before.loc["S2", "imd_rank_2019"] == 5
    assert before.loc["M1", "imd_rank_2019"] == pytest.approx((20_000 + 3 * 30_000) / 4)
    assert before.loc["M1", "imd_decile_2019"] == 9  # 27,500 is in 2019's ninth tenth
    table = change_table(before.reset_index(), pd.Series({"U1": 9000.0, "S1": 10.0,
                                                          "S2": 4000.0, "M1": 27_000.0}),
                         pd.Series({"U1": 3.0, "S1": 1.0, "S2": 2.0, "M1": 8.0})).set_index("code")
    assert table.loc["U1", "moved_out"] == 1 and table.loc["U1", "decile_change"] == 2
    assert table.loc["S1", "moved_in"] == 0 and table.loc["S1", "moved_out"] == 0
    assert table.loc["S2", "moved_out"] == 1 and table.loc["M1", "rank_change"] == -500


def test_irregular_areas_are_left_out():
    lookup = pd.concat([LOOKUP, pd.DataFrame({"lsoa11_code": ["A"], "lsoa21_code": ["X1"],
                                              "change_code": ["X"]})])
    before = imd_2019_on_2021_areas(RANKS, DECILES, lookup, PEOPLE).set_index("code")
    assert pd.isna(before.loc["X1", "imd_rank_2019"]) and before.loc["X1", "change_code"] == "X"
    with pytest.raises(JsnaInputError, match="change code 'Q'"):
        imd_2019_on_2021_areas(RANKS, DECILES, lookup.assign(change_code="Q"), PEOPLE)


def test_a_real_split_takes_its_parents_imd_2019(coventry_pack_2025):
    lookup = [r for r in raw_rows("coventry_lookup_lsoa11_lsoa21_lad22.csv")
              if r["change_code"] == "S"]
    ranks = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Rank (where 1 "
                                        "is most deprived)"])
             for r in raw_rows("coventry_iod2019_file2_domains.csv")}
    packed = dict(query(coventry_pack_2025, "SELECT code, imd_rank_2019 FROM small_areas"))
    assert len(lookup) == 16
    for row in lookup:  # e.g. E01009572 split into two 2021 areas, each with its rank
        assert packed[row["lsoa21_code"]] == ranks[row["lsoa11_code"]], row["lsoa21_code"]
    moved = city(coventry_pack_2025, "moved_into_most_deprived_10")[0]
    out = city(coventry_pack_2025, "moved_out_of_most_deprived_10")[0]
    earlier = query(coventry_pack_2025, "SELECT numerator FROM indicator_trends WHERE "
                                        "level = 'city' AND indicator_id = "
                                        "'most_deprived_10_areas'")[0][0]
    assert earlier == 28  # of 195 (2011 areas) in IMD 2019's most deprived tenth
    assert (moved, out) == (9, 3)


def test_trends_compare_like_with_like(coventry_pack_2025):
    from jsna_profiles.core.compare import ComparePack

    compare = ComparePack(coventry_pack_2025)
    ids = {i.indicator_id for i in compare.trend_indicators()}
    assert {"ethnic_not_white_british", "tenure_social_rented", "bad_health"} <= ids
    assert not ids & {"disabled", "cannot_speak_english_well"}  # not comparable with 2011
    points = compare.trend("Harmony", compare.indicator("ethnic_not_white_british"))
    assert [p.period for p in points] == ["2011", "2021"]
    assert all(p.lower < p.value < p.upper for p in points)
    info = dict(query(coventry_pack_2025, "SELECT key, value FROM pack_info"))
    assert any("Not compared with 2011: disability" in v for v in info.values())


def test_a_2011_table_is_refused_by_a_2025_pack(coventry_pack_2025, coventry_pack, tmp_path):
    from jsna_profiles.builder.add_indicator import match_codes

    old = tmp_path / "old.csv"
    old.write_text("code,value\nE01009572,1\nE01009522,2\n")
    with pytest.raises(JsnaInputError, match=r"E01009572 is an LSOA 2011 code .* E01034735, "
                                             r"for one.*2025 edition.*LSOA \(2011\) to LSOA"):
        match_codes(pd.Series(["E01009572", "E01009522"]), coventry_pack_2025, old.name)
    with pytest.raises(JsnaInputError, match="E01034735 is an LSOA 2021 code; this pack is of "
                                             "the 2019 edition"):
        match_codes(pd.Series(["E01034735"]), coventry_pack, old.name)
    # a 2021 table of unchanged and new codes together is simply 2021's
    assert match_codes(pd.Series(["E01009522", "E01034735"]), coventry_pack_2025,
                       old.name).matched == 2


# In QGIS -----------------------------------------------------------------------------------------
def test_the_2025_pack_opens_styles_and_prints_what_changed(coventry_pack_2025, project,
                                                            tmp_path):
    from qgis.core import QgsLayoutItemLabel

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme, available_themes
    from jsna_profiles.layouts.profile import profile_layout

    pack = open_pack(coventry_pack_2025, project)
    themes = available_themes(pack)
    assert {"deprivation", "fuel_poverty", "air_quality", "crime", "deprivation_change",
            "population_density", "gp_access"} <= set(themes)
    titles = {theme: apply_theme(pack, theme) for theme in themes}
    assert titles["air_quality"].startswith("Air quality indicator (IoD 2019, data year 2016, on "
                                            "2021 small areas)")
    assert "decile (1 = most deprived 10% in England), 2025 · MHCLG" in titles["deprivation"]
    assert "(2022) · DESNZ" in titles["fuel_poverty"]
    labels = [r.label() for r in pack.layer("small_areas").renderer().ranges()]
    assert labels == ["2 or more deciles more deprived (11)", "1 decile more deprived (53)",
                      "Same decile (102)", "1 decile less deprived (29)",
                      "2 or more deciles less deprived (8)"]  # the last theme applied
    layout = profile_layout(project, pack, ComparePack(coventry_pack_2025), "Harmony")
    texts = [i.text() for i in layout.items() if isinstance(i, QgsLayoutItemLabel)]
    assert "Harmony Family Hub reach area: change in deprivation since 2019" in texts
    assert "5. What has changed since 2011 and 2019" in texts
    assert "Harmony Family Hub reach area: crime (IoD 2025)" in texts
    pdf = tmp_path / "harmony.pdf"  # printed as a user prints it, from the command line
    subprocess.run([sys.executable, str(ROOT / "bin" / "jsna"), "profile", "--pack",
                    str(coventry_pack_2025), "--hub", "Harmony", "--out", str(pdf), "--dpi",
                    "72"], check=True, capture_output=True)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    fuel = next(p for p in pages if "Harmony Family Hub reach area: fuel poverty" in p)
    # each printed legend keeps its own map's classes, though later maps restyled the layer
    # and the user's style was put back before the export (the deciles' "least deprived")
    assert "Coventry average 22.2%" in fuel and "least deprived" not in fuel


def test_2011_codes_in_a_hub_lookup_and_a_recoded_msoa(sources_copy, tmp_path):
    """Synthetic change (made up for this test): MSOA E02001988 gets a new 2021 code,
    E02006999. A hub lookup written for 2011 areas still places its areas, and says how."""
    from jsna_profiles.builder.pack import build_pack
    from jsna_profiles.builder.sources import PlaceConfig

    msoas = sources_copy / "coventry_lookup_msoa11_msoa21_lad22.csv"
    msoas.write_text(msoas.read_text().replace(",E02001988,Coventry,E08", ",E02006999,Coventry,E08"))
    lookup = tmp_path / "hubs_2011.csv"
    lookup.write_text('area_code,hub,basis\nE02001988,Harmony,"exact: the JSNA"\n'
                      'E01009572,Mosaic,"exact: council list"\n')
    out = tmp_path / "pack.gpkg"
    report = build_pack(sources_copy, out, PlaceConfig.load(edition="2025"), hub_lookup=lookup)
    warnings = "\n".join(report.warnings)
    assert "E01009572 (2011) was split into E01034735, E01034736 (2021), given Mosaic" in warnings
    assert "E02001988 (2011) was recoded into E02006999 (2021), given Harmony" in warnings
    assert "no House of Commons Library name for E02006999; the ONS name is used" in warnings
    name, hub = query(out, "SELECT name, hub FROM neighbourhoods WHERE code = 'E02006999'")[0]
    assert (name, hub) == ("Coventry 031", "Harmony")  # its ONS name
    hubs = dict(query(out, "SELECT code, hub FROM small_areas WHERE code IN "
                           "('E01034735', 'E01034736')"))
    assert hubs == {"E01034735": "Mosaic", "E01034736": "Mosaic"}
    earlier = query(out, "SELECT COUNT(*) FROM indicator_trends WHERE area_code = 'E02006999'")
    assert earlier[0][0] > 0  # the 2011 figures follow the one-to-one recode


def test_each_edition_offers_the_maps_it_can_draw(qgis_app):
    from jsna_profiles.ui.report_map_dialog import offered_maps

    maps = {edition: {theme: text for text, theme in offered_maps(edition)}
            for edition in ("2025", "2019")}
    assert maps["2025"]["deprivation"] == "Deprivation (IMD 2025 deciles)"
    assert "deprivation_change" in maps["2025"]
    assert maps["2025"]["air_quality"] == maps["2019"]["air_quality"] == \
        "Air quality (IoD indicator, 2016 data)"  # the latest published: IoD 2019's
    assert maps["2019"]["crime"] == "Crime (IoD 2019 domain deciles)"
    assert "air_quality" in maps["2019"] and "deprivation_change" not in maps["2019"]


def test_the_dock_draws_an_indicators_trend(coventry_pack_2025, qgis_app, tmp_path):
    from jsna_profiles.charts.profile_charts import TrendChart
    from jsna_profiles.core import compare as cmp
    from jsna_profiles.ui.compare_panel import TREND, ComparePanel

    panel = ComparePanel()
    panel.set_pack(cmp.ComparePack(coventry_pack_2025))
    panel.set_hub("Harmony")
    choices = [panel.chart_combo.itemData(i) for i in range(panel.chart_combo.count())]
    assert choices[-1] == TREND
    panel.chart_combo.setCurrentIndex(choices.index(TREND))
    panel.choose_indicator("disabled")  # asked differently in 2011: no trend
    assert panel.spine.title.startswith("Choose an indicator the pack has earlier figures of")
    panel.choose_indicator("tenure_social_rented")
    chart = panel.spine.chart
    assert isinstance(chart, TrendChart) and chart.title == "Households renting socially"
    assert chart.area_name == "Central Coventry"  # the chosen neighbourhood (the first, at first)
    assert chart.reference_name == "Coventry"
    assert [p.period for p in chart.points] == ["2011", "2021"]
    assert [round(p.value, 1) for p in chart.reference] == [17.0, 17.0]
    assert b"Central Coventry" in panel.spine.export_svg(tmp_path / "trend.svg").read_bytes()
    panel.close()


def test_a_2011_table_is_converted_on_request(coventry_pack_2025, tmp_path):
    """Real 2011-coded figures (fuel poverty 2020, LSOA 2011) added to the 2025 pack."""
    import shutil

    from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator

    pack = tmp_path / "pack.gpkg"
    shutil.copy(coventry_pack_2025, pack)
    table = SOURCES / "coventry_fuel_poverty_2020_lsoa11.csv"
    spec = IndicatorTable(table, "fuel_poverty_2020", "Households in fuel poverty (2020)",
                          "LSOA Code", numerator_column="Number of households in fuel poverty",
                          denominator_column="Number of households", period="2020", unit="%",
                          source="BEIS, Sub-regional fuel poverty 2022")
    with pytest.raises(JsnaInputError, match="--convert-2011"):
        add_indicator(pack, spec)
    spec.convert_2011 = True
    warnings = "\n".join(add_indicator(pack, spec).warnings)
    assert ("converted through the ONS LSOA 2011 to 2021 lookup: 8 split (E01009572, "
            "E01009611, E01009619 ...), 0 merged into 2021 areas (none), 0 irregular") in warnings
    rows = {code: (numerator, denominator) for code, numerator, denominator in query(
        pack, "SELECT area_code, numerator, denominator FROM indicator_values WHERE "
              "indicator_id = 'fuel_poverty_2020' AND level IN ('small_area', 'city')")}
    raw = {r["LSOA Code"]: int(r["Number of households in fuel poverty"])
           for r in raw_rows("coventry_fuel_poverty_2020_lsoa11.csv")}
    assert rows["E08000026"][0] == pytest.approx(sum(raw.values()))  # nothing lost or doubled
    children = rows["E01034735"][0] + rows["E01034736"][0]  # E01009572's 2021 areas
    assert children == pytest.approx(raw["E01009572"]) and rows["E01034735"][0] != children
    assert rows["E01009522"][0] == raw["E01009522"]  # unchanged


def test_a_theme_the_edition_lacks_names_the_edition_that_has_it(opened_pack):
    from jsna_profiles.layers.themes import apply_theme

    with pytest.raises(JsnaInputError, match=r"The Coventry pack \(2019 edition\) has no figures "
                       r"for the change in deprivation since 2019 map; a 2025-edition pack has"):
        apply_theme(opened_pack, "deprivation_change")


# Denominators and air quality -------------------------------------------------------------------
FILE_7 = "coventry_iod2025_file7_all_ranks_scores_deciles_population_denominators.csv"
MID_2022 = "Total population: mid 2022"


def test_iod_averages_are_weighted_by_file_7s_mid_2022_populations(coventry_pack_2025):
    file7 = raw_rows(FILE_7)
    people = {r["LSOA code (2021)"]: int(r[MID_2022]) for r in file7}
    deprived = sum(people[r["LSOA code (2021)"]] for r in file7
                   if r["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% "
                        "of LSOAs)"] == "1")
    value, numerator, denominator, period = city(coventry_pack_2025, "pop_most_deprived_10pct")
    assert sum(people.values()) == 352_889  # SOURCES.md
    assert (numerator, denominator) == (deprived, 352_889)
    assert value == pytest.approx(100 * deprived / 352_889)
    # MHCLG's own average score (File 10) is weighted by these populations: Census 2021
    # residents would give 27.478, not 27.528
    published = float(raw_rows("coventry_iod2025_lad24_summary.csv")[0]["imd_average_score"])
    assert round(city(coventry_pack_2025, "imd_score")[0], 3) == published == 27.528
    assert city(coventry_pack_2025, "population_mid2022")[:2] == (352_889, 352_889)
    assert city(coventry_pack_2025, "population")[0] == 345_316  # Census topics keep Census
    notes = [v for k, v in query(coventry_pack_2025, "SELECT key, value FROM pack_info")
             if k.startswith("note:")]
    assert any("weighted by IoD 2025's mid-2022 population denominators (File 7)" in n
               for n in notes)


def test_air_quality_is_iod_2019s_carried_onto_2021_areas(coventry_pack_2025):
    parents = {r["lsoa21_code"]: r["lsoa11_code"]
               for r in raw_rows("coventry_lookup_lsoa11_lsoa21_lad22.csv")}
    before = {r["lsoa11_code"]: float(r["air_quality_indicator"])
              for r in raw_rows("coventry_iod2019_underlying_indicators.csv")}
    packed = dict(query(coventry_pack_2025, "SELECT area_code, value FROM indicator_values WHERE "
                                            "indicator_id = 'air_quality' AND level = "
                                            "'small_area'"))
    assert len(packed) == 203  # Coventry's 2021 areas are all unchanged or split
    assert packed == pytest.approx({code: before[parents[code]] for code in packed})
    period, description, source = query(coventry_pack_2025, "SELECT period, description, source "
                                        "FROM indicator_catalogue WHERE indicator_id = "
                                        "'air_quality'")[0]
    assert period == "2016" and "ONS LSOA 2011 to 2021 lookup" in description
    assert "data year 2016" in source


def test_carried_values_of_merged_and_irregular_areas():
    from jsna_profiles.builder.change import carried_to_2021

    values = pd.DataFrame({"air": RANKS / 10_000})  # synthetic: A 0.01, B 2, C 3, D 0.0005
    lookup = pd.concat([LOOKUP, pd.DataFrame({"lsoa11_code": ["A", "B"], "lsoa21_code": ["X1", "X1"],
                                              "change_code": ["X", "X"]})])
    carried = carried_to_2021(values, lookup, PEOPLE).set_index("code")
    assert carried.loc["M1", "air"] == pytest.approx((2 * 1000 + 3 * 3000) / 4000)
    assert carried.loc["S2", "air"] == carried.loc["S1", "air"] == pytest.approx(0.0005)
    assert pd.isna(carried.loc["X1", "air"]) and carried.loc["X1", "change_code"] == "X"
    assert list(carried["change_code"]) == ["M", "S", "S", "U", "X"]
    unweighted = carried_to_2021(values, LOOKUP, pd.Series(dtype=float)).set_index("code")
    assert unweighted.loc["M1", "air"] == pytest.approx(2.5)  # no populations: equal weights


# The official header of File 8's Living Environment sheet (IoD 2019's, with IoD 2025's code
# headers); every value below is SYNTHETIC.
FILE_8_HEADER = ["LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
                 "Local Authority District name (2024)", "Housing in poor condition indicator",
                 "Houses without central heating indicator", "Road traffic accidents indicator",
                 "Nitrogen dioxide (component of air quality indicator)",
                 "Benzene (component of air quality indicator)",
                 "Sulphur dioxide (component of air quality indicator)",
                 "Particulates (component of air quality indicator)", "Air quality indicator"]


def test_a_users_own_file_8_adds_its_living_environment_sheet(sources_copy, tmp_path):
    from openpyxl import Workbook

    from jsna_profiles.builder.pack import build_pack
    from jsna_profiles.builder.sources import PlaceConfig

    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("IoD2025 Living Env Domain")
    sheet.append(FILE_8_HEADER)
    people = {r["LSOA code (2021)"]: int(r[MID_2022]) for r in raw_rows(FILE_7)}
    synthetic = {code: 0.5 + i / 1000 for i, code in enumerate(sorted(people))}
    for code, value in synthetic.items():
        sheet.append([code, "SYNTHETIC", "E08000026", "Coventry", 0.1, 0.02, 0.8,
                      value / 2, 0.1, 0.05, value / 2 - 0.15, value])
    sheet.append(["E01000001", "SYNTHETIC elsewhere", "E09000001", "City of London", 0, 0, 0, 0,
                  0, 0, 0, 0.9])
    book.save(sources_copy / "File_8_IoD2025_Underlying_Indicators.xlsx")
    report = build_pack(sources_copy, tmp_path / "pack.gpkg", PlaceConfig.load(edition="2025"),
                        with_styles=False)
    assert not [w for w in report.warnings if "File_8" in w]
    pack = tmp_path / "pack.gpkg"
    packed = dict(query(pack, "SELECT area_code, value FROM indicator_values WHERE indicator_id "
                              "= 'air_quality_2025' AND level = 'small_area'"))
    assert packed == pytest.approx(synthetic)
    weighted = sum(synthetic[c] * people[c] for c in people) / sum(people.values())
    assert city(pack, "air_quality_2025")[0] == pytest.approx(weighted)
    assert city(pack, "road_traffic_accidents_2025")[0] == pytest.approx(0.8)
    assert city(pack, "housing_poor_condition_2025")[0] == pytest.approx(10)  # 0.1 as a %
    assert city(pack, "air_quality")[3] == "2016"  # IoD 2019's stays beside it

    (sources_copy / "File_8_IoD2025_Underlying_Indicators.xlsx").unlink()
    book.remove(sheet)
    book.save(sources_copy / "File_8_IoD2025_Underlying_Indicators.xlsx")
    report = build_pack(sources_copy, tmp_path / "pack.gpkg", PlaceConfig.load(edition="2025"),
                        with_styles=False)
    assert [w for w in report.warnings if "no sheet called 'IoD2025 Living Env Domain' "
            "(sheets: Notes)" in w and "the 8 indicators" in w]
    assert "air_quality_2025" not in {i for (i,) in query(pack, "SELECT indicator_id FROM "
                                                                "indicator_catalogue")}
    (sources_copy / "File_8_IoD2025_Underlying_Indicators.xlsx").unlink()
    build_pack(sources_copy, tmp_path / "pack.gpkg", PlaceConfig.load(edition="2025"),
               with_styles=False)
    listed = {i for (i,) in query(pack, "SELECT indicator_id FROM indicator_catalogue")}
    valued = {i for (i,) in query(pack, "SELECT DISTINCT indicator_id FROM indicator_values")}
    assert listed == valued and "air_quality_2025" not in listed  # no file: not catalogued


# Schools -------------------------------------------------------------------------------------------
GIAS = "coventry_gias_schools_2025.csv"
NOT_STATE_FUNDED = ("Independent schools", "Colleges", "Universities", "Other types")


def test_harmonys_schools_and_free_school_meals_recomputed_from_gias(coventry_pack_2025):
    hub_of = dict(query(coventry_pack_2025, "SELECT code, hub FROM small_areas"))
    rows = [r for r in raw_rows(GIAS) if hub_of.get(r["lsoa_code"]) == "Harmony"]
    state = [r for r in rows if r["establishment_type_group"] not in NOT_STATE_FUNDED]
    counted = [r for r in state if r["number_of_pupils"] and r["percentage_fsm"]]
    pupils = sum(int(r["number_of_pupils"]) for r in counted)
    eligible = sum(int(r["number_of_pupils"]) * float(r["percentage_fsm"]) / 100 for r in counted)

    def hub(indicator_id):
        return query(coventry_pack_2025, "SELECT value, numerator, denominator FROM "
                                         "indicator_values WHERE level = 'hub' AND area_code = "
                                         "'Harmony' AND indicator_id = ?", indicator_id)[0]
    value, numerator, denominator = hub("fsm_pupils_share")
    assert denominator == pupils and numerator == pytest.approx(eligible)
    assert value == pytest.approx(100 * eligible / pupils) and round(value, 1) == 45.0
    assert hub("educational_establishments")[0] == len(rows) == 9
    assert hub("schools_state_funded")[0] == len(state)
    assert hub("schools_primary")[0] == sum(r["education_phase"] == "Primary" for r in state)
    assert hub("schools_independent")[0] + hub("colleges_universities")[0] == \
        len(rows) - len(state)  # listed, but not in the free-school-meals figure
    shares = dict(query(coventry_pack_2025, "SELECT area_code, value FROM indicator_values "
                                            "WHERE level = 'hub' AND indicator_id = "
                                            "'fsm_pupils_share'"))
    assert len(shares) == 8 and sorted(shares, key=shares.get)[-1] == "Harmony"
    # the layer: every Coventry school in the city's small areas (Corley Academy is not)
    layer = dict(query(coventry_pack_2025, "SELECT name, state_funded FROM schools"))
    assert len(layer) == 127 and "Corley Academy" not in layer
    assert layer["Coventry University"] == 0 and layer["Hillfields Nursery School"] == 1


def test_gias_placeholder_locations_are_counted_and_left_off(tmp_path):
    """SYNTHETIC rows in the GIAS layout: two with the placeholders GIAS uses."""
    import dataclasses

    from jsna_profiles.builder.schools import schools
    from jsna_profiles.builder.sources import BuildReport, PlaceConfig

    header = ("urn,la_code,la_name,establishment_number,establishment_name,establishment_type,"
              "establishment_type_group,education_phase,number_of_pupils,percentage_fsm,easting,"
              "northing,lsoa_code,pcon_code,longitude,latitude\n")
    rows = ["1,1,A,1,Here Primary,Academy converter,Academies,Primary,200,10.0,430000,280000,"
            "E01000001,,,",
            "2,1,A,2,Nowhere School,Community school,Local authority maintained schools,"
            "Primary,100,50.0,430500,280500,999999999,,,",
            "3,1,A,3,Zero School,Community school,Local authority maintained schools,Primary,"
            "100,50.0,0,0,E01000001,,,",
            "4,1,A,4,Private School,Other independent school,Independent schools,Not "
            "applicable,300,,430100,280100,E01000002,,,"]
    (tmp_path / "gias.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    config = dataclasses.replace(PlaceConfig.load(edition="2025"), files={"schools": "gias.csv"})
    report = BuildReport()
    layer, table = schools(tmp_path, config, {"E01000001", "E01000002"}, report)
    assert list(layer["name"]) == ["Here Primary", "Private School"]
    assert [w for w in report.warnings if "2 establishments have GIAS placeholder locations (1 "
            "with LSOA 999999999, 1 with easting or northing 0 or blank)" in w]
    table = table.set_index("code")
    assert table.loc["E01000001", "pupils"] == 200 and table.loc["E01000001", "fsm_pupils"] == 20
    assert table.loc["E01000002", "independent"] == 1 and table.loc["E01000002", "pupils"] == 0


def test_the_england_column_is_full_for_what_the_national_files_hold(coventry_pack_2025):
    """Every indicator of the default pack has England's figure, except those of the recipes
    whose files are not England-wide (TS029, TS019, TS037, TS021's 19 groups come with their
    own England row; fuel poverty, GP access, File 7's mid-2022 counts)."""
    import math

    from conftest import ENGLAND
    from jsna_profiles.builder.england import NATIONAL
    from jsna_profiles.core.catalogue import RECIPES
    from jsna_profiles.core.compare import ENGLAND as AGAINST_ENGLAND
    from jsna_profiles.core.compare import ComparePack

    if not ENGLAND.is_dir():
        pytest.skip(f"national files not found at {ENGLAND}")
    compare = ComparePack(coventry_pack_2025)
    lacking = {i.indicator_id for i in compare.indicators
               if not i.chart and math.isnan(compare.reference_value(i, AGAINST_ENGLAND))}
    national = NATIONAL["2025"]
    not_national = {item["id"] for recipe in RECIPES["2025"] for item in recipe.indicators
                    if not recipe.roles <= set(national.files) | {"@areas", "@denominators",
                                                                  "@imd_change", "@schools",
                                                                  "@air_quality_2016"}
                    or recipe.roles & national.optional} - {
        i for recipe in RECIPES["2025"] if recipe.national_roles for i in
        (item["id"] for item in recipe.indicators)}
    assert lacking == not_national & {i.indicator_id for i in compare.indicators}
    assert len(lacking) == 18
    by_id = {i.indicator_id: i for i in compare.indicators}
    religion = pd.read_csv(ENGLAND / "census2021_ts030_religion_lsoa21_demographr_england.csv.gz")
    muslim = religion.loc[religion["religion"] == "Muslim", "n"].sum()
    residents = religion.drop_duplicates("lsoa21_code")["total_residents"].sum()
    assert compare.reference_value(by_id["rel_muslim"], AGAINST_ENGLAND) == \
        pytest.approx(100 * muslim / residents)
    notes = dict(query(coventry_pack_2025, "SELECT area_code, note FROM indicator_values WHERE "
                                           "level = 'england' AND indicator_id = 'imd_score'"))
    assert notes == {"E92000001": "England's figure, aggregated from every LSOA in England "
                                  "(national files; IoD averages weighted by Census 2021 usual "
                                  "residents)"}
