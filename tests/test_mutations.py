"""Mutation checks: each safeguard is switched off (or a case misbehaves on purpose) and the test
that guards it must then see the harm. A check that passes whatever the code does is no check."""

import subprocess

import pytest
from qgis.core import QgsProject

import hostile
from jsna_profiles.core.errors import JsnaInputError
from test_corpus import Case, Env, formula_hub_names, made_up_rows, problems
from test_full_disk import file_size_limit


def test_corpus_sees_files_left_anywhere_and_inputs_changed(coventry_pack, tmp_path):
    def misbehave(env):
        (env.root / "elsewhere").mkdir()
        (env.root / "elsewhere" / ".map-1234.pdf").write_bytes(b"%PDF-1.4 partial")
        (env.inputs / "sources.tmp").write_text("new")
        with env.pack.open("ab") as pack:
            pack.write(b"\0")
        raise JsnaInputError("Folder not found: x")
    found = problems(Case("misbehaving", r"Folder not found", misbehave), Env(tmp_path,
                                                                                coventry_pack))
    assert sorted(found) == ["changed or removed: inputs/coventry.gpkg",
                             "left behind: elsewhere/.map-1234.pdf",
                             "left behind: inputs/sources.tmp"]


def test_without_the_checksum_made_up_rows_would_be_cached(coventry_pack, tmp_path,
                                                           monkeypatch):
    import jsna_profiles.builder.download as download

    monkeypatch.setattr(download, "_sha256", lambda path: next(
        e.sha256 for e in download.MANIFESTS["2019"] if e.role == "iod_population"))
    found = problems(Case("made up", r"SHA-256", made_up_rows), Env(tmp_path, coventry_pack))
    assert any(p.startswith("no error") for p in found)
    assert any("left behind: out/cache/" in p for p in found)


def test_without_verification_a_cut_pdf_would_replace_the_good_one(coventry_pack, tmp_path,
                                                                   monkeypatch):
    import jsna_profiles.layouts.export as export
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.report_map import ReportMap, report_layout

    project = QgsProject()
    layout = report_layout(project, open_pack(coventry_pack, project),
                           ReportMap("fuel_poverty", "hub", "Harmony"))
    target = export.export_layout(layout, tmp_path / "map.pdf", dpi=60)
    good = target.read_bytes()
    monkeypatch.setattr(export.verify, "by_format", lambda fmt: lambda path: None)
    with file_size_limit(20_000):
        export.export_layout(layout, target, dpi=60)  # QGIS says Success
    project.clear()
    assert len(target.read_bytes()) < len(good)
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True)
    assert info.returncode != 0


def test_without_literal_text_names_would_run(coventry_pack, tmp_path, monkeypatch):
    import jsna_profiles.layouts.items as items
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.export import export_layout
    from jsna_profiles.layouts.report_map import ReportMap, report_layout

    monkeypatch.setenv(hostile.SECRET_VARIABLE, hostile.SECRET)
    monkeypatch.setattr(items, "literal", lambda text: text)
    pack = hostile.expression_names(coventry_pack, tmp_path / "hostile.gpkg",
                                    hostile.victim_database(tmp_path / "victim.sqlite"))
    project = QgsProject()
    layout = report_layout(project, open_pack(pack, project),
                           ReportMap("fuel_poverty", "hub", hostile.HUB))
    pdf = export_layout(layout, tmp_path / "map.pdf")
    project.clear()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert hostile.SECRET in text


@pytest.mark.parametrize("safeguard", ["_text_not_formulas", "inert"])
def test_without_inert_text_spreadsheets_would_run_formulas(coventry_pack, tmp_path, monkeypatch,
                                                            safeguard):
    import jsna_profiles.core.compare_export as exports

    monkeypatch.setattr(exports, safeguard, lambda value: value)
    case = Case("formulas", None, formula_hub_names)
    with pytest.raises(AssertionError):  # the corpus case sees the formula cells or CSV text
        problems(case, Env(tmp_path, coventry_pack))


@pytest.mark.parametrize("rule", ["sql_from_values", "formatted_expressions",
                                  "evaluated_layout_text"])
def test_the_safety_rules_fail_on_the_plugin_when_a_safeguard_goes(rule):
    """The real items.label, with literal() taken out, breaks the layout-text rule; a filter
    built by %-formatting breaks the expression rule; SQL from .format breaks the SQL rule."""
    import ast

    import test_safety
    from conftest import ROOT

    source = (ROOT / "layouts" / "items.py").read_text()
    safe = "item.setText(field + literal(wrap("
    assert safe in source
    source = source.replace(safe, "item.setText(field + (wrap(")
    source += ("\ndef _broken(db, layer, name):\n"
               "    layer.setSubsetString('\"name\" = \\'%s\\'' % name)\n"
               "    db.execute('SELECT * FROM t WHERE name = \\'{}\\''.format(name))\n")
    assert getattr(test_safety, rule)(ast.parse(source)) != []
