"""Report maps, atlases, the hub profile and templates: items, pages, text and pixels."""

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date

import pytest
from qgis.core import (
    QgsLayoutItem,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
)
from qgis.PyQt.QtGui import QImage
from qgis.PyQt.QtXml import QDomDocument

from conftest import ROOT
from jsna_profiles.core.compare import ALL_HUBS, ComparePack
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.layers.pack import open_pack
from jsna_profiles.layouts.atlas import atlas_layout
from jsna_profiles.layouts.export import export_atlas, export_layout
from jsna_profiles.layouts.items import Paper
from jsna_profiles.layouts.profile import profile_layout
from jsna_profiles.layouts.report_map import ReportMap, report_layout
from jsna_profiles.layouts.templates import write_templates

HARMONY = ["Central Coventry", "Hillfields", "Stoke Heath"]
OS_LICENCE = "Contains OS data © Crown copyright and database right"


@pytest.fixture
def pack(opened_pack):
    return opened_pack


def by_id(layout: QgsPrintLayout) -> dict:
    return {item.id(): item for item in layout.items()
            if isinstance(item, QgsLayoutItem) and item.id()}


def pdf_text(path) -> str:
    """The PDF's text with ligatures undone and line breaks as spaces (text wraps in frames)."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("ﬁ", "fi").replace("ﬀ", "ff")
    return " ".join(text.split())


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


def assert_pages_not_blank(path, tmp_path):
    """Every page rendered by pdftoppm has drawing on it, not just white paper."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(prefix)], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == pdf_pages(path)
    for page in pages:
        image = QImage(str(page))
        inked = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
                    if image.pixelColor(x, y).lightness() < 200)
        assert inked > 40, page.name
        page.unlink()


def test_report_map_has_every_item_linked(pack):
    project = QgsProject.instance()
    renderer_before = pack.layer("small_areas").renderer().type()
    name_before = pack.layer("small_areas").name()
    layout = report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Harmony"),
                           add_to_project=True)
    found = by_id(layout)
    assert found["title"].text() == "Harmony Family Hub reach area: fuel poverty"
    assert "Coventry average 20.3%" in found["subtitle"].text()
    main = found["map"]
    assert isinstance(main, QgsLayoutItemMap) and main.keepLayerStyles()
    hub = next(f for f in pack.layer("hubs").getFeatures() if f["name"] == "Harmony")
    box, extent = hub.geometry().boundingBox(), main.extent()
    assert extent.contains(box)  # the whole hub, with a margin no wider than a fifth of it
    assert min(extent.width() / box.width(), extent.height() / box.height()) < 1.2
    assert abs(extent.center().x() - box.center().x()) < box.width() * 0.01
    assert abs(extent.center().y() - box.center().y()) < box.height() * 0.01
    legend = found["legend"]
    assert isinstance(legend, QgsLayoutItemLegend) and legend.linkedMap() is main
    assert legend.legendFilterByMapEnabled()
    assert isinstance(found["scale_bar"], QgsLayoutItemScaleBar)
    assert found["scale_bar"].linkedMap() is main and found["scale_bar"].unitLabel() == "km"
    arrow = found["north_arrow"]
    assert isinstance(arrow, QgsLayoutItemPicture) and arrow.linkedMap() is main
    assert arrow.picturePath().endswith("NorthArrow_02.svg")
    assert found["locator"].overview().linkedMap() is main
    sources = found["sources"].text()
    for text in ("BEIS, Open Government Licence v3.0", OS_LICENCE,
                 "House of Commons Library", f"{date.today():%d %B %Y}"):
        assert text in sources
    assert sources.startswith("Sources: ") and "Source:" not in sources  # not "| Source: ONS"
    # the user's own style is untouched, and a second map gets its own name
    assert pack.layer("small_areas").renderer().type() == renderer_before
    assert pack.layer("small_areas").name() == name_before
    again = report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Harmony"),
                          add_to_project=True)
    assert again.name() == f"{layout.name()} (2)"
    assert {layout.name(), again.name()} <= {lay.name() for lay in
                                             project.layoutManager().layouts()}


@pytest.mark.parametrize("paper, dpi", [(Paper("A4", "landscape"), 150),
                                        (Paper("A3", "portrait"), 60)])
def test_png_size_matches_paper_and_dpi(pack, tmp_path, paper, dpi):
    spec = ReportMap("deprivation", "neighbourhood", "Hillfields", paper)
    out = export_layout(report_layout(QgsProject.instance(), pack, spec), tmp_path / "map.png",
                        dpi=dpi)
    image = QImage(str(out))
    assert abs(image.width() - paper.width / 25.4 * dpi) <= 1
    assert abs(image.height() - paper.height / 25.4 * dpi) <= 1
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_pdf_and_svg_carry_title_legend_and_licences(pack, tmp_path):
    layout = report_layout(QgsProject.instance(), pack, ReportMap("air_quality", "city"))
    pdf = export_layout(layout, tmp_path / "air.pdf")
    text = pdf_text(pdf)
    for expected in ("Coventry: air quality", "Family Hub areas",
                     "NO2 monitoring sites", "Coventry average", OS_LICENCE,
                     "English Indices of Deprivation 2019, MHCLG, Open Government Licence v3.0",
                     "Defra AURN data"):
        assert expected in text, expected
    assert pdf_pages(pdf) == 1
    svg = export_layout(layout, tmp_path / "air.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg


def test_atlas_of_a_hub_is_one_pdf_page_per_neighbourhood(pack, tmp_path):
    layout = atlas_layout(QgsProject.instance(), pack, "fuel_poverty", "Harmony")
    [pdf] = export_atlas(layout, tmp_path / "harmony.pdf")
    assert pdf_pages(pdf) == 3
    text = pdf_text(pdf)
    assert [f"{name}: fuel poverty" in text for name in HARMONY] == [True] * 3
    assert_pages_not_blank(pdf, tmp_path)


def test_atlas_per_neighbourhood_files_are_named_after_them(pack, tmp_path):
    layout = atlas_layout(QgsProject.instance(), pack, "deprivation")
    folder = tmp_path / "atlas"
    folder.mkdir()
    files = export_atlas(layout, folder, one_file=False)
    names = sorted(p.name for p in folder.iterdir())
    assert len(files) == 42 and names == sorted(p.name for p in files)
    assert "Naul's Mill & Bishopsgate Green.pdf" in names and "Hillfields.pdf" in names
    assert "Naul's Mill & Bishopsgate Green: deprivation" in pdf_text(
        folder / "Naul's Mill & Bishopsgate Green.pdf")


def test_hub_profile_pages_and_text(pack, coventry_pack, tmp_path):
    layout = profile_layout(QgsProject.instance(), pack, ComparePack(coventry_pack), "Harmony")
    pdf = export_layout(layout, tmp_path / "harmony_profile.pdf")
    pages = layout.pageCollection().pageCount()
    # a cover; per chapter its table pages, maps and chart pages; a spine chart per
    # neighbourhood; sources
    assert pdf_pages(pdf) == pages and pages >= 1 + 4 + 9 + 4 + 6 + 1
    text = pdf_text(pdf)
    for expected in ("Harmony Family Hub reach area: area profile",
                     "Harmony Family Hub reach area: deprivation",
                     "Harmony Family Hub reach area: fuel poverty",
                     "Harmony Family Hub reach area: air quality",
                     "Harmony Family Hub reach area: crime (IoD 2019)",
                     "Harmony: neighbourhoods compared with Coventry", "Hillfields: spine chart",
                     "Sources, licences and methods", "Open Government Licence v3.0", OS_LICENCE,
                     "Wilson", "35.7%"):
        assert expected in text, expected
    assert_pages_not_blank(pdf, tmp_path)


def test_templates_load_in_qgis(tmp_path):
    paths = write_templates(tmp_path)
    assert len(paths) == 4
    for path in paths:
        document = QDomDocument()
        assert document.setContent(path.read_text())
        layout = QgsPrintLayout(QgsProject.instance())
        layout.loadFromTemplate(document, QgsReadWriteContext())
        assert {"title", "map", "legend", "locator", "north_arrow", "scale_bar",
                "sources"} <= set(by_id(layout))
        size = layout.pageCollection().page(0).pageSize()
        paper = Paper(*path.stem.split("_")[-2:])
        assert (round(size.width()), round(size.height())) == (paper.width, paper.height)


def test_bad_outputs_leave_nothing_behind(pack, tmp_path):
    layout = report_layout(QgsProject.instance(), pack, ReportMap("fuel_poverty", "city"))
    with pytest.raises(JsnaInputError, match="Folder not found"):
        export_layout(layout, tmp_path / "missing" / "map.pdf")
    taken = tmp_path / "map.pdf"
    taken.mkdir()
    with pytest.raises(JsnaInputError, match="Cannot write map.pdf"):
        export_layout(layout, taken)
    with pytest.raises(JsnaInputError, match="Export format"):
        export_layout(layout, tmp_path / "map.docx")
    atlas = atlas_layout(QgsProject.instance(), pack, "fuel_poverty", "Harmony")
    with pytest.raises(JsnaInputError, match="Folder not found"):
        export_atlas(atlas, tmp_path / "nowhere", one_file=False)
    assert [p.name for p in tmp_path.iterdir()] == ["map.pdf"]


def test_unwritable_folder_and_empty_layer(pack, coventry_pack, tmp_path, monkeypatch):
    layout = report_layout(QgsProject.instance(), pack, ReportMap("fuel_poverty", "city"))

    real_open = os.open

    def refuse(path, flags, *args):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)
    with monkeypatch.context() as patch:  # a read-only folder (root ignores chmod, so simulated)
        patch.setattr("jsna_profiles.core.files.os.open", refuse)
        with pytest.raises(JsnaInputError, match="Cannot write in .*Permission denied"):
            export_layout(layout, tmp_path / "map.pdf")
    assert list(tmp_path.iterdir()) == []
    copy = tmp_path / "empty.gpkg"
    shutil.copy(coventry_pack, copy)
    with closing(sqlite3.connect(copy)) as db, db:
        db.execute("DELETE FROM small_areas")
    empty = open_pack(copy, QgsProject.instance())
    with pytest.raises(JsnaInputError, match="Nothing to map: the layer 'Small areas"):
        report_layout(QgsProject.instance(), empty, ReportMap("fuel_poverty", "hub", "Harmony"))


def test_bad_choices_are_clear_errors(pack, coventry_pack):
    project = QgsProject.instance()
    with pytest.raises(JsnaInputError, match="No hub called 'Atlantis'"):
        report_layout(project, pack, ReportMap("fuel_poverty", "hub", "Atlantis"))
    with pytest.raises(JsnaInputError, match="has no neighbourhoods"):
        atlas_layout(project, pack, "fuel_poverty", "Atlantis")
    with pytest.raises(JsnaInputError, match="No hub called 'Atlantis'"):
        profile_layout(project, pack, ComparePack(coventry_pack), "Atlantis")
    with pytest.raises(JsnaInputError, match="Paper size"):
        Paper("Letter", "landscape")
    with pytest.raises(JsnaInputError, match="Unknown indicator"):
        ReportMap("indicator", "city", options={"indicator_id": "nope"})


def test_cli_profile_and_atlas(coventry_pack, tmp_path):
    jsna = [sys.executable, str(ROOT / "bin" / "jsna")]
    out = tmp_path / "harmony.pdf"
    result = subprocess.run(jsna + ["profile", "--pack", str(coventry_pack), "--hub", "Harmony",
                                    "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert pdf_pages(out) > 20  # the four chapters (tests/test_profile_charts.py reads them)
    result = subprocess.run(jsna + ["atlas", "--pack", str(coventry_pack), "--hub", "Harmony",
                                    "--per-neighbourhood", "--out", str(tmp_path / "none")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "Folder not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_actions_build_layouts_and_report_errors(plugin, qgis_iface, coventry_pack,
                                                        tmp_path):
    assert plugin.open_pack(str(coventry_pack)) is not None
    layout = plugin.report_map(ReportMap("fuel_poverty", "hub", "Harmony"))
    assert layout in QgsProject.instance().layoutManager().layouts()
    qgis_iface.openLayoutDesigner.assert_called_with(layout)
    assert plugin.export_profile("Harmony", str(tmp_path / "missing" / "p.pdf")) is None
    assert "Folder not found" in qgis_iface.messageBar().get_messages(2)[-1]
    files = plugin.export_atlas("air_quality", "Harmony", str(tmp_path / "atlas.pdf"))
    assert files == [tmp_path / "atlas.pdf"] and pdf_pages(files[0]) == 3
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_plugin_asks_before_an_atlas_replaces_files(plugin, coventry_pack, tmp_path,
                                                   monkeypatch):
    plugin.open_pack(str(coventry_pack))
    (tmp_path / "Hillfields.pdf").write_text("the user's own notes")
    asked = []

    def answer(reply):
        def confirm(present, folder):
            asked.append(sorted(p.name for p in present))
            return reply
        return confirm
    monkeypatch.setattr(plugin, "_confirm_replace", answer(False))
    assert plugin.export_atlas("fuel_poverty", "Harmony", str(tmp_path), one_file=False) == []
    assert asked == [["Hillfields.pdf"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Hillfields.pdf"]
    assert (tmp_path / "Hillfields.pdf").read_text() == "the user's own notes"
    assert QgsProject.instance().layoutManager().layouts() == []  # declined: no layout either
    monkeypatch.setattr(plugin, "_confirm_replace", answer(True))
    files = plugin.export_atlas("fuel_poverty", "Harmony", str(tmp_path), one_file=False)
    assert len(files) == 3 and pdf_pages(tmp_path / "Hillfields.pdf") == 1


def test_dialogs_turn_choices_into_requests(qgis_app):
    from qgis.gui import QgsFileWidget

    from jsna_profiles.ui.hub_export_dialog import HubExportDialog
    from jsna_profiles.ui.report_map_dialog import ReportMapDialog

    dialog = ReportMapDialog(["Harmony", "Mosaic"], [("E02001981", "Hillfields")],
                             edition="2019")
    dialog.extent.setCurrentIndex(dialog.extent.findData("neighbourhood"))
    assert [dialog.area.itemText(i) for i in range(dialog.area.count())] == ["Hillfields"]
    dialog.map.setCurrentIndex(dialog.map.findText("Indicator: Prospects · Income deprivation "
                                                   "affecting children (IDACI), % (2015-16)"))
    dialog.paper.setCurrentIndex(dialog.paper.findText("A3 portrait"))
    spec = dialog.choice()
    assert (spec.theme, spec.extent, spec.area) == ("indicator", "neighbourhood", "E02001981")
    assert spec.options == {"indicator_id": "idaci"} and spec.paper == Paper("A3", "portrait")
    dialog.extent.setCurrentIndex(dialog.extent.findData("city"))
    assert not dialog.area.isEnabled() and dialog.choice().area is None

    atlas = HubExportDialog("atlas", ["Harmony"], "Coventry")
    assert atlas.hub.itemData(atlas.hub.count() - 1) is None  # the whole city last
    assert atlas.hub.currentData() == "Harmony"  # a hub first, as in the report map dialog
    atlas.hub.setCurrentIndex(atlas.hub.count() - 1)
    atlas.per_neighbourhood.setChecked(True)
    assert atlas.output.storageMode() == QgsFileWidget.StorageMode.GetDirectory
    atlas.output.setFilePath("/tmp/atlas")
    assert atlas.choice() == {"hub": None, "out": "/tmp/atlas", "theme": "deprivation",
                              "paper": ("A4", "landscape"), "one_file": False}
    profile = HubExportDialog("profile", ["Harmony"], "Coventry")
    assert profile.hub.count() == 3 and profile.choice()["hub"] == "Harmony"
    assert profile.choice()["background"] is False  # OpenStreetMap only when asked
    assert [profile.hub.itemData(i) for i in (1, 2)] == [None, ALL_HUBS]  # the city; all
    profile.hub.setCurrentIndex(2)
    assert profile.output.storageMode() == QgsFileWidget.StorageMode.GetDirectory
    profile.format.setCurrentIndex(profile.format.findData("docx"))
    profile.local_text.setFilePath("/tmp/our text")
    assert profile.output.filter() == "Word document (*.docx)"
    chosen = profile.choice()
    assert (chosen["fmt"], chosen["local_text"], chosen["assets"]) == ("docx", "/tmp/our text",
                                                                       None)


def test_plugin_writes_a_word_profile(plugin, qgis_iface, coventry_pack, tmp_path):
    import docx

    from jsna_profiles.core.narrative import WrittenOptions

    plugin.open_pack(str(coventry_pack))
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "fuel-poverty.md").write_text("Our winter plan.")
    written = plugin.export_profile("Harmony", str(tmp_path / "harmony"), fmt="docx",
                                    options=WrittenOptions(tmp_path / "text"))
    assert written == tmp_path / "harmony.docx"  # the format's extension added
    texts = [p.text for p in docx.Document(str(written)).paragraphs]
    assert "Our winter plan." in texts and "Executive summary" in texts
    assert QgsProject.instance().layoutManager().layouts() == []  # a document, not a layout
    assert f"Wrote {written}" in qgis_iface.messageBar().get_messages(0)[-1]
