"""The literature reproductions behind ``canopy validate`` all pass."""

from __future__ import annotations

import pytest

from installation.simulation import validation


@pytest.mark.slow
@pytest.mark.parametrize("check", validation.ALL_CHECKS, ids=lambda c: c.__name__)
def test_reproduction_passes(check):
    for result in check():
        assert result.passed, result


def test_cluster_counter():
    assert validation.count_clusters([0.1, 0.1, 0.1, 0.5, 0.5, 0.9, 0.9, 0.9]) == 3
    assert validation.count_clusters([0.1] * 99 + [0.9], major=0.05) == 1
