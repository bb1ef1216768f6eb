"""Dialog: which report map, of which area, on which paper."""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout

from ..core import schema
from ..core.catalogue import CATALOGUE
from ..layouts.items import ORIENTATIONS, PAPER_SIZES, Paper
from ..layouts.report_map import ReportMap

MAPS = (("Deprivation (IMD 2019 deciles)", "deprivation"), ("Fuel poverty", "fuel_poverty"),
        ("Air quality (IoD 2019 indicator)", "air_quality"),
        ("Population density (residents per hectare)", "population_density"),
        ("Ethnic groups other than White British", "ethnicity"),
        ("No qualifications", "no_qualifications"),
        ("Limiting long-term illness", "long_term_illness"),
        ("Access to GP practices (with practices and pharmacies)", "gp_access"),
        ("Crime (IoD 2019 domain deciles)", "crime"))
EXTENT_LABELS = {"hub": "A hub", "neighbourhood": "A neighbourhood", "city": "The whole city"}


def paper_combo() -> QComboBox:
    """A4/A3 in either orientation; data (size, orientation)."""
    combo = QComboBox()
    combo.setObjectName("paper")
    for size in PAPER_SIZES:
        for orientation in ORIENTATIONS:
            combo.addItem(f"{size} {orientation}", (size, orientation))
    return combo


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class ReportMapDialog(QDialog):
    """Collects a ReportMap; the plugin builds the layout and opens it in the designer."""

    def __init__(self, hubs: list[str], neighbourhoods: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("JSNA Area Profiles: report map")
        self.hubs, self.neighbourhoods = hubs, neighbourhoods
        form = QFormLayout(self)
        self.map = QComboBox()
        self.map.setObjectName("map")
        for text, theme in MAPS:
            self.map.addItem(text, (theme, None))
        for ind in CATALOGUE:
            if schema.LEVEL_NEIGHBOURHOOD in ind.levels and ind.value_type != "count":
                self.map.addItem(f"Indicator: {ind.title} ({ind.period})", ("indicator", ind))
        self.extent = QComboBox()
        self.extent.setObjectName("extent")
        for key, text in EXTENT_LABELS.items():
            self.extent.addItem(text, key)
        self.area = QComboBox()
        self.area.setObjectName("area")
        self.paper = paper_combo()
        form.addRow("Map", self.map)
        form.addRow("Extent", self.extent)
        form.addRow("Area", self.area)
        form.addRow("Paper", self.paper)
        form.addRow(ok_cancel(self))
        self.extent.currentIndexChanged.connect(self._fill_areas)
        self._fill_areas()

    def _fill_areas(self, *_args) -> None:
        self.area.clear()
        kind = self.extent.currentData()
        if kind == "hub":
            for hub in self.hubs:
                self.area.addItem(hub, hub)
        elif kind == "neighbourhood":
            for code, name in self.neighbourhoods:
                self.area.addItem(name, code)
        self.area.setEnabled(kind != "city")

    def choice(self) -> ReportMap:
        theme, indicator = self.map.currentData()
        size, orientation = self.paper.currentData()
        options = {"indicator_id": indicator.indicator_id} if indicator else {}
        level = schema.LEVEL_NEIGHBOURHOOD if indicator and schema.LEVEL_SMALL_AREA not in \
            indicator.levels else schema.LEVEL_SMALL_AREA
        return ReportMap(theme, self.extent.currentData(), self.area.currentData(),
                         Paper(size, orientation), level, options)
