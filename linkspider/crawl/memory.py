"""Give freed memory back to the system: glibc's ``malloc_trim`` and Arrow's memory pool.

A page of 100,000 links kept builds about 170 MB of Python objects, C strings and Arrow
buffers; once its rows are written they are freed, but glibc's arenas and Arrow's mimalloc
pool keep the pages for the next allocation, and across a few such pages the process grows
by each page's worth (bench/RESULTS.md, "Five pages of 900,000 links"). The Parquet pipeline
calls :func:`release_freed_memory` after each row group it writes (every
``LINKSPIDER_ROW_GROUP_ROWS`` rows, not per page or link), and the crawl once before it folds
the run into link_history.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _malloc_trim() -> Any:
    """Return glibc's ``malloc_trim``, or None where there is none (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> None:
    """Return the free pages of the C heap and of Arrow's default pool to the system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
