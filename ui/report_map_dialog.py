"""Dialog: which report map, of which area, on which paper."""

from __future__ import annotations

from qgis.core import QgsSettings
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout

from ..core import schema
from ..core.catalogue import CATALOGUES, lookup
from ..core.formatting import indicator_label
from ..core.recipes import DEFAULT_EDITION
from ..layouts.items import ORIENTATIONS, PAPER_SIZES, Paper
from ..layouts.report_map import ReportMap

# Each offered where the open pack's edition has its indicator for small areas.
MAPS = (("Deprivation (IMD {edition} deciles)", "deprivation"),
        ("Change in deprivation since 2019 (IMD decile steps)", "deprivation_change"),
        ("Fuel poverty", "fuel_poverty"),
        ("Air quality (IoD indicator, {period} data)", "air_quality"),
        ("Population density (residents per hectare)", "population_density"),
        ("Ethnic groups other than White British", "ethnicity"),
        ("No qualifications", "no_qualifications"),
        ("Limiting long-term illness", "long_term_illness"),
        ("Access to GP practices (with practices and pharmacies)", "gp_access"),
        ("Crime (IoD {edition} domain deciles)", "crime"))
EXTENT_LABELS = {"hub": "A hub", "neighbourhood": "A neighbourhood", "city": "The whole city"}
HUB_SETTING = "jsna_area_profiles/hub"
ERROR_STYLE = "color: #b00020"


def offered_maps(edition: str) -> list[tuple[str, str]]:
    """(menu text, theme) of the maps a pack of this edition can draw for small areas."""
    offered = []
    for text, theme in MAPS:
        indicator = lookup(schema.MAP_THEME_FIELDS[theme], edition)
        if indicator is not None and schema.LEVEL_SMALL_AREA in indicator.levels:
            offered.append((text.format(edition=edition, period=indicator.period), theme))
    return offered


def remembered_hub(hubs: list[str]) -> str | None:
    """The hub last chosen in any of the plugin's dialogs, if this pack has it."""
    hub = QgsSettings().value(HUB_SETTING, "")
    return hub if hub in hubs else (hubs[0] if hubs else None)


def remember_hub(hub: str) -> None:
    QgsSettings().setValue(HUB_SETTING, hub)


def background_checkbox() -> QCheckBox:
    box = QCheckBox("OpenStreetMap background (needs the internet; © OpenStreetMap "
                    "contributors is added to the page)")
    box.setObjectName("background")
    return box


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

    def __init__(self, hubs: list[str], neighbourhoods: list[tuple[str, str]], parent=None,
                 edition: str = DEFAULT_EDITION):
        super().__init__(parent)
        self.setWindowTitle("JSNA Area Profiles: report map")
        self.hubs, self.neighbourhoods = hubs, neighbourhoods
        form = QFormLayout(self)
        self.map = QComboBox()
        self.map.setObjectName("map")
        for text, theme in offered_maps(edition):
            self.map.addItem(text, (theme, None))
        for ind in CATALOGUES[edition]:  # the open pack's edition's indicators
            if schema.LEVEL_NEIGHBOURHOOD in ind.levels and ind.value_type != "count":
                self.map.addItem(f"Indicator: {indicator_label(ind)}", ("indicator", ind))
        self.extent = QComboBox()
        self.extent.setObjectName("extent")
        for key, text in EXTENT_LABELS.items():
            self.extent.addItem(text, key)
        self.area = QComboBox()
        self.area.setObjectName("area")
        self.paper = paper_combo()
        self.background = background_checkbox()
        form.addRow("Map", self.map)
        form.addRow("Extent", self.extent)
        form.addRow("Area", self.area)
        form.addRow("Paper", self.paper)
        form.addRow("", self.background)
        form.addRow(ok_cancel(self))
        self.setMinimumWidth(560)
        self.extent.currentIndexChanged.connect(self._fill_areas)
        self._fill_areas()

    def _fill_areas(self, *_args) -> None:
        self.area.clear()
        kind = self.extent.currentData()
        if kind == "hub":
            for hub in self.hubs:
                self.area.addItem(hub, hub)
            self.area.setCurrentIndex(max(0, self.area.findData(remembered_hub(self.hubs))))
        elif kind == "neighbourhood":
            for code, name in self.neighbourhoods:
                self.area.addItem(name, code)
        self.area.setEnabled(kind != "city")

    def accept(self) -> None:
        if self.extent.currentData() == "hub":
            remember_hub(self.area.currentData())
        super().accept()

    def choice(self) -> ReportMap:
        theme, indicator = self.map.currentData()
        size, orientation = self.paper.currentData()
        options = {"indicator_id": indicator.indicator_id} if indicator else {}
        level = schema.LEVEL_NEIGHBOURHOOD if indicator and schema.LEVEL_SMALL_AREA not in \
            indicator.levels else schema.LEVEL_SMALL_AREA
        return ReportMap(theme, self.extent.currentData(), self.area.currentData(),
                         Paper(size, orientation), level, options,
                         background=self.background.isChecked())
