"""Dialog: one of QGIS's saved PostgreSQL connections, and a pack on it (to open) or the
schema to publish the open pack to."""

from __future__ import annotations

from collections.abc import Callable

from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QDialog, QFormLayout, QLabel, QLineEdit

from ..core.errors import JsnaInputError
from .report_map_dialog import ERROR_STYLE, ok_cancel


class ServerPackDialog(QDialog):
    """``open``: a connection, then one of the packs found on it (``list_packs(connection)``
    gives (schema, place, edition)). ``publish``: a connection, the schema, and whether to
    replace a pack already there. What cannot be listed or chosen is said in the dialog."""

    def __init__(self, kind: str, connections: list[str],
                 list_packs: Callable[[str], list] | None = None, schema: str = "",
                 parent=None):
        super().__init__(parent)
        self.kind, self.list_packs = kind, list_packs
        self.setWindowTitle("JSNA Area Profiles: " + ("open a pack from PostGIS" if kind == "open"
                                                      else "publish the pack to PostGIS"))
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        self.connection = QComboBox()
        self.connection.setObjectName("connection")
        self.connection.addItems(connections)
        form.addRow("Connection", self.connection)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        if kind == "open":
            self.pack = QComboBox()
            self.pack.setObjectName("pack")
            form.addRow("Pack", self.pack)
            self.connection.currentIndexChanged.connect(self._list)
        else:
            self.schema = QLineEdit(schema)
            self.schema.setObjectName("schema")
            self.schema.setPlaceholderText("lower-case letters, digits and _, e.g. coventry_2025")
            form.addRow("Schema", self.schema)
            self.replace = QCheckBox("Replace the pack already published in this schema")
            form.addRow("", self.replace)
        form.addRow("", self.error)
        if not connections:
            self._say("QGIS has no saved PostgreSQL connection: add one in the Browser panel "
                      "(PostgreSQL ▸ New Connection…), with its password in the authentication "
                      "database")
        form.addRow(ok_cancel(self))
        if kind == "open" and connections:
            self._list()

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _list(self, *_args) -> None:
        self.pack.clear()
        self.error.hide()
        try:
            packs = self.list_packs(self.connection.currentText())
        except JsnaInputError as exc:
            self._say(str(exc))
            return
        for schema, place, edition in packs:
            self.pack.addItem(f"{place} ({edition or 'edition not recorded'}) · {schema}", schema)
        if not packs:
            self._say("No JSNA pack on this connection that your role may read")

    def accept(self) -> None:
        if not self.connection.currentText():
            return
        if self.kind == "open" and self.pack.currentData() is None:
            self._say("Choose a pack")
            return
        if self.kind == "publish" and not self.schema.text().strip():
            self._say("Name the schema to publish into")
            return
        super().accept()

    def choice(self) -> dict:
        chosen = {"connection": self.connection.currentText()}
        if self.kind == "open":
            chosen["schema"] = self.pack.currentData()
        else:
            chosen.update(schema=self.schema.text().strip(), replace=self.replace.isChecked())
        return chosen
