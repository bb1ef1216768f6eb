"""The 'Compare neighbourhoods' dock: a hub's neighbourhoods against the hub, city and England.

It presents a ComparePack (core) and delegates map work to layers/: choosing a neighbourhood
selects and zooms to it, selecting on the map chooses it here, choosing an indicator restyles the
map. Its choices are kept in the QGIS project.
"""

from __future__ import annotations

import html
from pathlib import Path

from qgis.core import QgsProject
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QItemSelectionModel, QMimeData, Qt
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..charts.profile_charts import GROUP_CHARTS, CompareAreas, group_chart, trend_chart
from ..core import compare as cmp
from ..core import schema as s
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_SHORT, to_html, to_tsv, write_csv, write_xlsx
from ..core.errors import JsnaInputError
from .chart_view import ChartView
from .compare_model import FIXED_COLUMNS, CompareTableModel

STATE_SCOPE = "jsna_area_profiles"
INDICATOR_COLUMN_WIDTH = 230
DOCK_WIDTH = 620  # px: the choices, the indicator column and two or three areas
# the chart choices besides the groups
SPINE, COMPARE_AREAS, TREND = "spine", "compare_areas", "trend"
CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ComparePanel(QgsDockWidget):
    """Hub, comparator and neighbourhood choices; the table; the spine chart; exports."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Compare neighbourhoods", parent)
        self.setObjectName("JsnaComparePanel")
        self.compare: cmp.ComparePack | None = None
        self.loaded = None  # layers.pack.LoadedPack, when the pack's layers are in the project
        self.canvas = None
        self.table: cmp.CompareTable | None = None
        self.current_code: str | None = None
        self._updating = False
        self._loading = False  # while a pack is shown and its saved choices re-applied
        self._build()

    # Layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        choices = QFormLayout()  # one row each: the combos keep their whole text at any width
        self.hub_combo = QComboBox(body)
        self.hub_combo.setObjectName("hub")
        self.comparator_combo = QComboBox(body)
        self.comparator_combo.setObjectName("comparator")
        for combo in (self.hub_combo, self.comparator_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        choices.addRow("Hub:", self.hub_combo)
        choices.addRow("Compare with:", self.comparator_combo)
        layout.addLayout(choices)

        splitter = QSplitter(Qt.Orientation.Vertical, body)
        self.neighbourhood_list = QListWidget(splitter)
        self.neighbourhood_list.setObjectName("neighbourhoods")
        self.neighbourhood_list.setToolTip("Tick the neighbourhoods to show; choose one to see it "
                                           "on the map and in the spine chart")
        self.model = CompareTableModel(self)
        self.view = QTableView(splitter)
        self.view.setObjectName("compare_table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setDefaultSectionSize(104)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        chart_box = QWidget(splitter)
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_choice = QHBoxLayout()
        chart_choice.addWidget(QLabel("Chart:", chart_box))
        self.chart_combo = QComboBox(chart_box)
        self.chart_combo.setObjectName("chart")
        self.chart_combo.setToolTip("The spine chart of the chosen neighbourhood; a group "
                                    "(age, ethnic groups, languages, religion) for the chosen "
                                    "neighbourhood, hub or the city; or the chosen indicator "
                                    "across the areas in the table")
        chart_choice.addWidget(self.chart_combo, 1)
        chart_layout.addLayout(chart_choice)
        self.spine = ChartView()
        self.spine.setObjectName("spine_chart")
        scroll = QScrollArea(chart_box)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.spine)
        chart_layout.addWidget(scroll, 1)
        splitter.setSizes([110, 320, 300])
        layout.addWidget(splitter, 1)

        self.legend = QLabel(body)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        buttons = QHBoxLayout()
        for name, text, slot in (("export_csv", "Export CSV…", self.export_csv_dialog),
                                 ("export_xlsx", "Export Excel…", self.export_xlsx_dialog),
                                 ("copy", "Copy table", self.copy_table),
                                 ("save_chart", "Save chart…", self.save_chart_dialog)):
            button = QPushButton(text, body)
            button.setObjectName(name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.status = QLabel(body)
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)

        self.hub_combo.currentIndexChanged.connect(self._hub_changed)
        self.comparator_combo.currentIndexChanged.connect(self._choices_changed)
        self.chart_combo.currentIndexChanged.connect(self._chart_changed)
        self.neighbourhood_list.itemChanged.connect(self._choices_changed)
        self.neighbourhood_list.currentItemChanged.connect(self._current_item_changed)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.view.horizontalHeader().sectionClicked.connect(self._column_clicked)

    # Pack --------------------------------------------------------------------------------------
    def set_pack(self, compare: cmp.ComparePack, loaded=None, canvas=None) -> None:
        """Show a pack with the choices saved in the project; ``loaded`` and ``canvas`` link it
        to the map when given."""
        self._loading = True
        try:
            self._show_pack(compare, loaded, canvas)
            self.restore_state()
        finally:
            self._loading = False
        self.save_state()

    def _show_pack(self, compare: cmp.ComparePack, loaded, canvas) -> None:
        self.detach()
        self.compare, self.loaded, self.canvas = compare, loaded, canvas
        self._updating = True
        self.hub_combo.clear()
        self.hub_combo.addItem(f"Whole {compare.place} (all neighbourhoods)", None)
        if len(compare.hubs) > 1:
            self.hub_combo.addItem(f"Family Hub areas (all {len(compare.hubs)} side by side)",
                                   cmp.ALL_HUBS)
        for hub in compare.hubs:
            self.hub_combo.addItem(hub, hub)
        self.comparator_combo.clear()
        self.comparator_combo.addItem(f"{compare.place} average", cmp.CITY)
        self.comparator_combo.addItem("Hub", cmp.HUB)
        self.comparator_combo.addItem("England", cmp.ENGLAND)
        self._enable_comparator(cmp.ENGLAND, compare.has_england(),
                                f"The {compare.place} pack has no England values")
        self.chart_combo.clear()
        self.chart_combo.addItem("Spine chart (chosen neighbourhood)", SPINE)
        for group in compare.chart_groups():
            self.chart_combo.addItem(GROUP_CHARTS.get(group, (group, ""))[0], group)
        self.chart_combo.addItem("Compare areas (chosen indicator)", COMPARE_AREAS)
        if compare.trend_indicators():  # a 2025 pack: its 2011 and 2019 figures
            self.chart_combo.addItem("Trend since 2011 and 2019 (chosen indicator)", TREND)
        self._updating = False
        if self._neighbourhood_layer() is not None:
            self._neighbourhood_layer().selectionChanged.connect(self._map_selection_changed)
        self._hub_changed()

    def _neighbourhood_layer(self):
        if self.loaded is None:
            return None
        return self.loaded.layers.get(s.NEIGHBOURHOODS)

    def detach(self) -> None:
        """Stop listening to the map (before another pack, or when the plugin unloads)."""
        layer = self._neighbourhood_layer()
        if layer is not None:
            try:
                layer.selectionChanged.disconnect(self._map_selection_changed)
            except (TypeError, RuntimeError):
                pass  # already gone with its layer

    def _enable_comparator(self, key: str, enabled: bool, why: str = "") -> None:
        index = self.comparator_combo.findData(key)
        item = self.comparator_combo.model().item(index)
        item.setEnabled(enabled)
        item.setToolTip("" if enabled else why)
        if not enabled and self.comparator_combo.currentIndex() == index:
            self.comparator_combo.setCurrentIndex(self.comparator_combo.findData(cmp.CITY))

    # Choices -----------------------------------------------------------------------------------
    @property
    def hub(self) -> str | None:
        return self.hub_combo.currentData()

    @property
    def comparator(self) -> str:
        return self.comparator_combo.currentData() or cmp.CITY

    def checked_codes(self) -> list[str]:
        items = (self.neighbourhood_list.item(i) for i in range(self.neighbourhood_list.count()))
        return [i.data(CODE_ROLE) for i in items if i.checkState() == Qt.CheckState.Checked]

    def set_hub(self, hub: str | None) -> None:
        index = self.hub_combo.findData(hub)
        if index < 0:
            raise JsnaInputError(f"No hub called '{hub}' in this pack")
        self.hub_combo.setCurrentIndex(index)

    def set_comparator(self, key: str) -> None:
        self.comparator_combo.setCurrentIndex(self.comparator_combo.findData(key))

    def set_checked(self, codes: list[str]) -> None:
        self._updating = True
        for i in range(self.neighbourhood_list.count()):
            item = self.neighbourhood_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(CODE_ROLE) in codes
                               else Qt.CheckState.Unchecked)
        self._updating = False
        self.refresh()

    def _hub_changed(self, *_args) -> None:
        if self._updating or self.compare is None:
            return
        self._updating = True
        self._enable_comparator(cmp.HUB, self.hub not in (None, cmp.ALL_HUBS),
                                "Choose a hub first")
        self.neighbourhood_list.clear()
        self.neighbourhood_list.setEnabled(self.hub != cmp.ALL_HUBS)
        members = [] if self.hub == cmp.ALL_HUBS else self.compare.hub_neighbourhoods(self.hub)
        for area in members:
            item = QListWidgetItem(self.compare.hub_member_label(self.hub, area),
                                   self.neighbourhood_list)
            item.setData(CODE_ROLE, area.code)
            item.setToolTip(f"{area.code} ({area.hub})")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
        if self.current_code not in {a.code for a in members}:
            self.current_code = None
        self._updating = False
        self.refresh()

    def _choices_changed(self, *_args) -> None:
        if not self._updating:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the table and spine chart for the current choices and save them."""
        if self.compare is None:
            return
        try:
            if self.hub == cmp.ALL_HUBS:
                self.table = self.compare.hubs_table(self.comparator)
            else:
                self.table = self.compare.table(self.hub, self.checked_codes(), self.comparator)
        except JsnaInputError as exc:
            self.show_status(str(exc), error=True)
            return
        self.model.set_table(self.table)
        self.view.clearSpans()
        for row in self.model.domain_rows():
            self.view.setSpan(row, 0, 1, self.model.columnCount())
        self.view.setColumnWidth(0, INDICATOR_COLUMN_WIDTH)  # full titles in the tooltips
        self.view.setColumnWidth(1, 70)
        self._update_legend()
        self._update_spine()
        self.save_state()

    def _update_legend(self) -> None:
        name = html.escape(self.table.comparator_name)  # a place's name is data, not markup
        chips = " ".join(
            f'<span style="background:{fill};color:{text}">&nbsp;{SIGNIFICANCE_SHORT[key]}&nbsp;</span>'
            for key, (fill, text) in SIGNIFICANCE_COLOURS.items())
        coverage = ""
        if self.comparator == cmp.ENGLAND:
            with_figure, shown = self.compare.national_coverage()
            coverage = (f" <b>{with_figure} of {shown} indicators have a figure for {name}</b>; "
                        "the others cannot be compared with it.")
        self.legend.setText(f"Compared with {name} (95% confidence intervals): {chips}. "
                            f"Uncoloured: not tested (hover for why).{coverage}")

    def _chart_changed(self, _index: int) -> None:
        self._update_spine()

    def _update_spine(self) -> None:
        """Draw the chosen chart for the current choices."""
        if self.compare is None or self._updating:
            return
        kind = self.chart_combo.currentData() or SPINE
        code = self.current_code or next(iter(self.checked_codes()), None)
        if kind == COMPARE_AREAS:
            self._update_compare_areas()
        elif kind == TREND:
            self._update_trend(code)
        elif kind != SPINE:  # a group, for the neighbourhood, the hub, or the city
            if code is None and self.hub not in (None, cmp.ALL_HUBS):
                code = self.hub
            against = cmp.CITY if code else cmp.ENGLAND
            area = self.compare.area(code or self.compare.city_code)
            rows = self.compare.chart_rows(area.code, kind, against)
            reference = self.compare.reference_name(rows[0].indicator, against) if rows else ""
            self.spine.set_chart(group_chart(kind, rows, area.name, reference))
        elif code is None:
            self.spine.set_rows("Choose a neighbourhood: spine charts place a neighbourhood "
                                "among the city's", [])
        else:
            area = self.compare.area(code)
            title = f"{area.name} among {self.compare.place}'s neighbourhoods"
            if self.comparator != cmp.CITY and self.table is not None:
                # the spine is always against the city: say so when the table is not
                title = f"{area.name}: against the {self.compare.place} average " \
                        f"(table: {self.table.comparator_name})"
            self.spine.set_rows(title, self.compare.spine_rows(code))

    def _update_compare_areas(self) -> None:
        """The chosen indicator across the table's neighbourhoods or hubs, sorted."""
        indicator = self.model.indicator_at(self.view.currentIndex().row()) or \
            next(iter(self.compare.indicators), None)
        if indicator is None or self.table is None:
            return
        areas = [a for a in self.table.areas
                 if a.level in (s.LEVEL_NEIGHBOURHOOD, s.LEVEL_HUB)]
        if self.hub not in (None, cmp.ALL_HUBS):
            areas = [a for a in areas if a.level == s.LEVEL_NEIGHBOURHOOD]
        cells = self.compare.compare_areas(indicator.indicator_id, areas)
        self.spine.set_chart(CompareAreas(
            f"{indicator.title}, {indicator.period}", cells,
            self.compare.reference_value(indicator), self.compare.place))

    def _update_trend(self, code: str | None) -> None:
        """The chosen indicator's trend for the neighbourhood (else the hub, else the city)."""
        indicator = self.model.indicator_at(self.view.currentIndex().row())
        trends = self.compare.trend_indicators()
        if indicator not in trends:
            names = ", ".join(i.title.lower() for i in trends[:3])
            self.spine.set_rows("Choose an indicator the pack has earlier figures of (e.g. "
                                f"{names})", [])
            return
        if code is None:
            code = self.hub if self.hub not in (None, cmp.ALL_HUBS) else self.compare.city_code
        self.spine.set_chart(trend_chart(self.compare, indicator, code))

    # Neighbourhood <-> map ------------------------------------------------------------------------
    def choose_neighbourhood(self, code: str, zoom: bool = True) -> None:
        """Make ``code`` the current neighbourhood: list, spine chart, map selection."""
        self.current_code = code
        for i in range(self.neighbourhood_list.count()):
            item = self.neighbourhood_list.item(i)
            if item.data(CODE_ROLE) == code:
                self._updating = True
                self.neighbourhood_list.setCurrentItem(item)
                self._updating = False
        self._update_spine()
        self._select_on_map([code], zoom)
        self.save_state()

    def _current_item_changed(self, current, _previous) -> None:
        if current is not None and not self._updating:
            self.choose_neighbourhood(current.data(CODE_ROLE))

    def _column_clicked(self, section: int) -> None:
        if self.table is None or section < len(FIXED_COLUMNS):
            return
        area = self.table.areas[section - len(FIXED_COLUMNS)]
        if area.level == s.LEVEL_NEIGHBOURHOOD:
            self.choose_neighbourhood(area.code)

    def _select_on_map(self, codes: list[str], zoom: bool) -> None:
        from ..layers.selection import select_codes

        layer = self._neighbourhood_layer()
        if layer is None:
            return
        self._updating = True
        try:
            extent = select_codes(layer, codes)
        finally:
            self._updating = False
        if zoom and self.canvas is not None and not extent.isEmpty():
            extent.scale(2.0)  # the neighbourhood with its neighbours around it
            self.canvas.setExtent(extent)
            self.canvas.flashFeatureIds(layer, layer.selectedFeatureIds())
            self.canvas.refresh()

    def _map_selection_changed(self, *_args) -> None:
        if self._updating or self.compare is None:
            return
        from ..layers.selection import selected_codes

        codes = [c for c in selected_codes(self._neighbourhood_layer())
                 if c in self.compare.neighbourhoods]
        if not codes:
            return
        code = codes[0]
        hub = self.compare.neighbourhoods[code].hub
        if self.hub is not None and hub != self.hub:
            self.set_hub(hub if hub in self.compare.hubs else None)
        if code not in self.checked_codes():
            self.set_checked(self.checked_codes() + [code])
        self.current_code = code
        for i in range(self.neighbourhood_list.count()):
            if self.neighbourhood_list.item(i).data(CODE_ROLE) == code:
                self._updating = True
                self.neighbourhood_list.setCurrentRow(i)
                self._updating = False
        self._update_spine()
        self.save_state()

    # Indicator -> map style ----------------------------------------------------------------------
    def choose_indicator(self, indicator_id: str) -> None:
        row = self.model.row_of(indicator_id)
        if row < 0:
            raise JsnaInputError(f"'{indicator_id}' is not in the comparison")
        self.view.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _row_changed(self, current, _previous) -> None:
        indicator = self.model.indicator_at(current.row())
        if indicator is None:
            return
        if self.chart_combo.currentData() in (COMPARE_AREAS, TREND):
            self._update_spine()
        self.save_state()
        if self.loaded is None:
            return
        from ..layers.themes import apply_theme

        try:
            title = apply_theme(self.loaded, "indicator", s.LEVEL_NEIGHBOURHOOD,
                                indicator_id=indicator.indicator_id)
        except JsnaInputError as exc:
            self.show_status(f"Map not restyled: {exc}", error=True)
            return
        self.show_status(f"Map: {title}")
        if self.canvas is not None:
            self.canvas.refresh()

    # Exports -----------------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> Path:
        return write_csv(self._require_table(), path)

    def export_xlsx(self, path: str | Path) -> Path:
        return write_xlsx(self._require_table(), path)

    def copy_table(self) -> str:
        """Tab-separated text for Excel, and an HTML table for Word, on the clipboard."""
        table = self._require_table()
        text = to_tsv(table)
        data = QMimeData()
        data.setText(text)
        data.setHtml(to_html(table))
        QApplication.clipboard().setMimeData(data)
        self.show_status("Table copied: paste into Excel or Word")
        return text

    def _require_table(self) -> cmp.CompareTable:
        if self.table is None:
            raise JsnaInputError("Open a data pack first")
        return self.table

    def _save_dialog(self, title: str, name: str, filters: str):
        path, _ = QFileDialog.getSaveFileName(self, title, name, filters)
        return path

    def _run_export(self, action, path: str) -> None:
        if not path:
            return
        try:
            written = action(path)
        except JsnaInputError as exc:
            self.show_status(str(exc), error=True)
            return
        self.show_status(f"Wrote {written}")

    def _file_stem(self) -> str:
        name = self.table.name if self.table is not None else "comparison"
        return name.replace("/", "-") + "_comparison"

    def export_csv_dialog(self) -> None:
        self._run_export(self.export_csv, self._save_dialog("Export comparison as CSV",
                                                            f"{self._file_stem()}.csv", "CSV (*.csv)"))

    def export_xlsx_dialog(self) -> None:
        self._run_export(self.export_xlsx, self._save_dialog(
            "Export comparison as Excel", f"{self._file_stem()}.xlsx", "Excel workbook (*.xlsx)"))

    def save_chart_dialog(self) -> None:
        kind = self.chart_combo.currentData() or SPINE
        path = self._save_dialog("Save chart", f"{self._file_stem()}_{kind}.png",
                                 "PNG image (*.png);;SVG drawing (*.svg)")
        self._run_export(self.spine.export_svg if path.lower().endswith(".svg")
                         else self.spine.export_png, path)

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #B00020" if error else "")
        self.status.setText(text)

    # Project state ------------------------------------------------------------------------------
    def save_state(self, project: QgsProject | None = None) -> None:
        if self.compare is None or self._updating or self._loading:
            return
        project = project or QgsProject.instance()
        all_codes = [self.neighbourhood_list.item(i).data(CODE_ROLE)
                     for i in range(self.neighbourhood_list.count())]
        unchecked = [c for c in all_codes if c not in set(self.checked_codes())]
        indicator = self.model.indicator_at(self.view.currentIndex().row())
        for key, value in (("compare/hub", self.hub or ""), ("compare/comparator", self.comparator),
                           ("compare/current", self.current_code or ""),
                           ("compare/indicator", indicator.indicator_id if indicator else "")):
            project.writeEntry(STATE_SCOPE, key, value)
        project.writeEntry(STATE_SCOPE, "compare/unchecked", unchecked)

    def restore_state(self, project: QgsProject | None = None) -> None:
        """Re-apply the choices saved in the project (unknown names are ignored)."""
        project = project or QgsProject.instance()
        hub, _ = project.readEntry(STATE_SCOPE, "compare/hub", "")
        comparator, _ = project.readEntry(STATE_SCOPE, "compare/comparator", cmp.CITY)
        current, _ = project.readEntry(STATE_SCOPE, "compare/current", "")
        indicator, _ = project.readEntry(STATE_SCOPE, "compare/indicator", "")
        unchecked, _ = project.readListEntry(STATE_SCOPE, "compare/unchecked", [])
        if hub and self.hub_combo.findData(hub) >= 0:
            self.set_hub(hub)
        all_codes = [self.neighbourhood_list.item(i).data(CODE_ROLE)
                     for i in range(self.neighbourhood_list.count())]
        if unchecked:
            self.set_checked([c for c in all_codes if c not in set(unchecked)])
        index = self.comparator_combo.findData(comparator)
        if index >= 0 and self.comparator_combo.model().item(index).isEnabled():
            self.comparator_combo.setCurrentIndex(index)
        if current in all_codes:
            self.choose_neighbourhood(current, zoom=False)
        if indicator and self.model.row_of(indicator) >= 0:
            self.choose_indicator(indicator)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Closed by the user: the project remembers it was closed."""
        QgsProject.instance().writeEntry(STATE_SCOPE, "compare/open", False)
        super().closeEvent(event)
