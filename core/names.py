"""Text from outside (hub lookups, source files, packs, your own tables) is data, never code.

QGIS evaluates "[% ... %]" in layout labels and legends. The print layouts show every name
literally whatever it holds (``layouts.items.literal``); builders also refuse such names, so
that a pack never carries one to other tools.
"""

from __future__ import annotations

from .errors import JsnaInputError

EXPRESSION_MARK = "[%"


def check_plain_text(text: object, what: str) -> None:
    """Refuse ``text`` holding "[%", naming ``what`` it is (e.g. "the hub name in lookup.csv")."""
    if EXPRESSION_MARK in str(text):
        raise JsnaInputError(f"{what} '{text}' contains '[%', which QGIS would run as an "
                             "expression; remove it")
