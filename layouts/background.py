"""An optional OpenStreetMap background under report maps and profile maps: streets for
context, with its attribution on the page, and a clear message (no background, no failure)
when the tile server cannot be reached."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable

from qgis.core import QgsProject, QgsRasterLayer

from ..core import schema
from ..layers import styles
from ..layers.pack import use_available_operation

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "Background map © OpenStreetMap contributors (openstreetmap.org/copyright)"
BACKGROUND_ROLE = "background_osm"
BACKGROUND_NAME = "OpenStreetMap (background)"
TIMEOUT_S = 4
USER_AGENT = "JSNA-Area-Profiles-QGIS-plugin"


def background_url() -> str:
    """The tile server: OpenStreetMap's, or a council's own ($JSNA_BACKGROUND_URL)."""
    return os.environ.get("JSNA_BACKGROUND_URL", OSM_URL)


def _reachable(url: str) -> str:
    """'' when the server answers with a tile, else why not (one line)."""
    tile = url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    request = urllib.request.Request(tile, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310
            answer.read(1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))
    return ""


def background_layer(project: QgsProject, group, warn: Callable[[str], None]) -> \
        QgsRasterLayer | None:
    """The background layer (added once, unticked, at the foot of the pack's group), or None
    when the tile server cannot be reached, after ``warn`` has said so."""
    url = background_url()
    why = _reachable(url)
    if why:
        warn(f"The OpenStreetMap background could not be loaded ({why}); the map was made "
             "without it")
        return None
    for node in group.findLayers():
        if node.layer() is not None and styles.role(node.layer()) == BACKGROUND_ROLE:
            return node.layer()
    source = f"type=xyz&url={url.replace('&', '%26')}&zmax=19&zmin=0"
    layer = QgsRasterLayer(source, BACKGROUND_NAME, "wms")
    if not layer.isValid():
        warn("The OpenStreetMap background layer could not be made; the map was made without it")
        return None
    styles.set_role(layer, BACKGROUND_ROLE)
    use_available_operation(project, "EPSG:3857", schema.PACK_CRS)
    metadata = layer.metadata()
    metadata.setRights([OSM_ATTRIBUTION])
    layer.setMetadata(metadata)
    project.addMapLayer(layer, False)
    group.addLayer(layer).setItemVisibilityChecked(False)
    return layer
