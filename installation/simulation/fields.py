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
    """Each citizen's texel and the citizens per texel.

    Citizens never move, so this is computed once per resolution and kept with the state's derived
    lookups.
    """
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


EMBER_S = 4.0
"""A failed node's embers cool with this time constant (simulated seconds)."""
NEEDLE_S = 6.0
"""A repaired node's needle of light fades with this time constant."""


def node_sparks(state: State) -> np.ndarray:
    """(M,) float64 in [0, 1]: the glow of a fresh change at each node.

    An ember where it failed, a needle of light where it was repaired.
    """
    since = np.maximum(state.time - state.node_changed, 0.0)
    ember = np.exp(-since / EMBER_S)
    needle = np.exp(-since / NEEDLE_S)
    return np.where(state.node_alive, needle, ember)


def grid_field(state: State) -> np.ndarray:
    """(H, W, 4) uint8 per canopy cell.

    Every channel fit for linear filtering (the districts' ids are in ``map_field``): powered, node
    health over 1.5 (a repair's reinforcement reaches 1.5), node stress (load over capacity, 255 at
    capacity or beyond), and the spark of a fresh change (``node_sparks``).
    """
    alive = state.node_alive
    capacity = state.capacity0 * state.node_health
    stress = np.where(alive, node_load(state) / np.maximum(capacity, 1e-9), 1.0)
    per_node = np.stack(
        [
            alive.astype(np.float64),
            np.clip(state.node_health / 1.5, 0.0, 1.0),
            np.clip(stress, 0.0, 1.0),
            node_sparks(state),
        ],
        axis=1,
    )
    per_node = np.round(per_node * 255.0).astype(np.uint8)
    return per_node[state.cell_node]


# The least load of a cord that is couched onto the cloth: the trunks only, the same set in
# every act (``COUCHED_LOAD`` in ``shaders/include/cloth.glsl`` says the same; a test holds
# the two together). The cords' courses are chosen among these.
COUCHED_LOAD = 0.55
# The cloth's width over its height as it hangs in a 16:9 picture (Look.cloth_rect): which
# cord runs on straightest through a knot is judged in the cloth as seen, not in canopy units.
CLOTH_ASPECT = (16.0 / 9.0) * 0.93 / 0.855


def cord_courses(state: State, load: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each cord's course comes from and goes on to, through its knots.

    A hand couching a cord through a knot carries it on in one sweep into the cord that
    continues it most nearly straight (among the couched cords, ``COUCHED_LOAD``).

    Returns:
        (E, 4) float32: per link, the far end of that continuing cord at its first knot (x,
        y), then at its second (x, y). Where no couched cord runs on (within 70 degrees of
        straight where three or more meet; short of doubling back, 120, where two do), or
        the link is not couched, the knot's own position stands there (the renderer then
        bows the cord on its own).
        (M,) bool: per node, whether one couched line simply runs on through it (exactly two
        couched cords meet there, each the other's continuation): no knot is tied there.
    """
    e = state.edges
    p = state.node_pos.astype(np.float64) * np.array([CLOTH_ASPECT, 1.0])
    shown = load >= COUCHED_LOAD
    n_e = len(e)
    # Every end of every couched link: (link, its knot, its far node).
    link = np.concatenate([np.arange(n_e), np.arange(n_e)])
    at = np.concatenate([e[:, 0], e[:, 1]])
    far = np.concatenate([e[:, 1], e[:, 0]])
    keep = np.concatenate([shown, shown])
    link, at, far = link[keep], at[keep], far[keep]
    order = np.argsort(at, kind="stable")
    link, at, far = link[order], at[order], far[order]
    out_dir = p[far] - p[at]
    out_dir /= np.maximum(np.linalg.norm(out_dir, axis=1, keepdims=True), 1e-12)
    first = np.searchsorted(at, at, side="left")
    degree = np.searchsorted(at, at, side="right") - first
    best = np.full(len(at), -1)
    # (Where only two couched cords meet, the line turns the corner with a radius unless it
    # would double back; where more meet, it runs on only into one within 70 degrees.)
    best_cos = np.full(len(at), np.cos(np.radians(70.0)))
    best_cos[degree == 2] = np.cos(np.radians(120.0))
    for k in range(int(degree.max()) if len(at) else 0):
        j = first + k
        valid = (k < degree) & (j != np.arange(len(at)))
        j = np.where(valid, j, 0)
        # Straight on: the other cord leaves the knot opposite to this one.
        cos = -(out_dir * out_dir[j]).sum(axis=1)
        better = valid & (cos > best_cos)
        best = np.where(better, j, best)
        best_cos = np.where(better, cos, best_cos)
    courses = np.zeros((n_e, 4), dtype=np.float32)
    courses[:, 0:2] = state.node_pos[e[:, 0]]
    courses[:, 2:4] = state.node_pos[e[:, 1]]
    found = best >= 0
    ends_first = e[link, 0] == at
    cols = np.where(ends_first, 0, 2)
    rows, cols, via = link[found], cols[found], far[best[found]]
    courses[rows, cols] = state.node_pos[via, 0]
    courses[rows, cols + 1] = state.node_pos[via, 1]
    paired = found & (best[np.where(found, best, 0)] == np.arange(len(at)))
    through = np.zeros(len(p), dtype=bool)
    through[at[paired & (degree == 2)]] = True
    return courses, through


def cord_table(state: State) -> np.ndarray:
    """(E + M, 16) float32 the Neural Cloud as the renderer couches it.

    Per link, then per node (a knot, with both ends at the node): x0, y0, x1, y1, alive, load,
    health, spark, the communities the two ends mainly serve (each node's ``node_comm``;
    a repaired cord is whipped in their yarns), whether one line runs on through the knot
    (``cord_courses``; a knot's only, 0 for a link), a zero, then the cord's course through
    its knots (``cord_courses``; a knot's own position for a knot).

    Load is a rank in [0, 1] (by designed capacity, which follows Motter-Lai transit),
    scaled down where the node serves a poorer district: a link takes the lesser of its
    ends', so the trunks of rich districts are heavy cords and back lanes thin.
    """
    e = state.edges
    p = state.node_pos
    order = np.argsort(np.argsort(state.capacity0, kind="stable"), kind="stable")
    # Thicker where the cloud serves a richer district: inequality you can see in the cords.
    served = state.shares[state.node_comm] / max(float(state.shares.max()), 1e-12)
    weight = order / max(len(order) - 1, 1) * (0.55 + 0.45 * served)
    health = np.clip(state.node_health, 0.0, 1.5)
    spark = node_sparks(state)
    alive = state.node_alive
    comm = state.node_comm.astype(np.float32)
    links = np.zeros((len(e), 16), dtype=np.float32)
    links[:, 0:2] = p[e[:, 0]]
    links[:, 2:4] = p[e[:, 1]]
    links[:, 4] = alive[e[:, 0]] & alive[e[:, 1]]
    links[:, 5] = np.minimum(weight[e[:, 0]], weight[e[:, 1]])
    links[:, 6] = np.minimum(health[e[:, 0]], health[e[:, 1]])
    links[:, 7] = np.maximum(spark[e[:, 0]], spark[e[:, 1]]) * (1.0 - links[:, 4])
    links[:, 8] = comm[e[:, 0]]
    links[:, 9] = comm[e[:, 1]]
    courses, through = cord_courses(state, links[:, 5])
    links[:, 12:16] = courses
    knots = np.zeros((len(p), 16), dtype=np.float32)
    knots[:, 0:2] = p
    knots[:, 2:4] = p
    knots[:, 4] = alive
    knots[:, 5] = weight
    knots[:, 6] = health
    knots[:, 7] = spark
    knots[:, 8] = comm
    knots[:, 9] = comm
    knots[:, 10] = through
    knots[:, 12:14] = p
    knots[:, 14:16] = p
    return np.concatenate([links, knots])


def cloth_field(state: State) -> np.ndarray:
    """(G, G, 4) float32 the cloth: growth v (embroidery), unravel, scar, gold."""
    return np.stack(
        [state.growth_v, state.cloth_unravel, state.cloth_scar, state.cloth_gold], axis=-1
    )


def border_field(districts: np.ndarray) -> np.ndarray:
    """(H, W, 4) float32: signed distance to the nearest district border, and its course.

    ``districts`` is ``map_field``'s map. Channel 0 is the distance in cells, negative on
    the side of the community with the lower id and positive on the other, so it runs
    smoothly through zero across every border between two districts (filtered linearly, its
    zero line is the border). Channels 1 and 2 are its gradient (cells a cell) smoothed over
    a few cells: the border's normal, steady along a stitch. The mobilisation's seams are
    sewn along it; the cloth pass reads it in one fetch. Fixed for a world, like ``map_field``.
    """
    from scipy.ndimage import gaussian_filter

    m = districts
    dist = (m[..., 2].astype(np.float32) / 8.0) + 0.5 / 8.0
    sign = np.where(m[..., 0] < m[..., 1], np.float32(-1.0), np.float32(1.0))
    # (A district with no neighbour is far from any border.)
    sd = np.where(m[..., 0] == m[..., 1], np.float32(32.0), sign * dist).astype(np.float32)
    gy, gx = np.gradient(gaussian_filter(sd, 1.5, mode="nearest"))
    out = np.zeros((*sd.shape, 4), dtype=np.float32)
    out[..., 0] = sd
    out[..., 1] = gx
    out[..., 2] = gy
    return out


def map_field(state: State) -> np.ndarray:
    """(H, W, 4) uint8 the districts' map for the joins, fixed for a world.

    Community id, the nearest other community's id, distance to that border (in eighths of a cell,
    up to 255), and zero. The districts are drawn as the cartoon a weaver would work from: each
    one's cells blurred over about 2.5 cells and the strongest taken, so a border runs in free
    curves instead of stepping like a staircase (done here once per world, so the cloth pass
    reads one texel a stitch).
    """
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    ids = np.unique(state.community)
    weights = np.stack(
        [
            gaussian_filter((state.community == c).astype(np.float32), 2.5, mode="nearest")
            for c in ids
        ]
    )
    comm = ids[np.argmax(weights, axis=0)].astype(state.community.dtype)
    h, w = comm.shape
    out = np.zeros((h, w, 4), dtype=np.uint8)
    out[..., 0] = comm
    out[..., 1] = comm
    out[..., 2] = 255
    for c in np.unique(comm):
        inside = comm == c
        if inside.all():
            continue
        dist, (ri, ci) = distance_transform_edt(inside, return_indices=True)
        out[..., 1][inside] = comm[ri[inside], ci[inside]]
        out[..., 2][inside] = np.clip(np.round((dist[inside] - 0.5) * 8.0), 0, 255)
    return out
