"""Bringing your own indicator: CSV, XLSX or a layer, matched against the pack, aggregated, kept.

The tables here are SYNTHETIC (made from the pack's own area codes with made-up numbers, titled
"Synthetic ..."): they test the mechanics, not any real figure.
"""

import hashlib
import shutil

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from jsna_profiles import cli
from jsna_profiles.builder.add_indicator import IndicatorTable, add_indicator, preview
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.packfile import connect_read_only

HILLFIELDS = "E02001981"


@pytest.fixture
def pack(coventry_pack, tmp_path):
    copy = tmp_path / "pack.gpkg"
    shutil.copy(coventry_pack, copy)
    return copy


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(pack, sql: str) -> list:
    """Read-only, closed at once: no -wal/-shm files left beside the pack."""
    with connect_read_only(pack) as db:
        return db.execute(sql).fetchall()


def codes(pack, table="small_areas") -> list[str]:
    return [r[0] for r in query(pack, f"SELECT code FROM {table} ORDER BY code")]


def synthetic_counts(pack, path, n=None):
    """Synthetic: numerator i % 17 + 3 of denominator 100 + i % 31, per small area."""
    area_codes = codes(pack)[:n]
    frame = pd.DataFrame({"LSOA code": area_codes,
                          "Children ready": [i % 17 + 3 for i in range(len(area_codes))],
                          "Children assessed": [100 + i % 31 for i in range(len(area_codes))]})
    frame.to_csv(path, index=False)
    return frame


def spec_for(path, **changes) -> IndicatorTable:
    base = dict(path=path, indicator_id="school_ready_synthetic",
                title="Synthetic school readiness (test data)", code_column="LSOA code",
                numerator_column="Children ready", denominator_column="Children assessed",
                period="2023", unit="%", polarity="high is good",
                source="Synthetic test data", licence="none")
    base.update(changes)
    return IndicatorTable(**base)


def test_rate_from_counts_is_aggregated_and_everything_else_kept(pack, tmp_path):
    table = tmp_path / "ready.csv"
    frame = synthetic_counts(pack, table)
    [(before,)] = query(pack, "SELECT COUNT(*) FROM indicator_values")
    [(catalogue_before,)] = query(pack, "SELECT COUNT(*) FROM indicator_catalogue")
    report = add_indicator(pack, spec_for(table))
    assert report.warnings == []
    rows = query(pack, "SELECT level, COUNT(*) FROM indicator_values WHERE indicator_id = "
                       "'school_ready_synthetic' GROUP BY level")
    assert dict(rows) == {"small_area": 195, "neighbourhood": 42, "hub": 8, "city": 1}
    assert query(pack, "SELECT COUNT(*) FROM indicator_values") == [(before + 195 + 42 + 8 + 1,)]
    assert query(pack, "SELECT COUNT(*) FROM indicator_catalogue") == [(catalogue_before + 1,)]
    lookup = dict(query(pack, "SELECT code, neighbourhood_code FROM hub_lookup"))
    [(wide,)] = query(pack, f"SELECT school_ready_synthetic FROM neighbourhoods WHERE code = "
                            f"'{HILLFIELDS}'")
    members = frame[frame["LSOA code"].map(lookup) == HILLFIELDS]
    ready, assessed = members["Children ready"].sum(), members["Children assessed"].sum()
    assert wide == pytest.approx(ready / assessed * 100)
    compare = ComparePack(pack)
    indicator = next(i for i in compare.indicators if i.indicator_id == "school_ready_synthetic")
    cell = compare.cell(compare.area(HILLFIELDS), indicator)
    lower, upper = proportion_confint(ready, assessed, method="wilson")
    assert (cell.lower, cell.upper) == (pytest.approx(lower * 100), pytest.approx(upper * 100))
    assert indicator.domain == "Local indicators" and cell.method == "Wilson score"
    assert {"fuel_poverty", "idaci"} <= {i.indicator_id for i in compare.indicators}


def test_value_from_xlsx_at_neighbourhood_level(pack, tmp_path):
    table = tmp_path / "local.xlsx"
    area_codes = codes(pack, "neighbourhoods")
    pd.DataFrame({"MSOA": area_codes, "Score": [i / 10 for i in range(len(area_codes))]}
                 ).to_excel(table, index=False)
    columns, first = preview(table)
    assert columns == ["MSOA", "Score"] and first[0] == [area_codes[0], "0"]
    add_indicator(pack, spec_for(table, indicator_id="local_score", code_column="MSOA",
                                 value_column="Score", numerator_column="",
                                 denominator_column="", unit="score"))
    levels = dict(query(pack, "SELECT level, COUNT(*) FROM indicator_values WHERE "
                              "indicator_id = 'local_score' GROUP BY level"))
    [(aggregation,)] = query(pack, "SELECT aggregation FROM indicator_catalogue WHERE "
                                   "indicator_id = 'local_score'")
    assert levels == {"neighbourhood": 42, "hub": 8, "city": 1}
    assert aggregation.startswith("population-weighted mean")


def test_windows_encoded_csv_and_unmatched_codes(pack, tmp_path):
    table = tmp_path / "cp1252.csv"
    area_codes = codes(pack, "neighbourhoods")[:5] + ["E02999999"]
    text = "Code,Spend £ per head (é)\n" + "".join(f"{c},{i + 1}\n"
                                                    for i, c in enumerate(area_codes))
    table.write_bytes(text.encode("cp1252"))
    report = add_indicator(pack, spec_for(table, indicator_id="spend", code_column="Code",
                                          value_column="Spend £ per head (é)",
                                          numerator_column="", denominator_column=""))
    assert "E02999999" in report.warnings[0] and "5 of the pack's 42 neighbourhoods" in \
        report.warnings[0]


@pytest.mark.parametrize("content, changes, message", [
    ("LSOA code,Children ready,Children assessed\nE01009563,3,abc\n", {},
     "'abc' for E01009563, which is not a number"),
    ("LSOA code,Children ready,Children assessed\nE01009563,-3,40\n", {}, "negative count"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\nE01035000,3,40\n", {},
     "mixes LSOA 2011 codes (E01009563) with LSOA 2021 codes (E01035000)"),
    ("LSOA code,Children ready,Children assessed\nE01035000,3,40\n", {}, "LSOA 2021 code"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\nE02001981,3,40\n", {},
     "mixes small-area (LSOA) and neighbourhood (MSOA) codes"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\nE01009563,3,40\n", {},
     "appears more than once"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\n", {"indicator_id": "name"},
     "already a column"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\n", {"indicator_id": "idaci"},
     "already has an indicator 'idaci'"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\n", {"indicator_id": "Bad Id"},
     "must be lower-case"),
    ("LSOA code,Children ready,Children assessed\nE01009563,3,40\n", {"source": ""},
     "Name the indicator's source"),
    ("LSOA code,Ready\nE01009563,3\n", {}, "column 'Children ready' not found"),
])
def test_bad_tables_are_clear_errors_and_the_pack_is_untouched(pack, tmp_path, content, changes,
                                                                message):
    table = tmp_path / "bad.csv"
    table.write_text(content)
    before = digest(pack)
    with pytest.raises(JsnaInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add_indicator(pack, spec_for(table, **changes))
    assert digest(pack) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "pack.gpkg"]


def test_merged_header_rows_in_xlsx(pack, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "School readiness 2023 (published table)"
    sheet.merge_cells("A1:C1")
    sheet.append(["LSOA code", "Children ready", "Children assessed"])
    sheet.append(["E01009563", 3, 40])
    table = tmp_path / "merged.xlsx"
    book.save(table)
    with pytest.raises(JsnaInputError, match="first row is not a header row"):
        add_indicator(pack, spec_for(table))


def test_zero_denominator_is_reported_and_left_without_value(pack, tmp_path):
    table = tmp_path / "zero.csv"
    table.write_text("LSOA code,Children ready,Children assessed\nE01009563,0,0\nE01009564,3,40\n")
    report = add_indicator(pack, spec_for(table))
    assert any("denominator of zero" in w for w in report.warnings)
    [(value,)] = query(pack, "SELECT value FROM indicator_values WHERE area_code = 'E01009563' "
                             "AND indicator_id = 'school_ready_synthetic'")
    assert value is None


def test_cli_and_styling_of_an_added_indicator(pack, tmp_path, capsys, qgis_app):
    from qgis.core import QgsProject

    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme

    table = tmp_path / "ready.csv"
    synthetic_counts(pack, table)
    code = cli.main(["add-indicator", "--pack", str(pack), "--table", str(table), "--id",
                     "school_ready_synthetic", "--title", "Synthetic school readiness",
                     "--code-column", "LSOA code", "--numerator-column", "Children ready",
                     "--denominator-column", "Children assessed", "--unit", "%",
                     "--polarity", "high is good", "--source", "Synthetic test data"])
    assert code == 0
    project = QgsProject()
    loaded = open_pack(pack, project)
    title = apply_theme(loaded, "indicator", "neighbourhood", indicator_id="school_ready_synthetic")
    assert title.startswith("Synthetic school readiness")
    assert loaded.layer("neighbourhoods").renderer().classAttribute() == "school_ready_synthetic"
    project.clear()
    code = cli.main(["add-indicator", "--pack", str(pack), "--table", str(table), "--id",
                     "school_ready_synthetic", "--title", "Again", "--code-column", "LSOA code",
                     "--value-column", "Children ready", "--source", "Synthetic test data"])
    assert code == 2 and "already has an indicator" in capsys.readouterr().err


def test_dialog_previews_checks_and_the_plugin_adds(plugin, qgis_iface, pack, tmp_path):
    from jsna_profiles.ui.add_indicator_dialog import AddIndicatorDialog

    table = tmp_path / "ready.csv"
    synthetic_counts(pack, table)
    assert plugin.open_pack(str(pack)) is not None
    dialog = AddIndicatorDialog(pack)
    dialog.file.setFilePath(str(table))  # emits fileChanged: preview and column choices
    assert dialog.preview.columnCount() == 3 and dialog.preview.rowCount() == 5
    assert dialog.columns["code"][0].currentText() == "LSOA code"
    assert not dialog.check() and "Indicator id '' must be lower-case" in dialog.status.text()
    dialog.columns["numerator"][0].setCurrentText("Children ready")
    dialog.columns["denominator"][0].setCurrentText("Children assessed")
    dialog.indicator_id.setText("school_ready_synthetic")
    dialog.title.setText("Synthetic school readiness")
    dialog.unit.setText("%")
    dialog.source.setText("Synthetic test data")
    assert dialog.check() and "195 of the pack's 195 small areas matched" in dialog.status.text()
    plugin.add_indicator(dialog.spec())
    layer = plugin.pack.layer("neighbourhoods")
    assert layer.fields().indexFromName("school_ready_synthetic") >= 0
    assert plugin.apply_theme("indicator", "neighbourhood",
                              indicator_id="school_ready_synthetic") is not None
    panel = plugin.show_compare_panel()
    assert panel.model.row_of("school_ready_synthetic") >= 0
