"""Dialog: style the small areas or neighbourhoods by a theme or any indicator."""

from __future__ import annotations

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
)

from ..core import schema
from ..core.catalogue import CATALOGUES, IOD_DOMAINS
from ..core.errors import JsnaInputError
from ..core.formatting import indicator_label
from ..core.recipes import DEFAULT_EDITION
from ..layers.styles import METHODS
from ..layers.themes import parse_breaks
from .report_map_dialog import ERROR_STYLE

METHOD_LABELS = {"quantile": "Quantiles (equal count)", "equal_interval": "Equal interval",
                 "natural_breaks": "Natural breaks (Jenks)", "fixed": "Fixed breaks"}
DEPRIVATION = "deprivation"
SEARCHED_ROLE = Qt.ItemDataRole.UserRole + 1
SETTINGS_PREFIX = "jsna_area_profiles/style_dialog/"


class StyleDialog(QDialog):
    """Collects a theme and its options; the caller applies them with ``apply_theme``.

    The list of indicators can be filtered by typing; the last choices are remembered; breaks
    are checked here, next to the field, so a mistake never closes the dialog.
    """

    def __init__(self, parent=None, edition: str = DEFAULT_EDITION):
        super().__init__(parent)
        self.edition = edition  # the open pack's: its indicators are listed
        self.setWindowTitle("JSNA Area Profiles: map any indicator")
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.level = QComboBox()
        self.level.setObjectName("level")
        self.level.addItem("Small areas (LSOA)", schema.LEVEL_SMALL_AREA)
        self.level.addItem("Neighbourhoods (MSOA)", schema.LEVEL_NEIGHBOURHOOD)
        form.addRow("Areas", self.level)
        self.filter = QLineEdit()
        self.filter.setObjectName("filter")
        self.filter.setPlaceholderText("Type to filter, e.g. fuel, children, 2011")
        self.filter.setClearButtonEnabled(True)
        form.addRow("Find", self.filter)
        layout.addLayout(form)
        self.indicators = QListWidget()
        self.indicators.setObjectName("indicators")
        self.indicators.setMinimumHeight(220)
        layout.addWidget(self.indicators, 1)
        options = QFormLayout()
        self.domain = QComboBox()
        self.domain.setObjectName("domain")
        self.domain.addItem("Index of Multiple Deprivation", "imd")
        for stem, name, _ in IOD_DOMAINS:
            self.domain.addItem(f"{name} domain", stem)
        self.method = QComboBox()
        self.method.setObjectName("method")
        for method in METHODS:
            self.method.addItem(METHOD_LABELS[method], method)
        self.classes = QSpinBox()
        self.classes.setObjectName("classes")
        self.classes.setRange(3, 9)
        self.classes.setValue(5)
        self.breaks = QLineEdit()
        self.breaks.setObjectName("breaks")
        self.breaks.setPlaceholderText("e.g. 10, 15, 20, 25 (fixed breaks only)")
        self.breaks_error = QLabel()
        self.breaks_error.setObjectName("breaks_error")
        self.breaks_error.setStyleSheet(ERROR_STYLE)
        self.breaks_error.setWordWrap(True)
        self.breaks_error.hide()
        options.addRow("Deprivation domain (deciles)", self.domain)
        options.addRow("Classification", self.method)
        options.addRow("Classes", self.classes)
        options.addRow("Breaks", self.breaks)
        options.addRow("", self.breaks_error)
        layout.addLayout(options)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.level.currentIndexChanged.connect(self._fill_indicators)
        self.filter.textChanged.connect(self._apply_filter)
        self.indicators.currentItemChanged.connect(self._update_enabled)
        self.method.currentIndexChanged.connect(self._update_enabled)
        self.breaks.textChanged.connect(lambda _text: self.breaks_error.hide())
        self._restore()

    # Choices --------------------------------------------------------------------------------
    def _fill_indicators(self) -> None:
        """Indicators published at the chosen level, grouped by JSNA domain."""
        level = self.level.currentData()
        chosen = self.indicator_id
        self.indicators.clear()
        if level == schema.LEVEL_SMALL_AREA:
            self._add_item(f"Deprivation deciles (IMD {self.edition} or a domain)", DEPRIVATION,
                           "deprivation deciles imd")
        for domain in schema.DOMAINS:
            self._add_heading(domain)
            for item in (i for i in CATALOGUES[self.edition] if i.domain == domain
                         and level in i.levels
                         and i.value_type not in ("rank", "decile")):
                label = indicator_label(item)
                self._add_item(label.split(" · ", 1)[1], item.indicator_id, label)
        self.set_indicator(chosen)
        self._apply_filter(self.filter.text())

    def _add_item(self, text: str, key: str, searched: str) -> None:
        item = QListWidgetItem(text, self.indicators)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setData(SEARCHED_ROLE, searched.casefold())
        item.setToolTip(searched)

    def _add_heading(self, domain: str) -> None:
        """A JSNA chapter's heading: shown in bold, never chosen."""
        item = QListWidgetItem(domain, self.indicators)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setData(SEARCHED_ROLE, None)

    def _apply_filter(self, text: str) -> None:
        """Hide the indicators whose domain, title, unit and period do not hold every word
        typed, and the headings left with nothing under them."""
        words = text.casefold().split()
        first_shown, heading, heading_used = None, None, False
        for row in range(self.indicators.count()):
            item = self.indicators.item(row)
            searched = item.data(SEARCHED_ROLE)
            if searched is None:
                if heading is not None:
                    heading.setHidden(not heading_used)
                heading, heading_used = item, False
                continue
            hidden = not all(w in searched for w in words)
            item.setHidden(hidden)
            heading_used |= not hidden
            if not hidden and first_shown is None:
                first_shown = item
        if heading is not None:
            heading.setHidden(not heading_used)
        current = self.indicators.currentItem()
        if (current is None or current.isHidden()) and first_shown is not None:
            self.indicators.setCurrentItem(first_shown)

    @property
    def indicator_id(self) -> str | None:
        item = self.indicators.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def set_indicator(self, key: str | None) -> None:
        """Choose ``key``, or the first indicator when the list has no such one."""
        rows = [r for r in range(self.indicators.count())
                if self.indicators.item(r).flags() & Qt.ItemFlag.ItemIsSelectable]
        wanted = [r for r in rows if self.indicators.item(r).data(Qt.ItemDataRole.UserRole) == key]
        if wanted or rows:
            self.indicators.setCurrentRow((wanted or rows)[0])

    def _update_enabled(self, *_args) -> None:
        deciles = self.indicator_id == DEPRIVATION
        self.domain.setEnabled(deciles)
        self.method.setEnabled(not deciles)
        self.classes.setEnabled(not deciles and self.method.currentData() != "fixed")
        self.breaks.setEnabled(not deciles and self.method.currentData() == "fixed")

    # Checking and remembering -------------------------------------------------------------------
    def accept(self) -> None:
        """Close only when the choice is complete; otherwise say what is wrong beside it."""
        if self.indicator_id is None:
            self.filter.setFocus()
            return
        if self.breaks.isEnabled():
            try:
                parse_breaks(self.breaks.text())
            except JsnaInputError as exc:
                self.breaks_error.setText(str(exc))
                self.breaks_error.show()
                self.breaks.setFocus()
                return
        self._remember()
        super().accept()

    def _remember(self) -> None:
        settings = QgsSettings()
        for key, value in (("level", self.level.currentData()), ("indicator", self.indicator_id),
                           ("domain", self.domain.currentData()),
                           ("method", self.method.currentData()),
                           ("classes", self.classes.value()), ("breaks", self.breaks.text())):
            settings.setValue(SETTINGS_PREFIX + key, value)

    def _restore(self) -> None:
        settings = QgsSettings()

        def saved(key: str, default=None):
            return settings.value(SETTINGS_PREFIX + key, default)
        for combo, key in ((self.level, "level"), (self.domain, "domain"),
                           (self.method, "method")):
            index = combo.findData(saved(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        self.classes.setValue(int(saved("classes", 5) or 5))
        self.breaks.setText(str(saved("breaks", "") or ""))
        self._fill_indicators()
        self.set_indicator(saved("indicator"))
        self._update_enabled()

    def choice(self) -> tuple[str, str, dict]:
        """(theme, level, options) for ``layers.themes.apply_theme``; breaks are parsed there."""
        level = self.level.currentData()
        if self.indicator_id == DEPRIVATION:
            return DEPRIVATION, level, {"domain": self.domain.currentData()}
        options = {"indicator_id": self.indicator_id,
                   "method": self.method.currentData(), "classes": self.classes.value()}
        if options["method"] == "fixed":
            options["breaks_text"] = self.breaks.text()
        return "indicator", level, options
