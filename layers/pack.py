"""Opening a data pack: check it is ours and complete, then add its layers as one group."""

from __future__ import annotations

import contextlib
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsDataSourceUri,
    QgsLayerTreeGroup,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)

from ..core import schema
from ..core.catalogue import register_pack_indicators
from ..core.errors import JsnaInputError
from ..core.gdal_calls import quiet_gdal
from ..core.packstore import PackLocation, check_format_version, open_reader, parse_location
from ..core.recipes import EDITION_NAMES, EDITION_OF_OLDER_PACKS
from . import styles

PACK_PROPERTY = "jsna/pack"
# Short names, so the layers panel shows them whole; what they are is in the layer metadata.
LAYER_TITLES = {
    schema.HUBS: "Family Hub areas",
    schema.MONITORING_SITES: "NO2 monitoring sites",
    schema.SERVICES: "GPs and pharmacies",
    schema.SCHOOLS: "Schools",
    schema.NEIGHBOURHOODS: "Neighbourhoods",
    schema.CITY: "{place} boundary",
    schema.AQMA: "AQMA (air quality)",
    schema.SMALL_AREAS: "Small areas",
}
LAYER_DESCRIPTIONS = {
    schema.SERVICES: "Active GP practices and pharmacies (NHS ODS), placed at their postcodes",
    schema.SCHOOLS: "Open schools, colleges and universities (DfE Get Information About Schools)",
    schema.AQMA: "Air Quality Management Area",
    schema.HUBS: "Family Hub reach areas, dissolved from their neighbourhoods",
    schema.NEIGHBOURHOODS: "Neighbourhoods: middle layer super output areas (MSOA {year}), "
                           "named by the House of Commons Library",
    schema.SMALL_AREAS: "Small areas: lower layer super output areas (LSOA {year})",
}
APPROXIMATE_MEANING = (
    "Hub membership is held per small area (LSOA). An approximate member is a small area whose "
    "Family Hub is not given by an official lookup: the JSNA names its neighbourhood only in "
    "part or by a local name, and it is nearer that hub's site than any other; or no profile "
    "names it, and it goes to the nearest hub site (straight line to the hub's postcode). A "
    "neighbourhood split between hubs counts in each with the share of its residents inside. "
    "Build the pack with the council's own lookup (jsna build-pack --hub-lookup) to replace "
    "them.")
# Top of the layer tree first: outlines and points above the choropleth they describe.
LOAD_ORDER = (schema.HUBS, schema.SERVICES, schema.SCHOOLS, schema.MONITORING_SITES,
              schema.NEIGHBOURHOODS, schema.CITY, schema.AQMA, schema.SMALL_AREAS)
# Shown by the themes that need them (AQMA: the whole city; services: the access theme); the
# schools are ticked on by the user, beside the services.
HIDDEN_AT_FIRST = (schema.AQMA, schema.SERVICES, schema.SCHOOLS)


@dataclass
class PackContents:
    """What a pack holds (a GeoPackage, or a schema on a server), read without loading any
    layer."""

    location: PackLocation
    place: str
    info: dict
    tables: set
    grids: list
    geometry_columns: dict = field(default_factory=dict)  # a server pack's: table -> column

    @property
    def path(self) -> Path | None:
        """The GeoPackage's path (None for a pack on a server)."""
        return self.location.path

    @property
    def name(self) -> str:
        """The pack's file name, or its schema's."""
        return self.location.name

    @property
    def edition(self) -> str:
        """The edition the pack holds (packs from before editions are of the 2019 one)."""
        return self.info.get("edition") or EDITION_OF_OLDER_PACKS


def inspect_pack(path: str | Path | PackLocation) -> PackContents:
    """Check ``path`` (a GeoPackage, or ``PG:<connection> schema=<name>``) is a complete JSNA
    pack; raise a one-line error naming what is wrong."""
    location = parse_location(path)
    if location.on_server:
        return _inspect_server_pack(location)
    path = location.path
    if not path.is_file():
        raise JsnaInputError(f"Data pack not found: {path}")
    with quiet_gdal() as (_gdal, ogr, _osr):
        source = ogr.Open(str(path), 0)
        if source is None or source.GetDriver().GetName() != "GPKG":
            raise JsnaInputError(f"{path.name} is not a GeoPackage (or it is damaged)")
        tables = {source.GetLayerByIndex(i).GetName() for i in range(source.GetLayerCount())}
        if schema.PACK_INFO not in tables:
            raise JsnaInputError(f"{path.name} is a GeoPackage but not a JSNA data pack "
                                 f"(no '{schema.PACK_INFO}' table)")
        missing = [t for t in schema.REQUIRED_LAYERS if t not in tables]
        if missing:
            raise JsnaInputError(f"{path.name}: the pack is missing the layer '{missing[0]}'; "
                                 "rebuild it with 'jsna build-pack'")
        info = {f.GetField("key"): f.GetField("value")
                for f in source.GetLayerByName(schema.PACK_INFO)}
        catalogue = source.GetLayerByName(schema.CATALOGUE)
        definition = catalogue.GetLayerDefn()
        present = [key for key in schema.CATALOGUE_COLUMNS if definition.GetFieldIndex(key) >= 0]
        catalogue_rows = [{key: f.GetField(key) for key in present} for f in catalogue]
    grids = [g for g in (info.get("background_grids") or "").split(",") if g]
    strange = [g for g in grids if not re.match(schema.BACKGROUND_GRID_NAME, g)]
    if strange:
        raise JsnaInputError(f"{path.name}: the pack names a background grid '{strange[0]}', "
                             "which is not a grid table's name; rebuild it with 'jsna build-pack'")
    _check_edition(info, path.name)
    register_pack_indicators(catalogue_rows, info.get("edition") or EDITION_OF_OLDER_PACKS)
    return PackContents(location, info.get("place") or path.stem, info, tables, grids)


def _check_edition(info: dict, name: str) -> None:
    check_format_version(info, name)
    edition = info.get("edition") or EDITION_OF_OLDER_PACKS
    if edition not in EDITION_NAMES:
        raise JsnaInputError(f"{name}: the pack is of an edition this plugin does not know "
                             f"('{edition}'); update the plugin")


def _inspect_server_pack(location: PackLocation) -> PackContents:
    """The same checks for a pack on a server (background grids stay in GeoPackages)."""
    with open_reader(location) as reader:
        tables = {r[0] for r in reader.rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ? AND c.relkind IN ('r', 'v', 'p')", (location.schema,))}
        missing = [t for t in schema.REQUIRED_LAYERS if t not in tables]
        if missing:
            raise JsnaInputError(f"{location.name}: the pack on the server is missing the "
                                 f"layer '{missing[0]}'; publish it again")
        info = dict(reader.rows(f"SELECT key, value FROM {schema.PACK_INFO}"))
        catalogue = reader.frame(f"SELECT * FROM {schema.CATALOGUE}")
        geometry = dict(reader.rows("SELECT f_table_name, f_geometry_column FROM "
                                    "geometry_columns WHERE f_table_schema = ?",
                                    (location.schema,)))
    _check_edition(info, location.name)
    present = [c for c in schema.CATALOGUE_COLUMNS if c in catalogue.columns]
    register_pack_indicators(catalogue[present].to_dict("records"),
                             info.get("edition") or EDITION_OF_OLDER_PACKS)
    return PackContents(location, info.get("place") or location.schema, info, tables, [],
                        geometry)


def use_available_operation(project: QgsProject, source: str, destination: str) -> None:
    """Where the preferred transform between two CRSs needs a grid this machine lacks (OSTN15
    on Debian), tell the project which installed one to use, so QGIS has nothing to warn
    about."""
    crs = QgsCoordinateReferenceSystem(source), QgsCoordinateReferenceSystem(destination)
    operation = _available_operation(source, destination)
    context = project.transformContext()
    if operation and not context.hasTransform(*crs):  # QGIS also runs it backwards
        context.addCoordinateOperation(*crs, operation)
        project.setTransformContext(context)


@functools.cache
def _available_operation(source: str, destination: str) -> str:
    """The PROJ string of the most accurate installed operation, when the preferred one is not
    installed; '' when the preferred one is. Asked once per process: PROJ writes a line on
    stderr for each missing grid it tries, which the command line should not show."""
    from qgis.core import QgsDatumTransform

    with _stderr_silenced():
        operations = QgsDatumTransform.operations(QgsCoordinateReferenceSystem(source),
                                                  QgsCoordinateReferenceSystem(destination))
    if not operations or operations[0].isAvailable:
        return ""
    return next((o.proj for o in operations if o.isAvailable), "")


@contextlib.contextmanager
def _stderr_silenced():
    """File descriptor 2 pointed at /dev/null for a moment (PROJ writes there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (a Windows GUI): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def membership_summary(layer: QgsVectorLayer) -> tuple[str, str]:
    """(one short line, the full explanation) of how hub membership was decided, from the
    hubs layer's notes ("3 of 15 small areas approximate (...)")."""
    notes, approximate, total = [], 0, 0
    for feature in layer.getFeatures():
        note = str(feature["membership_note"] or "")
        notes.append(f"{feature['name']}: {note}")
        found = re.match(r"(?:(\d+) of |all )(\d+) (?:small areas|neighbourhoods?)", note)
        if found:
            approximate += int(found.group(1) or 0)
            total += int(found.group(2))
    if not approximate:
        return "hub membership as published", "\n".join(notes)
    short = f"{approximate} of {total} small areas are approximate hub members"
    return short, "\n\n".join([APPROXIMATE_MEANING, "\n".join(notes)])


@dataclass
class LoadedPack:
    """A pack's layers in the project, by role (schema layer name or grid table name)."""

    contents: PackContents
    group: QgsLayerTreeGroup
    layers: dict = field(default_factory=dict)

    def layer(self, role: str):
        if role not in self.layers:
            raise JsnaInputError(f"The pack {self.contents.name} has no '{role}' layer loaded")
        return self.layers[role]

    @property
    def extent(self) -> QgsRectangle:
        return self.layer(schema.CITY).extent()

    def city_value(self, indicator_id: str) -> float | None:
        """The place's own value of an indicator (for 'compared with the city average')."""
        city = self.layer(schema.CITY)
        if city.fields().indexFromName(indicator_id) < 0:
            return None
        feature = next(city.getFeatures(), None)
        value = feature[indicator_id] if feature else None
        return float(value) if value not in (None, "") else None


def _describe(layer: QgsVectorLayer, table: str, contents: PackContents, hub_notes: str) -> None:
    """Layer metadata: where the layer comes from, and which hub memberships are approximate."""
    metadata = layer.metadata()
    year = "2021" if contents.edition == "2025" else "2011"  # the edition's small areas
    title = LAYER_DESCRIPTIONS.get(table, LAYER_TITLES[table]).format(place=contents.place,
                                                                      year=year)
    metadata.setTitle(title)
    abstract = [f"{title}, from the JSNA data pack {contents.name}."]
    if table in (schema.HUBS, schema.NEIGHBOURHOODS):
        abstract.append(f"Hub membership from {contents.info.get('hub_lookup', 'the lookup')}. "
                        + hub_notes)
        if "approximate" in hub_notes:
            abstract.append(APPROXIMATE_MEANING)
    metadata.setAbstract(" ".join(abstract))
    metadata.setRights([contents.info.get("boundary_attribution", ""),
                        contents.info.get("names_attribution", "")])
    layer.setMetadata(metadata)


def _find_group(project: QgsProject, where: str) -> QgsLayerTreeGroup | None:
    for group in project.layerTreeRoot().findGroups(True):
        if group.customProperty(PACK_PROPERTY) == where:
            return group
    return None


def pack_key(contents: PackContents) -> str:
    """How a project remembers the pack it opened: the GeoPackage's whole path, or the
    server location (connection keywords and schema: never a password)."""
    return str(contents.path.resolve()) if contents.path else str(contents.location)


def _vector_layer(contents: PackContents, table: str, title: str) -> QgsVectorLayer:
    """One of the pack's layers: from the GeoPackage (ogr), or from the server (postgres,
    keyed on fid; its default style comes from the server's layer_styles)."""
    if contents.path is None:
        uri = QgsDataSourceUri(contents.location.conninfo)
        uri.setDataSource(contents.location.schema, table,
                          contents.geometry_columns.get(table, ""), "", "fid")
        return QgsVectorLayer(uri.uri(False), title, "postgres")
    resolved = contents.path.resolve()
    layer = QgsVectorLayer(f"{resolved}|layername={table}", title, "ogr")
    if not layer.isValid() and "%" in str(resolved):
        # GDAL 3.6 opens read-only GeoPackages through an SQLite URI that decodes "%41"
        raise JsnaInputError(f"QGIS cannot open a GeoPackage whose path has '%' in it "
                             f"({resolved}); rename that folder or file, or move the pack")
    return layer


def _layer_by_role(group: QgsLayerTreeGroup) -> dict:
    return {styles.role(node.layer()): node.layer() for node in group.findLayers()
            if node.layer() is not None}


def open_pack(path: str | Path, project: QgsProject | None = None) -> LoadedPack:
    """Add the pack's layers to the project as a group named after its place (once only).

    Layers open with the styles saved in the pack's ``layer_styles`` table.
    """
    project = project or QgsProject.instance()
    contents = inspect_pack(path)
    existing = _find_group(project, pack_key(contents))
    if existing is not None:
        return LoadedPack(contents, existing, _layer_by_role(existing))
    loaded: dict = {}
    hub_notes = ""
    for table in LOAD_ORDER:
        if table not in contents.tables:
            continue
        title = LAYER_TITLES[table].format(place=contents.place)
        layer = _vector_layer(contents, table, title)
        if not layer.isValid():
            raise JsnaInputError(f"{contents.name}: layer '{table}' cannot be opened")
        styles.set_role(layer, table, contents.edition)
        if table == schema.HUBS:
            hub_notes = " ".join(f"{f['name']}: {f['membership_note']}." for f in layer.getFeatures())
        _describe(layer, table, contents, hub_notes)
        loaded[table] = layer
    for grid in contents.grids:
        layer = QgsRasterLayer(f"GPKG:{contents.path.resolve()}:{grid}",
                               grid.replace("_", " ").capitalize())
        if not layer.isValid():
            raise JsnaInputError(f"{contents.name}: grid '{grid}' cannot be opened")
        styles.background_grid_renderer(layer)
        styles.set_role(layer, grid, contents.edition)
        loaded[grid] = layer
    # Before the CRS changes (QGIS measures with it at once): distances on British National
    # Grid's own ellipsoid, and an installed operation to WGS 84, so nothing needs the OSTN15
    # grid QGIS would warn about on every open where it is not installed.
    use_available_operation(project, schema.PACK_CRS, "EPSG:4326")
    project.setEllipsoid(schema.PACK_ELLIPSOID)
    if project.crs() != QgsCoordinateReferenceSystem(schema.PACK_CRS):
        project.setCrs(QgsCoordinateReferenceSystem(schema.PACK_CRS))
    # A new project's annotation layer is in WGS 84: in the pack's CRS, a reopened project
    # needs no transform before its transform context is read.
    project.mainAnnotationLayer().setCrs(QgsCoordinateReferenceSystem(schema.PACK_CRS))
    group = project.layerTreeRoot().insertGroup(0, contents.place)
    group.setCustomProperty(PACK_PROPERTY, pack_key(contents))
    for layer in loaded.values():
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    for role in HIDDEN_AT_FIRST:
        if role in loaded:
            group.findLayer(loaded[role].id()).setItemVisibilityChecked(False)
    return LoadedPack(contents, group, loaded)
