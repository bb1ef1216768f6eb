"""Writing files safely: to a temporary file beside the target, checked, then renamed.

A failure (a full disk, a file open elsewhere, a folder in the way) never leaves a partial file
and never damages an existing one. Names that come from data (hub names, grid names in a
pack) never lead a write outside the folder the user chose.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

from . import verify
from .errors import JsnaInputError

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
LOW_SPACE = 1 << 20  # a write that failed with less than this left failed for want of space


def temporary_beside(path: Path, suffix: str | None = None) -> Path:
    """A new empty file next to ``path``, with the permissions any new file there would get
    (the process umask applies; nothing changes it)."""
    stem = path.stem[:40]
    for _ in range(100):
        tmp = path.parent / f".{stem}-{secrets.token_hex(4)}{path.suffix if suffix is None else suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise JsnaInputError(f"Cannot write in {path.parent}: {exc.strerror}") from None
    raise JsnaInputError(f"Cannot write in {path.parent}: no free temporary name")


def write_error(exc: Exception, path: Path) -> JsnaInputError:
    """The one-line message for a failed write of ``path``: by the error (OSError) or, as
    GDAL, SQLite and zip report a full disk each in their own words, by the space left."""
    if getattr(exc, "errno", None) in DISK_FULL or space_left(path.parent) < LOW_SPACE:
        return JsnaInputError(f"Not enough disk space to write {path.name} in {path.parent}"
                              f"{_unchanged(path)}")
    if isinstance(exc, OSError):
        return JsnaInputError(f"Cannot write {path.name}: {exc.strerror or exc} (is it open "
                              "elsewhere, or is it a folder?)")
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return JsnaInputError(f"Cannot write {path.name}: {reason}{_unchanged(path)}")


def space_left(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return LOW_SPACE


def incomplete_error(reason: str, path: Path) -> JsnaInputError:
    return JsnaInputError(f"{path.name} was not written completely ({reason}): is the disk "
                          f"full?{_unchanged(path)}")


def _unchanged(path: Path) -> str:
    return f"; the existing {path.name} is unchanged" if path.is_file() else ""


def flush_to_disk(path: Path) -> None:
    """Make the kernel write the file now, so that a full disk is noticed before the rename."""
    handle = os.open(path, os.O_RDWR)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def written_beside(path: Path, write: Callable[[Path], None],
                   check: Callable[[Path], None] | None = None) -> Path:
    """A temporary file beside ``path`` holding what ``write(tmp)`` wrote, on the disk and
    passing ``check(tmp)`` (a :mod:`verify` function); for the caller to rename. On any
    failure it is removed and the error is a clear one-line message."""
    tmp = temporary_beside(path)
    try:
        write(tmp)
        flush_to_disk(tmp)
        if check is not None:
            check(tmp)
    except verify.IncompleteFileError as exc:
        tmp.unlink(missing_ok=True)
        raise incomplete_error(str(exc), path) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def replace_atomically(path: str | Path, write: Callable[[Path], None],
                       check: Callable[[Path], None] | None = None) -> Path:
    """Call ``write(tmp)``, make sure it reached the disk and passes ``check(tmp)``, then
    rename tmp to ``path`` (keeping an existing file's permissions); a clear error otherwise."""
    path = Path(path)
    if not path.parent.is_dir():
        raise JsnaInputError(f"Folder not found: {path.parent}")
    refuse_database(path)
    tmp = written_beside(path, write, check)
    try:
        if path.is_file():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        raise write_error(exc, path) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """``data`` as the whole of ``path``, read back before it replaces anything."""
    return replace_atomically(path, lambda tmp: tmp.write_bytes(data),
                              lambda tmp: verify.same_bytes(tmp, data))


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing a name that would lead outside ``folder`` (``..``, ``/``)."""
    target = (Path(folder) / name).resolve()
    if target.parent != Path(folder).resolve() or not name or name in (".", ".."):
        raise JsnaInputError(f"'{name}' is not a plain file name: it would be written outside "
                             f"{folder}")
    return target


SQLITE_HEADER = b"SQLite format 3\x00"


def is_database(path: Path) -> bool:
    """True for an SQLite file (a data pack, a GeoPackage, a QGIS database)."""
    try:
        with Path(path).open("rb") as stream:
            return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def refuse_database(path: Path) -> None:
    """An export (PDF, CSV, a style...) never takes the place of a data pack or other database:
    ``--out`` naming the pack by mistake must not destroy it."""
    if path.is_file() and is_database(path):
        raise JsnaInputError(f"{path.name} is a database (a data pack?); an export never "
                             "replaces it: choose another file name")


NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])$", re.I)
MAX_NAME_BYTES = 180  # file systems allow 255; room for a suffix, " (2)" and a temporary prefix


def safe_file_name(name: str) -> str:
    """A name usable as a file name on Windows, macOS and Linux; quotes and '&' stay.

    Characters no file system allows become '-'; bidirectional controls (which can make
    "fdp.exe" look like "exe.pdf") are dropped; Windows' reserved device names (CON, NUL,
    COM1...) get a '_'; long names are shortened; the result is in Unicode NFC form.
    """
    cleaned = NOT_IN_FILE_NAMES.sub("-", BIDI_CONTROLS.sub("", unicodedata.normalize("NFC", name)))
    cleaned = cleaned.strip(" .")
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        cleaned = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    stem, dot, rest = cleaned.partition(".")
    if WINDOWS_RESERVED.match(stem.rstrip(" ")):  # "NUL.txt" is the device too
        cleaned = f"{stem}_{dot}{rest}"
    if not any(c.isalnum() for c in cleaned):
        raise JsnaInputError(f"'{name}' cannot be turned into a file name")
    return cleaned


def same_name_key(name: str) -> str:
    """Names that are one file on Windows or macOS (case, Unicode normalisation) share a key."""
    return unicodedata.normalize("NFC", name).casefold()


def distinct_file_names(names: list[str]) -> list[str]:
    """Safe file names for ``names``, in order; a name that would be the same file as an earlier
    one (on any system) gets " (2)", " (3)"..."""
    taken: set[str] = set()
    result = []
    for name in names:
        base = safe_file_name(name)
        candidate, n = base, 1
        while same_name_key(candidate) in taken:
            n += 1
            candidate = f"{base} ({n})"
        taken.add(same_name_key(candidate))
        result.append(candidate)
    return result
