"""Fewer malloc arenas, so the app's memory stays near what it holds.

glibc gives each thread that allocates under contention an arena of its own, up to eight per
core, and keeps what was freed in each for reuse. The app allocates from many threads (the
server's worker threads, knowledge imports, the embedding runs), so after a large import its
resident memory stays hundreds of MiB above what it uses: `make bench-memory` measured 1,551 MiB
with 10,000 articles by default and about 110 MiB less growth with two arenas. glibc's own
setting is the `MALLOC_ARENA_MAX` environment variable, read when a process starts; `cascade
serve` and `cascade up` set the same limit with `mallopt` before any thread allocates, unless
the variable is set (the operator's choice then stands). No library wraps `mallopt`; the call
is one line of ctypes, and a C library without it (not glibc) is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

ARENAS = 2
M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas from now on (glibc); whether the limit was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc: nothing to set
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
