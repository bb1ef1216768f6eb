"""The compare core, its exports and `jsna compare`, on the Coventry pack and damaged copies."""

import csv
import io
import shutil
import sqlite3
from contextlib import closing

import pytest
from openpyxl import load_workbook
from statsmodels.stats.proportion import proportion_confint

from conftest import comparison_rows_in_pack
from jsna_profiles import cli
from jsna_profiles.core import compare as cmp
from jsna_profiles.core import statistics as st
from jsna_profiles.core.compare_export import to_tsv, write_csv, write_xlsx
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.formatting import DASH, format_value

HARMONY = {  # the neighbourhoods Coventry's Harmony Family Hub profile names outright (the
    "E02001988", "E02001981", "E02001973"}  # others' small areas are nearer Aspire's site)
HILLFIELDS = "E02001981"
NAULS_MILL = "Naul's Mill & Bishopsgate Green"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def compare_pack(coventry_pack):
    return cmp.ComparePack(coventry_pack)


def test_cli_table_for_harmony(capsys, coventry_pack):
    code, out, _ = run_cli(capsys, "compare", "--pack", str(coventry_pack), "--hub", "Harmony",
                           "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    by_level = {}
    for row in rows:
        by_level.setdefault(row["level"], set()).add(row["area_code"])
    assert by_level["neighbourhood"] == HARMONY
    assert by_level["hub"] == {"Harmony"} and by_level["city"] == {"E08000026"}
    assert {"area_code", "area_name", "level", "indicator_id", "period", "value", "lower95",
            "upper95", "comparator_value", "significance", "rank"} <= set(rows[0])

    with closing(sqlite3.connect(coventry_pack)) as db, db:
        poor, households = db.execute(
            "SELECT SUM(CASE WHEN v.indicator_id = 'fuel_poor_households' THEN v.value END), "
            "SUM(CASE WHEN v.indicator_id = 'households_2020' THEN v.value END) "
            "FROM indicator_values v JOIN hub_lookup h ON h.code = v.area_code "
            "WHERE v.level = 'small_area' AND h.neighbourhood_code = ?", (HILLFIELDS,)).fetchone()
    hillfields = next(r for r in rows if r["area_code"] == HILLFIELDS
                      and r["indicator_id"] == "fuel_poverty")
    assert float(hillfields["value"]) == pytest.approx(poor / households * 100, rel=1e-12)
    lower, upper = proportion_confint(poor, households, method="wilson")
    assert float(hillfields["lower95"]) == pytest.approx(lower * 100, rel=1e-9)
    assert float(hillfields["upper95"]) == pytest.approx(upper * 100, rel=1e-9)
    assert float(hillfields["comparator_value"]) == pytest.approx(20.3005, abs=1e-4)  # BEIS: 20.3%
    assert hillfields["significance"] == st.WORSE
    assert (hillfields["rank"], hillfields["rank_of"]) == ("2", "42")


def test_cli_writes_a_workbook(capsys, coventry_pack, tmp_path):
    out = tmp_path / "harmony.xlsx"
    code, _, _ = run_cli(capsys, "compare", "--pack", str(coventry_pack), "--hub", "Harmony",
                         "--format", "xlsx", "--out", str(out))
    assert code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Comparison", "Data", "Sources"]
    sheet = book["Comparison"]
    header = [c.value for c in sheet[2]]
    column = header.index("Hillfields") + 1
    row = next(r for r in range(3, sheet.max_row + 1)
               if sheet.cell(row=r, column=2).value == "Households in fuel poverty"
               and str(sheet.cell(row=r, column=4).value) == "%")
    cell = sheet.cell(row=row, column=column)
    assert cell.value == pytest.approx(35.717, abs=0.001)  # a number, shown as "35.7%"
    assert cell.number_format == '#,##0.0"%"'
    assert cell.fill.fgColor.rgb.endswith("C00000")
    data = list(book["Data"].values)
    assert len(data) - 1 == comparison_rows_in_pack(coventry_pack, "Harmony")
    assert any("Open Government Licence" in str(r[3]) for r in book["Sources"].values)


@pytest.mark.parametrize("args, message", [
    (["--hub", "Nowhere"], "No hub called 'Nowhere'"),
    (["--hub", "Harmony", "--format", "xlsx"], "--format xlsx needs --out"),
    (["--comparator", "hub"], "Choose a hub"),
])
def test_cli_bad_choices_are_one_line_errors(capsys, coventry_pack, args, message):
    code, out, err = run_cli(capsys, "compare", "--pack", str(coventry_pack), *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_missing_pack(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--pack", str(tmp_path / "none.gpkg"))
    assert code == 2 and "Data pack not found" in err


def test_whole_city_and_quoted_names(compare_pack):
    table = compare_pack.table()
    names = [a.name for a in table.areas]
    assert len(table.areas) == 42 + 3 and NAULS_MILL in names  # city, England, E&W
    text = to_tsv(table)
    assert NAULS_MILL in text.splitlines()[0].split("\t")


def test_every_outcome_reason_is_stated(compare_pack):
    hillfields = compare_pack.area(HILLFIELDS)
    by_id = {i.indicator_id: i for i in compare_pack.indicators}
    score = compare_pack.cell(hillfields, by_id["imd_score_msoa"])
    assert score.significance == st.NOT_TESTED and "no confidence limits" in score.reason
    count = compare_pack.cell(hillfields, by_id["population"])
    assert count.significance == st.NOT_TESTED and "counts are not compared" in count.reason
    life = compare_pack.cell(hillfields, by_id["life_expectancy_male"])
    assert life.method == cmp.METHOD_SOURCE and "no Coventry value" in life.reason
    hub_life = compare_pack.cell(compare_pack.area("Harmony"), by_id["life_expectancy_male"])
    assert not hub_life.has_value and "published for neighbourhood only" in hub_life.reason
    england = compare_pack.cell(compare_pack.area("E92000001"), by_id["one_person_households"])
    assert format_value(by_id["one_person_households"], england.value) == DASH
    assert "no England value" in england.reason


def _damaged_copy(pack, tmp_path, *statements):
    copy = tmp_path / "damaged.gpkg"
    shutil.copy(pack, copy)
    with closing(sqlite3.connect(copy)) as db, db:
        for sql in statements:
            db.execute(sql)
    return copy


def test_missing_values_zero_denominators_and_periods(coventry_pack, tmp_path):
    copy = _damaged_copy(
        coventry_pack, tmp_path,
        "UPDATE indicator_values SET value = NULL, note = 'suppressed: fewer than 5 events' "
        "WHERE area_code = 'E02001981' AND indicator_id = 'idaci'",
        "UPDATE indicator_values SET value = NULL, denominator = 0 "
        "WHERE area_code = 'E02001988' AND indicator_id = 'fuel_poverty'",
        "UPDATE indicator_values SET period = NULL "
        "WHERE area_code = 'E02001973' AND indicator_id = 'flats'",
        "DELETE FROM indicator_values WHERE area_code = 'E02001985'",
        "DELETE FROM indicator_values WHERE level IN ('england', 'england_and_wales')")
    pack = cmp.ComparePack(copy)
    by_id = {i.indicator_id: i for i in pack.indicators}
    cell = pack.cell(pack.area(HILLFIELDS), by_id["idaci"])
    assert not cell.has_value and cell.reason == "No value: suppressed: fewer than 5 events"
    cell = pack.cell(pack.area("E02001988"), by_id["fuel_poverty"])
    assert not cell.has_value and "denominator is zero" in cell.reason
    cell = pack.cell(pack.area("E02001973"), by_id["flats"])
    assert cell.has_value and cell.period == by_id["flats"].period  # falls back to the catalogue
    empty = [pack.cell(pack.area("E02001985"), ind) for ind in pack.indicators]
    assert [(c.indicator.indicator_id, c.reason) for c in empty if c.has_value or not c.reason] == []
    assert not pack.has_england()
    with pytest.raises(JsnaInputError, match="no England values"):
        pack.table("Harmony", comparator=cmp.ENGLAND)
    assert [a.level for a in pack.table("Harmony").areas][-2:] == ["hub", "city"]
    assert pack.spine_rows(HILLFIELDS)  # still drawn


def test_not_a_pack_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(JsnaInputError, match="cannot be read as a JSNA data pack"):
        cmp.ComparePack(bad)


def test_exports_replace_atomically(compare_pack, tmp_path):
    table = compare_pack.table("Harmony")
    target = tmp_path / "table.csv"
    write_csv(table, target)
    text = target.read_text(encoding="utf-8-sig")
    assert text.startswith("area_code,area_name") and "Hillfields" in text
    occupied = tmp_path / "occupied.xlsx"  # a folder where the file should go: rename fails
    occupied.mkdir()
    (occupied / "keep.txt").write_text("keep me")
    with pytest.raises(JsnaInputError, match="Cannot write occupied.xlsx"):
        write_xlsx(table, occupied)
    assert (occupied / "keep.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied.xlsx", "table.csv"]
    with pytest.raises(JsnaInputError, match="Folder not found"):
        write_csv(table, tmp_path / "missing" / "table.csv")
