"""The national source files: a manifest, a cache, and a downloader that checks what it got.

Each file is looked for, in order, in the cache, in a local mirror folder (offline use), and
at ``base_url`` (an HTTP folder holding the files under their manifest names: an organisation's
mirror of the official files). A download goes to a temporary file and becomes part of the
cache only after its checks pass: within its size and time limits, complete (length as
announced), not an HTML error page, and its SHA-256 the manifest's (where the manifest knows
it; otherwise the gzip stream intact within an unpacked-size limit and a CSV header with the
columns the builder reads). Redirects are followed only on the same server; user names,
passwords and query strings never appear in messages. Nothing touches the network unless a
base URL is given.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import JsnaInputError
from ..core.files import DISK_FULL, replace_atomically, temporary_beside, write_error
from ..core.recipes import DEFAULT_EDITION
from .england import NATIONAL
from .sources import IOD_CODE, IOD_LA

MB = 1 << 20


@dataclass(frozen=True)
class OfficialFile:
    role: str
    name: str
    publisher: str
    publication: str  # where the official file is published
    columns: tuple[str, ...] = ()  # CSV columns the builder needs; empty for boundaries
    sha256: str = ""  # of the file under this name, where known; checked before it is cached
    max_bytes: int = 64 * MB  # as downloaded: anything larger is not this file
    max_unpacked_bytes: int = 512 * MB  # once gunzipped: guards against "gzip bombs"


IOD_PAGE = ("https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019 "
            "(Ministry of Housing, Communities and Local Government)")
IOD_2025_PAGE = ("https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025 "
                 "(Ministry of Housing, Communities and Local Government)")
CENSUS_PAGE = "https://www.nomisweb.co.uk/sources/census_2021_bulk (ONS, Census 2021)"
GEOPORTAL = "https://geoportal.statistics.gov.uk (ONS Open Geography)"
# The SHA-256 sums are those of the files under these names in the mirror described in
# ../shared/data/england/SOURCES.md.
MANIFEST_2019 = (
    OfficialFile("iod_domains", "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 2", (IOD_CODE, "LSOA name (2011)", IOD_LA),
                 "c6e6fa32c444bf34a8511d4a15b43046e18cb6ff3d702daaf5cf505b6388efe0"),
    OfficialFile("iod_population", "File_6_-_IoD2019_Population_Denominators.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 6", (IOD_CODE, "Total population: mid 2015 (excluding prisoners)"),
                 "f4ee47fbe7a8b2ccbc0c8575f92d7972ce99582c11412b1583aebbd3a6099995"),
    OfficialFile("iod_underlying", "iod2019_underlying_indicators_england.csv.gz", "MHCLG",
                 IOD_PAGE + ", File 8 (underlying indicators)",
                 ("lsoa11_code", "income_domain_numerator"),
                 "063c5ecd66b8d169e61fdd8aaa3fca42a8ca75f9b044cf036751118762f73770"),
    OfficialFile("lsoa_boundaries", "lsoa_2011_bsc_ew.geojson.gz", "ONS",
                 "https://geoportal.statistics.gov.uk (LSOA Dec 2011 Boundaries Super "
                 "Generalised Clipped EW V3)", (),
                 "0d9c7bbbdb6a894261fd146554fc09a6bf1c000826b6ab7ef835d0951a4805d5"),
)
_NAMES_2025 = NATIONAL["2025"].files
MANIFEST_2025 = tuple(OfficialFile(role, _NAMES_2025[role], publisher, page, columns, sha256)
                      for role, publisher, page, columns, sha256 in (
    ("lsoa_boundaries", "ONS", GEOPORTAL + ", LSOA Dec 2021 Boundaries EW BSC V4", (),
     "d668293d55ca6474d340b5aa86557364aad08e81fab9b5d9e8a72d97cceefb90"),
    ("lsoa_lookup", "ONS", GEOPORTAL + ", LSOA11_LSOA21_LAD22_EW_LU",
     ("lsoa11_code", "lsoa21_code", "change_code"),
     "297bd909a6bf60c34b546fa11571e0e66c4279361de1c798f0a79ea61e6ad8bc"),
    ("iod_file1", "MHCLG", IOD_2025_PAGE + ", File 1", ("LSOA code (2021)", "LSOA name (2021)"),
     "6ca24cabff2df182ff59ce33cb4ee2aba90d05c0052acd93deb6303334cfeb37"),
    ("iod_scores", "MHCLG", IOD_2025_PAGE + ", File 7 (scores, ranks, deciles)",
     ("lsoa21_code", "IMD_score"),
     "07e3392dd6997f45d1ed54833bcacb06f5e786c10a846b2b95fe52033c3daf2b"),
    ("iod_supplementary", "MHCLG", IOD_2025_PAGE + ", File 3", ("LSOA code (2021)",),
     "64bad1ab6f32c7a91af32b7cc8748697d9a4cbbee92cfe6d4b3b22bb5b49ae1c"),
    ("iod_subdomains", "MHCLG", IOD_2025_PAGE + ", File 7 (sub-domains)", ("lsoa21_code",),
     "4038eed8ab467db7f18f9b75070402a0a4ad87a8d507f6a0fa8ce9fa7905ebf5"),
    ("iod_underlying", "MHCLG", IOD_2025_PAGE + ", File 8 (underlying indicators)",
     ("lsoa21_code",), "fd18ae56bdbc0946b7b5ce00c922ed7b4bb8c766338473ee127d48d5ae744bdb"),
    *((entry.role.replace("iod_", "iod2019_"), entry.publisher, entry.publication,
       entry.columns, entry.sha256) for entry in MANIFEST_2019
      if entry.role in ("iod_domains", "iod_population", "iod_underlying")),
    ("census_residents", "ONS", CENSUS_PAGE + ", TS021 and TS054 totals",
     ("lsoa21_code", "usual_residents"),
     "ea163e2d2066b19492cf2913e5a19859b0b7767792d563576223426947273de7"),
    ("census_age", "ONS", CENSUS_PAGE + ", usual residents by age (6 groups)",
     ("lsoa21_code", "age_group"),
     "72c53a8d86d2800c0c5fb4e1b8710f6f558ce7f7ff852a15f248e889336c51cd"),
    ("census_ethnicity_lsoa", "ONS", CENSUS_PAGE + ", TS021", ("lsoa21_code", "ethnic_group"),
     "d2b12584832e348ba5fae2144bbe8bed962f2cc777ca1bc543b1455aaaeb1b40"),
    ("census_religion", "ONS", CENSUS_PAGE + ", TS030", ("lsoa21_code", "religion"),
     "7c7363ad44b91aea4e5722295c5143bc92cd54c2bb7ddef640ba5131c9dae8cd"),
    ("census_disability", "ONS", CENSUS_PAGE + ", TS038", ("lsoa21_code", "disability"),
     "6e8e43956eb48737f6dfa59502d1aa3078dc905a4ff8a93293b7c0ce136dad59"),
    ("census_tenure", "ONS", CENSUS_PAGE + ", TS054", ("lsoa21_code", "tenure"),
     "fabad9f95b2a11986c34ccb201352da0ef52e5ba8fc9fb92fedc944525668ae3"),
    ("census_accommodation", "ONS", CENSUS_PAGE + ", TS044", ("lsoa21_code", "type"),
     "24df11a40f6fff9a6a1a37c0dace2aea8233329c50dbea075d85306f6cbea928"),
    ("census_household_deprivation", "ONS", CENSUS_PAGE + ", TS011",
     ("lsoa21_code", "deprivation_dimensions"),
     "77d1dcdd8d0519a8f063c0a2d88d728789541791e88a4c8966147d928fd7b91b"),
    ("census_occupancy", "ONS", CENSUS_PAGE + ", TS052", ("lsoa21_code", "occupancy_rating"),
     "c23e3318b107ec5bf024adfb80e59f75465a7a2c058e0a4997c9f34414abb814"),
    ("schools", "DfE", "https://get-information-schools.service.gov.uk (Get Information About "
     "Schools, all establishments)", ("urn", "lsoa_code", "percentage_fsm"),
     "70f24a7c949ba86678aee3a91ff03cae37021dacb3b0e3e50e5db874a499e588"),
))
MANIFESTS = {"2019": MANIFEST_2019, "2025": MANIFEST_2025}
FIRST_LINE_BYTES = 64 * 1024
CHUNK = 1 << 16


def _server(parts: urllib.parse.SplitResult) -> str:
    """host[:port], without any user name or password."""
    return f"{parts.hostname or ''}:{parts.port}" if parts.port else parts.hostname or ""


def public_url(url: str) -> str:
    """``url`` without user name, password, query or fragment: safe to print."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, _server(parts), parts.path, "", ""))


def file_url(base_url: str, name: str) -> str:
    """The file ``name`` inside the folder ``base_url``, keeping the folder's query (a token)."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JsnaInputError(f"The download address must be an http:// or https:// folder, not "
                             f"'{public_url(base_url)}'")
    path = f"{parts.path.rstrip('/')}/{urllib.parse.quote(name)}"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _check(path: Path, entry: OfficialFile, expected_size: int | None = None) -> None:
    """Raise a JsnaInputError naming the file if it is not what the manifest describes."""
    name = entry.name
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        raise JsnaInputError(f"{name}: download cut short ({size:,} of {expected_size:,} bytes)")
    if size > entry.max_bytes:
        raise JsnaInputError(f"{name}: {size:,} bytes, more than the {entry.max_bytes:,} such a "
                             "file can have; not the expected file")
    with path.open("rb") as stream:
        head = stream.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise JsnaInputError(f"{name}: got an HTML page (an error or sign-in page), not the file")
    if entry.sha256 and _sha256(path) == entry.sha256:
        return
    first_line = _first_line_and_whole(path, entry)  # why it is not the file, where that shows
    if first_line.lstrip().lower().startswith(("<!doctype html", "<html")):
        raise JsnaInputError(f"{name}: got an HTML page (an error or sign-in page), not the file")
    if entry.columns and not first_line.endswith("\n"):
        raise JsnaInputError(f"{name}: its first line is longer than {FIRST_LINE_BYTES:,} "
                             "bytes; not the expected table")
    missing = [c for c in entry.columns if c not in first_line]
    if missing:
        raise JsnaInputError(f"{name}: not the expected table (no column '{missing[0]}')")
    if entry.sha256:
        raise JsnaInputError(f"{name}: not the published file (its SHA-256 is not the one in "
                             "the manifest): damaged, or changed since")


def _first_line_and_whole(path: Path, entry: OfficialFile) -> str:
    """The file's first line (at most 64 KB of it), after reading the whole file through: a gzip
    stream must be intact and unpack to no more than the entry's limit."""
    name = entry.name
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            line = stream.readline(FIRST_LINE_BYTES)
            unpacked = len(line)
            while chunk := stream.read(1 << 20):  # reading to the end checks the gzip stream
                unpacked += len(chunk)
                if unpacked > entry.max_unpacked_bytes:
                    raise JsnaInputError(f"{name}: unpacks to more than "
                                         f"{entry.max_unpacked_bytes:,} bytes; not the expected "
                                         "file")
    except (OSError, EOFError, zlib.error) as exc:
        raise JsnaInputError(f"{name}: damaged or incomplete ({exc})") from None
    return line.decode("utf-8-sig", errors="replace")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _SameServerRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            raise JsnaInputError(f"{public_url(req.full_url)} redirects to another server "
                                 f"({public_url(newurl)}); not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _request(url: str) -> urllib.request.Request:
    """A request with any user:password in the address sent as HTTP Basic authentication."""
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(urllib.parse.urlunsplit(
        (parts.scheme, _server(parts), parts.path, parts.query, "")))
    if parts.username is not None:
        secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        request.add_unredirected_header(
            "Authorization", "Basic " + base64.b64encode(secret.encode()).decode("ascii"))
    return request


def _download(url: str, entry: OfficialFile, out: Path, timeout: float,
              deadline_s: float) -> int | None:
    """Stream ``url`` into ``out`` within the byte and time limits; the announced length."""
    shown = public_url(url)
    opener = urllib.request.build_opener(_SameServerRedirects)
    started = time.monotonic()
    with opener.open(_request(url), timeout=timeout) as response, out.open("wb") as target:
        if "text/html" in (response.headers.get("Content-Type") or ""):
            raise JsnaInputError(f"{entry.name}: {shown} answered with an HTML page, not the file")
        announced = response.headers.get("Content-Length")
        try:
            length = int(announced) if announced is not None else None
        except ValueError:
            raise JsnaInputError(f"{entry.name}: {shown} announced a length that is not a number "
                                 f"('{announced[:20]}')") from None
        if length is not None and length > entry.max_bytes:
            raise JsnaInputError(f"{entry.name}: {shown} offers {length:,} bytes, more than the "
                                 f"{entry.max_bytes:,} such a file can have")
        received = 0
        while chunk := response.read1(CHUNK):  # what has arrived: a trickle meets the deadline
            received += len(chunk)
            if received > entry.max_bytes:
                raise JsnaInputError(f"{entry.name}: {shown} sent more than "
                                     f"{entry.max_bytes:,} bytes; not the expected file")
            if time.monotonic() - started > deadline_s:
                raise JsnaInputError(f"{entry.name}: the download from {shown} took longer than "
                                     f"{deadline_s:g} s; try again later")
            target.write(chunk)
    return length


def fetch(entry: OfficialFile, cache: Path, mirror: Path | None = None,
          base_url: str | None = None, timeout: float = 60, deadline_s: float = 900) -> Path:
    """The file's path: from the cache, the mirror folder, or downloaded into the cache.

    A download may take ``timeout`` seconds per read and ``deadline_s`` in all."""
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
    url = file_url(base_url, entry.name)
    tmp = temporary_beside(cached, ".partial")
    try:
        try:
            length = _download(url, entry, tmp, timeout, deadline_s)
        except urllib.error.HTTPError as exc:
            raise JsnaInputError(f"{entry.name}: {public_url(url)} answered {exc.code} "
                                 f"{exc.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno in DISK_FULL:
                raise write_error(exc, cached) from None
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise JsnaInputError(f"{entry.name}: could not download from {public_url(url)} "
                                 f"({reason})") from None
        _check(tmp, entry, length)
        os.replace(tmp, cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached


def fetch_national(cache: Path, mirror: Path | None = None, base_url: str | None = None,
                   progress: Callable[[float, str], None] | None = None,
                   edition: str = DEFAULT_EDITION) -> Path:
    """Make sure every national file of the edition is usable; returns the folder to build
    from."""
    step = progress or (lambda percent, text: None)
    manifest = MANIFESTS[edition]
    paths = []
    for i, entry in enumerate(manifest):
        step(100 * i / len(manifest), f"Getting {entry.name}")
        paths.append(fetch(entry, Path(cache), mirror, base_url))
    folders = {p.parent for p in paths}
    if len(folders) == 1:
        return folders.pop()
    for entry, path in zip(manifest, paths):  # some cached, some in the mirror: gather them
        if path.parent != Path(cache):
            replace_atomically(Path(cache) / path.name, lambda tmp, path=path: shutil.copyfile(
                path, tmp), lambda tmp, entry=entry: _check(tmp, entry))
    return Path(cache)
