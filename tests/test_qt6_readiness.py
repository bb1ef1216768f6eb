"""QGIS 4 / Qt6 readiness: the plugin's code must not use Qt5-only idioms.

Checked in every Python file the plugin zip ships: direct PyQt5/PyQt6 imports (only
``qgis.PyQt``), ``exec_()``, compiled pyrcc resources, QVariant type constants (gone in Qt6:
use QMetaType), QRegExp and QDesktopWidget (removed), and unscoped enums such as
``Qt.AlignRight`` (Qt6 needs ``Qt.AlignmentFlag.AlignRight``).
"""

import re

from conftest import ROOT

PACKAGES = ("core", "builder", "layers", "layouts", "charts", "documents", "ui", "provider")
TOP_FILES = ("__init__.py", "plugin.py", "cli.py", "qgis_runtime.py")

PATTERNS = {
    "direct PyQt import": re.compile(r"^\s*(from|import)\s+PyQt[56]\b", re.M),
    "exec_()": re.compile(r"\.exec_\("),
    "compiled resources": re.compile(r"resources_rc|pyrcc"),
    "QVariant type constant": re.compile(r"\bQVariant\.(?!Type\.)[A-Z]\w*"),
    "QRegExp": re.compile(r"\bQRegExp\b"),
    "QDesktopWidget": re.compile(r"\bQDesktopWidget\b"),
}
# Class.Member with nothing after it: an unscoped enum value if, in this QGIS, Member is an
# enum value (not a class, an enum type or a method).
TWO_PART = re.compile(r"\b(Q[A-Za-z0-9]*|Qgis)\.([A-Z][A-Za-z0-9_]*)\b(?!\s*[.(])")


def _resolve(name: str):
    import importlib

    for module in ("qgis.core", "qgis.gui", "qgis.PyQt.QtCore", "qgis.PyQt.QtGui",
                   "qgis.PyQt.QtWidgets", "qgis.PyQt.QtSvg", "qgis.PyQt.QtXml"):
        found = getattr(importlib.import_module(module), name, None)
        if found is not None:
            return found
    return None


def is_enum_value(owner: str, member: str) -> bool:
    cls = _resolve(owner)
    value = getattr(cls, member, None) if cls is not None else None
    return value is not None and not isinstance(value, type) and not callable(value)


def plugin_files():
    for name in TOP_FILES:
        yield ROOT / name
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def problems_in(text: str) -> list[str]:
    found = []
    for kind, pattern in PATTERNS.items():
        found += [f"{kind}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    code = re.sub(r"(\"\"\"|''').*?\1", "", text, flags=re.S)  # docstrings mention idioms
    code = re.sub(r"#.*", "", code)
    for match in TWO_PART.finditer(code):
        if is_enum_value(match.group(1), match.group(2)):
            found.append(f"unscoped enum: {match.group(0)}")
    return found


def test_the_checker_catches_each_idiom(qgis_app):
    sample = ("from PyQt5.QtCore import Qt\nx.exec_()\nimport resources_rc\n"
              "QVariant.Double\nQRegExp('a')\nQDesktopWidget()\nQt.AlignRight\n"
              "QgsUnitTypes.LayoutMillimeters\n")
    kinds = {problem.split(":")[0] for problem in problems_in(sample)}
    assert kinds == set(PATTERNS) | {"unscoped enum"}
    assert sum(p.startswith("unscoped enum") for p in problems_in(sample)) == 3
    fine = ("Qt.AlignmentFlag.AlignRight\nQgsUnitTypes.LayoutUnit.LayoutMillimeters\n"
            "QgsLayoutExporter.PdfExportSettings()\nfrom qgis.PyQt.QtCore import Qt\n")
    assert problems_in(fine) == []


def test_plugin_code_is_ready_for_qt6(qgis_app):
    report = []
    for path in plugin_files():
        report += [f"{path.relative_to(ROOT)}: {p}" for p in problems_in(path.read_text())]
    assert report == []


def test_metadata_declares_qt6_support():
    assert "supportsQt6=True" in (ROOT / "metadata.txt").read_text()
