"""Selecting neighbourhoods on the map by code, and reading back what the user selected.

Filters are built with QGIS's own quoting helpers, so names and codes with quotes
(e.g. "Naul's Mill & Bishopsgate Green") are safe.
"""

from __future__ import annotations

from qgis.core import QgsExpression, QgsFeatureRequest, QgsRectangle, QgsVectorLayer

CODE_FIELD = "code"


def code_filter(codes: list[str], field: str = CODE_FIELD) -> str:
    """An expression matching features whose ``field`` is one of ``codes``."""
    if len(codes) == 1:
        return QgsExpression.createFieldEqualityExpression(field, codes[0])
    quoted = ", ".join(QgsExpression.quotedValue(code) for code in codes)
    return f"{QgsExpression.quotedColumnRef(field)} IN ({quoted})"


def select_codes(layer: QgsVectorLayer, codes: list[str]) -> QgsRectangle:
    """Select the features with these codes; returns their combined extent (empty if none)."""
    if not codes:
        layer.removeSelection()
        return QgsRectangle()
    request = QgsFeatureRequest(QgsExpression(code_filter(codes)))
    request.setNoAttributes()
    ids = [feature.id() for feature in layer.getFeatures(request)]
    layer.selectByIds(ids)
    return layer.boundingBoxOfSelected()


def selected_codes(layer: QgsVectorLayer) -> list[str]:
    index = layer.fields().indexFromName(CODE_FIELD)
    if index < 0:
        return []
    return sorted(str(f[index]) for f in layer.selectedFeatures())
