"""Reading official source files with their original column names, checked on the way in.

Every problem becomes a :class:`JsnaInputError` naming the file, column or code. Source files
are only ever opened for reading.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import JsnaInputError
from ..core.names import EXPRESSION_MARK, check_plain_text
from ..core.recipes import DEFAULT_EDITION, EDITION_OF_OLDER_PACKS, EDITIONS

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_PLACE_CONFIG = CONFIG_DIR / "coventry.json"

# Cells the publishers use for suppressed or unavailable values.
SUPPRESSED = {"", "c", "*", "-", "..", ":", "x", "n/a", "na"}
# England's LSOA 2011 codes run to E01033768; higher E01 codes exist only in the 2021 geography
# (ONS Open Geography, LSOA 2011 and 2021 code lists).
LAST_LSOA_2011_CODE = "E01033768"
# The IoD 2019 files' code and local-authority columns (the national builds read them too).
IOD_CODE = "LSOA code (2011)"
IOD_LA = "Local Authority District code (2019)"
LSOA_CODE = re.compile(r"^E01\d{6}$")
MSOA_CODE = re.compile(r"^E02\d{6}$")


@dataclass
class BuildReport:
    """What a build noticed but could go on with: suppressed cells, unmatched codes, skips."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the build matched things, for the record

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)


@dataclass(frozen=True)
class PlaceConfig:
    """One local authority's build configuration for one edition (see config/coventry.json:
    the files every edition reads, then each edition's own)."""

    place: str
    la_code: str
    la_name: str
    files: dict
    hub_lookup: Path
    aqma: dict
    recipe_folders: tuple[Path, ...] = ()  # the place's own recipes, beside the built-in ones
    edition: str = EDITION_OF_OLDER_PACKS
    path: Path = DEFAULT_PLACE_CONFIG
    # Hub facts a JSNA publishes, to set the pack's own beside: hub -> {"population",
    # "period", "source"}.
    published_hubs: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = DEFAULT_PLACE_CONFIG, edition: str = DEFAULT_EDITION
             ) -> PlaceConfig:
        """A configuration without editions describes the 2019 edition's files."""
        if edition not in EDITIONS:
            raise JsnaInputError(f"Unknown edition '{edition}' (choose from "
                                 f"{', '.join(EDITIONS)})")
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            folder = Path(path).parent
            lookup = folder / raw["hub_lookup"]
            recipes = tuple(folder / name for name in raw.get("recipes", ()))
            editions = raw.get("editions") or {EDITION_OF_OLDER_PACKS: {"files": {}}}
            if edition not in editions:
                raise JsnaInputError(f"{Path(path).name} describes no files for the {edition} "
                                     f"edition (it has: {', '.join(editions)})")
            files = {**raw["files"], **editions[edition]["files"]}
            published = dict(raw.get("published_hubs", {}))
            for hub, fact in published.items():
                population = fact.get("population") if isinstance(fact, dict) else fact
                if not isinstance(population, int | float) or isinstance(population, bool):
                    raise ValueError(f"published_hubs: {hub}'s population must be a number, "
                                     f"not {population!r}")
            return cls(raw["place"], raw["la_code"], raw["la_name"], files, lookup,
                       raw["aqma"], recipes, edition, Path(path), published)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise JsnaInputError(f"{path}: not a readable place configuration ({exc})") from exc

    def other_edition(self, edition: str) -> PlaceConfig:
        """The same place's configuration for another edition (for what changed between)."""
        return PlaceConfig.load(self.path, edition)

    @cached_property
    def recipes(self) -> list:
        """The edition's built-in recipes, and the place's own after them (checked, ids unique)."""
        from ..core import catalogue
        from ..core.recipes import built_in_recipes, load_recipes

        if not self.recipe_folders:
            return catalogue.RECIPES[self.edition]
        return load_recipes((built_in_recipes(self.edition), *self.recipe_folders))


def source_path(sources: Path, config: PlaceConfig, role: str) -> Path:
    path = Path(sources) / config.files[role]
    if not path.is_file():
        raise JsnaInputError(f"Missing source file: {path} (the {role.replace('_', ' ')} source)")
    return path


def read_csv_text(path: Path, **options) -> pd.DataFrame:
    """A CSV with every cell as text, in UTF-8 (Excel's "CSV UTF-8") or Windows-1252 (Excel's
    plain "CSV" in England); anything else is a clear error, not a traceback."""
    path = Path(path)
    try:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                               **options)
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252",
                               **options)
    except UnicodeDecodeError as exc:
        raise JsnaInputError(f"{path.name}: neither UTF-8 nor Windows-1252 text (byte "
                             f"0x{exc.object[exc.start]:02x} at position {exc.start:,}); save it "
                             "as \"CSV UTF-8\"") from None
    except (OSError, EOFError, zlib.error, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:  # EOFError, zlib.error: a cut-short .gz
        raise JsnaInputError(f"{path.name}: cannot be read as CSV ({' '.join(str(exc).split())})") \
            from None


def read_sheet_text(path: Path, sheet: str = "") -> pd.DataFrame:
    """One sheet of an XLSX workbook (its first row the header) with every cell as text."""
    from .xlsx import sheet_frame

    try:
        return sheet_frame(path, sheet)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise JsnaInputError(f"{Path(path).name}: cannot be read as an XLSX workbook "
                             f"({' '.join(str(exc).split())})") from None


def read_table(path: Path, columns: list[str], code_column: str,
               unique_by: tuple[str, ...] = (), sheet: str = "") -> pd.DataFrame:
    """Read a CSV (or an XLSX file's ``sheet``) as text, check the named columns exist and each
    code (with ``unique_by``) is on one row only."""
    workbook = Path(path).suffix.lower() == ".xlsx"
    frame = read_sheet_text(path, sheet) if workbook else read_csv_text(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if workbook or EXPRESSION_MARK.encode("ascii") in Path(path).read_bytes():  # the same bytes
        refuse_expression_text(frame, path.name)  # in both encodings read: find where, say so
    missing = [c for c in columns + [code_column] if c not in frame.columns]
    if missing:
        raise JsnaInputError(
            f"{path.name}: column '{missing[0]}' not found (columns are: "
            f"{', '.join(frame.columns[:8])}{', ...' if len(frame.columns) > 8 else ''})")
    frame[code_column] = frame[code_column].str.strip()
    duplicated = frame[code_column][frame.duplicated([code_column, *unique_by])]
    if len(duplicated):
        same = f" with the same {', '.join(unique_by)}" if unique_by else ""
        raise JsnaInputError(f"{path.name}: code {duplicated.iloc[0]} appears more than once "
                             f"in column '{code_column}'{same}")
    return frame


def to_number(frame: pd.DataFrame, column: str, code_column: str, path: Path,
              report: BuildReport) -> pd.Series:
    """Parse a numeric column: thousands separators allowed, suppressed cells become missing."""
    try:  # most columns: plain numbers, parsed in one step
        numbers = pd.to_numeric(frame[column], errors="raise")
        if not numbers.isna().any() and np.isfinite(numbers).all():
            return numbers.astype(float)
    except (ValueError, TypeError):
        pass
    text = frame[column].astype(str).str.strip().str.replace(",", "", regex=False)
    suppressed = text.str.lower().isin(SUPPRESSED)
    numbers = pd.to_numeric(text.where(~suppressed), errors="coerce")
    bad = numbers.isna() & ~suppressed
    if bad.any():
        row = bad.idxmax()
        raise JsnaInputError(f"{path.name}: column '{column}' has '{frame.at[row, column]}' for "
                             f"{frame.at[row, code_column]}, which is not a number")
    if suppressed.any():
        report.warn(f"{path.name}: {int(suppressed.sum())} suppressed or empty cells in "
                    f"'{column}' are treated as missing")
    infinite = ~np.isfinite(numbers.fillna(0))
    if infinite.any():
        row = infinite.idxmax()
        raise JsnaInputError(f"{path.name}: column '{column}' has a non-finite value for "
                             f"{frame.at[row, code_column]}")
    return numbers


def refuse_expression_text(frame: pd.DataFrame, where: str) -> None:
    """No text read from a source may hold "[%" (QGIS would evaluate it in print layouts)."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        values = pd.Series(pd.unique(frame[column].dropna()), dtype=object)
        marked = values[values.str.contains(EXPRESSION_MARK, regex=False, na=False)]
        if len(marked):
            check_plain_text(marked.iloc[0], f"{where}: the {column}")


def check_lsoa_2011(codes: pd.Series, path: Path) -> None:
    """Reject LSOA 2021 codes in a 2011 build, naming the first one."""
    newer = codes[codes.str.match(r"^E01\d{6}$") & (codes > LAST_LSOA_2011_CODE)]
    if len(newer):
        raise JsnaInputError(
            f"{path.name}: {newer.iloc[0]} is an LSOA 2021 code ({len(newer)} such codes); this "
            "build uses 2011 small areas, so use the 2011-geography edition of the file")


def report_unmatched(codes: pd.Series, known: set, path: Path, report: BuildReport) -> None:
    unmatched = sorted(set(codes) - known)
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (" ..." if len(unmatched) > 5 else "")
        report.warn(f"{path.name}: {len(unmatched)} codes match no boundary and are not used: {shown}")
