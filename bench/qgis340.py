"""Benchmark (not a test) of `make test-qgis340`, the suite on QGIS 3.40 in a Debian 13 root
filesystem. Needs root, like the target.

Figures, in seconds:
- qgis340_overhead_cached_s: the target with its root filesystem cached and one small test
  file (copying the checkout and ../shared, install-deps, lint, QGIS starting): what the
  target adds to the suite's own time;
- with --full, qgis340_suite_cached_s: the whole target, root filesystem cached;
- with --fresh, qgis340_rootfs_make_s: making the root filesystem from Debian's mirror, in a
  temporary folder (about 3 GB, removed after).
Targets: the whole target under 15 minutes on a fresh machine (rootfs + suite); the overhead
under a minute. Writes build/bench_qgis340.json and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_target(pytest_args: str, rootfs: Path | None = None) -> float:
    env = dict(os.environ, PYTEST_ARGS=pytest_args)
    if rootfs is not None:
        env["JSNA_ROOTFS"] = str(rootfs)
    start = time.perf_counter()
    subprocess.run([str(ROOT / "bin" / "test-qgis340")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also time the whole suite")
    parser.add_argument("--fresh", action="store_true",
                        help="also time making a root filesystem from the mirror")
    args = parser.parse_args()
    figures = {}
    fresh = None
    if args.fresh:
        folder = Path(tempfile.mkdtemp(dir=ROOT / "build"))
        try:  # the target makes the root filesystem, then runs one small test file
            fresh = timed_target("tests/test_statistics.py", folder / "rootfs")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    timed_target("tests/test_statistics.py")  # make (or refresh) the cached one first
    figures["qgis340_overhead_cached_s"] = timed_target("tests/test_statistics.py")
    if fresh is not None:
        figures["qgis340_rootfs_make_s"] = fresh - figures["qgis340_overhead_cached_s"]
    if args.full:
        figures["qgis340_suite_cached_s"] = timed_target("")
    out = ROOT / "build" / "bench_qgis340.json"
    out.write_text(json.dumps(figures, indent=2))
    for name, value in figures.items():
        print(f"{name}: {value:.1f}")


if __name__ == "__main__":
    main()
