"""Dialog: a hub (or the whole city) and where to write its atlas or profile."""

from __future__ import annotations

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QDialog, QFormLayout, QLabel

from ..core.compare import ALL_HUBS
from ..core.recipes import DEFAULT_EDITION
from .report_map_dialog import (
    ERROR_STYLE,
    background_checkbox,
    offered_maps,
    ok_cancel,
    paper_combo,
    remember_hub,
    remembered_hub,
)

PROFILE_FORMATS = [("PDF", "pdf"), ("Word document (.docx), to finish in Word", "docx")]
PROFILE_FORMATS_FILTERS = [("pdf", "PDF (*.pdf)"), ("docx", "Word document (*.docx)")]


class HubExportDialog(QDialog):
    """``atlas``: hub or whole city, map, one PDF or one per neighbourhood, paper.
    ``profile``: a hub, the city (its hubs compared), or every one of them into a folder.

    The hub starts as the one last chosen in any of the plugin's dialogs; a missing output
    path is said beside the field, and the dialog stays open."""

    def __init__(self, kind: str, hubs: list[str], place: str, parent=None,
                 edition: str = DEFAULT_EDITION):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("JSNA Area Profiles: " + ("atlas of neighbourhoods" if kind == "atlas"
                                                      else "profile PDF"))
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        self.hub = QComboBox()
        self.hub.setObjectName("hub")
        for hub in hubs:
            self.hub.addItem(hub, hub)
        if kind == "atlas":
            self.hub.addItem(f"Whole {place}", None)
        if kind == "profile":
            self.hub.addItem(f"{place} (its Family Hub areas compared)", None)
            self.hub.addItem(f"Every hub and {place}: one file each, into a folder", ALL_HUBS)
            self.hub.currentIndexChanged.connect(self._hub_changed)
        self.hub.setCurrentIndex(max(0, self.hub.findData(remembered_hub(hubs))))
        form.addRow("Hub", self.hub)
        self.map = QComboBox()
        self.paper = paper_combo()
        self.per_neighbourhood = QCheckBox("One PDF per neighbourhood, named after it")
        self.background = background_checkbox()
        if kind == "atlas":
            for text, theme in offered_maps(edition):
                self.map.addItem(text, theme)
            form.addRow("Map", self.map)
            form.addRow("Paper", self.paper)
            form.addRow("", self.per_neighbourhood)
            self.per_neighbourhood.toggled.connect(self._output_mode)
        else:
            form.addRow("", self.background)
            self.format = QComboBox()
            self.format.setObjectName("format")
            for text, fmt in PROFILE_FORMATS:
                self.format.addItem(text, fmt)
            self.format.currentIndexChanged.connect(self._format_changed)
            form.addRow("Format", self.format)
            self.local_text = QgsFileWidget()
            self.local_text.setObjectName("local_text")
            self.local_text.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
            self.local_text.setToolTip(
                "Optional: Markdown files named after topics (fuel-poverty.md), in a sub-folder "
                "named after a hub for that hub only; their text answers 'What else is "
                "happening?'")
            form.addRow("Local text folder", self.local_text)
            self.assets = QgsFileWidget()
            self.assets.setObjectName("assets")
            self.assets.setFilter("CSV (*.csv)")
            self.assets.setToolTip("Optional: community assets (name, description, postcode, "
                                   "hub), listed and mapped where the postcode is found")
            form.addRow("Community assets", self.assets)
        self.output = QgsFileWidget()
        self.output.setObjectName("output")
        self.output.setFilter("PDF (*.pdf)")
        self.output.fileChanged.connect(lambda _path: self.output_error.hide())
        self.output_error = QLabel()
        self.output_error.setObjectName("output_error")
        self.output_error.setStyleSheet(ERROR_STYLE)
        self.output_error.hide()
        self._output_mode(False)
        self._hub_changed(0)
        form.addRow("Write to", self.output)
        form.addRow("", self.output_error)
        form.addRow(ok_cancel(self))

    def _format_changed(self, _index: int) -> None:
        self.output.setFilter(dict(PROFILE_FORMATS_FILTERS)[self.format.currentData()])
        self.setWindowTitle("JSNA Area Profiles: profile " + (
            "PDF" if self.format.currentData() == "pdf" else "Word document"))

    def _hub_changed(self, _index: int) -> None:
        if self.kind == "profile":
            self._output_mode(self.hub.currentData() == ALL_HUBS)

    def _output_mode(self, per_neighbourhood: bool) -> None:
        self.output.setStorageMode(QgsFileWidget.StorageMode.GetDirectory if per_neighbourhood
                                   else QgsFileWidget.StorageMode.SaveFile)

    def accept(self) -> None:
        if not self.output.filePath().strip():
            folder = self.output.storageMode() == QgsFileWidget.StorageMode.GetDirectory
            self.output_error.setText("Choose the folder to write into" if folder
                                      else "Choose the file to write")
            self.output_error.show()
            return
        if self.hub.currentData() not in (None, ALL_HUBS):
            remember_hub(self.hub.currentData())
        super().accept()

    def choice(self) -> dict:
        chosen = {"hub": self.hub.currentData(), "out": self.output.filePath().strip()}
        if self.kind == "atlas":
            chosen.update(theme=self.map.currentData(), paper=self.paper.currentData(),
                          one_file=not self.per_neighbourhood.isChecked())
        else:
            chosen.update(background=self.background.isChecked(), fmt=self.format.currentData(),
                          local_text=self.local_text.filePath().strip() or None,
                          assets=self.assets.filePath().strip() or None)
        return chosen
