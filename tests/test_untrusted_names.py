"""Names from outside are data, never code: a pack whose hub, neighbourhood and place names are
QGIS expressions prints them literally in report maps, atlases and profiles (titles, legends,
tables), leaks no environment variable and writes to no other file."""

import hashlib
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qgis.core import (
    QgsExpression,
    QgsExpressionContext,
    QgsLayoutItemLabel,
    QgsPrintLayout,
    QgsProject,
)

import hostile
from jsna_profiles.cli import main
from jsna_profiles.layouts.items import literal

# Text made of what QGIS evaluates, and what sits around it.
TRICKY = st.lists(st.sampled_from(list("[%]$'\"| \nab(") + ["[%", "%]", "$CURRENT_DATE",
                                                             "env('X')", "$CURRENT_DATE(yyyy)"]),
                  max_size=16).map("".join)


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_literal_text_shows_as_written(qgis_app, text):
    context = QgsExpressionContext()
    assert QgsExpression.replaceExpressionText(literal(text), context) == text
    label = QgsLayoutItemLabel(QgsPrintLayout(QgsProject.instance()))
    label.setText(literal(text))
    assert label.currentText() == text  # $CURRENT_DATE replaced first, then expressions


def test_literal_leaves_ordinary_names_alone():
    for name in ("Naul's Mill & Bishopsgate Green", "St Mary's & Ñandú — Ελλάδα 東京", "20.3%"):
        assert literal(name) == name


@pytest.fixture
def attack(coventry_pack, tmp_path, monkeypatch):
    monkeypatch.setenv(hostile.SECRET_VARIABLE, hostile.SECRET)
    victim = hostile.victim_database(tmp_path / "victim.sqlite")
    pack = hostile.expression_names(coventry_pack, tmp_path / "hostile.gpkg", victim)
    return pack, victim, hashlib.sha256(victim.read_bytes()).hexdigest()


def pdf_text(path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                   text=True, check=True).stdout.replace("ﬁ", "fi").split())


def jsna(capsys, *args) -> None:
    code = main(list(args))
    assert code == 0, capsys.readouterr().err


def test_profile_maps_and_atlas_print_names_literally(attack, tmp_path, capsys):
    pack, victim, victim_hash = attack
    jsna(capsys, "profile", "--pack", str(pack), "--hub", hostile.HUB, "--out",
         str(tmp_path / "profile.pdf"), "--dpi", "72")
    jsna(capsys, "maps", "--pack", str(pack), "--hub", hostile.HUB, "--out-dir",
         str(tmp_path / "maps"), "--format", "pdf")
    jsna(capsys, "atlas", "--pack", str(pack), "--hub", hostile.HUB, "--theme", "fuel_poverty",
         "--out", str(tmp_path / "atlas.pdf"), "--dpi", "72")
    for pdf in [tmp_path / "profile.pdf", tmp_path / "atlas.pdf",
                *sorted((tmp_path / "maps").glob("*.pdf"))]:
        text = pdf_text(pdf)
        assert hostile.SECRET not in text, pdf.name
        assert f"{hostile.HUB} Family Hub reach area" in text or pdf.name == "atlas.pdf", pdf.name
    profile = pdf_text(tmp_path / "profile.pdf")
    assert f"{hostile.PLACE} average" in profile  # cover, table page and legends
    shown = "Hillfields [% sqlite_fetch_and_increment("  # the rest wraps: the name is long
    assert shown in profile and shown in pdf_text(tmp_path / "atlas.pdf")
    fuel = pdf_text(tmp_path / "maps" / "fuel_poverty.pdf")
    # a legend class label, its "||" not taken for a line break (where the rest of the name
    # wraps differs between QGIS versions)
    assert "◆ Coventry [% env('JSNA_SECRET') ||" in fuel
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == victim_hash
