"""The show's memory housekeeping (installation/app/memory.py), on this machine's real glibc."""

import numpy as np
import pytest

from installation.app.memory import HeapTrim, heap_in_use, rss_bytes

pytestmark = pytest.mark.skipif(heap_in_use() is None, reason="needs glibc's malloc")


def test_trim_gives_freed_pages_in_the_middle_of_the_heap_back():
    # 64 KiB blocks sit inside malloc's heap (below its mmap threshold); keeping every tenth
    # pins the heap's top, so malloc cannot return the freed ones on its own: fragmentation.
    blocks = [np.ones(8192) for _ in range(600)]
    kept = blocks[::10]
    del blocks
    in_use = heap_in_use()
    before = rss_bytes()
    trim = HeapTrim(every_s=60.0)
    assert trim(0.0) is False  # the first call only starts the minute
    assert trim(59.0) is False
    assert trim(60.0) is True and trim.calls == 1
    assert before - rss_bytes() > 10 * 2**20  # ~34 MB was freed; most of it goes back
    assert abs(heap_in_use() - in_use) < 2**20  # what is in use did not change
    assert sum(float(k[0]) for k in kept) == len(kept)
