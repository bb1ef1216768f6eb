"""GDAL called from the plugin, the same way on GDAL 3.6 (Debian 12) and 3.10 (Debian 13)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_gdal() -> Iterator[tuple]:
    """``(gdal, ogr, osr)`` for one block: GDAL's own error printing held back (the caller checks
    what it gets and says what is wrong in one line), and GDAL told explicitly, for this block
    only, not to raise. Other plugins keep their own choice, and GDAL 3.9 and later have no
    "neither UseExceptions() nor DontUseExceptions()" warning to give."""
    from osgeo import gdal, ogr, osr

    with contextlib.ExitStack() as stack:
        for module in (gdal, ogr, osr):
            if hasattr(module, "ExceptionMgr"):  # GDAL 3.7 and later
                stack.enter_context(module.ExceptionMgr(useExceptions=False))
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        stack.callback(gdal.PopErrorHandler)
        yield gdal, ogr, osr
