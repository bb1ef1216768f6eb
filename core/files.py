"""Writing files safely: to a temporary file beside the target, then renamed.

A failure never leaves a partial file or damages an existing one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import JsnaInputError


def replace_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then rename tmp to ``path``; a clear error when the folder is unusable."""
    path = Path(path)
    if not path.parent.is_dir():
        raise JsnaInputError(f"Folder not found: {path.parent}")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise JsnaInputError(f"Cannot write in {path.parent}: {exc.strerror}") from None
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.is_file() else _default_mode())
        os.replace(tmp, path)
    except OSError as exc:
        raise JsnaInputError(f"Cannot write {path.name}: {exc.strerror or exc} (is it open "
                             "elsewhere, or is it a folder?)") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _default_mode() -> int:
    """Permissions a newly created file gets (mkstemp's own are owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
