"""The comparison table as a Qt model: only the cells on screen are ever computed."""

from __future__ import annotations

from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, Qt
from qgis.PyQt.QtGui import QBrush, QColor, QFont

from ..core import schema as s
from ..core.compare import Cell, CompareTable, IndicatorInfo
from ..core.compare_export import SIGNIFICANCE_COLOURS, SIGNIFICANCE_LABELS
from ..core.formatting import DASH, format_value

FIXED_COLUMNS = ("Indicator", "Period")
INDICATOR_ROLE = Qt.ItemDataRole.UserRole + 1
DOMAIN_BACKGROUND = QColor("#EEF2F7")
# The roles a figure cell answers; the view asks for a dozen more per cell on every paint.
CELL_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
              Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.BackgroundRole,
              Qt.ItemDataRole.ForegroundRole)
# Significance -> (background, text) brushes, made once.
BRUSHES = {key: (QBrush(QColor(fill)), QBrush(QColor(text)))
           for key, (fill, text) in SIGNIFICANCE_COLOURS.items()}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
RIGHT_ALIGNED = int(getattr(_RIGHT, "value", _RIGHT))  # Qt5 flags convert with int(), Qt6 via .value


def rank_text(cell: Cell) -> str:
    if cell.rank is None:
        return ""
    kind = "neighbourhoods" if cell.area.level == s.LEVEL_NEIGHBOURHOOD else "hubs"
    order = "highest" if cell.indicator.polarity == s.POLARITY_NONE else "worst"
    return f"Rank {cell.rank} of {cell.rank_of} {kind} (1 = {order})"


def tooltip(cell: Cell) -> str:
    """Everything behind a figure: counts, limits, period, source, rank and significance."""
    ind = cell.indicator
    lines = [f"<b>{_html(cell.area.name)}</b>: {_html(ind.title)}"]
    if not cell.has_value:
        lines.append(_html(cell.reason or "No value"))
    else:
        lines.append(f"Value: {format_value(ind, cell.value)}")
        if cell.lower == cell.lower:  # not NaN
            lines.append(f"95% confidence interval: {format_value(ind, cell.lower)} to "
                         f"{format_value(ind, cell.upper)} ({_html(cell.method)})")
        if cell.numerator == cell.numerator:
            counts = f"Numerator: {cell.numerator:,.0f}"
            if cell.denominator == cell.denominator:
                counts += f"; denominator: {cell.denominator:,.0f}"
            lines.append(counts)
        if cell.significance and cell.significance != "not tested":
            lines.append(f"{SIGNIFICANCE_LABELS[cell.significance]} than {_html(cell.comparator_name)}"
                         f" ({format_value(ind, cell.comparator_value)})"
                         if cell.significance != "similar" else
                         f"Not significantly different from {_html(cell.comparator_name)} "
                         f"({format_value(ind, cell.comparator_value)})")
        elif cell.reason:
            lines.append(_html(cell.reason))
        if rank_text(cell):
            lines.append(rank_text(cell))
    lines.append(f"Period: {_html(cell.period) if cell.period else DASH + ' (not recorded in the pack)'}")
    lines.append(f"Source: {_html(ind.source)}; {_html(ind.licence)}")
    return "<br>".join(lines)


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CompareTableModel(QAbstractTableModel):
    """Rows: a heading per JSNA domain, then its indicators. Columns: areas of the table."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table: CompareTable | None = None
        self.rows: list = []
        self._cells: dict = {}

    def set_table(self, table: CompareTable | None) -> None:
        self.beginResetModel()
        self.table = table
        self._cells = {}
        self.rows = []
        domain = None
        for ind in table.indicators if table else []:
            if ind.domain != domain:
                domain = ind.domain
                self.rows.append(domain)
            self.rows.append(ind)
        self.endResetModel()

    def domain_rows(self) -> list[int]:
        return [i for i, row in enumerate(self.rows) if isinstance(row, str)]

    def indicator_at(self, row: int) -> IndicatorInfo | None:
        item = self.rows[row] if 0 <= row < len(self.rows) else None
        return item if isinstance(item, IndicatorInfo) else None

    def row_of(self, indicator_id: str) -> int:
        for i, row in enumerate(self.rows):
            if isinstance(row, IndicatorInfo) and row.indicator_id == indicator_id:
                return i
        return -1

    def cell(self, row: int, column: int) -> Cell | None:
        ind = self.indicator_at(row)
        if ind is None or column < len(FIXED_COLUMNS):
            return None
        key = (row, column)
        if key not in self._cells:
            area = self.table.areas[column - len(FIXED_COLUMNS)]
            self._cells[key] = self.table.cell(area, ind)
        return self._cells[key]

    # Qt model interface -------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        if parent.isValid() or self.table is None:
            return 0
        return len(FIXED_COLUMNS) + len(self.table.areas)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or self.table is None:
            return None
        if section < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[section] if role == Qt.ItemDataRole.DisplayRole else None
        area = self.table.areas[section - len(FIXED_COLUMNS)]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.table.pack.hub_member_label(self.table.hub, area) \
                if area.level == "neighbourhood" else area.name
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f" ({area.hub})" if area.hub else ""
            return f"{area.name}{where}: {area.level.replace('_', ' ')} {area.code}"
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self.rows[index.row()]
        column = index.column()
        if isinstance(item, str):  # a domain heading
            if role == Qt.ItemDataRole.DisplayRole and column == 0:
                return item
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(DOMAIN_BACKGROUND)
            return None
        if role == INDICATOR_ROLE:
            return item.indicator_id
        if column == 0:
            if role == Qt.ItemDataRole.DisplayRole:
                return item.title + (f" ({item.unit})" if item.unit and item.unit != "%" else "")
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{_html(item.title)}<br>Polarity: {item.polarity}<br>{_html(item.source)}"
            return None
        if column == 1:
            return (item.period or DASH) if role == Qt.ItemDataRole.DisplayRole else None
        if role not in CELL_ROLES:
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT_ALIGNED
        cell = self.cell(index.row(), column)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(item, cell.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(cell)
        brushes = BRUSHES.get(cell.significance)
        if brushes is None:
            return None
        return brushes[0] if role == Qt.ItemDataRole.BackgroundRole else brushes[1]
