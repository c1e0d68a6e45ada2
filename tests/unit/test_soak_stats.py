"""The soak's frame-gap statistics.

A fixed-size histogram, so the soak's own bookkeeping does not grow with its length and blur the
memory growth it measures.
"""

import numpy as np

from installation.app.soak import MAX_GAP_MS, _Gaps


def test_gap_histogram_matches_exact_statistics_and_stays_the_same_size():
    gaps_ms = np.random.default_rng(7).gamma(4.0, 15.0, 20_000)
    gaps = _Gaps()
    size = gaps.counts.nbytes
    for g in gaps_ms:
        gaps.add(float(g))
    assert len(gaps) == len(gaps_ms)
    assert gaps.longest == gaps_ms.max()
    assert gaps.over == int((gaps_ms > MAX_GAP_MS).sum())
    for q in (50, 99):
        assert abs(gaps.percentile(q) - np.percentile(gaps_ms, q)) <= _Gaps.BIN_MS
    assert gaps.counts.nbytes == size


def test_gaps_beyond_the_histogram_still_count_and_set_the_longest():
    gaps = _Gaps()
    assert np.isnan(gaps.longest)
    gaps.add(10.0)
    gaps.add(5_000.0)
    assert gaps.longest == 5_000.0
    assert gaps.over == 1
    assert gaps.percentile(100) == 5_000.0
