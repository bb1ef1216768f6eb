"""Safety rules, checked on the plugin's source by following the data into each sink.

- SQL (``execute``, ``executemany``, ``read_sql_query``...): the statement is a literal, an
  f-string interpolating only schema names and identifiers the code made or validated, a
  concatenation of those, or a variable bound (in the same function) only to those. ``%``
  formatting, ``.format`` and anything else are refused.
- QGIS expressions (``QgsExpression``, filters, subset strings, atlas expressions): built only
  from literals and QGIS's quoting helpers (or ``code_filter``, which uses them), the same way.
- Layout text (labels, legend titles and class labels in ``layouts/``): only through
  ``literal()``, which QGIS shows as written, never evaluates.
- No eval or exec, and no network access outside the downloader.
Each rule is shown to catch the unsafe idioms first.
"""

import ast
import re

from conftest import ROOT
from test_qt6_readiness import plugin_files

# The pack interface's own readers (core/packstore.py) are sinks too: what reaches them is
# checked where it is written, and the interface itself only passes it to the driver.
SQL_SINKS = {"execute", "executemany", "executescript", "read_sql_query", "read_sql", "rows",
             "frame"}
PASS_THROUGH = {"PackReader"}  # classes whose methods hand their callers' SQL to the driver
# What an SQL f-string may interpolate: schema names, and identifiers the code itself made or
# validated (``column`` is an indicator id checked against ^[a-z][a-z0-9_]{1,40}$ first).
SQL_INTERPOLATIONS = re.compile(
    r"^(s|schema)\.[A-Z_]+$|^(table|column|layer|columns|marks|placeholders)$"
    r"|^', '\.join\((schema\.VALUE_COLUMNS|catalogue_row|\('\?' for _ in catalogue_row\))\)$")
QUOTED = re.compile(r"^quoted\(\w+\)$|^', '\.join\(\(?quoted\(\w+\) for \w+ in \w+\)?\)$")
EXPRESSION_SINKS = {"QgsExpression", "setFilterExpression", "setSubsetString",
                    "selectByExpression", "QgsFeatureRequest", "setPageNameExpression",
                    "setSortExpression"}
QUOTING_HELPERS = {"createFieldEqualityExpression", "quotedValue", "quotedString",
                   "quotedColumnRef", "code_filter"}
LABEL_SINKS = {"setText": 0, "setLegendNodeUserLabel": 2, "setTitle": 0}
NETWORK = re.compile(r"^\s*(import|from)\s+(urllib|http|socket|requests)\b|QgsNetworkAccessManager"
                     r"|QgsBlockingNetworkRequest", re.M)


def call_name(node: ast.Call) -> str:
    return getattr(node.func, "attr", getattr(node.func, "id", ""))


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class Flow:
    """Where each name gets its values: assignments and ``+=`` in the enclosing function, then
    in the module. A parameter has none, so it is never taken as safe."""

    def __init__(self, tree: ast.AST):
        self.tree = tree
        self.parents = {id(child): node for node in ast.walk(tree)
                        for child in ast.iter_child_nodes(node)}
        self.cache = {}

    def _bindings(self, scope: ast.AST) -> dict:
        if id(scope) not in self.cache:
            bindings = {}
            for node in ast.walk(scope):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
                for target in targets:
                    if isinstance(target, ast.Name) and node.value is not None:
                        bindings.setdefault(target.id, []).append(node.value)
            self.cache[id(scope)] = bindings
        return self.cache[id(scope)]

    def values(self, name: ast.Name) -> list:
        scope = name
        while id(scope) in self.parents and not isinstance(scope, FUNCTIONS):
            scope = self.parents[id(scope)]
        return self._bindings(scope).get(name.id) or self._bindings(self.tree).get(name.id, [])


def safe(node, flow: Flow, part_ok, seen=frozenset()) -> bool:
    """True when every value ``node`` can have is built safely; ``part_ok(node, flow)`` says
    which leaves (interpolations, calls) a rule accepts."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(p, ast.Constant) or part_ok(p.value, flow) for p in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return all(safe(side, flow, part_ok, seen) for side in (node.left, node.right))
    if isinstance(node, ast.IfExp):
        return all(safe(branch, flow, part_ok, seen) for branch in (node.body, node.orelse))
    if isinstance(node, ast.Name):
        values = flow.values(node)
        return bool(values) and node.id not in seen and all(
            safe(v, flow, part_ok, seen | {node.id}) for v in values)
    if isinstance(node, ast.Call):
        return part_ok(node, flow)
    return False  # % formatting, .format, subscripts, parameters, anything not understood


def sql_part(node, flow) -> bool:
    """An allowed interpolation, an identifier quoted by ``quoted()``, or a statement composed
    with psycopg2's ``sql`` module (which quotes identifiers itself)."""
    text = ast.unparse(node)
    return bool(SQL_INTERPOLATIONS.match(text) or QUOTED.match(text)
                or isinstance(node, ast.Call) and text.startswith("sql.SQL("))


def expression_part(node, flow) -> bool:
    if isinstance(node, ast.Call) and call_name(node) in QUOTING_HELPERS | {"QgsExpression"}:
        return True  # a QgsExpression(...) inside is a sink itself, checked on its own
    if isinstance(node, ast.Call) and call_name(node) == "join" and node.args and isinstance(
            node.args[0], (ast.GeneratorExp, ast.ListComp)):
        return safe(node.args[0].elt, flow, expression_part)
    return isinstance(node, ast.Name) and safe(node, flow, expression_part)


def label_part(node, flow) -> bool:
    return isinstance(node, ast.Call) and call_name(node) in ("literal", "quotedColumnRef") \
        or isinstance(node, ast.Name) and safe(node, flow, label_part)


def unsafe_calls(tree, sinks: dict, part_ok) -> list[int]:
    """Lines where a sink's argument (its position by sink) is not safe."""
    flow = Flow(tree)
    lines = []
    passing = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
               and c.name in PASS_THROUGH for n in ast.walk(c)}
    for node in ast.walk(tree):
        if id(node) in passing:
            continue
        if not isinstance(node, ast.Call) or call_name(node) not in sinks \
                or getattr(node.func, "value", None) is not None \
                and getattr(node.func.value, "id", "") == "self":  # our own methods
            continue
        position = sinks[call_name(node)]
        if len(node.args) > position and not safe(node.args[position], flow, part_ok):
            lines.append(node.lineno)
    return lines


def sql_from_values(tree) -> list[int]:
    return unsafe_calls(tree, dict.fromkeys(SQL_SINKS, 0), sql_part)


def formatted_expressions(tree) -> list[int]:
    return unsafe_calls(tree, dict.fromkeys(EXPRESSION_SINKS, 0), expression_part)


def evaluated_layout_text(tree) -> list[int]:
    lines = unsafe_calls(tree, LABEL_SINKS, label_part)
    flow = Flow(tree)
    for node in ast.walk(tree):  # setCustomProperty("legend/...", text)
        if isinstance(node, ast.Call) and call_name(node) == "setCustomProperty" \
                and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).startswith("legend/") \
                and not safe(node.args[1], flow, label_part):
            lines.append(node.lineno)
    return sorted(lines)


def eval_or_exec(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec")]


def trees():
    for path in plugin_files():
        yield path, ast.parse(path.read_text(), str(path))


UNSAFE = '''
def f(db, name, layout, item):
    db.execute(f"SELECT * FROM t WHERE name = '{name}'")
    db.execute("SELECT * FROM t WHERE name = '%s'" % name)
    db.execute("SELECT * FROM t WHERE name = '{}'".format(name))
    db.execute("SELECT * FROM t WHERE name = '" + name + "'")
    query = f"SELECT * FROM t WHERE name = '{name}'"
    db.execute(query)
    db.execute(name)
    db.rows(f"SELECT * FROM {name}")
    QgsExpression(f'"name" = \\'{name}\\'')
    QgsExpression('"name" = \\'%s\\'' % name)
    QgsExpression('"name" = \\'{}\\''.format(name))
    expression = '"name" = ' + "'" + name + "'"
    layer.setSubsetString(expression)
    text = f"{name}: fuel poverty"
    item.setText(text)
    node.setCustomProperty("legend/title-label", name)
    QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, 0, name)
    eval(name)
'''
SAFE = '''
def g(db, name, table, item, hub):
    db.execute(f"SELECT * FROM {schema.VALUES} WHERE name = ?", (name,))
    sql = f"DELETE FROM {s.CATALOGUE}" + " WHERE indicator_id = ?"
    db.execute(sql, (name,))
    db.rows(f"PRAGMA table_info({quoted(table)})")
    cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    expression = QgsExpression.createFieldEqualityExpression("name", name)
    expression += " OR " + QgsExpression.createFieldEqualityExpression("code", name)
    QgsExpression(expression)
    chosen = QgsExpression.createFieldEqualityExpression("hub", hub) if hub else ""
    atlas.setFilterExpression(chosen)
    quoted = ", ".join(QgsExpression.quotedValue(c) for c in name)
    layer.setSubsetString(f"{QgsExpression.quotedColumnRef('code')} IN ({quoted})")
    field = f"[% {QgsExpression.quotedColumnRef(name)} %]" if name else ""
    item.setText(field + literal(name))
    node.setCustomProperty("legend/title-label", literal(name))
'''


def test_the_rules_catch_unsafe_code():
    sample = ast.parse(UNSAFE)
    assert sql_from_values(sample) == [3, 4, 5, 6, 8, 9, 10]
    assert formatted_expressions(sample) == [11, 12, 13, 15]
    assert evaluated_layout_text(sample) == [17, 18, 19]
    assert eval_or_exec(sample) == [20]


def test_the_rules_let_safe_code_through():
    sample = ast.parse(SAFE)
    for rule in (sql_from_values, formatted_expressions, evaluated_layout_text, eval_or_exec):
        assert rule(sample) == [], rule.__name__


def test_plugin_code_follows_the_rules():
    found = [f"{path.relative_to(ROOT)}:{line} {rule.__name__}" for path, tree in trees()
             for rule in (sql_from_values, formatted_expressions, eval_or_exec)
             for line in rule(tree)]
    found += [f"{path.relative_to(ROOT)}:{line} evaluated_layout_text" for path, tree in trees()
              if path.parent.name == "layouts" for line in evaluated_layout_text(tree)]
    assert found == []


def test_layout_labels_are_made_in_one_place():
    """Every layout label goes through items.label (which makes its text literal)."""
    makers = {str(path.relative_to(ROOT)) for path in plugin_files()
              if "QgsLayoutItemLabel(" in path.read_text()}
    assert makers == {"layouts/items.py"}


def test_only_the_downloader_touches_the_network():
    users = {str(path.relative_to(ROOT)) for path in plugin_files()
             if NETWORK.search(path.read_text())}
    # the downloader, and the background map's one check that its tile server answers (only
    # when a user asks for the background)
    assert users == {"builder/download.py", "layouts/background.py"}


def test_quoting_helper_keeps_quotes_and_ampersands_inside_the_value(qgis_app):
    from qgis.core import QgsExpression

    from jsna_profiles.layers.selection import code_filter

    for names in (["Naul's Mill & Bishopsgate Green"], ["a'b", 'c"d']):
        expression = QgsExpression(code_filter(names, "name"))
        assert not expression.hasParserError(), expression.parserErrorString()
        for name in names:
            assert QgsExpression.quotedValue(name) in expression.expression()
