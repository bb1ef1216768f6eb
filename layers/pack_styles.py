"""Saving the default styles into the pack's ``layer_styles`` table (QGIS's convention).

The pack then opens styled in plain QGIS or QField, with each theme selectable in the layer's
style manager, and every style can be exported as a ``.qml`` file.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProject

from ..core import schema, verify
from ..core.errors import JsnaInputError
from ..core.files import inside, replace_atomically
from . import styles
from .pack import open_pack
from .themes import apply_theme

# (style name, theme, options); the last one is the default style of the small-area layer.
# A GeoPackage's layer_styles table holds names of up to 30 characters.
SMALL_AREA_STYLES = (  # (style name, theme, options, the field it needs)
    ("Fuel poverty", "fuel_poverty", {}, "fuel_poverty"),
    ("Air quality", "air_quality", {}, "air_quality"),
    ("Population density", "population_density", {}, "residents_per_hectare"),
    ("Ethnicity: not White British", "ethnicity", {}, "ethnic_not_white_british"),
    ("No qualifications", "no_qualifications", {}, "no_qualifications"),
    ("Limiting long-term illness", "long_term_illness", {}, "limiting_long_term_illness"),
    ("Distance to a GP practice", "gp_access", {}, "gp_distance"),
    ("Crime (IoD {edition} decile)", "crime", {}, "crime_decile"),
    ("Deprivation change since 2019", "deprivation_change", {}, "imd_decile_change"),
    ("Deprivation (IMD {edition} decile)", "deprivation", {}, "imd_decile"),
)


def style_outlines(layers: dict) -> None:
    """Outline styles of the reference layers (hubs, neighbourhoods, city, AQMA, sites)."""
    outline = {
        schema.HUBS: dict(colour="#000000", width=0.9, label_size=11, bold=True,
                          priority=styles.LABEL_PRIORITY["hubs"]),
        schema.NEIGHBOURHOODS: dict(colour="#303030", width=0.35, label_size=7,
                                    priority=styles.LABEL_PRIORITY["neighbourhoods"]),
        schema.CITY: dict(colour="#000000", width=0.6),
        schema.AQMA: dict(colour="#b2182b", width=0.7, dashed=True),
    }
    for role, options in outline.items():
        if role in layers:
            styles.outline_renderer(layers[role], **options)
    if schema.MONITORING_SITES in layers:
        styles.monitoring_sites_renderer(layers[schema.MONITORING_SITES])
    if schema.SERVICES in layers:
        styles.services_renderer(layers[schema.SERVICES])
    if schema.SCHOOLS in layers:
        styles.schools_renderer(layers[schema.SCHOOLS])


def _save(layer, name: str, description: str, default: bool) -> None:
    error = layer.saveStyleToDatabase(name, description, default, "")
    if error:
        raise JsnaInputError(f"Could not save the style '{name}' into the pack: {error}")


def save_default_styles(pack_path: Path) -> None:
    """Apply every default style to the pack's layers and save them into the pack."""
    from ..qgis_runtime import ensure_qgis

    ensure_qgis()
    project = QgsProject()
    try:
        pack = open_pack(pack_path, project)
        style_outlines(pack.layers)
        for role in (schema.HUBS, schema.NEIGHBOURHOODS, schema.CITY, schema.AQMA,
                     schema.MONITORING_SITES, schema.SERVICES, schema.SCHOOLS):
            if role in pack.layers:
                _save(pack.layers[role], "JSNA default", "JSNA Area Profiles default style", True)
        small_areas = pack.layer(schema.SMALL_AREAS)
        for name, theme, options, field in SMALL_AREA_STYLES:
            if small_areas.fields().indexFromName(field) < 0:
                continue  # e.g. a pack with no fuel poverty figures
            title = apply_theme(pack, theme, **options)
            _save(small_areas, name.format(edition=pack.contents.edition), title,
                  name == SMALL_AREA_STYLES[-1][0])
    finally:
        project.clear()  # a project left holding layers crashes QGIS at exit


def export_qml(pack_path: Path, out_dir: Path) -> list[Path]:
    """Write each layer's default style from the pack as ``<layer>.qml`` in ``out_dir`` (and
    nowhere else, whatever the pack calls its layers)."""
    project = QgsProject()
    try:
        pack = open_pack(pack_path, project)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for role, layer in pack.layers.items():
            def write(tmp: Path, layer=layer, role=role) -> None:
                message, ok = layer.saveNamedStyle(str(tmp))
                if not ok:
                    raise JsnaInputError(f"Could not write {role}.qml: {message}")
            written.append(replace_atomically(inside(out_dir, f"{role}.qml"), write,
                                              lambda tmp: verify.xml_document(tmp, "qgis")))
    finally:
        project.clear()
    return written
