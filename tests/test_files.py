"""Writing files: permissions without touching the process umask, names that stay inside their
folder, file names every system takes, and exports that never replace a database."""

import os
import sqlite3
import stat
import threading
from contextlib import closing

import pytest

from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.files import (
    distinct_file_names,
    inside,
    replace_atomically,
    safe_file_name,
    write_bytes_atomically,
)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_get_the_umask_and_old_files_keep_their_mode(tmp_path, umask_022):
    fresh = write_bytes_atomically(tmp_path / "new.csv", b"a")
    assert mode(fresh) == 0o644
    private = tmp_path / "private.csv"
    private.write_bytes(b"old")
    private.chmod(0o600)
    write_bytes_atomically(private, b"new")
    assert mode(private) == 0o600 and private.read_bytes() == b"new"


def test_the_process_umask_is_never_changed(tmp_path, umask_022, monkeypatch):
    """Before, os.umask(0) was called to read it: another thread's file got mode 0666."""
    def refuse(_mask):
        raise AssertionError("os.umask called")
    monkeypatch.setattr(os, "umask", refuse)
    write_bytes_atomically(tmp_path / "a.csv", b"a")


def test_files_made_by_other_threads_meanwhile_keep_normal_permissions(tmp_path, umask_022):
    stop, made = threading.Event(), []

    def other_thread():
        i = 0
        while not stop.is_set():
            path = tmp_path / "other" / f"{i}.txt"
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
            made.append(path)
            i += 1
    (tmp_path / "other").mkdir()
    worker = threading.Thread(target=other_thread)
    worker.start()
    try:
        for i in range(300):
            write_bytes_atomically(tmp_path / f"{i}.csv", b"x")
    finally:
        stop.set()
        worker.join()
    assert made and {mode(p) for p in made} == {0o644}


def test_a_write_that_fails_leaves_nothing(tmp_path):
    target = tmp_path / "a.csv"
    target.write_bytes(b"old")

    def fail(tmp):
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")
    with pytest.raises(JsnaInputError, match="Not enough disk space to write a.csv.*unchanged"):
        replace_atomically(target, fail)
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"] and target.read_bytes() == b"old"


def test_an_export_never_replaces_a_database(tmp_path):
    pack = tmp_path / "coventry.gpkg"
    with closing(sqlite3.connect(pack)) as db, db:
        db.execute("CREATE TABLE t (a)")
    db.close()
    before = pack.read_bytes()
    with pytest.raises(JsnaInputError, match="coventry.gpkg is a database"):
        write_bytes_atomically(pack, b"a,b\n")
    assert pack.read_bytes() == before


@pytest.mark.parametrize("name", ["../escaped.qml", "a/b.qml", "..", ".", "", "/etc/x.qml"])
def test_names_from_data_stay_inside_their_folder(tmp_path, name):
    with pytest.raises(JsnaInputError, match="not a plain file name"):
        inside(tmp_path, name)


def test_portable_file_names():
    assert safe_file_name('A/B: "C"?') == "A-B- -C--"
    assert safe_file_name("Naul's Mill & Bishopsgate Green") == "Naul's Mill & Bishopsgate Green"
    assert safe_file_name("CON") == "CON_" and safe_file_name("lpt9.notes") == "lpt9_.notes"
    assert safe_file_name("Console") == "Console"
    assert safe_file_name("gpj.\u202eexe") == "gpj.exe"  # no right-to-left override
    assert safe_file_name("Cafe\u0301") == "Caf\u00e9"  # one Unicode form (NFC)
    assert len(safe_file_name("é" * 300).encode()) <= 180
    assert distinct_file_names(["Stoke", "STOKE", "Caf\u00e9", "Cafe\u0301", "Stoke"]) == [
        "Stoke", "STOKE (2)", "Café", "Café (2)", "Stoke (3)"]
