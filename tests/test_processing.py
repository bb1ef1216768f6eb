"""The Processing provider: registered by the plugin, run through processing.run, a model and
qgis_process on the command line."""

import csv
import os
import subprocess
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelParameter,
    QgsProcessingParameterFile,
    QgsProject,
)

from conftest import comparison_rows_in_pack
from jsna_profiles.core.compare import ComparePack

ALGORITHMS = {"jsna:buildpack", "jsna:buildnational", "jsna:hubareasfromsites",
              "jsna:addindicator", "jsna:stylelayer",
              "jsna:compare", "jsna:reportmap", "jsna:hubprofile", "jsna:everyprofile",
              "jsna:atlas", "jsna:publish"}


@pytest.fixture
def processing(plugin):
    """QGIS's Processing framework with the plugin's provider registered by initGui."""
    import processing as qgis_processing
    from processing.core.Processing import Processing

    Processing.initialize()
    return qgis_processing


def pdf_pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in out.stdout.splitlines() if line.startswith("Pages")))


class CancelAfter(QgsProcessingFeedback):
    """Feedback that presses Cancel once ``steps`` progress reports have arrived."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps = steps
        self.progressChanged.connect(self._count)

    def _count(self, _progress):
        self.steps -= 1
        if self.steps <= 0:
            self.cancel()


def test_provider_comes_and_goes_with_the_plugin(plugin):
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("jsna")
    assert provider is not None and provider.name() == "JSNA Area Profiles"
    ids = {a.id() for a in provider.algorithms()}
    assert ids == ALGORITHMS
    for algorithm in provider.algorithms():
        assert len(algorithm.shortHelpString()) > 80, algorithm.id()
    plugin.unload()
    assert registry.providerById("jsna") is None
    plugin.initGui()  # the fixture unloads again


def test_compare_to_table_and_csv(processing, coventry_pack, tmp_path):
    out_csv = tmp_path / "harmony.csv"
    result = processing.run("jsna:compare", {"PACK": str(coventry_pack), "HUB": "Harmony",
                                             "COMPARATOR": "city", "OUTPUT": "memory:",
                                             "CSV": str(out_csv)})
    expected = comparison_rows_in_pack(coventry_pack, "Harmony")
    assert result["OUTPUT"].featureCount() == expected
    rows = list(csv.DictReader(out_csv.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == expected
    hillfields = next(r for r in rows if r["area_name"] == "Hillfields"
                      and r["indicator_id"] == "fuel_poverty")
    assert hillfields["significance"] == "worse"


def test_hubs_side_by_side(processing, coventry_pack):
    result = processing.run("jsna:compare", {"PACK": str(coventry_pack), "LEVEL": "hub",
                                             "OUTPUT": "memory:"})
    rows = [f.attributes() for f in result["OUTPUT"].getFeatures()]
    fields = result["OUTPUT"].fields().names()
    hubs = {r[fields.index("area_name")] for r in rows if r[fields.index("level")] == "hub"}
    assert len(hubs) == 8
    ranks = [r[fields.index("rank")] for r in rows if r[fields.index("level")] == "hub"
             and r[fields.index("indicator_id")] == "no_qualifications"]
    assert sorted(ranks) == list(range(1, 9))


def test_hub_areas_from_hub_sites(processing, coventry_pack, tmp_path):
    """Hub sites as a point layer in WGS 84 (the real hubs' postcodes, from the pack), one
    naming its neighbourhoods: a lookup of every small area, usable to rebuild the pack."""
    import sqlite3
    from contextlib import closing

    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsPointXY,
        QgsVectorLayer,
    )

    with closing(sqlite3.connect(coventry_pack)) as db:
        places = {p: (x, y) for p, x, y in db.execute("SELECT postcode, x, y FROM postcodes")}
        hubs = db.execute("SELECT name, postcode FROM hubs").fetchall()
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=hub:string&field=names:string", "sites",
                           "memory")
    to_wgs84 = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:27700"),
                                      layer.crs(), QgsProject.instance())
    features = []
    for name, postcode in hubs:
        feature = QgsFeature(layer.fields())
        feature.setAttributes([name, "Hillfields; Central Coventry" if name == "Harmony" else ""])
        feature.setGeometry(QgsGeometry.fromPointXY(to_wgs84.transform(
            QgsPointXY(*places[postcode.replace(" ", "")]))))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    out = tmp_path / "lookup.csv"
    result = processing.run("jsna:hubareasfromsites", {
        "PACK": str(coventry_pack), "SITES": layer, "NAME_FIELD": "hub",
        "NEIGHBOURHOODS_FIELD": "names", "OUTPUT": str(out)})
    rows = list(csv.DictReader(Path(result["OUTPUT"]).read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 195 and {r["hub"] for r in rows} == {name for name, _ in hubs}
    assert sum(r["hub"] == "Harmony" for r in rows) == 10  # Hillfields' 6, City Centre's 4


def test_bad_input_fails_cleanly(processing, coventry_pack):
    with pytest.raises(QgsProcessingException, match="No hub called 'Atlantis'"):
        processing.run("jsna:compare", {"PACK": str(coventry_pack), "HUB": "Atlantis",
                                        "OUTPUT": "memory:"})


def test_profile_and_atlas(processing, coventry_pack, tmp_path):
    result = processing.run("jsna:hubprofile", {"PACK": str(coventry_pack), "HUB": "Harmony",
                                                "OUTPUT": str(tmp_path / "profile.pdf")})
    assert pdf_pages(result["OUTPUT"]) > 20  # a cover, four chapters, six spines, sources
    city = processing.run("jsna:hubprofile", {"PACK": str(coventry_pack), "HUB": "",
                                              "OUTPUT": str(tmp_path / "city.pdf")})
    assert pdf_pages(city["OUTPUT"]) > 10
    folder = tmp_path / "atlas"
    result = processing.run("jsna:atlas", {"PACK": str(coventry_pack), "HUB": "Harmony",
                                           "THEME": "fuel_poverty", "PER_NEIGHBOURHOOD": True,
                                           "FOLDER": str(folder)})
    assert result["FILES"] == 3 and "Hillfields.pdf" in os.listdir(folder)
    assert len(QgsProject.instance().mapLayers()) == 0  # the user's project is untouched
    again = {"PACK": str(coventry_pack), "HUB": "Harmony", "THEME": "deprivation",
             "PER_NEIGHBOURHOOD": True, "FOLDER": str(folder)}
    before = (folder / "Hillfields.pdf").read_bytes()
    with pytest.raises(QgsProcessingException, match="3 of the 3 files are already in"):
        processing.run("jsna:atlas", again)
    assert (folder / "Hillfields.pdf").read_bytes() == before
    assert processing.run("jsna:atlas", {**again, "OVERWRITE": True})["FILES"] == 3
    assert (folder / "Hillfields.pdf").read_bytes() != before


def test_profile_as_word_with_the_councils_text(processing, coventry_pack, tmp_path):
    import docx

    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "housing.md").write_text("The housing strategy.")
    (tmp_path / "text" / "nothing-like-a-topic.md").write_text("?")
    feedback = Recorder()
    result = processing.run("jsna:hubprofile", {
        "PACK": str(coventry_pack), "HUB": "Harmony", "LOCAL_TEXT": str(tmp_path / "text"),
        "OUTPUT": str(tmp_path / "harmony.docx")}, feedback=feedback)
    texts = [p.text for p in docx.Document(result["OUTPUT"]).paragraphs]
    assert "The housing strategy." in texts
    assert any("nothing-like-a-topic.md: no topic" in w for w in feedback.warnings)
    with pytest.raises(QgsProcessingException, match="written as .pdf or .docx"):
        processing.run("jsna:hubprofile", {"PACK": str(coventry_pack), "HUB": "Harmony",
                                           "OUTPUT": str(tmp_path / "harmony.txt")})


class Recorder(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.warnings = []

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)


def test_style_layer(processing, coventry_pack):
    from jsna_profiles.layers.pack import open_pack

    pack = open_pack(coventry_pack, QgsProject.instance())
    layer = pack.layer("neighbourhoods")
    processing.run("jsna:stylelayer", {"INPUT": layer.id(), "INDICATOR": "idaci", "CLASSES": 4})
    assert layer.renderer().classAttribute() == "idaci"
    assert len(layer.renderer().ranges()) == 4


def test_build_pack_reports_progress_and_cancels_cleanly(processing, tmp_path):
    from conftest import SOURCES

    if not SOURCES.is_dir():
        pytest.skip(f"Coventry source mirror not found at {SOURCES}")
    out = tmp_path / "pack.gpkg"
    feedback = CancelAfter(2)
    processing.run("jsna:buildpack", {"SOURCES": str(SOURCES), "OUTPUT": str(out)},
                   feedback=feedback)
    assert feedback.isCanceled() and not out.exists()
    assert list(tmp_path.iterdir()) == []
    result = processing.run("jsna:buildpack", {"SOURCES": str(SOURCES), "OUTPUT": str(out)})
    assert result["OUTPUT"] == str(out) and ComparePack(out).place == "Coventry"


def test_runs_inside_a_model(processing, coventry_pack, tmp_path):
    """The same algorithm as a step of a Model Designer model."""
    model = QgsProcessingModelAlgorithm("Harmony comparison", "JSNA")
    model.addModelParameter(QgsProcessingParameterFile("pack", "Pack", extension="gpkg"),
                            QgsProcessingModelParameter("pack"))
    child = QgsProcessingModelChildAlgorithm("jsna:compare")
    child.setChildId("compare")
    child.addParameterSources("PACK", [QgsProcessingModelChildParameterSource.fromModelParameter(
        "pack")])
    child.addParameterSources("HUB", [QgsProcessingModelChildParameterSource.fromStaticValue(
        "Harmony")])
    child.addParameterSources("COMPARATOR", [
        QgsProcessingModelChildParameterSource.fromStaticValue("city")])
    child.addParameterSources("CSV", [QgsProcessingModelChildParameterSource.fromStaticValue(
        str(tmp_path / "model.csv"))])
    model.addChildAlgorithm(child)
    ok, errors = model.validate()
    assert ok, errors
    processing.run(model, {"pack": str(coventry_pack)})
    assert (tmp_path / "model.csv").stat().st_size > 10_000


def test_qgis_process_runs_the_installed_plugin(coventry_pack, tmp_path, qgis_process):
    """qgis_process with a fresh profile in which the plugin is installed from the zip."""
    listed = qgis_process("list")
    assert "jsna:compare" in listed.stdout
    out = tmp_path / "harmony.csv"
    result = qgis_process("run", "jsna:compare", "--", f"PACK={coventry_pack}", "HUB=Harmony",
                          f"OUTPUT={out}")
    assert result.returncode == 0, result.stderr
    assert "Hillfields" in out.read_text(encoding="utf-8")
    bad = qgis_process("run", "jsna:compare", "--", f"PACK={coventry_pack}", "HUB=Atlantis",
                       f"OUTPUT={tmp_path / 'bad.csv'}")
    assert bad.returncode != 0 and "No hub called 'Atlantis'" in bad.stdout + bad.stderr


def test_report_map_algorithm(processing, coventry_pack, tmp_path):
    from qgis.PyQt.QtGui import QImage

    result = processing.run("jsna:reportmap", {
        "PACK": str(coventry_pack), "MAP": "idaci", "EXTENT": "hub", "AREA": "Harmony",
        "PAPER": "A3 portrait", "DPI": 50, "OUTPUT": str(tmp_path / "idaci.png")})
    image = QImage(result["OUTPUT"])
    assert abs(image.width() - 297 / 25.4 * 50) <= 1 and abs(image.height() - 420 / 25.4 * 50) <= 1
    with pytest.raises(QgsProcessingException, match="Unknown indicator 'nonsense'"):
        processing.run("jsna:reportmap", {"PACK": str(coventry_pack), "MAP": "nonsense",
                                          "EXTENT": "city", "OUTPUT": str(tmp_path / "x.pdf")})
    assert not (tmp_path / "x.pdf").exists()
