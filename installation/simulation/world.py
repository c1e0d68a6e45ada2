"""Creating Verdantia: communities on the canopy, the Neural Cloud over it, its citizens.

Everything is drawn from the world's seeded generator, so a (WorldConfig, ModelConfig) pair
names exactly one city.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from installation.config import ModelConfig, WorldConfig
from installation.simulation.cloth import new_cloth
from installation.simulation.indices import update_indices
from installation.simulation.models import shortest_path_load
from installation.simulation.state import State, build_derived
from installation.simulation.step import node_load

# Identity colours of Verdantia's communities (linear RGB in [0, 1]), the dyes of a hand-woven
# kilim rather than a screen's: weld green, indigo, saffron, logwood aubergine, madder red,
# undyed wool; then woad blue, pistachio, henna, verdigris, straw, walnut, cochineal, deep
# green, rose madder and grey wool for larger cities. (Blind critics read the screen
# palette's cyan and pink as digital, never as dyed wool.)
PALETTE = np.array(
    [
        [0.34, 0.48, 0.14],
        [0.13, 0.24, 0.50],
        [0.88, 0.56, 0.10],
        [0.42, 0.20, 0.48],
        [0.66, 0.15, 0.13],
        [0.70, 0.58, 0.38],
        [0.30, 0.45, 0.62],
        [0.55, 0.60, 0.22],
        [0.62, 0.28, 0.10],
        [0.12, 0.36, 0.32],
        [0.90, 0.78, 0.45],
        [0.32, 0.20, 0.11],
        [0.50, 0.08, 0.22],
        [0.08, 0.28, 0.14],
        [0.80, 0.42, 0.40],
        [0.45, 0.44, 0.42],
    ],
    dtype=np.float32,
)

# The Neural Cloud serves the city unequally: built-in resource shares fall off geometrically.
_SHARE_RATIO = 0.8


def _morton(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Interleave the bits of 16-bit x and y into a Morton (Z-order) code."""

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64) & np.uint64(0xFFFF)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        v = (v | (v << np.uint64(1))) & np.uint64(0x55555555)
        return v

    return spread(xs) | (spread(ys) << np.uint64(1))


def _communities(h: int, w: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Voronoi districts of k seeds with organically warped borders, as (H, W) uint8."""
    seeds = rng.random((k, 2)) * 0.8 + 0.1
    yy, xx = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
    # A few random low-frequency waves warp the borders so districts look grown, not drawn.
    warp_x = np.zeros((h, w), dtype=np.float64)
    warp_y = np.zeros((h, w), dtype=np.float64)
    for _ in range(4):
        fx, fy = rng.uniform(1.0, 4.0, 2)
        px, py = rng.uniform(0, 2 * np.pi, 2)
        amp = rng.uniform(0.02, 0.05)
        warp_x += amp * np.sin(2 * np.pi * fy * yy + px)
        warp_y += amp * np.sin(2 * np.pi * fx * xx + py)
    px = xx + warp_x
    py = yy + warp_y
    best = np.full((h, w), np.inf)
    out = np.zeros((h, w), dtype=np.uint8)
    for c in range(k):
        d = (px - seeds[c, 0]) ** 2 + (py - seeds[c, 1]) ** 2
        closer = d < best
        best[closer] = d[closer]
        out[closer] = c
    return out


def _cloud_graph(pos: np.ndarray, neighbours: int = 3) -> np.ndarray:
    """A spatial graph: each node linked to its nearest neighbours, then made connected."""
    m = len(pos)
    tree = cKDTree(pos)
    _, nn = tree.query(pos, k=neighbours + 1)
    pairs = {(min(a, b), max(a, b)) for a in range(m) for b in nn[a, 1:] if a != b}
    edges = np.array(sorted(pairs), dtype=np.int32)
    # Join any separate islands to the main graph through their closest pair of nodes.
    while True:
        adj = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(m, m))
        n_comp, labels = connected_components(adj, directed=False)
        if n_comp == 1:
            return edges
        main = labels == np.bincount(labels).argmax()
        other = np.flatnonzero(~main)
        inside = np.flatnonzero(main)
        d, j = cKDTree(pos[inside]).query(pos[other])
        a = int(other[np.argmin(d)])
        b = int(inside[j[np.argmin(d)]])
        edges = np.vstack([edges, [[min(a, b), max(a, b)]]]).astype(np.int32)


def _resource_shares(world: WorldConfig, rng: np.random.Generator) -> np.ndarray:
    """Each community's share of the city's resources, normalised to sum to 1.

    The venue's shares when it gives them; else falling off by ``_SHARE_RATIO`` from one
    community to the next, in a random order (the only draw from ``rng`` here).
    """
    k = world.communities
    if world.resource_shares:
        shares = np.asarray(world.resource_shares, dtype=np.float64)
    else:
        shares = _SHARE_RATIO ** np.arange(k, dtype=np.float64)
        rng.shuffle(shares)
    return shares / shares.sum()


def _cloud(world: WorldConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The Neural Cloud's nodes on a jittered grid, each serving the cells nearest it.

    Returns:
        ``node_pos`` (M, 2) in [0, 1] (sorted by row, then column), ``cell_node`` (H, W),
        the node serving each cell, and ``edges`` (E, 2), the graph's links.
    """
    h, w, m = world.height, world.width, world.nodes
    side = int(np.ceil(np.sqrt(m)))
    slots = rng.permutation(side * side)[:m]
    node_pos = np.stack(
        [
            (slots % side + rng.uniform(0.2, 0.8, m)) / side,
            (slots // side + rng.uniform(0.2, 0.8, m)) / side,
        ],
        axis=1,
    )
    order = np.lexsort((node_pos[:, 0], node_pos[:, 1]))
    node_pos = node_pos[order]
    cy, cx = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
    _, cell_node = cKDTree(node_pos).query(np.stack([cx.ravel(), cy.ravel()], axis=1))
    cell_node = cell_node.reshape(h, w).astype(np.int32)
    return node_pos, cell_node, _cloud_graph(node_pos)


def _loads(
    community: np.ndarray,
    cell_node: np.ndarray,
    edges: np.ndarray,
    world: WorldConfig,
    model: ModelConfig,
) -> dict[str, Any]:
    """Who each node serves and what it carries on the intact city (no randomness).

    Every cell demands one unit (normalised so a node's mean demand is 1); transit is the
    Motter-Lai shortest-path load on the intact graph, scaled to its configured share.

    Returns:
        the ``State`` fields ``cells_kn`` (cells of each community per node), ``node_comm``
        (each node's main community), ``base_demand``, ``transit`` and ``transit_scale``.
    """
    k, m = world.communities, world.nodes
    cells_kn = np.zeros((k, m), dtype=np.int32)
    np.add.at(cells_kn, (community.ravel(), cell_node.ravel()), 1)
    cells_per_node = np.bincount(cell_node.ravel(), minlength=m).astype(np.float64)
    base_demand = cells_per_node / cells_per_node.mean()
    adj = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(m, m))
    betweenness = shortest_path_load(adj)
    share = model.transit_share
    transit_scale = share / (1.0 - share) * base_demand.sum() / max(betweenness.sum(), 1e-12)
    return {
        "cells_kn": cells_kn,
        "node_comm": cells_kn.argmax(axis=0).astype(np.int32),
        "base_demand": base_demand,
        "transit": betweenness * transit_scale,
        "transit_scale": float(transit_scale),
    }


def _citizens(
    world: WorldConfig, community: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Citizens placed uniformly over the canopy, stored in Morton order of their cell.

    Returns:
        ``cit_pos`` (N, 2) float32 in [0, 1], ``cit_cell`` (N,) the flat index of each one's
        cell, ``cit_home`` (N,) uint8 the community of that cell.
    """
    h, w, n = world.height, world.width, world.citizens
    pos = rng.random((n, 2)).astype(np.float32)
    col = np.minimum((pos[:, 0] * w).astype(np.int64), w - 1)
    row = np.minimum((pos[:, 1] * h).astype(np.int64), h - 1)
    order = np.argsort(_morton(col, row), kind="stable")
    cit_cell = (row[order] * w + col[order]).astype(np.int32)
    return pos[order], cit_cell, community.ravel()[cit_cell].astype(np.uint8)


def _moods(
    shares: np.ndarray, cit_home: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each community's resting mood, and each citizen's starting sentiment near it.

    Trust follows the community's share of resources; empathy and hope differ by culture.
    The rally begins hopeful.

    Returns:
        ``baseline`` (K, 4) and ``sentiment`` (N, 4), float32 in [0, 1] (hope, anger,
        empathy, trust).
    """
    k, n = len(shares), len(cit_home)
    rel = shares * k
    baseline = np.zeros((k, 4), dtype=np.float32)
    baseline[:, 0] = np.clip(0.55 + 0.15 * (rel - 1.0) + rng.uniform(-0.15, 0.15, k), 0.2, 0.9)
    baseline[:, 1] = np.clip(0.2 - 0.1 * (rel - 1.0) + rng.uniform(-0.1, 0.15, k), 0.05, 0.6)
    baseline[:, 2] = rng.uniform(0.1, 0.35, k)
    baseline[:, 3] = np.clip(0.45 + 0.25 * (rel - 1.0) + rng.uniform(-0.1, 0.1, k), 0.1, 0.9)
    sentiment = baseline[cit_home] + rng.normal(0.0, 0.04, (n, 4)).astype(np.float32)
    return baseline, np.clip(sentiment, 0.0, 1.0).astype(np.float32)


def _growth(g: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The Gray-Scott fields (u, v) on a (g, g) grid, seeded in a scatter of small patches.

    As Pearson seeded a square.
    """
    growth_u = np.ones((g, g), dtype=np.float32)
    growth_v = np.zeros((g, g), dtype=np.float32)
    for _ in range(max(4, g // 16)):
        y0, x0 = rng.integers(0, g - 4, 2)
        growth_u[y0 : y0 + 4, x0 : x0 + 4] = 0.5
        growth_v[y0 : y0 + 4, x0 : x0 + 4] = 0.25
    return growth_u, growth_v


def create_world(world: WorldConfig, model: ModelConfig | None = None) -> State:
    """Create the city described by ``world`` at tick 0.

    The parts are drawn from the world's generator in a fixed order (districts, resource
    shares, the cloud, citizens, moods, growth): the order is part of what a seed means.

    Args:
        world: sizes and seed.
        model: the dynamics' parameters (defaults if None).

    Returns:
        A fresh ``State`` whose generator is seeded with ``world.seed``.
    """
    model = model or ModelConfig()
    rng = np.random.default_rng(world.seed)
    k, m, n = world.communities, world.nodes, world.citizens
    community = _communities(world.height, world.width, k, rng)
    shares = _resource_shares(world, rng)
    node_pos, cell_node, edges = _cloud(world, rng)
    loads = _loads(community, cell_node, edges, world, model)
    cit_pos, cit_cell, cit_home = _citizens(world, community, rng)
    baseline, sentiment = _moods(shares, cit_home, rng)
    growth_u, growth_v = _growth(world.growth_resolution, rng)
    state = State(
        world=world,
        model=model,
        rng=rng,
        tick=0,
        time=0.0,
        community=community,
        colours=PALETTE[np.arange(k) % len(PALETTE)].copy(),
        shares=shares,
        cell_node=cell_node,
        node_pos=node_pos,
        edges=edges,
        capacity0=np.zeros(m, dtype=np.float64),
        cit_pos=cit_pos,
        cit_home=cit_home,
        cit_cell=cit_cell,
        sentiment=sentiment,
        anchor=np.zeros((n, 4), dtype=np.float32),
        anchor_rate=np.zeros((n, 4), dtype=np.float32),
        baseline=baseline,
        node_alive=np.ones(m, dtype=bool),
        node_health=np.ones(m, dtype=np.float64),
        node_help=np.zeros(m, dtype=np.float64),
        transit_alive=np.ones(m, dtype=bool),
        carried=np.zeros(2 * len(edges), dtype=np.float64),
        growth_u=growth_u,
        growth_v=growth_v,
        **loads,
        **new_cloth(world.growth_resolution, m),
    )
    state.derived = build_derived(state)
    _design_capacity(state)
    update_indices(state, dt=0.0)
    return state


def _design_capacity(state: State) -> None:
    """Each node's capacity, designed for the city as it is at the start (Motter-Lai).

    (1 + alpha) times its initial load, with a more generous margin alpha in richer
    communities.
    """
    k = state.world.communities
    alpha = state.model.tolerance * np.sqrt(state.shares[state.node_comm] * k)
    state.capacity0 = (1.0 + alpha) * node_load(state)
