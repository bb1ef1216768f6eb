"""Dialog: style the small areas or neighbourhoods by a theme or any indicator."""

from __future__ import annotations

from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
)

from ..core import schema
from ..core.catalogue import CATALOGUE, IOD_DOMAINS
from ..layers.styles import METHODS

METHOD_LABELS = {"quantile": "Quantiles (equal count)", "equal_interval": "Equal interval",
                 "natural_breaks": "Natural breaks (Jenks)", "fixed": "Fixed breaks"}


class StyleDialog(QDialog):
    """Collects a theme and its options; the caller applies them with ``apply_theme``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("JSNA Area Profiles: style by indicator")
        form = QFormLayout(self)
        self.level = QComboBox()
        self.level.addItem("Small areas (LSOA)", schema.LEVEL_SMALL_AREA)
        self.level.addItem("Neighbourhoods (MSOA)", schema.LEVEL_NEIGHBOURHOOD)
        self.indicator = QComboBox()
        self.domain = QComboBox()
        self.domain.addItem("Index of Multiple Deprivation", "imd")
        for stem, name, _ in IOD_DOMAINS:
            self.domain.addItem(f"{name} domain", stem)
        self.method = QComboBox()
        for method in METHODS:
            self.method.addItem(METHOD_LABELS[method], method)
        self.classes = QSpinBox()
        self.classes.setRange(3, 9)
        self.classes.setValue(5)
        self.breaks = QLineEdit()
        self.breaks.setPlaceholderText("e.g. 10, 15, 20, 25 (fixed breaks only)")
        form.addRow("Areas", self.level)
        form.addRow("Indicator", self.indicator)
        form.addRow("Deprivation domain (deciles)", self.domain)
        form.addRow("Classification", self.method)
        form.addRow("Classes", self.classes)
        form.addRow("Breaks", self.breaks)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.level.currentIndexChanged.connect(self._fill_indicators)
        self.indicator.currentIndexChanged.connect(self._update_enabled)
        self.method.currentIndexChanged.connect(self._update_enabled)
        self._fill_indicators()

    def _fill_indicators(self) -> None:
        """Indicators published at the chosen level, grouped by JSNA domain."""
        level = self.level.currentData()
        self.indicator.clear()
        if level == schema.LEVEL_SMALL_AREA:
            self.indicator.addItem("Deprivation deciles (IMD 2019 or a domain)", "deprivation")
        for domain in schema.DOMAINS:
            for item in (i for i in CATALOGUE if i.domain == domain and level in i.levels
                         and i.value_type not in ("rank", "decile")):
                self.indicator.addItem(f"{domain} · {item.title} ({item.period})",
                                       item.indicator_id)
        self._update_enabled()

    def _update_enabled(self) -> None:
        deciles = self.indicator.currentData() == "deprivation"
        self.domain.setEnabled(deciles)
        self.method.setEnabled(not deciles)
        self.classes.setEnabled(not deciles and self.method.currentData() != "fixed")
        self.breaks.setEnabled(not deciles and self.method.currentData() == "fixed")

    def choice(self) -> tuple[str, str, dict]:
        """(theme, level, options) for ``layers.themes.apply_theme``; breaks are parsed there."""
        level = self.level.currentData()
        if self.indicator.currentData() == "deprivation":
            return "deprivation", level, {"domain": self.domain.currentData()}
        options = {"indicator_id": self.indicator.currentData(),
                   "method": self.method.currentData(), "classes": self.classes.value()}
        if options["method"] == "fixed":
            options["breaks_text"] = self.breaks.text()
        return "indicator", level, options
