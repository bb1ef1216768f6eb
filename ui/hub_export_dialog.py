"""Dialog: a hub (or the whole city) and where to write its atlas or profile."""

from __future__ import annotations

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QDialog, QFormLayout

from ..core.compare import ALL_HUBS
from .report_map_dialog import MAPS, ok_cancel, paper_combo


class HubExportDialog(QDialog):
    """``atlas``: hub or whole city, map, one PDF or one per neighbourhood, paper.
    ``profile``: a hub, the city (its hubs compared), or every one of them into a folder."""

    def __init__(self, kind: str, hubs: list[str], place: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("JSNA Area Profiles: " + ("atlas of neighbourhoods" if kind == "atlas"
                                                      else "profile PDF"))
        form = QFormLayout(self)
        self.hub = QComboBox()
        self.hub.setObjectName("hub")
        if kind == "atlas":
            self.hub.addItem(f"Whole {place}", None)
        for hub in hubs:
            self.hub.addItem(hub, hub)
        if kind == "profile":
            self.hub.addItem(f"{place} (its Family Hub areas compared)", None)
            self.hub.addItem(f"Every hub and {place}: one PDF each, into a folder", ALL_HUBS)
            self.hub.currentIndexChanged.connect(self._hub_changed)
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

    def _hub_changed(self, _index: int) -> None:
        self._output_mode(self.hub.currentData() == ALL_HUBS)

    def _output_mode(self, per_neighbourhood: bool) -> None:
        self.output.setStorageMode(QgsFileWidget.StorageMode.GetDirectory if per_neighbourhood
                                   else QgsFileWidget.StorageMode.SaveFile)

    def choice(self) -> dict:
        chosen = {"hub": self.hub.currentData(), "out": self.output.filePath()}
        if self.kind == "atlas":
            chosen.update(theme=self.map.currentData(), paper=self.paper.currentData(),
                          one_file=not self.per_neighbourhood.isChecked())
        return chosen
