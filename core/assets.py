"""A council's community assets (a CSV of name, description and optional postcode and hub),
for the profile's "What else is happening?": listed as a table, and mapped where the pack's
postcode table (Code-Point Open, written by the builder) places them. No Qt."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from . import schema as s
from .errors import JsnaInputError
from .packstore import PackLocation, open_reader

REQUIRED = ("name", "description")
OPTIONAL = ("postcode", "hub")


@dataclass(frozen=True)
class Asset:
    number: int  # its number on the map and in the table
    name: str
    description: str
    postcode: str = ""
    hub: str = ""
    x: float | None = None  # British National Grid, where the postcode was found
    y: float | None = None

    @property
    def placed(self) -> bool:
        return self.x is not None


def postcode_key(postcode: str) -> str:
    """A postcode compared without case or spaces, as the builder stores it."""
    return re.sub(r"\s+", "", postcode or "").upper()


def read_assets(path: str | Path, hub: str | None) -> list[Asset]:
    """The CSV's rows for ``hub`` (those with no hub, or this hub; every row for the city's
    profile), numbered in file order. Missing columns are one clear error."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise JsnaInputError(
                    f"{path.name}: the community assets table needs the columns name and "
                    f"description (optional: postcode, hub); '{missing[0]}' is missing (columns "
                    f"found: {', '.join(columns) or 'none'})")
            rows = list(reader)
    except FileNotFoundError:
        raise JsnaInputError(f"Community assets table not found: {path}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise JsnaInputError(f"{path.name} cannot be read as a CSV table ({exc})") from None

    def get(row: dict, column: str) -> str:
        return str(row.get(columns.get(column, ""), "") or "").strip()
    chosen = [row for row in rows if get(row, "name")
              and (hub is None or get(row, "hub").lower() in ("", hub.lower()))]
    return [Asset(n, get(row, "name"), get(row, "description"), get(row, "postcode"),
                  get(row, "hub")) for n, row in enumerate(chosen, start=1)]


def place_assets(assets: list[Asset], pack: str | Path | PackLocation
                 ) -> tuple[list[Asset], list[str]]:
    """The assets with their postcodes' positions from the pack, and a message for each that
    could not be placed (it is still listed, without a map point)."""
    wanted = {postcode_key(a.postcode) for a in assets if a.postcode}
    found: dict = {}
    has_table = False
    if wanted:
        with open_reader(pack) as reader:
            has_table = reader.has_table(s.POSTCODES)
            for key in sorted(wanted) if has_table else ():  # a council's list is short
                rows = reader.rows(f"SELECT x, y FROM {s.POSTCODES} WHERE postcode = ?", (key,))
                if rows:
                    found[key] = rows[0]
    placed, messages = [], []
    for asset in assets:
        at = found.get(postcode_key(asset.postcode))
        if at is not None:
            placed.append(Asset(**{**asset.__dict__, "x": at[0], "y": at[1]}))
            continue
        placed.append(asset)
        if not asset.postcode:
            messages.append(f"{asset.name}: no postcode, listed without a map point")
        elif not has_table:
            messages.append(f"{asset.name}: the pack has no postcode table to place "
                            f"{asset.postcode} (built without Code-Point Open), listed without "
                            "a map point")
        else:
            messages.append(f"{asset.name}: postcode {asset.postcode} not found in the pack's "
                            "postcodes, listed without a map point")
    return placed, messages
