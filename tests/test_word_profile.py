"""The hub profile as a Word document, read back with python-docx and converted by LibreOffice;
and the same written text in the PDF profile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.compare_export import SIGNIFICANCE_COLOURS
from jsna_profiles.core.narrative import write_narrative
from jsna_profiles.layouts.profile import LOCAL_PICTURE, WHAT_ELSE, WHY

docx = pytest.importorskip("docx", reason="python-docx (Debian: python3-docx) is not installed")
qn = pytest.importorskip("docx.oxml.ns").qn

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["1. Demographics and Communities", "2. Prospects", "3. Housing and Environment",
            "4. Health and Wellbeing"]
FUEL_TEXT = "Harmony's warm homes scheme visits 200 households this winter."


def jsna(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "bin" / "jsna"), *map(str, args)], capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def council_files(tmp_path_factory) -> tuple[Path, Path]:
    """A folder of "What else is happening?" text and an assets table, as a council writes
    them (one misspelt topic, one postcode that does not exist)."""
    folder = tmp_path_factory.mktemp("local")
    (folder / "harmony").mkdir()
    (folder / "harmony" / "fuel-poverty.md").write_text(f"{FUEL_TEXT}\n\n- Energy advice "
                                                        "drop-ins\n")
    (folder / "housing.md").write_text("Every hub: the council's housing strategy.")
    (folder / "fuel-povrety.md").write_text("Misspelt topic.")
    assets = folder.parent / "assets.csv"
    assets.write_text("name,description,postcode,hub\nHillfields Community Centre,Youth and "
                      "family activities,CV1 5GR,Harmony\nLost Hall,Meets on Fridays,ZZ9 9ZZ,"
                      "Harmony\nMosaic Club,Not Harmony's,CV6 1AA,Mosaic\n")
    return folder, assets


@pytest.fixture(scope="module")
def harmony_docx(coventry_pack_2025, council_files, tmp_path_factory):
    folder, assets = council_files
    out = tmp_path_factory.mktemp("word") / "harmony_profile.docx"
    result = jsna("profile", "--pack", coventry_pack_2025, "--hub", "Harmony", "--out", out,
                  "--local-text", folder, "--assets", assets)
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def headings(document) -> list[tuple[int, str]]:
    return [(int(p.style.name.split()[-1]), p.text) for p in document.paragraphs
            if p.style.name.startswith("Heading ")]


def test_headings_in_order_and_every_topic_answers_three_questions(harmony_docx,
                                                                    coventry_pack_2025):
    document = docx.Document(str(harmony_docx[0]))
    found = headings(document)
    assert [text for level, text in found if level == 1] == [
        "Executive summary", *CHAPTERS, "5. What has changed since 2011 and 2019",
        "Community assets", "Sources, licences and methods", "Indicator notes"]
    narrative = write_narrative(ComparePack(coventry_pack_2025), "Harmony")
    topics = [(level, text) for level, text in found if level == 2
              and not text.endswith(": maps and charts")][len(CHAPTERS):]  # after the summary
    assert [text for _, text in topics] == [t.name for t in narrative.topics]
    for number, (level, text) in enumerate(found):
        if level == 2 and any(text == t.name for t in narrative.topics) and number > 10:
            assert found[number + 1:number + 4] == [(3, WHY), (3, LOCAL_PICTURE), (3, WHAT_ELSE)]
    assert document.core_properties.title == "Harmony Family Hub reach area: area profile"
    assert document.core_properties.language == "en-GB"
    body = document.element.body.xml
    assert "TOC \\o" not in body and "Update Field" not in body  # real entries, not a field
    links = document.element.body.findall(".//" + qn("w:hyperlink"))
    marks = {b.get(qn("w:name")) for b in document.element.body.iter(qn("w:bookmarkStart"))}
    entries = [("".join(t.text for t in link.iter(qn("w:t"))), link.get(qn("w:anchor")))
               for link in links if link.get(qn("w:anchor"))]
    assert [text for text, _ in entries][:2] == ["Executive summary", CHAPTERS[0]]
    assert len(entries) > 20 and all(anchor in marks for _, anchor in entries)
    pictures = document.element.body.findall(".//" + qn("wp:docPr"))
    assert pictures and all(p.get("descr", "").startswith(("Map ", "Figure "))
                            for p in pictures)  # alt text on every image


def test_local_picture_council_text_placeholders_and_warnings(harmony_docx, coventry_pack_2025):
    path, stderr = harmony_docx
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    narrative = write_narrative(ComparePack(coventry_pack_2025), "Harmony")
    fuel = next(t for t in narrative.topics if t.name == "Fuel poverty")
    chapter = {c: len(texts) - 1 - texts[::-1].index(c) for c in CHAPTERS}  # not the summary's
    start = texts.index("Fuel poverty", chapter[CHAPTERS[2]])
    section = texts[start:texts.index(WHAT_ELSE, start) + 3]
    assert [x.text for x in fuel.sentences][0] in section
    assert section[-2:] == [FUEL_TEXT, "Energy advice drop-ins"]
    housing = texts.index("Housing", chapter[CHAPTERS[2]])
    assert "Every hub: the council's housing strategy." in texts[housing:housing + 40]
    placeholders = [t for t in texts if t.startswith("[What else is happening?")]
    assert len(placeholders) == len(narrative.topics) - 2  # every topic but the two written
    assert "fuel-povrety.md: no topic called 'fuel-povrety'" in stderr
    assert "Lost Hall: postcode ZZ9 9ZZ not found" in stderr
    summary = texts[texts.index("Executive summary"):chapter[CHAPTERS[0]]]
    assert any(x.text in summary for x in narrative.summary["Housing and Environment"])


def test_comparison_tables_are_word_tables_coloured_by_significance(harmony_docx,
                                                                    coventry_pack_2025):
    document = docx.Document(str(harmony_docx[0]))
    compare = ComparePack(coventry_pack_2025)
    fuel = compare.indicator("fuel_poverty")
    cell = compare.cell(compare.area("Harmony"), fuel)
    fill = SIGNIFICANCE_COLOURS[cell.significance][0].lstrip("#")
    table = next(t for t in document.tables if any(
        r.cells[0].text.startswith(fuel.title) for r in t.rows))
    header = [c.text for c in table.rows[0].cells]
    row = next(r for r in table.rows if r.cells[0].text.startswith(fuel.title))
    harmony = row.cells[header.index("Harmony")]
    assert harmony.text == f"{cell.value:.1f}%"
    assert f'w:fill="{fill}"' in harmony._tc.xml
    assert "<w:tblHeader/>" in table.rows[0]._tr.xml  # repeated on each page
    assets = document.tables[-1]
    assert [c.text for c in assets.rows[0].cells] == ["No.", "Name", "Description", "Postcode",
                                                     "On the map"]
    assert [r.cells[4].text for r in assets.rows[1:]] == ["yes", "no: postcode not found"]


def test_maps_and_charts_are_captioned_images(harmony_docx):
    document = docx.Document(str(harmony_docx[0]))
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    maps = [c for c in captions if c.startswith("Map ")]
    figures = [c for c in captions if c.startswith("Figure ")]
    assert len(document.inline_shapes) == len(maps) + len(figures)
    assert any("Harmony: deprivation" in c for c in maps)
    assert any("community assets" in c for c in maps)
    assert len(figures) >= 8  # the chapters' charts and the trend charts
    image = document.inline_shapes[0]
    assert abs(image.width.cm - 17.0) < 0.05


def test_sources_methods_and_membership(harmony_docx):
    texts = [p.text for p in docx.Document(str(harmony_docx[0])).paragraphs]
    sources = texts[texts.index("Sources, licences and methods"):]
    assert "Methods" in sources and "Hub membership" in sources
    membership = sources[sources.index("Hub membership") + 1]
    assert "Harmony:" in membership
    assert any(t.startswith("Membership:") for t in texts[:20])  # the cover's note


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: Debian's "
                    "libreoffice-writer-nogui")
def test_libreoffice_opens_and_prints_it(harmony_docx, tmp_path):
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}"
                             "/lo", "--convert-to", "pdf", "--outdir", str(tmp_path),
                             str(harmony_docx[0])], capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "harmony_profile.pdf"
    assert pdf.is_file(), result.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert 25 <= pages <= 70
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Executive summary" in text and FUEL_TEXT in " ".join(text.split())


def test_every_hub_as_word_and_unwritable_output(coventry_pack_2025, tmp_path):
    result = jsna("profile", "--pack", coventry_pack_2025, "--hub", "all", "--format", "docx",
                  "--out", tmp_path / "all")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "aspire profile.docx", "coventry profile.docx", "families for all profile.docx",
        "harmony profile.docx", "mosaic profile.docx", "park edge profile.docx",
        "pathway profile.docx", "the moat profile.docx", "woodside profile.docx"]
    city = docx.Document(str(tmp_path / "all" / "coventry profile.docx"))
    assert "Coventry and its Family Hub areas: area profile" in city.paragraphs[0].text
    # A folder in the way, and a folder that is not there: one clear line, nothing written.
    in_the_way = tmp_path / "busy" / "harmony.docx"
    (in_the_way / "the user's").mkdir(parents=True)
    for target, message in ((in_the_way, "harmony.docx"),
                            (tmp_path / "nowhere" / "h.docx", "Folder not found")):
        result = jsna("profile", "--pack", coventry_pack_2025, "--hub", "Harmony", "--out",
                      target)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert message in result.stderr.strip().splitlines()[-1]
    assert sorted(p.name for p in in_the_way.parent.iterdir()) == ["harmony.docx"]
    assert [p.name for p in in_the_way.iterdir()] == ["the user's"]
    wrong = jsna("profile", "--pack", coventry_pack_2025, "--hub", "Harmony", "--format",
                 "docx", "--out", tmp_path / "harmony.pdf")
    assert wrong.returncode != 0 and "--out must name a .docx file" in wrong.stderr


def test_the_pdf_profile_carries_the_same_text(coventry_pack_2025, council_files, tmp_path):
    folder, _ = council_files
    out = tmp_path / "harmony.pdf"
    result = jsna("profile", "--pack", coventry_pack_2025, "--hub", "Harmony", "--out", out,
                  "--dpi", "96", "--local-text", folder)
    assert result.returncode == 0, result.stderr
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                   text=True).stdout.split())
    for ligature, letters in (("ﬁ", "fi"), ("ﬀ", "ff"), ("ﬂ", "fl")):
        text = text.replace(ligature, letters)
    narrative = write_narrative(ComparePack(coventry_pack_2025), "Harmony")
    fuel = next(t for t in narrative.topics if t.name == "Fuel poverty")
    for part in ("Executive summary", WHY, LOCAL_PICTURE, WHAT_ELSE, FUEL_TEXT,
                 fuel.why[:60], " ".join(fuel.sentences[0].text.split())[:80]):
        assert part in text, part
