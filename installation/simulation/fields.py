"""What the renderer sees of the state: fields gathered from the citizens and the cloud.

Pure functions (numpy only) that turn the state into arrays ready to upload as textures.
"""

from __future__ import annotations

import numpy as np

from installation.simulation.state import State, derived
from installation.simulation.step import node_load


def field_resolution(state: State) -> int:
    """Side of the sentiment field: about 12 citizens per texel, at most the canopy's side."""
    side = int(np.sqrt(state.world.citizens / 12.0))
    return int(np.clip(side, 16, min(state.world.height, state.world.width)))


def _field_cells(state: State, res: int) -> tuple[np.ndarray, np.ndarray]:
    """Each citizen's texel and the citizens per texel; citizens never move, so this is
    computed once per resolution and kept with the state's derived lookups."""
    cache = derived(state).field_cells
    if res not in cache:
        pos = state.cit_pos
        cx = np.minimum((pos[:, 0] * res).astype(np.int64), res - 1)
        cy = np.minimum((pos[:, 1] * res).astype(np.int64), res - 1)
        cell = cy * res + cx
        cache[res] = (cell, np.bincount(cell, minlength=res * res).astype(np.float64))
    return cache[res]


def sentiment_field(state: State, res: int | None = None) -> np.ndarray:
    """(res, res, 4) float32 mean sentiment (hope, anger, empathy, trust) per texel.

    Texels no citizen lives in take the city's mean, so the picture has no holes.
    """
    res = res or field_resolution(state)
    cell, count = _field_cells(state, res)
    out = np.empty((res * res, 4), dtype=np.float32)
    mean = state.sentiment.mean(axis=0, dtype=np.float64)
    for c in range(4):
        total = np.bincount(cell, weights=state.sentiment[:, c], minlength=res * res)
        out[:, c] = np.where(count > 0, total / np.maximum(count, 1.0), mean[c])
    return out.reshape(res, res, 4)


def grid_field(state: State) -> np.ndarray:
    """(H, W, 4) uint8 per canopy cell: powered, node health, node stress, community id.

    Health is the glitch capacity factor (255 = healthy); stress is load over capacity
    (255 = at capacity or beyond); the community id is stored as is (0..15).
    """
    alive = state.node_alive
    capacity = state.capacity0 * state.node_health
    stress = np.where(alive, node_load(state) / np.maximum(capacity, 1e-9), 1.0)
    per_node = np.stack(
        [
            alive.astype(np.float64),
            np.clip(state.node_health, 0.0, 1.0),
            np.clip(stress, 0.0, 1.0),
        ],
        axis=1,
    )
    per_node = np.round(per_node * 255.0).astype(np.uint8)
    h, w = state.community.shape
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., :3] = per_node[state.cell_node]
    out[..., 3] = state.community
    return out


def node_table(state: State) -> np.ndarray:
    """(M, 4) float32 per Neural Cloud node: x, y, alive, stress (load over capacity)."""
    capacity = state.capacity0 * state.node_health
    stress = np.where(state.node_alive, node_load(state) / np.maximum(capacity, 1e-9), 0.0)
    return np.stack(
        [
            state.node_pos[:, 0],
            state.node_pos[:, 1],
            state.node_alive.astype(np.float64),
            np.clip(stress, 0.0, 2.0),
        ],
        axis=1,
    ).astype(np.float32)


def link_table(state: State) -> np.ndarray:
    """(E, 4) float32 per link: x0, y0, x1, y1, and (E,) alive flags appended as a 5th column."""
    e = state.edges
    p = state.node_pos
    alive = state.node_alive[e[:, 0]] & state.node_alive[e[:, 1]]
    return np.concatenate([p[e[:, 0]], p[e[:, 1]], alive[:, None]], axis=1).astype(np.float32)


def growth_field(state: State) -> np.ndarray:
    """(G, G, 2) float32 Gray-Scott (u, v)."""
    return np.stack([state.growth_u, state.growth_v], axis=-1)
