"""Dialog: a hub (or the whole city) and where to write its atlas or profile."""

from __future__ import annotations

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QDialog, QFormLayout

from .report_map_dialog import MAPS, ok_cancel, paper_combo


class HubExportDialog(QDialog):
    """``atlas``: hub or whole city, map, one PDF or one per neighbourhood, paper.
    ``profile``: hub and PDF file."""

    def __init__(self, kind: str, hubs: list[str], place: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("JSNA Area Profiles: " + ("atlas of neighbourhoods" if kind == "atlas"
                                                      else "hub profile PDF"))
        form = QFormLayout(self)
        self.hub = QComboBox()
        self.hub.setObjectName("hub")
        if kind == "atlas":
            self.hub.addItem(f"Whole {place}", None)
        for hub in hubs:
            self.hub.addItem(hub, hub)
        form.addRow("Hub", self.hub)
        self.map = QComboBox()
        self.paper = paper_combo()
        self.per_neighbourhood = QCheckBox("One PDF per neighbourhood, named after it")
        if kind == "atlas":
            for text, theme in MAPS:
                self.map.addItem(text, theme)
            form.addRow("Map", self.map)
            form.addRow("Paper", self.paper)
            form.addRow("", self.per_neighbourhood)
            self.per_neighbourhood.toggled.connect(self._output_mode)
        self.output = QgsFileWidget()
        self.output.setObjectName("output")
        self.output.setFilter("PDF (*.pdf)")
        self._output_mode(False)
        form.addRow("Write to", self.output)
        form.addRow(ok_cancel(self))

    def _output_mode(self, per_neighbourhood: bool) -> None:
        self.output.setStorageMode(QgsFileWidget.StorageMode.GetDirectory if per_neighbourhood
                                   else QgsFileWidget.StorageMode.SaveFile)

    def choice(self) -> dict:
        chosen = {"hub": self.hub.currentData(), "out": self.output.filePath()}
        if self.kind == "atlas":
            chosen.update(theme=self.map.currentData(), paper=self.paper.currentData(),
                          one_file=not self.per_neighbourhood.isChecked())
        return chosen
