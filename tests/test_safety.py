"""Safety rules, checked on the plugin's source: no SQL or QGIS expression built from user values
(identifiers come from the schema or are validated; values go in as parameters or through
QGIS's quoting helpers), no eval or exec, and no network access outside the downloader."""

import ast
import re

from test_qt6_readiness import plugin_files

from conftest import ROOT

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|ALTER|PRAGMA|DROP|CREATE)\b")
# What an SQL f-string may interpolate: schema names, and identifiers the code itself made or
# validated (``column`` is an indicator id checked against ^[a-z][a-z0-9_]{1,40}$ first).
SQL_INTERPOLATIONS = re.compile(
    r"^(s|schema)\.[A-Z_]+$|^(table|column|layer|columns|marks|placeholders)$"
    r"|^', '\.join\((schema\.VALUE_COLUMNS|catalogue_row|\('\?' for _ in catalogue_row\))\)$")
EXPRESSION_CALLS = {"QgsExpression", "setFilterExpression", "setSubsetString",
                    "selectByExpression", "QgsFeatureRequest"}
NETWORK = re.compile(r"^\s*(import|from)\s+(urllib|http|socket|requests)\b|QgsNetworkAccessManager"
                     r"|QgsBlockingNetworkRequest", re.M)


def trees():
    for path in plugin_files():
        yield path, ast.parse(path.read_text(), str(path))


def sql_from_values(tree) -> list[int]:
    """Lines of SQL f-strings that interpolate anything but names."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        text = "".join(part.value for part in node.values if isinstance(part, ast.Constant)
                       and isinstance(part.value, str))
        if SQL.search(text) and any(isinstance(part, ast.FormattedValue)
                                    and not SQL_INTERPOLATIONS.match(ast.unparse(part.value))
                                    for part in node.values):
            lines.append(node.lineno)
    return lines


def formatted_expressions(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in EXPRESSION_CALLS
            and any(isinstance(a, ast.JoinedStr) for a in node.args)]


def eval_or_exec(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec")]


def test_the_rules_catch_unsafe_code():
    sample = ast.parse(
        "db.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
        "db.execute(f'SELECT * FROM {s.VALUES}')\n"
        "QgsExpression(f'\"name\" = \\'{name}\\'')\n"
        "eval(text)\n")
    assert sql_from_values(sample) == [1]
    assert formatted_expressions(sample) == [3]
    assert eval_or_exec(sample) == [4]


def test_plugin_code_follows_the_rules():
    found = [f"{path.relative_to(ROOT)}:{line} {rule.__name__}" for path, tree in trees()
             for rule in (sql_from_values, formatted_expressions, eval_or_exec)
             for line in rule(tree)]
    assert found == []


def test_only_the_downloader_touches_the_network():
    users = {str(path.relative_to(ROOT)) for path in plugin_files()
             if NETWORK.search(path.read_text())}
    assert users == {"builder/download.py"}


def test_quoting_helper_keeps_quotes_and_ampersands_inside_the_value(qgis_app):
    from qgis.core import QgsExpression

    from jsna_profiles.layers.selection import code_filter

    for names in (["Naul's Mill & Bishopsgate Green"], ["a'b", 'c"d']):
        expression = QgsExpression(code_filter(names, "name"))
        assert not expression.hasParserError(), expression.parserErrorString()
        for name in names:
            assert QgsExpression.quotedValue(name) in expression.expression()
