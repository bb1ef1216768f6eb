"""Opening a data pack: check it is ours and complete, then add its layers as one group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsLayerTreeGroup,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)

from ..core import schema
from ..core.catalogue import register_pack_indicators
from ..core.errors import JsnaInputError
from . import styles

PACK_PROPERTY = "jsna/pack"
LAYER_TITLES = {
    schema.HUBS: "Family Hub reach areas",
    schema.MONITORING_SITES: "NO2 monitoring sites",
    schema.SERVICES: "GP practices and pharmacies",
    schema.NEIGHBOURHOODS: "Neighbourhoods (MSOA 2011)",
    schema.CITY: "{place} boundary",
    schema.AQMA: "Air Quality Management Area",
    schema.SMALL_AREAS: "Small areas (LSOA 2011)",
}
# Top of the layer tree first: outlines and points above the choropleth they describe.
LOAD_ORDER = (schema.HUBS, schema.SERVICES, schema.MONITORING_SITES, schema.NEIGHBOURHOODS,
              schema.CITY, schema.AQMA, schema.SMALL_AREAS)
# Shown by the themes that need them (AQMA: the whole city; services: the access theme).
HIDDEN_AT_FIRST = (schema.AQMA, schema.SERVICES)


@dataclass
class PackContents:
    """What a pack file holds, read without loading any layer."""

    path: Path
    place: str
    info: dict
    tables: set
    grids: list


def inspect_pack(path: str | Path) -> PackContents:
    """Check ``path`` is a complete JSNA pack; raise a one-line error naming what is wrong."""
    from osgeo import gdal, ogr

    path = Path(path)
    if not path.is_file():
        raise JsnaInputError(f"Data pack not found: {path}")
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
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
    finally:
        gdal.PopErrorHandler()
    grids = [g for g in (info.get("background_grids") or "").split(",") if g]
    strange = [g for g in grids if not re.match(schema.BACKGROUND_GRID_NAME, g)]
    if strange:
        raise JsnaInputError(f"{path.name}: the pack names a background grid '{strange[0]}', "
                             "which is not a grid table's name; rebuild it with 'jsna build-pack'")
    register_pack_indicators(catalogue_rows)
    return PackContents(path, info.get("place") or path.stem, info, tables, grids)


@dataclass
class LoadedPack:
    """A pack's layers in the project, by role (schema layer name or grid table name)."""

    contents: PackContents
    group: QgsLayerTreeGroup
    layers: dict = field(default_factory=dict)

    def layer(self, role: str):
        if role not in self.layers:
            raise JsnaInputError(f"The pack {self.contents.path.name} has no '{role}' layer loaded")
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
    abstract = [f"{LAYER_TITLES[table].format(place=contents.place)} from the JSNA data pack "
                f"{contents.path.name}."]
    if table in (schema.HUBS, schema.NEIGHBOURHOODS):
        abstract.append(f"Hub membership from {contents.info.get('hub_lookup', 'the lookup')}. "
                        + hub_notes)
    metadata.setAbstract(" ".join(abstract))
    metadata.setRights([contents.info.get("boundary_attribution", ""),
                        contents.info.get("names_attribution", "")])
    layer.setMetadata(metadata)


def _find_group(project: QgsProject, path: Path) -> QgsLayerTreeGroup | None:
    for group in project.layerTreeRoot().findGroups(True):
        if group.customProperty(PACK_PROPERTY) == str(path):
            return group
    return None


def _layer_by_role(group: QgsLayerTreeGroup) -> dict:
    return {styles.role(node.layer()): node.layer() for node in group.findLayers()
            if node.layer() is not None}


def open_pack(path: str | Path, project: QgsProject | None = None) -> LoadedPack:
    """Add the pack's layers to the project as a group named after its place (once only).

    Layers open with the styles saved in the pack's ``layer_styles`` table.
    """
    project = project or QgsProject.instance()
    contents = inspect_pack(path)
    resolved = contents.path.resolve()
    existing = _find_group(project, resolved)
    if existing is not None:
        return LoadedPack(contents, existing, _layer_by_role(existing))
    loaded: dict = {}
    hub_notes = ""
    for table in LOAD_ORDER:
        if table not in contents.tables:
            continue
        title = LAYER_TITLES[table].format(place=contents.place)
        layer = QgsVectorLayer(f"{resolved}|layername={table}", title, "ogr")
        if not layer.isValid() and "%" in str(resolved):
            # GDAL 3.6 opens read-only GeoPackages through an SQLite URI that decodes "%41"
            raise JsnaInputError(f"QGIS cannot open a GeoPackage whose path has '%' in it "
                                 f"({resolved}); rename that folder or file, or move the pack")
        if not layer.isValid():
            raise JsnaInputError(f"{contents.path.name}: layer '{table}' cannot be opened")
        styles.set_role(layer, table)
        if table == schema.HUBS:
            hub_notes = " ".join(f"{f['name']}: {f['membership_note']}." for f in layer.getFeatures())
        _describe(layer, table, contents, hub_notes)
        loaded[table] = layer
    for grid in contents.grids:
        layer = QgsRasterLayer(f"GPKG:{resolved}:{grid}", grid.replace("_", " ").capitalize())
        if not layer.isValid():
            raise JsnaInputError(f"{contents.path.name}: grid '{grid}' cannot be opened")
        styles.background_grid_renderer(layer)
        styles.set_role(layer, grid)
        loaded[grid] = layer
    if project.crs() != QgsCoordinateReferenceSystem(schema.PACK_CRS):
        project.setCrs(QgsCoordinateReferenceSystem(schema.PACK_CRS))
    group = project.layerTreeRoot().insertGroup(0, contents.place)
    group.setCustomProperty(PACK_PROPERTY, str(resolved))
    for layer in loaded.values():
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    for role in HIDDEN_AT_FIRST:
        if role in loaded:
            group.findLayer(loaded[role].id()).setItemVisibilityChecked(False)
    return LoadedPack(contents, group, loaded)
