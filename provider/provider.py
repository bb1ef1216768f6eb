"""The provider QGIS lists in the Processing toolbox and qgis_process as ``jsna``."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider

from ..ui.icons import icon
from .algorithms import ALGORITHMS


class JsnaProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "jsna"

    def name(self) -> str:
        return "JSNA Area Profiles"

    def longName(self) -> str:  # noqa: N802 - QGIS's API
        return "JSNA Area Profiles: data packs, maps, comparisons and profiles"

    def icon(self):
        return icon("jsna")

    def loadAlgorithms(self) -> None:  # noqa: N802
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
