"""The ``jsna`` command line: build a pack, render a hub's maps, compare, export styles.

Bad input ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.errors import JsnaInputError

DEFAULT_THEMES = ("deprivation", "fuel_poverty", "air_quality")


def _build(args) -> int:
    from .builder.pack import build_pack
    from .builder.sources import DEFAULT_PLACE_CONFIG, PlaceConfig

    config = PlaceConfig.load(Path(args.config) if args.config else DEFAULT_PLACE_CONFIG)
    report = build_pack(Path(args.sources), Path(args.out), config,
                        Path(args.hub_lookup) if args.hub_lookup else None)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


def _maps(args) -> int:
    from qgis.core import QgsProject

    from .layers.pack import open_pack
    from .layouts.theme_map import export_png, theme_layout
    from .qgis_runtime import ensure_qgis

    ensure_qgis()
    project = QgsProject.instance()
    pack = open_pack(Path(args.pack), project)
    for theme in args.themes:
        out = Path(args.out_dir) / f"{theme}.png"
        export_png(theme_layout(project, pack, theme, args.hub), out, args.dpi)
        print(f"wrote {out}")
    return 0


def _styles(args) -> int:
    from .layers.pack_styles import export_qml
    from .qgis_runtime import ensure_qgis

    ensure_qgis()
    for path in export_qml(Path(args.pack), Path(args.out_dir)):
        print(f"wrote {path}")
    return 0


def _compare(args) -> int:
    from .core.compare import ComparePack
    from .core.compare_export import csv_text, write_csv, write_xlsx

    table = ComparePack(Path(args.pack)).table(args.hub, comparator=args.comparator)
    if args.format == "xlsx" and not args.out:
        raise JsnaInputError("--format xlsx needs --out FILE.xlsx")
    if not args.out:
        sys.stdout.write(csv_text(table))
        return 0
    (write_xlsx if args.format == "xlsx" else write_csv)(table, Path(args.out))
    print(f"wrote {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="jsna", description="JSNA Area Profiles")
    commands = root.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-pack", help="build a data pack from official source files")
    build.add_argument("--sources", required=True, help="folder of official source files")
    build.add_argument("--out", required=True, help="GeoPackage to write (replaced when complete)")
    build.add_argument("--config", help="place configuration (default: Coventry)")
    build.add_argument("--hub-lookup", help="CSV of area_code,hub,basis (default: the place's)")
    build.set_defaults(run=_build)
    maps = commands.add_parser("maps", help="render a hub's theme maps to PNG")
    maps.add_argument("--pack", required=True)
    maps.add_argument("--hub", required=True)
    maps.add_argument("--out-dir", required=True)
    maps.add_argument("--themes", nargs="+", default=list(DEFAULT_THEMES),
                      choices=list(DEFAULT_THEMES))
    maps.add_argument("--dpi", type=int, default=96)
    maps.set_defaults(run=_maps)
    compare = commands.add_parser(
        "compare", help="compare a hub's neighbourhoods with the hub, city and England")
    compare.add_argument("--pack", required=True)
    compare.add_argument("--hub", help="hub name (default: all the city's neighbourhoods)")
    compare.add_argument("--comparator", choices=["city", "hub", "england"], default="city")
    compare.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    compare.add_argument("--out", help="file to write (default for csv: standard output)")
    compare.set_defaults(run=_compare)
    styles = commands.add_parser("export-styles", help="write the pack's styles as .qml files")
    styles.add_argument("--pack", required=True)
    styles.add_argument("--out-dir", required=True)
    styles.set_defaults(run=_styles)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except JsnaInputError as exc:
        print(f"jsna {args.command}: error: {exc}", file=sys.stderr)
        return 2
