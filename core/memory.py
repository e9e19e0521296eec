"""Giving the memory a large piece of work freed back to the system.

glibc keeps what Python and numpy free in its heaps, for reuse, rather than returning it: after a
knowledge base is calibrated (matrices of similarities between every example and the rest) the
app's resident memory stays at the work's peak. `malloc_trim(0)` returns the free pages; measured
in-process on 4,000 imported and calibrated articles, 741 MiB before and 639 MiB after. No
library wraps it; it is one ctypes call, and a C library without it (not glibc) is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


def release_freed_memory() -> bool:
    """Return the heaps' free pages to the system; whether the C library could."""
    trim = _malloc_trim()
    return trim is not None and bool(trim(0))


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim
