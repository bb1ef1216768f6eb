"""Benchmarks (not tests): build and open the Coventry pack, with a bare-PyQGIS floor, and
update the compare panel on the Coventry pack and an England-wide one.

Writes build/bench.json and prints the figures. Each figure is the median of several runs.
Targets on a 2-core machine: build_pack_s < 15 (2019 edition), build_pack_2025_s < 10;
open_pack_s < 1 and <= 1.3 x open_pack_floor_s (open_pack_2025_vs_floor alike);
compare_update_ms < 30 (Coventry), compare_update_england_ms < 200 (6,791 neighbourhoods);
build_pack_england_s < 120, build_pack_england_peak_mb < 2000, open_pack_england_s < 3, and
the same for the 2025 edition (build_pack_england_2025_s, _peak_mb, open_pack_england_2025_s);
profile_pdf_s < 5 (Harmony), profiles_all_s < 30 (`jsna profile --hub all`: the eight hubs'
profiles and the city's), compare_update_hubs_ms < 30 (the eight hubs side by side),
atlas_pdf_s < 60 (42 neighbourhoods, one PDF), and the profile's
export step <= 1.2 x layout_export_floor_s (the same layout through a bare QgsLayoutExporter;
the export also flushes and verifies the file: verify_profile_pdf_ms alone);
add_indicator_preview_s < 1 and add_indicator_preview_peak_mb < 50 for an 8 MB workbook;
profile_docx_s < 5 (Harmony's Word profile, 2025 edition) and profiles_docx_all_s < 40 (all nine);
publish_postgis_s < 5, open_pack_postgis_vs_gpkg <= 2, compare_load_postgis_vs_gpkg <= 2,
publish_postgis_england_s < 120 (the England pack this run builds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bin"))
from plugin_package import import_plugin_package  # noqa: E402

import_plugin_package()


FLOOR_THEMES = ("fuel_poverty", "air_quality", "deprivation")


def median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build_england(folder: Path, out: Path, edition: str) -> dict:
    """Build the England pack of an edition in a child process, which reports its own peak
    memory (build_pack_england_* for 2019, build_pack_england_2025_* for 2025)."""
    import subprocess

    code = ("import sys, os, resource; sys.path.insert(0, sys.argv[1]); "
            "from plugin_package import import_plugin_package; import_plugin_package(); "
            "from pathlib import Path; from jsna_profiles.qgis_runtime import ensure_qgis; "
            "ensure_qgis(); from jsna_profiles.builder.england import build_england_pack; "
            "build_england_pack(Path(sys.argv[2]), Path(sys.argv[3]), edition=sys.argv[4]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True); os._exit(0)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "bin"), str(folder), str(out),
                           edition], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak_mb = int(done.stdout.split()[-1]) / 1024
    key = "" if edition == "2019" else f"_{edition}"
    return {f"build_pack_england{key}_s": seconds, f"build_pack_england{key}_peak_mb": peak_mb}


def open_with_plugin(pack: Path) -> None:
    from qgis.core import QgsProject

    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme, available_themes

    project = QgsProject()
    loaded = open_pack(pack, project)
    for theme in FLOOR_THEMES:  # the same three styles as the floor
        if theme in available_themes(loaded):
            apply_theme(loaded, theme)
    project.clear()


def open_floor(pack: Path) -> None:
    """The same layers and three styles with bare PyQGIS calls, no plugin code."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsClassificationQuantile,
        QgsCoordinateReferenceSystem,
        QgsFillSymbol,
        QgsGradientColorRamp,
        QgsGraduatedSymbolRenderer,
        QgsProject,
        QgsRendererCategory,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtGui import QColor

    project = QgsProject()
    project.setCrs(QgsCoordinateReferenceSystem("EPSG:27700"))
    group = project.layerTreeRoot().insertGroup(0, "Coventry")
    layers = {}
    for table in ("hubs", "services", "monitoring_sites", "neighbourhoods", "city", "aqma",
                  "small_areas"):
        layer = QgsVectorLayer(f"{pack}|layername={table}", table, "ogr")
        if not layer.isValid():  # a pack without that layer (England's has no services)
            continue
        project.addMapLayer(layer, False)
        group.addLayer(layer)
        layers[table] = layer
    small = layers["small_areas"]
    for field in ("fuel_poverty", "air_quality"):
        renderer = QgsGraduatedSymbolRenderer(field)
        renderer.setSourceSymbol(QgsFillSymbol.createSimple({"color": "#ffffff"}))
        renderer.setSourceColorRamp(QgsGradientColorRamp(QColor("#fef0d9"), QColor("#b30000")))
        renderer.setClassificationMethod(QgsClassificationQuantile())
        renderer.updateClasses(small, 5)
        small.setRenderer(renderer)
    categories = [QgsRendererCategory(d, QgsFillSymbol.createSimple({"color": "#440154"}), str(d))
                  for d in range(1, 11)]
    small.setRenderer(QgsCategorizedSymbolRenderer("imd_decile", categories))
    project.clear()


def compare_update_ms(pack: Path, rounds: int = 5, hubs: int = 20) -> dict:
    """Median time to switch hub in the compare panel: recompute, then paint the table and the
    spine chart as far as they are on screen (their scroll areas' viewports)."""
    from qgis.gui import QgsMapCanvas

    from jsna_profiles.core import compare as cmp
    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.ui.compare_panel import ComparePanel

    start = time.perf_counter()
    compare = ComparePack(pack)
    load_s = time.perf_counter() - start
    panel = ComparePanel()
    panel.resize(900, 1000)
    panel.show()
    panel.set_pack(compare, None, QgsMapCanvas())
    choices = compare.hubs[:hubs] + [None] if len(compare.neighbourhoods) < 500 else \
        compare.hubs[:hubs]

    def switch_to(hub) -> float:
        begin = time.perf_counter()
        panel.set_hub(hub)
        panel.view.viewport().grab()
        panel.spine.parentWidget().grab()  # the chart's scroll viewport
        return time.perf_counter() - begin
    times = [switch_to(hub) for _ in range(rounds) for hub in choices]
    hubs_side_by_side = []
    if len(compare.neighbourhoods) < 500:  # the Family Hub areas compared (from a hub)
        for _ in range(rounds):
            panel.set_hub(compare.hubs[0])
            hubs_side_by_side.append(switch_to(cmp.ALL_HUBS))
    panel.close()
    figures = {"load_s": load_s, "update_ms": statistics.median(times) * 1000}
    if hubs_side_by_side:
        figures["hubs_ms"] = statistics.median(hubs_side_by_side) * 1000
    return figures


def layout_figures(pack: Path, out: Path) -> dict:
    """Hub profile and atlas PDFs, and the bare-exporter floor for the profile's layout."""
    from qgis.core import QgsLayoutExporter, QgsProject

    from jsna_profiles.core import verify
    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.atlas import atlas_layout
    from jsna_profiles.layouts.export import export_atlas, export_layout, pdf_settings
    from jsna_profiles.layouts.profile import profile_layout

    project = QgsProject.instance()
    loaded = open_pack(pack, project)
    compare = ComparePack(pack)
    layout = profile_layout(project, loaded, compare, "Harmony")
    export_layout(layout, out / "warm.pdf")  # fonts and symbols cached for both measurements

    def whole_profile():
        export_layout(profile_layout(project, loaded, compare, "Harmony"), out / "profile.pdf")

    figures = {
        "profile_pdf_s": median_time(whole_profile, 3),
        "profile_export_s": median_time(lambda: export_layout(layout, out / "profile.pdf"), 3),
        "layout_export_floor_s": median_time(
            lambda: QgsLayoutExporter(layout).exportToPdf(str(out / "floor.pdf"), pdf_settings()), 3),
    }
    figures["profile_export_vs_floor"] = figures["profile_export_s"] / figures["layout_export_floor_s"]
    figures["verify_profile_pdf_ms"] = 1000 * median_time(lambda: verify.pdf(out / "profile.pdf"), 5)
    figures["profiles_all_s"] = median_time(lambda: every_profile(pack, out / "profiles"), 1)
    atlas = atlas_layout(project, loaded, "deprivation")
    figures["atlas_pdf_s"] = median_time(lambda: export_atlas(atlas, out / "atlas.pdf"), 1)
    project.clear()
    return figures


def every_profile(pack: Path, folder: Path, fmt: str = "pdf") -> None:
    """`jsna profile --hub all`, as a user runs it (its own processes, one per CPU)."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "bin" / "jsna"), "profile", "--pack", str(pack),
                    "--hub", "all", "--format", fmt, "--out", str(folder)], check=True,
                   capture_output=True)


def postgis_figures(pack: Path, england: Path | None) -> dict:
    """Team packs on a throwaway local server (bin/local-postgis): publishing Coventry (and
    England), then opening and loading the comparison from the server, beside the same from
    the GeoPackage in the same run."""
    import subprocess
    import tempfile

    from jsna_profiles.builder.publish import publish_pack
    from jsna_profiles.core.compare import ComparePack

    folder = tempfile.mkdtemp(prefix="jsna-pg-bench-")
    script = str(ROOT / "bin" / "local-postgis")
    started = subprocess.run([script, "start", folder], capture_output=True, text=True)
    if started.returncode:
        print(f"PostGIS figures not measured: {started.stderr.strip()}")
        return {}
    server = started.stdout.strip()
    try:
        figures = {"publish_postgis_s": median_time(
            lambda: publish_pack(pack, server, "coventry", replace=True), 3)}
        location = f"PG:{server} schema=coventry"
        open_with_plugin(location)  # the provider's connection pool warmed, as in QGIS
        figures["open_pack_postgis_s"] = median_time(lambda: open_with_plugin(location), 7)
        figures["open_pack_gpkg_s"] = median_time(lambda: open_with_plugin(pack), 7)
        figures["open_pack_postgis_vs_gpkg"] = \
            figures["open_pack_postgis_s"] / figures["open_pack_gpkg_s"]
        figures["compare_load_postgis_s"] = median_time(lambda: ComparePack(location), 3)
        figures["compare_load_gpkg_s"] = median_time(lambda: ComparePack(pack), 3)
        figures["compare_load_postgis_vs_gpkg"] = \
            figures["compare_load_postgis_s"] / figures["compare_load_gpkg_s"]
        if england is not None and england.is_file():
            figures["publish_postgis_england_s"] = median_time(
                lambda: publish_pack(england, server, "england", replace=True), 1)
        return figures
    finally:
        subprocess.run([script, "stop", folder], capture_output=True)


def word_figures(pack: Path, out: Path) -> dict:
    """Harmony's profile as a Word document (narrative, maps at 200 dpi, charts, tables), and
    every hub's and the city's, on the 2025 edition (the one `make demo` writes)."""
    from qgis.core import QgsProject

    from jsna_profiles.core.compare import ComparePack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layouts.profile import export_profiles

    project = QgsProject.instance()
    loaded = open_pack(pack, project)
    compare = ComparePack(pack)
    target = [("Harmony", out / "harmony_profile.docx")]
    export_profiles(project, loaded, compare, target)  # fonts and symbols cached
    figures = {"profile_docx_s": median_time(
        lambda: export_profiles(project, loaded, compare, target), 3)}
    project.clear()
    figures["profiles_docx_all_s"] = median_time(
        lambda: every_profile(pack, out / "profiles_docx", "docx"), 1)
    return figures


def preview_figures(folder: Path) -> dict:
    """The add-indicator dialog's preview of a large workbook (synthetic rows, made once)."""
    import tracemalloc

    from jsna_profiles.builder.add_indicator import preview

    book = folder / "synthetic_8mb.xlsx"
    if not book.is_file():
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("rates")
        sheet.append(["code", "name", "numerator", "denominator", "note"])
        for i in range(320_000):
            sheet.append([f"E0{i:07d}", f"Synthetic area {i}", i % 97, 1000 + i % 13,
                          "synthetic test data, not a real indicator"])
        workbook.save(book)
    tracemalloc.start()
    seconds = median_time(lambda: preview(book), 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"add_indicator_preview_s": seconds, "add_indicator_preview_peak_mb": peak / 2**20,
            "add_indicator_preview_book_mb": book.stat().st_size / 2**20}


def england_figure_times(folder: Path, edition: str) -> dict:
    """England's figures for a local pack: computed from the national files (an empty cache),
    then read back from the cache, as every later build does."""
    import tempfile

    from jsna_profiles.builder.england import england_figures
    from jsna_profiles.builder.sources import BuildReport

    saved = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            start = time.perf_counter()
            england_figures(folder, BuildReport(), edition)
            cold = time.perf_counter() - start
            cached = median_time(lambda: england_figures(folder, BuildReport(), edition), 5)
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved
    key = "" if edition == "2019" else f"_{edition}"
    return {f"england_figures{key}_cold_s": cold, f"england_figures{key}_cached_s": cached}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", default=str(ROOT.parent / "shared" / "data" / "raw"))
    parser.add_argument("--england", default=str(ROOT.parent / "shared" / "data" / "england"))
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.json"))
    args = parser.parse_args()
    from jsna_profiles.builder.pack import build_pack
    from jsna_profiles.builder.sources import PlaceConfig
    from jsna_profiles.qgis_runtime import ensure_qgis

    ensure_qgis()
    pack = ROOT / "build" / "bench" / "coventry.gpkg"  # the 2019 edition, as the figures began
    england_folder = Path(args.england) if Path(args.england).is_dir() else None
    pack_2025 = ROOT / "build" / "bench" / "coventry_2025.gpkg"
    results = {
        "build_pack_s": median_time(lambda: build_pack(
            Path(args.sources), pack, PlaceConfig.load(edition="2019")), 3),
        "build_pack_2025_s": median_time(lambda: build_pack(
            Path(args.sources), pack_2025, PlaceConfig.load(edition="2025"),
            england=england_folder), 3)}  # with England's figures, as `make pack` builds it
    open_with_plugin(pack)  # warm caches (fonts, providers) for both measurements alike
    open_floor(pack)
    for key, each in (("", pack), ("_2025", pack_2025)):
        results[f"open_pack{key}_s"] = median_time(lambda each=each: open_with_plugin(each), 7)
        results[f"open_pack{key}_floor_s"] = median_time(lambda each=each: open_floor(each), 7)
        results[f"open_pack{key}_vs_floor"] = \
            results[f"open_pack{key}_s"] / results[f"open_pack{key}_floor_s"]
    results.update(layout_figures(pack, pack.parent))
    results.update(word_figures(pack_2025, pack.parent))
    results.update(preview_figures(pack.parent))
    coventry = compare_update_ms(pack)
    results["compare_load_s"] = coventry["load_s"]
    results["compare_update_ms"] = coventry["update_ms"]
    results["compare_update_hubs_ms"] = coventry["hubs_ms"]
    if Path(args.england).is_dir():
        for edition in ("2019", "2025"):
            results.update(england_figure_times(Path(args.england), edition))
        england = ROOT / "build" / "bench" / "england.gpkg"
        results.update(build_england(Path(args.england), england, "2019"))
        results["open_pack_england_s"] = median_time(lambda: open_with_plugin(england), 5)
        england_2025 = ROOT / "build" / "bench" / "england_2025.gpkg"
        results.update(build_england(Path(args.england), england_2025, "2025"))
        results["open_pack_england_2025_s"] = median_time(
            lambda: open_with_plugin(england_2025), 5)
        figures = compare_update_ms(england)
        results["compare_load_england_s"] = figures["load_s"]
        results["compare_update_england_ms"] = figures["update_ms"]
    else:
        print(f"England files not found at {args.england}: compare_update_england_ms not measured")
    results.update(postgis_figures(pack, ROOT / "build" / "bench" / "england.gpkg"))
    results = {k: round(v, 4) for k, v in results.items()}
    existing = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    existing.update(results)
    Path(args.out).write_text(json.dumps(existing, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key}: {value}")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
