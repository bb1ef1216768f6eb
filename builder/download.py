"""The national source files: a manifest, a cache, and a downloader that checks what it got.

Each file is looked for, in order, in the cache, in a local mirror folder (offline use), and
at ``base_url`` (an HTTP folder holding the files under their manifest names: an organisation's
mirror of the official files). A download goes to a temporary file and becomes part of the
cache only after its checks pass: complete (length as announced; gzip stream intact), not an
HTML error page, and a CSV header with the columns the builder reads. Nothing touches the
network unless a base URL is given.
"""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import JsnaInputError
from . import indicators


@dataclass(frozen=True)
class OfficialFile:
    role: str
    name: str
    publisher: str
    publication: str  # where the official file is published
    columns: tuple[str, ...] = ()  # CSV columns the builder needs; empty for boundaries


IOD_PAGE = ("https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019 "
            "(Ministry of Housing, Communities and Local Government)")
MANIFEST = (
    OfficialFile("iod_domains", "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 2", (indicators.IOD_CODE, "LSOA name (2011)",
                                         indicators.IOD_LA)),
    OfficialFile("iod_population", "File_6_-_IoD2019_Population_Denominators.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 6", (indicators.IOD_CODE, indicators.POPULATION)),
    OfficialFile("iod_underlying", "iod2019_underlying_indicators_england.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 8 (underlying indicators)",
                 ("lsoa11_code", "income_domain_numerator")),
    OfficialFile("lsoa_boundaries", "lsoa_2011_bsc_ew.geojson.gz", "ONS",
                 "https://geoportal.statistics.gov.uk (LSOA Dec 2011 Boundaries Super "
                 "Generalised Clipped EW V3)"),
)


def _check(path: Path, entry: OfficialFile, expected_size: int | None = None) -> None:
    """Raise a JsnaInputError naming the file if it is not what the manifest describes."""
    name = entry.name
    if expected_size is not None and path.stat().st_size != expected_size:
        raise JsnaInputError(f"{name}: download cut short ({path.stat().st_size:,} of "
                             f"{expected_size:,} bytes)")
    head = path.read_bytes()[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise JsnaInputError(f"{name}: got an HTML page (an error or sign-in page), not the file")
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            first_line = stream.readline().decode("utf-8-sig", errors="replace")
            while stream.read(1 << 20):  # reading to the end checks the gzip stream is whole
                pass
    except (OSError, EOFError) as exc:
        raise JsnaInputError(f"{name}: damaged or incomplete ({exc})") from None
    if first_line.lstrip().lower().startswith(("<!doctype html", "<html")):
        raise JsnaInputError(f"{name}: got an HTML page (an error or sign-in page), not the file")
    missing = [c for c in entry.columns if c not in first_line]
    if missing:
        raise JsnaInputError(f"{name}: not the expected table (no column '{missing[0]}')")


def fetch(entry: OfficialFile, cache: Path, mirror: Path | None = None,
          base_url: str | None = None, timeout: float = 60) -> Path:
    """The file's path: from the cache, the mirror folder, or downloaded into the cache."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / entry.name
    if cached.is_file():
        _check(cached, entry)
        return cached
    if mirror is not None and (Path(mirror) / entry.name).is_file():
        local = Path(mirror) / entry.name
        _check(local, entry)
        return local
    if not base_url:
        raise JsnaInputError(f"{entry.name} is not in the cache ({cache}) or the mirror folder; "
                             f"give a download address, or get it from {entry.publication}")
    url = f"{base_url.rstrip('/')}/{urllib.request.pathname2url(entry.name)}"
    handle, name = tempfile.mkstemp(prefix=f".{entry.name}-", dir=cache)
    os.close(handle)
    tmp = Path(name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as out:
                announced = response.headers.get("Content-Length")
                if "text/html" in (response.headers.get("Content-Type") or ""):
                    raise JsnaInputError(f"{entry.name}: {url} answered with an HTML page, not "
                                         "the file")
                shutil.copyfileobj(response, out)
        except urllib.error.HTTPError as exc:
            raise JsnaInputError(f"{entry.name}: {url} answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise JsnaInputError(f"{entry.name}: could not download from {url} ({reason})") \
                from None
        _check(tmp, entry, int(announced) if announced else None)
        os.replace(tmp, cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached


def fetch_national(cache: Path, mirror: Path | None = None, base_url: str | None = None,
                   progress: Callable[[float, str], None] | None = None) -> Path:
    """Make sure every national file is usable; returns the folder to build from."""
    step = progress or (lambda percent, text: None)
    paths = []
    for i, entry in enumerate(MANIFEST):
        step(100 * i / len(MANIFEST), f"Getting {entry.name}")
        paths.append(fetch(entry, Path(cache), mirror, base_url))
    folders = {p.parent for p in paths}
    if len(folders) == 1:
        return folders.pop()
    for path in paths:  # some cached, some in the mirror: gather them in the cache
        if path.parent != Path(cache):
            shutil.copyfile(path, Path(cache) / path.name)
    return Path(cache)
