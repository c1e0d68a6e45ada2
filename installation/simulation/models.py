"""The published models, as pure numpy functions anyone can check against the literature.

- Deffuant, Neau, Amblard & Weisbuch (2000): bounded-confidence random matching.
- Hegselmann & Krause (2002): synchronous bounded confidence.
- Friedkin & Johnsen (1990/1999): social influence with anchors (prejudices).
- Motter & Lai (2002): load-capacity cascades, load = shortest-path betweenness.
- Fibre-bundle local load sharing: a failed element's load goes to its surviving neighbours.
- Pearson (1993): Gray-Scott reaction-diffusion.
- The Gini coefficient.

The simulation calls these functions (or the building blocks exposed here, such as
``deffuant_pairs`` and ``shortest_path_load``), so what ``canopy validate`` checks is what runs.
Nothing here keeps state, does IO or reads a clock.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

# --------------------------------------------------------------------------- opinion dynamics


def deffuant_pairs(
    x: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    eps_i: float | np.ndarray,
    eps_j: float | np.ndarray,
    mu: float,
) -> None:
    """One Deffuant-Weisbuch encounter for each pair (i[p], j[p]), in place.

    Each agent moves a fraction ``mu`` of the way towards its partner when the partner's
    opinion lies within its own confidence bound (distances are Euclidean over the opinion
    dimensions). Pairs must be disjoint, so the updates are simultaneous and exact.

    Args:
        x: (N,) or (N, D) opinions, float dtype, modified in place.
        i: (P,) int indices of the pairs' first agents.
        j: (P,) int indices of the pairs' second agents.
        eps_i: confidence bounds of the first agents (scalar or (P,)).
        eps_j: confidence bounds of the second agents (scalar or (P,)).
        mu: convergence parameter in [0, 0.5].
    """
    if x.ndim == 1:
        xi = x[i]
        xj = x[j]
        d = xj - xi
        dist = np.abs(d)
    else:
        # np.take and whole-row (void) scatter are ~10x faster than x[i] on (N, D) arrays.
        xi = np.take(x, i, axis=0)
        xj = np.take(x, j, axis=0)
        d = xj - xi
        sq = d[:, 0] * d[:, 0]
        for c in range(1, x.shape[1]):
            sq += d[:, c] * d[:, c]
        dist = np.sqrt(sq)
    move_i = (dist < eps_i).astype(x.dtype) * x.dtype.type(mu)
    move_j = (dist < eps_j).astype(x.dtype) * x.dtype.type(mu)
    if x.ndim == 1:
        x[i] = xi + move_i * d
        x[j] = xj - move_j * d
        return
    xi += move_i[:, None] * d
    xj -= move_j[:, None] * d
    put_rows(x, i, xi)
    put_rows(x, j, xj)


def put_rows(x: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> None:
    """x[idx] = rows for a C-contiguous (N, D) array, scattering whole rows at once."""
    if not x.flags.c_contiguous:
        x[idx] = rows
        return
    row = np.dtype((np.void, x.dtype.itemsize * x.shape[1]))
    x.view(row).ravel()[idx] = np.ascontiguousarray(rows).view(row).ravel()


def deffuant(
    x: np.ndarray, eps: float, mu: float, sweeps: int, rng: np.random.Generator
) -> np.ndarray:
    """Random-matching Deffuant-Weisbuch dynamics (mean field: anyone may meet anyone).

    Args:
        x: (N,) or (N, D) initial opinions in [0, 1].
        eps: confidence bound.
        mu: convergence parameter in [0, 0.5].
        sweeps: number of sweeps; one sweep is N/2 disjoint random pairs.
        rng: the random generator (the only source of randomness).

    Returns:
        The opinions after ``sweeps`` sweeps, as a new float64 array.
    """
    out = np.array(x, dtype=np.float64, copy=True)
    n = out.shape[0]
    half = n // 2
    for _ in range(int(sweeps)):
        perm = rng.permutation(n)
        deffuant_pairs(out, perm[:half], perm[half : 2 * half], eps, eps, mu)
    return out


def hegselmann_krause(x: np.ndarray, eps: float, steps: int) -> np.ndarray:
    """Synchronous Hegselmann-Krause bounded confidence on (N,) opinions.

    Every agent moves to the mean of all opinions within ``eps`` of its own (itself
    included). Computed exactly in O(N log N) per step: HK preserves the order of opinions,
    so neighbourhoods are contiguous windows of the sorted opinions.

    Args:
        x: (N,) opinions.
        eps: confidence bound (neighbours satisfy |x_j - x_i| <= eps).
        steps: maximum number of synchronous updates (stops early at a fixed point).

    Returns:
        The opinions after the updates, in the input order, as a new float64 array.
    """
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    s = x[order]
    for _ in range(int(steps)):
        lo = np.searchsorted(s, s - eps, side="left")
        hi = np.searchsorted(s, s + eps, side="right")
        csum = np.concatenate(([0.0], np.cumsum(s)))
        new = (csum[hi] - csum[lo]) / (hi - lo)
        # Means of sorted windows are sorted up to rounding; keep the order exact.
        new = np.maximum.accumulate(new)
        if np.array_equal(new, s):
            break
        s = new
    out = np.empty_like(s)
    out[order] = s
    return out


def friedkin_johnsen(
    W: np.ndarray | sp.spmatrix,
    lam: np.ndarray,
    u: np.ndarray,
    x0: np.ndarray,
    steps: int,
) -> np.ndarray:
    """Friedkin-Johnsen dynamics: x(t+1) = Lambda W x(t) + (I - Lambda) u.

    Args:
        W: (N, N) row-stochastic influence matrix, dense or scipy.sparse.
        lam: (N,) susceptibilities in [0, 1] (1: purely social, 0: fixed at the anchor).
        u: (N,) or (N, D) anchors (prejudices).
        x0: initial opinions, same shape as ``u``.
        steps: number of synchronous updates.

    Returns:
        x(steps) as a new float64 array; it converges to (I - Lambda W)^-1 (I - Lambda) u
        when every agent is (indirectly) anchored.
    """
    lam = np.asarray(lam, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    x = np.array(x0, dtype=np.float64, copy=True)
    lam_b = lam if u.ndim == 1 else lam[:, None]
    anchored = (1.0 - lam_b) * u
    for _ in range(int(steps)):
        x = lam_b * (W @ x) + anchored
    return np.asarray(x)


# --------------------------------------------------------------------------- cascades


def _symmetric_binary(adjacency: np.ndarray | sp.spmatrix) -> sp.csr_matrix:
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    a = ((a + a.T) > 0).astype(np.float64)
    a.setdiag(0.0)
    a.eliminate_zeros()
    return sp.csr_matrix(a)


def shortest_path_load(adjacency: np.ndarray | sp.spmatrix, clean: bool = False) -> np.ndarray:
    """Unnormalised shortest-path betweenness of every node of an undirected graph.

    The load of node v is the number of shortest paths between other node pairs that pass
    through v, each pair's paths sharing one unit equally (Brandes 2001), which is the load
    of Motter & Lai (2002).

    All sources at once, over (node, source) pairs: a breadth-first search expands each
    level's pairs along the graph's edges (a padded neighbour table), keeps the edges of the
    shortest-path DAG level by level, then accumulates dependencies back down those edges.
    The work is proportional to edges x nodes (about 0.25 M pair-edges for the city's 256
    nodes), not to diameter x nodes^2 as with dense level masks: a cascade recomputes this
    once per round inside one tick, and a slow tick is a visible stutter (9 ms here against
    24 ms for the dense version, on this 2-core machine).

    Args:
        adjacency: (n, n) adjacency of an undirected, unweighted graph (dense or sparse).
        clean: the caller guarantees a symmetric 0/1 CSR matrix without self-loops (skips
            the normalisation, which dominates the cost on small graphs).

    Returns:
        (n,) float64 loads; each unordered pair {s, t} is counted once.
    """
    a: sp.csr_matrix = adjacency if clean else _symmetric_binary(adjacency)
    n = a.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    # Pair (v, s) lives at flat index v * n + s: v's path count from source s. Indices
    # n * n .. n * n + n - 1 are a sink for the padding of the neighbour table, always "seen".
    size = n * n + n
    indptr = np.asarray(a.indptr, dtype=np.int64)
    degree = np.diff(indptr)
    width = max(int(degree.max()), 1)
    neighbours = np.full((n, width), n * n, dtype=np.int64)  # neighbour * n, padded
    column = np.arange(len(a.indices), dtype=np.int64) - np.repeat(indptr[:-1], degree)
    neighbours[np.repeat(np.arange(n), degree), column] = np.asarray(a.indices) * n
    seen = np.zeros(size, dtype=bool)
    seen[n * n :] = True
    sigma = np.zeros(size, dtype=np.float64)
    pairs = np.arange(n, dtype=np.int64) * (n + 1)  # (s, s): level 0
    seen[pairs] = True
    sigma[pairs] = 1.0
    levels: list[tuple[np.ndarray, np.ndarray]] = []  # per level: DAG edges (from, to)
    while pairs.size:
        node, source = np.divmod(pairs, n)
        dst = neighbours[node] + source[:, None]
        onward = ~seen[dst]  # to a pair not reached before: one level further
        src = np.broadcast_to(pairs[:, None], dst.shape)[onward]
        dst = dst[onward]
        if not dst.size:
            break
        sigma += np.bincount(dst, weights=sigma[src], minlength=size)
        reached = np.zeros(size, dtype=bool)
        reached[dst] = True
        seen |= reached
        pairs = np.flatnonzero(reached)
        levels.append((src, dst))
    delta = np.zeros(size, dtype=np.float64)
    # Dependencies flow back down the DAG; the first level's edges leave the sources, whose
    # own dependency is not a load.
    for src, dst in reversed(levels[1:]):
        share = sigma[src] / sigma[dst] * (1.0 + delta[dst])
        delta += np.bincount(src, weights=share, minlength=size)
    return delta[: n * n].reshape(n, n).sum(axis=1) / 2.0


def largest_component_fraction(adjacency: sp.spmatrix, alive: np.ndarray) -> float:
    """Size of the largest connected component among ``alive`` nodes, over all nodes."""
    n = adjacency.shape[0]
    idx = np.flatnonzero(alive)
    if idx.size == 0:
        return 0.0
    sub = sp.csr_matrix(adjacency)[idx][:, idx]
    _, labels = connected_components(sub, directed=False)
    return float(np.bincount(labels).max()) / n


def motter_lai(
    adjacency: np.ndarray | sp.spmatrix, alpha: float, attacked: int | np.ndarray
) -> float:
    """The Motter-Lai cascade after removing ``attacked`` nodes.

    Each node's capacity is (1 + alpha) times its initial load (shortest-path betweenness).
    After the attack the loads are recomputed on the damaged graph and every node whose load
    exceeds its capacity fails at once; this repeats until no node is overloaded.

    Args:
        adjacency: (n, n) adjacency of an undirected graph (scipy.sparse or dense).
        alpha: tolerance parameter >= 0.
        attacked: index or indices of the nodes removed first.

    Returns:
        G: the fraction of the original n nodes in the largest connected component at the end.
    """
    a = _symmetric_binary(adjacency)
    n = a.shape[0]
    capacity = (1.0 + alpha) * shortest_path_load(a)
    alive = np.ones(n, dtype=bool)
    alive[np.atleast_1d(attacked)] = False
    while True:
        idx = np.flatnonzero(alive)
        load = shortest_path_load(a[idx][:, idx])
        # A tiny relative slack keeps rounding in the path counts from failing nodes whose
        # load merely equals their capacity.
        over = load > capacity[idx] * (1.0 + 1e-9) + 1e-9
        if not over.any():
            break
        alive[idx[over]] = False
    return largest_component_fraction(a, alive)


def local_load_sharing(
    adjacency: sp.csr_matrix,
    carried: np.ndarray,
    failing: np.ndarray,
    amount: np.ndarray,
    alive: np.ndarray,
) -> np.ndarray:
    """Fibre-bundle local load sharing at the moment nodes fail.

    Each failing node's ``amount`` is split equally among its neighbours that are still
    working (``alive``), and the failing node stops carrying what it carried for others
    (the caller includes that in its ``amount``). Load of a node with no working neighbour
    is lost: its district is simply dark.

    Args:
        adjacency: (n, n) symmetric 0/1 CSR matrix with sorted indices; its stored entry
            e = (v, f) stands for "v carries load on behalf of f".
        carried: (nnz,) float64 load per entry, aligned with ``adjacency.indices``.
        failing: (n,) bool, the nodes failing now.
        amount: (n,) float64 load each failing node sheds.
        alive: (n,) bool, the nodes still working after this round.

    Returns:
        The new (nnz,) ``carried`` array.
    """
    rows = np.repeat(np.arange(adjacency.shape[0]), np.diff(adjacency.indptr))
    cols = adjacency.indices
    live_neighbours = adjacency @ alive.astype(np.float64)
    share = np.zeros(adjacency.shape[0], dtype=np.float64)
    np.divide(amount, live_neighbours, out=share, where=failing & (live_neighbours > 0))
    out = np.where(failing[rows], 0.0, carried)
    out += np.where(alive[rows] & failing[cols], share[cols], 0.0)
    return out


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> sp.csr_matrix:
    """A Barabasi-Albert scale-free graph: each new node links to m nodes by degree.

    Args:
        n: number of nodes (> m).
        m: links per new node.
        rng: the random generator.

    Returns:
        (n, n) symmetric 0/1 CSR adjacency.
    """
    targets = list(range(m))
    repeated: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    for new in range(m, n):
        for t in targets:
            rows.append(new)
            cols.append(t)
        repeated.extend(targets)
        repeated.extend([new] * m)
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(repeated[int(rng.integers(len(repeated)))])
        targets = sorted(chosen)
    a = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return _symmetric_binary(a)


# --------------------------------------------------------------------------- growth


def laplacian(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """5-point Laplacian of ``a`` on a periodic grid, written into ``out`` (no allocation)."""
    out[1:-1] = a[:-2] + a[2:]
    out[0] = a[-1] + a[1]
    out[-1] = a[-2] + a[0]
    out[:, 1:-1] += a[:, :-2]
    out[:, 1:-1] += a[:, 2:]
    out[:, 0] += a[:, -1] + a[:, 1]
    out[:, -1] += a[:, -2] + a[:, 0]
    out -= 4.0 * a
    return out


class GrayScottBuffers:
    """Scratch arrays for ``gray_scott_step``, reused so a step allocates nothing."""

    def __init__(self, shape: tuple[int, int], dtype: np.dtype) -> None:
        """Four scratch arrays of ``shape`` and ``dtype``."""
        self.lu = np.empty(shape, dtype)
        self.lv = np.empty(shape, dtype)
        self.uvv = np.empty(shape, dtype)
        self.tmp = np.empty(shape, dtype)


def gray_scott_step(
    u: np.ndarray,
    v: np.ndarray,
    F: float | np.ndarray,
    k: float | np.ndarray,
    Du: float,
    Dv: float,
    dt: float,
    buf: GrayScottBuffers,
) -> None:
    """One explicit Euler Gray-Scott step, in place (F and k may be per-cell arrays)."""
    laplacian(u, buf.lu)
    laplacian(v, buf.lv)
    np.multiply(u, v, out=buf.uvv)
    buf.uvv *= v
    # u += dt * (Du*lap(u) - u v^2 + F (1 - u))
    np.subtract(1.0, u, out=buf.tmp)
    buf.tmp *= F
    buf.tmp -= buf.uvv
    buf.lu *= Du
    buf.tmp += buf.lu
    buf.tmp *= dt
    # v += dt * (Dv*lap(v) + u v^2 - (F + k) v)
    buf.lv *= Dv
    buf.lv += buf.uvv
    np.multiply(v, F + k, out=buf.uvv)
    buf.lv -= buf.uvv
    buf.lv *= dt
    u += buf.tmp
    v += buf.lv


def gray_scott(
    u: np.ndarray,
    v: np.ndarray,
    F: float | np.ndarray,
    k: float | np.ndarray,
    Du: float,
    Dv: float,
    steps: int,
    dt: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gray-Scott reaction-diffusion on a periodic grid (Pearson 1993), explicit Euler.

    u += dt (Du lap(u) - u v^2 + F (1 - u)); v += dt (Dv lap(v) + u v^2 - (F + k) v),
    with the 5-point Laplacian on unit grid spacing.

    Args:
        u: (H, W) concentration of the substrate.
        v: (H, W) concentration of the catalyst.
        F: feed rate (scalar or (H, W) array).
        k: kill rate (scalar or (H, W) array).
        Du: diffusion coefficient of ``u`` in grid units.
        Dv: diffusion coefficient of ``v`` in grid units.
        steps: number of steps.
        dt: time step.

    Returns:
        New (u, v) arrays; the inputs are not modified.
    """
    u = np.array(u, copy=True)
    v = np.array(v, copy=True)
    buf = GrayScottBuffers(u.shape, u.dtype)
    for _ in range(int(steps)):
        gray_scott_step(u, v, F, k, Du, Dv, dt, buf)
    return u, v


# --------------------------------------------------------------------------- inequality


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: mean absolute difference over twice the mean.

    Returns 0 for an empty array or when every value is zero.
    """
    a = np.asarray(values, dtype=np.float64).ravel()
    total = a.sum()
    if a.size == 0 or total <= 0:
        return 0.0
    s = np.sort(a)
    n = a.size
    # sum_i sum_j |a_i - a_j| = 2 sum_i (2i - n - 1) s_i for sorted s (1-based i).
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    return float(2.0 * np.dot(weights, s) / (2.0 * n * total))
