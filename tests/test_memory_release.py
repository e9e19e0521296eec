"""Memory freed by a large piece of work goes back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import numpy as np
import psutil

from core.memory import release_freed_memory


def test_freed_memory_goes_back_to_the_system() -> None:
    process = psutil.Process()
    # Many small blocks, as calibration's work leaves them: freed, they stay in the heap.
    blocks = [np.ones(4_000, dtype=np.float32) for _ in range(40_000)]  # about 640 MB
    kept = blocks[1::2]  # every other one kept: the heap cannot shrink at its end
    del blocks
    held = process.memory_info().rss
    assert release_freed_memory()  # this machine's C library is glibc
    assert process.memory_info().rss < held - 200 * 2**20  # most of the 320 MB freed
    assert len(kept) == 20_000
