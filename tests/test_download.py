"""The downloader, against an HTTP server on 127.0.0.1 serving the national files (no test
touches the internet): caching, offline mirror, cut-short downloads, HTML error pages."""

import gzip
import http.server
import shutil
import threading
from functools import partial

import pytest

from jsna_profiles.builder.download import MANIFESTS, fetch, fetch_national
from jsna_profiles.core.errors import JsnaInputError
from test_national import ENGLAND, needs_england

BY_ROLE = {entry.role: entry for entry in MANIFESTS["2019"]}


class LyingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; announces a longer length than it sends for names containing 'short'."""

    def log_message(self, *args):
        pass

    def send_header(self, keyword, value):
        if keyword == "Content-Length" and "short" in self.path:
            value = str(int(value) + 1000)
        super().send_header(keyword, value)


@pytest.fixture
def server():
    servers = []

    def serve(folder):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                partial(LyingHandler, directory=str(folder)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"
    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@needs_england
def test_download_check_cache_then_offline(server, tmp_path):
    cache = tmp_path / "cache"
    url = server(ENGLAND)
    folder = fetch_national(cache, base_url=url)
    assert folder == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(e.name for e in MANIFESTS["2025"])
    for entry in MANIFESTS["2025"]:
        assert (cache / entry.name).read_bytes() == (ENGLAND / entry.name).read_bytes()
    # offline afterwards: the cache is enough, no address needed
    assert fetch_national(cache) == cache


@needs_england
def test_mirror_folder_is_used_offline(tmp_path):
    assert fetch_national(tmp_path / "cache", mirror=ENGLAND) == ENGLAND
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_nothing_anywhere_says_where_to_get_it(tmp_path):
    with pytest.raises(JsnaInputError, match="english-indices-of-deprivation-2019"):
        fetch(BY_ROLE["iod_domains"], tmp_path / "cache")


@needs_england
@pytest.mark.parametrize("damage, message", [
    ("html", "HTML page"), ("truncated", "damaged or incomplete"),
    ("wrong_table", "not the expected table"), ("missing", "answered 404"),
])
def test_bad_downloads_are_named_and_not_cached(server, tmp_path, damage, message):
    entry = BY_ROLE["iod_population"]
    served = tmp_path / "served"
    served.mkdir()
    original = (ENGLAND / entry.name).read_bytes()
    if damage == "html":
        (served / entry.name).write_bytes(gzip.compress(b"<!DOCTYPE html><html>Sign in</html>"))
    elif damage == "truncated":
        (served / entry.name).write_bytes(original[: len(original) // 2])
    elif damage == "wrong_table":
        shutil.copy(ENGLAND / BY_ROLE["iod_underlying"].name, served / entry.name)
    cache = tmp_path / "cache"
    with pytest.raises(JsnaInputError, match=message) as error:
        fetch(entry, cache, base_url=server(served))
    assert entry.name in str(error.value)
    assert list(cache.iterdir()) == []


@needs_england
def test_cut_short_download_is_refused(server, tmp_path):
    entry = BY_ROLE["iod_population"]
    served = tmp_path / "served" / "short"
    served.mkdir(parents=True)
    shutil.copy(ENGLAND / entry.name, served / entry.name)
    with pytest.raises(JsnaInputError, match="cut short|could not download"):
        fetch(entry, tmp_path / "cache", base_url=server(served.parent) + "/short")
    assert list((tmp_path / "cache").iterdir()) == []
