"""The ``jsna`` command line: build a pack, report maps, atlas, hub profile, compare, styles.

Bad input ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .core.errors import JsnaInputError
from .core.recipes import DEFAULT_EDITION, EDITIONS
from .core.schema import MAP_THEME_FIELDS

DEFAULT_THEMES = ("deprivation", "fuel_poverty", "air_quality", "deprivation_change")
MAX_JOBS = 4  # profile processes at once: each holds QGIS and the pack (about 300 MB)


def _build(args) -> int:
    from .builder.pack import build_pack
    from .builder.sources import DEFAULT_PLACE_CONFIG, PlaceConfig

    config = PlaceConfig.load(Path(args.config) if args.config else DEFAULT_PLACE_CONFIG,
                              args.edition)
    report = build_pack(Path(args.sources), Path(args.out), config,
                        Path(args.hub_lookup) if args.hub_lookup else None,
                        england=Path(args.england) if args.england else None)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


def _open(pack_path: str):
    """QGIS started headless, and the pack's layers in its project."""
    from qgis.core import QgsProject

    from .layers.pack import open_pack
    from .qgis_runtime import ensure_qgis

    ensure_qgis()
    project = QgsProject.instance()
    return project, open_pack(pack_path, project)  # a GeoPackage, or PG:... schema=...


def _out_folder(path: str) -> Path:
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _build_national(args) -> int:
    from .builder.download import fetch_national
    from .builder.england import build_england_pack
    from .qgis_runtime import ensure_qgis

    sources = Path(args.sources)
    if args.download_from:  # fill the sources folder as a cache, checking every file
        sources = fetch_national(sources, Path(args.mirror) if args.mirror else None,
                                 args.download_from, edition=args.edition)
    ensure_qgis()  # the pack's default styles are made with QGIS
    report = build_england_pack(sources, Path(args.out), args.local_authority,
                                Path(args.hub_lookup) if args.hub_lookup else None,
                                boundaries=Path(args.boundaries) if args.boundaries else None,
                                code_column=args.code_column, edition=args.edition)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


def _maps(args) -> int:
    from .layouts.export import export_layout
    from .layouts.items import Paper
    from .layouts.report_map import ReportMap, report_layout

    paper = Paper(args.paper, args.orientation)
    from .layers.themes import available_themes

    project, pack = _open(args.pack)
    folder = _out_folder(args.out_dir)
    extent = "hub" if args.hub else "city"
    themes = args.themes or [t for t in DEFAULT_THEMES if t in available_themes(pack)]
    for theme in themes:
        spec = ReportMap(theme, extent, args.hub, paper, background=args.background)
        layout = report_layout(project, pack, spec, warn=_warn)
        out = export_layout(layout, folder / f"{theme}.{args.format}", dpi=args.dpi)
        print(f"wrote {out}")
    return 0


def _profile(args) -> int:
    from .core.packfile import place_and_hubs
    from .layouts.profile import CITY_PROFILE, every_profile, export_profiles

    hubs = args.hub or []
    if not hubs and not args.city:
        raise JsnaInputError("give --hub NAME (once or more), --hub all, or --city")
    place, known = place_and_hubs(args.pack)
    wanted = ([*known, CITY_PROFILE] if hubs == ["all"]
              else hubs + ([CITY_PROFILE] if args.city else []))
    unknown = [h for h in wanted if h is not CITY_PROFILE and h not in known]
    if unknown:
        raise JsnaInputError(f"No hub called '{unknown[0]}' in the {place} pack "
                             f"(hubs: {', '.join(known)})")
    fmt = args.format or ("docx" if args.out.lower().endswith(".docx") else "pdf")
    if len(wanted) == 1:
        if Path(args.out).suffix.lower() != f".{fmt}":
            raise JsnaInputError(f"--out must name a .{fmt} file for --format {fmt}")
        targets = [(wanted[0], Path(args.out))]
    else:  # several profiles: --out is their folder, each file named after its hub
        targets = [t for t in every_profile(place, known, _out_folder(args.out), fmt)
                   if t[0] in wanted]
    jobs = min(args.jobs or os.cpu_count() or 1, MAX_JOBS, len(targets))
    if jobs > 1:
        return _profiles_in_parallel(args, targets, jobs)
    from .core.compare import ComparePack
    from .core.narrative import WrittenOptions

    options = WrittenOptions(*(Path(p) if p else None
                               for p in (args.local_text, args.assets, args.templates)))
    project, pack = _open(args.pack)
    for path in export_profiles(project, pack, ComparePack(args.pack), targets, args.dpi,
                                background=args.background, warn=_warn, options=options):
        print(f"wrote {path}")
    return 0


def _profiles_in_parallel(args, targets: list, jobs: int) -> int:
    """Several profiles, shared among ``jobs`` processes (each starts QGIS once and writes its
    share in turn); the largest hubs are dealt out first so the shares come out even."""
    import subprocess

    shares = [targets[i::jobs] for i in range(jobs)]
    script = Path(__file__).resolve().parent / "bin" / "jsna"
    running = []
    for share in shares:
        command = [sys.executable, str(script), "profile", "--pack", args.pack, "--out",
                   args.out, "--dpi", str(args.dpi), "--jobs", "1"]
        if args.background:
            command.append("--background")
        for option in ("format", "local_text", "assets", "templates"):
            if getattr(args, option):
                command += [f"--{option.replace('_', '-')}", getattr(args, option)]
        for hub, _ in share:
            command += ["--city"] if hub is None else ["--hub", hub]
        running.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True))
    failures = []
    for process in running:
        out, err = process.communicate()
        sys.stdout.write(out)
        if process.returncode:
            failures.append(err.strip().splitlines()[-1] if err.strip() else
                            f"a profile process ended with status {process.returncode}")
    if failures:
        raise JsnaInputError(failures[0].removeprefix("jsna profile: error: "))
    return 0


def _atlas(args) -> int:
    from .layouts.atlas import atlas_layout
    from .layouts.export import export_atlas
    from .layouts.items import Paper

    project, pack = _open(args.pack)
    layout = atlas_layout(project, pack, args.theme, args.hub, Paper(args.paper, args.orientation))
    for path in export_atlas(layout, Path(args.out), one_file=not args.per_neighbourhood,
                             dpi=args.dpi, overwrite=args.overwrite):
        print(f"wrote {path}")
    return 0


def _styles(args) -> int:
    from .layers.pack_styles import export_qml
    from .qgis_runtime import ensure_qgis

    ensure_qgis()
    for path in export_qml(Path(args.pack), Path(args.out_dir)):
        print(f"wrote {path}")
    return 0


def _publish(args) -> int:
    from .builder.publish import publish_pack

    report = publish_pack(Path(args.pack), args.to, args.schema, args.replace)
    print(f"published {report.location} ({report.tables} tables, {report.rows:,} rows, "
          f"{report.styles} styles) in {report.seconds:.1f} s")
    return 0


def _compare(args) -> int:
    from .core.compare import ComparePack
    from .core.compare_export import csv_text, write_csv, write_xlsx

    compare = ComparePack(args.pack)  # a GeoPackage, or PG:<connection> schema=<name>
    if args.level == "hub":
        if args.hub:
            raise JsnaInputError("--level hub compares every hub; leave out --hub")
        table = compare.hubs_table(args.comparator)
    else:
        table = compare.table(args.hub, comparator=args.comparator)
    if args.format == "xlsx" and not args.out:
        raise JsnaInputError("--format xlsx needs --out FILE.xlsx")
    if not args.out:
        sys.stdout.write(csv_text(table))
        return 0
    (write_xlsx if args.format == "xlsx" else write_csv)(table, Path(args.out))
    print(f"wrote {args.out}")
    return 0


def _add_indicator(args) -> int:
    from .builder.add_indicator import IndicatorTable, add_indicator

    spec = IndicatorTable(
        Path(args.table), args.id, args.title, args.code_column, args.value_column or "",
        args.numerator_column or "", args.denominator_column or "", args.lower_column or "",
        args.upper_column or "", args.period or "", args.unit or "", args.polarity,
        args.domain, args.source or "", args.licence or "", args.sheet or "", args.replace,
        args.convert_2011)
    for warning in add_indicator(args.pack, spec).warnings:  # a GeoPackage, or PG:...
        print(f"warning: {warning}", file=sys.stderr)
    print(f"added {args.id} to {args.pack}")
    return 0


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def _background_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--background", action="store_true",
                         help="an OpenStreetMap background under the maps (needs the internet; "
                         "without it the maps are made plain, with a warning)")


def _paper_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--paper", choices=["A4", "A3"], default="A4")
    command.add_argument("--orientation", choices=["landscape", "portrait"], default="landscape")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="jsna", description="JSNA Area Profiles")
    commands = root.add_subparsers(dest="command", required=True)
    publish = commands.add_parser(
        "publish", help="publish a pack to a PostgreSQL/PostGIS server, one schema per pack, "
        "for a team to open, compare and profile")
    publish.add_argument("--pack", required=True, help="the pack (GeoPackage) to publish")
    publish.add_argument("--to", required=True,
                         help="the server: a pg_service name, or libpq keywords without a "
                         "password ('host=db dbname=gis user=me'; the password in ~/.pgpass)")
    publish.add_argument("--schema", required=True, help="the pack's schema, e.g. coventry_2025")
    publish.add_argument("--replace", action="store_true",
                         help="replace the pack already published in that schema")
    publish.set_defaults(run=_publish)
    build = commands.add_parser("build-pack", help="build a data pack from official source files")
    build.add_argument("--sources", required=True, help="folder of official source files")
    build.add_argument("--out", required=True, help="GeoPackage to write (replaced when complete)")
    build.add_argument("--config", help="place configuration (default: Coventry)")
    build.add_argument("--hub-lookup", help="CSV of area_code,hub,basis (default: the place's)")
    build.add_argument("--england", help="folder of the national files (the edition's): adds "
                       "England's figure to every indicator they hold")
    build.add_argument("--edition", choices=list(EDITIONS), default=DEFAULT_EDITION,
                       help="2025: IoD 2025 and Census 2021 on 2021 small areas (default); "
                       "2019: IoD 2019 and Census 2011 on 2011 small areas")
    build.set_defaults(run=_build)
    national = commands.add_parser(
        "build-national", help="a pack for England, or any English local authority, from the "
        "national files (2025: IoD 2025, Census 2021, GIAS, LSOA 2021; 2019: IoD 2019, LSOA 2011)")
    national.add_argument("--sources", required=True,
                          help="folder of the national files (with --download-from: the cache)")
    national.add_argument("--download-from", help="HTTP folder holding the national files "
                          "under their official names (checked on arrival, then cached)")
    national.add_argument("--mirror", help="local folder to use before downloading")
    national.add_argument("--edition", choices=list(EDITIONS), default=DEFAULT_EDITION,
                          help="2025: IoD 2025 and Census 2021 on LSOA 2021 (default); 2019: IoD "
                          "2019 on LSOA 2011")
    national.add_argument("--boundaries", help="your own LSOA polygons of the edition's year "
                          "(any format, any CRS)")
    national.add_argument("--code-column", help="their code column (default LSOA21CD; LSOA11CD "
                          "for 2019)")
    national.add_argument("--local-authority", help="code or name, e.g. E08000026 or Coventry "
                          "(default: all of England)")
    national.add_argument("--hub-lookup", help="CSV of area_code,hub,basis with LSOA codes")
    national.add_argument("--out", required=True)
    national.set_defaults(run=_build_national)
    maps = commands.add_parser("maps", help="report maps of a hub (or the city): PNG, PDF or SVG")
    maps.add_argument("--pack", required=True)
    maps.add_argument("--hub", help="hub name (default: the whole city)")
    maps.add_argument("--out-dir", required=True)
    maps.add_argument("--themes", nargs="+", choices=list(MAP_THEME_FIELDS),
                      help="default: those of deprivation, fuel poverty, air quality and "
                      "deprivation change the pack has")
    maps.add_argument("--format", choices=["png", "pdf", "svg"], default="png")
    _paper_options(maps)
    maps.add_argument("--dpi", type=int, default=96)
    _background_option(maps)
    maps.set_defaults(run=_maps)
    profile = commands.add_parser(
        "profile", help="a hub's (or the city's) profile as a PDF or a Word document, in the "
        "JSNA's four chapters, each topic's local picture written from the data")
    profile.add_argument("--pack", required=True)
    profile.add_argument("--hub", action="append",
                         help="hub name (repeat for several), or 'all': every hub's profile and "
                         "the city's")
    profile.add_argument("--city", action="store_true",
                         help="the city's profile: its Family Hub areas compared")
    profile.add_argument("--out", required=True,
                         help="file to write (for several profiles: the folder for them)")
    profile.add_argument("--format", choices=["pdf", "docx"],
                         help="PDF or Word (default: docx when --out ends in .docx, else pdf)")
    profile.add_argument("--local-text", metavar="FOLDER",
                         help="the council's 'What else is happening?' text: Markdown files "
                         "named after topics (fuel-poverty.md), in a sub-folder named after a "
                         "hub for that hub only (harmony/fuel-poverty.md)")
    profile.add_argument("--assets", metavar="CSV",
                         help="community assets: name, description and optional postcode and "
                         "hub columns; listed, and mapped where the postcode is found")
    profile.add_argument("--templates", metavar="JSON",
                         help="reworded sentence templates (a copy of "
                         "config/narrative/templates.json)")
    profile.add_argument("--jobs", type=int, default=0,
                         help="processes sharing several profiles (default: one per CPU, up to "
                         f"{MAX_JOBS})")
    profile.add_argument("--dpi", type=int, default=300)
    _background_option(profile)
    profile.set_defaults(run=_profile)
    atlas = commands.add_parser("atlas", help="a map page per neighbourhood, as PDF")
    atlas.add_argument("--pack", required=True)
    atlas.add_argument("--hub", help="hub name (default: all the city's neighbourhoods)")
    atlas.add_argument("--theme", choices=list(MAP_THEME_FIELDS), default="deprivation")
    atlas.add_argument("--out", required=True,
                       help="PDF to write, or with --per-neighbourhood an existing folder")
    atlas.add_argument("--per-neighbourhood", action="store_true",
                       help="one PDF per neighbourhood, named after it")
    atlas.add_argument("--overwrite", action="store_true",
                       help="with --per-neighbourhood: replace files already in the folder")
    _paper_options(atlas)
    atlas.add_argument("--dpi", type=int, default=150)
    atlas.set_defaults(run=_atlas)
    compare = commands.add_parser(
        "compare", help="compare a hub's neighbourhoods with the hub, city and England")
    compare.add_argument("--pack", required=True)
    compare.add_argument("--hub", help="hub name (default: all the city's neighbourhoods)")
    compare.add_argument("--comparator", choices=["city", "hub", "england"], default="city")
    compare.add_argument("--level", choices=["neighbourhood", "hub"], default="neighbourhood",
                         help="hub: the Family Hub areas side by side, ranked Nth of them")
    compare.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    compare.add_argument("--out", help="file to write (default for csv: standard output)")
    compare.set_defaults(run=_compare)
    add = commands.add_parser("add-indicator",
                              help="add a local indicator from a CSV, XLSX or any layer")
    add.add_argument("--pack", required=True)
    add.add_argument("--table", required=True, help="CSV, XLSX or any file OGR reads")
    add.add_argument("--id", required=True, help="short id: lower-case letters, digits, _")
    add.add_argument("--title", required=True)
    add.add_argument("--code-column", required=True, help="column of LSOA or MSOA codes")
    add.add_argument("--value-column")
    add.add_argument("--numerator-column")
    add.add_argument("--denominator-column")
    add.add_argument("--lower-column")
    add.add_argument("--upper-column")
    add.add_argument("--period")
    add.add_argument("--unit", help="e.g. %% or per 1,000 (a rate's multiplier comes from it)")
    add.add_argument("--polarity", default="no judgement",
                     choices=["high is good", "low is good", "no judgement"])
    add.add_argument("--domain", default="Local indicators")
    add.add_argument("--source", help="who publishes it (printed with every figure)")
    add.add_argument("--licence")
    add.add_argument("--sheet", help="XLSX sheet (default: the first)")
    add.add_argument("--replace", action="store_true", help="replace an indicator of this id")
    add.add_argument("--convert-2011", action="store_true",
                     help="a table on 2011 small areas, for a 2025-edition pack: convert its "
                     "codes through the ONS lookup (splits and merges are reported)")
    add.set_defaults(run=_add_indicator)
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
