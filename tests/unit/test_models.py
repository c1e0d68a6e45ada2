"""The published kernels: exact properties on small cases.

The literature checks are in test_validation.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from installation.simulation import models


def path_graph(n: int) -> sp.csr_matrix:
    return sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], shape=(n, n), format="csr")


def brute_betweenness(a: np.ndarray) -> np.ndarray:
    """Counts shortest paths through each node by enumerating all of them (tiny graphs)."""
    n = len(a)
    dist = np.full((n, n), np.inf)
    for s in range(n):
        dist[s, s] = 0
        frontier = [s]
        while frontier:
            nxt = []
            for v in frontier:
                for w in np.flatnonzero(a[v]):
                    if dist[s, w] == np.inf:
                        dist[s, w] = dist[s, v] + 1
                        nxt.append(w)
            frontier = nxt

    def paths(s, t):
        if s == t:
            return [[s]]
        out = []
        for w in np.flatnonzero(a[t]):
            if dist[s, w] == dist[s, t] - 1:
                out += [[*p, t] for p in paths(s, w)]
        return out

    load = np.zeros(n)
    for s in range(n):
        for t in range(s + 1, n):
            ps = paths(s, t)
            for p in ps:
                for v in p[1:-1]:
                    load[v] += 1 / len(ps)
    return load


def test_shortest_path_load_on_known_graphs():
    assert models.shortest_path_load(path_graph(5)).tolist() == [0, 3, 4, 3, 0]
    star = np.zeros((6, 6))
    star[0, 1:] = star[1:, 0] = 1
    assert models.shortest_path_load(star).tolist() == [10, 0, 0, 0, 0, 0]


def test_shortest_path_load_matches_enumeration_on_random_graphs():
    rng = np.random.default_rng(5)
    for _ in range(5):
        a = (rng.random((9, 9)) < 0.35).astype(float)
        a = np.triu(a, 1)
        a = a + a.T
        np.testing.assert_allclose(models.shortest_path_load(a), brute_betweenness(a))


def test_deffuant_keeps_mean_and_bounds_and_is_seeded():
    x = np.random.default_rng(0).random(1000)
    a = models.deffuant(x, 0.3, 0.5, 20, np.random.default_rng(1))
    b = models.deffuant(x, 0.3, 0.5, 20, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.mean() == pytest.approx(x.mean(), abs=1e-12)  # symmetric encounters conserve
    assert a.min() >= 0 and a.max() <= 1 and a.std() < x.std()


def test_deffuant_pairs_only_moves_within_bound():
    x = np.array([0.0, 0.1, 0.5, 0.9])
    models.deffuant_pairs(x, np.array([0, 2]), np.array([1, 3]), 0.2, 0.2, 0.5)
    assert x.tolist() == pytest.approx([0.05, 0.05, 0.5, 0.9])


def test_deffuant_vector_opinions_use_euclidean_distance():
    x = np.array([[0.0, 0.0], [0.1, 0.1], [0.0, 0.0], [0.2, 0.2]])
    models.deffuant_pairs(x, np.array([0, 2]), np.array([1, 3]), 0.2, 0.2, 0.5)
    assert x[0].tolist() == pytest.approx([0.05, 0.05])  # distance 0.141 < 0.2
    assert x[2].tolist() == [0.0, 0.0]  # distance 0.283 > 0.2


def test_hegselmann_krause_small_case():
    x = np.array([0.0, 0.1, 0.2, 0.9])
    y = models.hegselmann_krause(x, 0.15, 1)
    assert y.tolist() == pytest.approx([0.05, 0.1, 0.15, 0.9])
    z = models.hegselmann_krause(x, 0.15, 100)
    assert np.ptp(z[:3]) < 1e-12 and z[3] == pytest.approx(0.9)


def test_friedkin_johnsen_closed_form_dense_and_sparse():
    rng = np.random.default_rng(3)
    n = 30
    w = rng.random((n, n))
    w /= w.sum(axis=1, keepdims=True)
    lam = rng.uniform(0.2, 0.9, n)
    u = rng.random(n)
    closed = np.linalg.solve(np.eye(n) - lam[:, None] * w, (1 - lam) * u)
    np.testing.assert_allclose(models.friedkin_johnsen(w, lam, u, u, 500), closed, atol=1e-12)
    np.testing.assert_allclose(
        models.friedkin_johnsen(sp.csr_matrix(w), lam, u, u, 500), closed, atol=1e-12
    )


def test_motter_lai_small_graphs():
    # A path: removing the centre splits it; the halves keep their (zero-extra) load.
    assert models.motter_lai(path_graph(5), 0.5, 2) == pytest.approx(2 / 5)
    # A star attacked at its hub: every leaf is isolated.
    star = np.zeros((6, 6))
    star[0, 1:] = star[1:, 0] = 1
    assert models.motter_lai(star, 0.1, 0) == pytest.approx(1 / 6)
    # A leaf removed from a star does not overload anything.
    assert models.motter_lai(star, 0.0, 5) == pytest.approx(5 / 6)


def test_local_load_sharing_splits_among_working_neighbours():
    a = path_graph(4)
    a.sort_indices()
    carried = np.zeros(a.nnz)
    failing = np.array([False, True, False, False])
    alive = ~failing
    out = models.local_load_sharing(a, carried, failing, np.array([0, 2.0, 0, 0]), alive)
    rows = np.repeat(np.arange(4), np.diff(a.indptr))
    per_node = np.bincount(rows, weights=out, minlength=4)
    assert per_node.tolist() == [1.0, 0.0, 1.0, 0.0]
    # Node 2 fails next: what it carried is dropped, its own demand goes to node 3 alone.
    failing = np.array([False, False, True, False])
    alive = np.array([True, False, False, True])
    out = models.local_load_sharing(a, out, failing, np.array([0, 0, 3.0, 0]), alive)
    per_node = np.bincount(rows, weights=out, minlength=4)
    assert per_node.tolist() == [1.0, 0.0, 0.0, 3.0]


def test_gray_scott_matches_a_plain_numpy_reference():
    rng = np.random.default_rng(2)
    u = 1 - 0.5 * rng.random((20, 24))
    v = 0.25 * rng.random((20, 24))

    def lap(a):
        return np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1) - 4 * a

    ru, rv = u.copy(), v.copy()
    for _ in range(10):
        uvv = ru * rv * rv
        ru, rv = (
            ru + 0.9 * (0.2 * lap(ru) - uvv + 0.03 * (1 - ru)),
            rv + 0.9 * (0.1 * lap(rv) + uvv - (0.03 + 0.06) * rv),
        )
    gu, gv = models.gray_scott(u, v, 0.03, 0.06, 0.2, 0.1, 10, dt=0.9)
    np.testing.assert_allclose(gu, ru, rtol=1e-12)
    np.testing.assert_allclose(gv, rv, rtol=1e-12)
    assert not np.shares_memory(gu, u)


def test_gini():
    assert models.gini(np.array([1.0, 1, 1])) == 0.0
    assert models.gini(np.array([0.0, 0, 1])) == pytest.approx(2 / 3)
    assert models.gini(np.zeros(4)) == 0.0
    assert models.gini(np.array([1.0, 2, 3, 4])) == pytest.approx(0.25)
