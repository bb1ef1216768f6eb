"""Dialog: map the columns of your own table onto a pack indicator, preview, check, then add."""

from __future__ import annotations

from pathlib import Path

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
)

from ..builder.add_indicator import LOCAL_DOMAIN, IndicatorTable, prepare, preview
from ..core import schema
from ..core.errors import JsnaInputError
from .report_map_dialog import ok_cancel

COLUMN_ROLES = (("code", "Code column (LSOA or MSOA codes)", False),
                ("value", "Value column", True), ("numerator", "Numerator column", True),
                ("denominator", "Denominator column", True),
                ("lower", "Lower 95% limit column", True), ("upper", "Upper 95% limit column", True))


class AddIndicatorDialog(QDialog):
    """Nothing is written here: accepting first checks the table against the pack."""

    def __init__(self, pack, parent=None):  # a GeoPackage path, or a server PackLocation
        super().__init__(parent)
        self.pack = pack
        self.setWindowTitle("JSNA Area Profiles: add an indicator from your own table")
        form = QFormLayout(self)
        self.file = QgsFileWidget()
        self.file.setObjectName("table")
        self.file.setFilter("Tables (*.csv *.xlsx *.gpkg *.shp *.geojson *.ods);;All files (*)")
        self.sheet = QLineEdit()
        self.sheet.setPlaceholderText("XLSX sheet (empty: the first)")
        form.addRow("Table", self.file)
        form.addRow("Sheet", self.sheet)
        self.preview = QTableWidget(0, 0)
        self.preview.setObjectName("preview")
        self.preview.setMaximumHeight(150)
        form.addRow("First rows", self.preview)
        self.columns = {}
        for role, label, optional in COLUMN_ROLES:
            combo = QComboBox()
            combo.setObjectName(f"{role}_column")
            self.columns[role] = (combo, optional)
            form.addRow(label, combo)
        self.indicator_id = QLineEdit()
        self.indicator_id.setPlaceholderText("e.g. school_readiness")
        self.title = QLineEdit()
        self.period = QLineEdit()
        self.unit = QLineEdit()
        self.unit.setPlaceholderText("%, per 1,000, score...")
        self.polarity = QComboBox()
        self.polarity.addItems(list(schema.POLARITIES))
        self.polarity.setCurrentText(schema.POLARITY_NONE)
        self.domain = QComboBox()
        self.domain.setEditable(True)
        self.domain.addItems([LOCAL_DOMAIN, *schema.DOMAINS])
        self.source = QLineEdit()
        self.licence = QLineEdit()
        for label, widget in (("Indicator id", self.indicator_id), ("Title", self.title),
                              ("Period", self.period), ("Unit", self.unit),
                              ("Polarity", self.polarity), ("JSNA domain", self.domain),
                              ("Source", self.source), ("Licence", self.licence)):
            form.addRow(label, widget)
        self.convert_2011 = QCheckBox("Convert 2011 small-area codes (2025-edition packs: "
                                      "through the ONS lookup; splits and merges are reported)")
        self.convert_2011.setObjectName("convert_2011")
        form.addRow("", self.convert_2011)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        form.addRow(self.status)
        form.addRow(ok_cancel(self))
        self.file.fileChanged.connect(self.load_table)
        self.sheet.editingFinished.connect(self.load_table)

    def load_table(self, *_args) -> None:
        """Show the table's first rows and offer its columns for each role."""
        path = self.file.filePath()
        if not path:
            return
        try:
            columns, rows = preview(Path(path), sheet=self.sheet.text().strip())
        except JsnaInputError as exc:
            self.show_status(str(exc), error=True)
            return
        self.preview.setColumnCount(len(columns))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(columns)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.preview.setItem(r, c, QTableWidgetItem(text))
        for combo, optional in self.columns.values():
            combo.clear()
            if optional:
                combo.addItem("", "")
            for column in columns:
                combo.addItem(column, column)
        guess = next((c for c in columns if "code" in c.lower()), columns[0] if columns else "")
        self.columns["code"][0].setCurrentText(guess)
        self.show_status(f"{len(columns)} columns; choose what each one means")

    def spec(self) -> IndicatorTable:
        chosen = {role: combo.currentData() or "" for role, (combo, _) in self.columns.items()}
        return IndicatorTable(
            Path(self.file.filePath()), self.indicator_id.text().strip(), self.title.text(),
            chosen["code"], chosen["value"], chosen["numerator"], chosen["denominator"],
            chosen["lower"], chosen["upper"], self.period.text().strip(), self.unit.text().strip(),
            self.polarity.currentText(), self.domain.currentText().strip() or LOCAL_DOMAIN,
            self.source.text().strip(), self.licence.text().strip(), self.sheet.text().strip(),
            convert_2011=self.convert_2011.isChecked())

    def check(self) -> bool:
        """Read and match the table against the pack; say what was found."""
        if not self.file.filePath():
            self.show_status("Choose a table first", error=True)
            return False
        try:
            _rows, match, report = prepare(self.spec(), self.pack)
        except JsnaInputError as exc:
            self.show_status(str(exc), error=True)
            return False
        self.show_status("; ".join([match.summary(), *report.warnings[1:]]))
        return True

    def accept(self) -> None:
        if self.check():
            super().accept()

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #B00020" if error else "")
        self.status.setText(text)
