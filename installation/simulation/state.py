"""The simulation's whole state: every array (with its dtype) and scalar that ``step`` evolves.

``State`` holds what defines the world and its history; ``Derived`` holds lookup structures
rebuilt from it (never hashed, never saved). ``state_hash`` covers every field of ``State``
including the random generator, so two runs agree bit for bit exactly when their hashes do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from installation.config import ModelConfig, WorldConfig

if TYPE_CHECKING:  # at run time build_derived imports models itself, to make the buffers
    from installation.simulation.models import GrayScottBuffers

HOPE, ANGER, EMPATHY, TRUST = 0, 1, 2, 3


@dataclass
class Indices:
    """The headline indices: uniforms for the shaders, OSC feedback, the status endpoint.

    Attributes:
        unity: share of citizens whose sentiment lies near the city's mean sentiment, [0, 1].
        disparity: Gini coefficient of access across communities, [0, 1].
        outage: share of canopy cells without power, [0, 1].
        hope: mean hope, [0, 1].
        anger: mean anger, [0, 1].
        participation: visitors' recent activity, [0, 1).
        act: the act the city is in: 1 rally, 2 glitches, 3 summit and outage,
            4 mobilisation, 5 emergence.
    """

    unity: float = 0.0
    disparity: float = 0.0
    outage: float = 0.0
    hope: float = 0.0
    anger: float = 0.0
    participation: float = 0.0
    act: int = 1

    def as_dict(self) -> dict[str, float]:
        """The indices as a plain dict (for JSON, feedback and the status page)."""
        return dataclasses.asdict(self)


TOUCH_GRID = 64  # resolution of the field through which touches reach citizens

ACT_NAMES = {1: "rally", 2: "glitches", 3: "summit and outage", 4: "mobilisation", 5: "emergence"}


@dataclass
class Counters:
    """Event counts since the world began (all integers)."""

    glitches: int = 0
    failures: int = 0
    repairs: int = 0
    cascades: int = 0
    largest_cascade: int = 0
    cascade_round: int = 0  # rounds of the cascade under way so far (0: none under way)
    cascade_size: int = 0  # nodes failed in the cascade under way so far
    inputs: int = 0
    rejected_inputs: int = 0
    pending_inputs: int = 0  # accepted since the last tick; counted into participation by it


@dataclass
class Story:
    """Memory the act classifier keeps between ticks (smoothed activity, act timing)."""

    act: int = 1
    act_since: float = 0.0
    glitch_activity: float = 0.0  # smoothed glitches per minute
    peak_outage: float = 0.0  # highest outage share in the current crisis
    calm_since: float = 0.0


@dataclass
class State:
    """Everything the simulation evolves. Arrays are modified in place by ``step``.

    Geometry (fixed at creation): ``community`` (H, W) uint8, ``colours`` (K, 3) float32,
    ``shares`` (K,) float64, ``cell_node`` (H, W) int32, ``node_pos`` (M, 2) float64,
    ``node_comm`` (M,) int32, ``edges`` (E, 2) int32, ``cells_kn`` (K, M) int32,
    ``base_demand`` (M,) float64, ``capacity0`` (M,) float64, ``transit_scale`` float.

    Citizens, sorted along a Morton curve so that neighbours in memory are neighbours on
    the canopy: ``cit_pos`` (N, 2) float32 in [0, 1), ``cit_home`` (N,) uint8, ``cit_cell``
    (N,) int32 (flat canopy cell), ``sentiment`` (N, 4) float32 (hope, anger, empathy,
    trust), ``anchor`` (N, 4) float32 Friedkin-Johnsen anchors, ``anchor_rate`` (N, 4)
    float32 their pull per second, ``baseline`` (K, 4) float32 each community's resting mood.

    Neural Cloud: ``node_alive`` (M,) bool, ``node_health`` (M,) float64 glitch capacity
    factor, ``node_help`` (M,) float64 visitors' repair help, ``transit`` (M,) float64
    Motter-Lai transit load, ``transit_alive`` (M,) bool the live graph ``transit`` was
    routed on (the next cascade round re-routes when ``node_alive`` differs),
    ``carried`` (nnz,) float64 load carried along each directed link of the adjacency (see
    ``models.local_load_sharing``). ``cascade_carry`` is the fraction of a cascade round
    owed to the next tick (rounds run at ``CASCADE_ROUNDS_PER_S`` whatever the tick rate).

    Growth: ``growth_u``, ``growth_v`` (G, G) float32 Gray-Scott concentrations.

    The cloth's memory (see ``simulation.cloth``): ``cloth_unravel``, ``cloth_scar``,
    ``cloth_gold`` (G, G) float32 in [0, 1] on the growth grid, and ``node_changed`` (M,)
    float64 the simulated time of each node's last failure or repair.
    """

    world: WorldConfig
    model: ModelConfig
    rng: np.random.Generator
    tick: int
    time: float
    community: np.ndarray
    colours: np.ndarray
    shares: np.ndarray
    cell_node: np.ndarray
    node_pos: np.ndarray
    node_comm: np.ndarray
    edges: np.ndarray
    cells_kn: np.ndarray
    base_demand: np.ndarray
    capacity0: np.ndarray
    transit_scale: float
    cit_pos: np.ndarray
    cit_home: np.ndarray
    cit_cell: np.ndarray
    sentiment: np.ndarray
    anchor: np.ndarray
    anchor_rate: np.ndarray
    baseline: np.ndarray
    node_alive: np.ndarray
    node_health: np.ndarray
    node_help: np.ndarray
    transit: np.ndarray
    transit_alive: np.ndarray
    carried: np.ndarray
    growth_u: np.ndarray
    growth_v: np.ndarray
    cloth_unravel: np.ndarray
    cloth_scar: np.ndarray
    cloth_gold: np.ndarray
    node_changed: np.ndarray
    participation_rate: float = 0.0  # smoothed accepted inputs per second
    loudness: float = 0.0  # smoothed room loudness in [0, 1]
    pair_carry: float = 0.0
    growth_carry: float = 0.0
    cascade_carry: float = 0.0
    counters: Counters = field(default_factory=Counters)
    story: Story = field(default_factory=Story)
    indices: Indices = field(default_factory=Indices)
    derived: Derived | None = field(default=None, repr=False, compare=False)


ARRAY_FIELDS = (
    "community",
    "colours",
    "shares",
    "cell_node",
    "node_pos",
    "node_comm",
    "edges",
    "cells_kn",
    "base_demand",
    "capacity0",
    "cit_pos",
    "cit_home",
    "cit_cell",
    "sentiment",
    "anchor",
    "anchor_rate",
    "baseline",
    "node_alive",
    "node_health",
    "node_help",
    "transit",
    "transit_alive",
    "carried",
    "growth_u",
    "growth_v",
    "cloth_unravel",
    "cloth_scar",
    "cloth_gold",
    "node_changed",
)
SCALAR_FIELDS = (
    "tick",
    "time",
    "transit_scale",
    "participation_rate",
    "loudness",
    "pair_carry",
    "growth_carry",
    "cascade_carry",
)


@dataclass
class Derived:
    """Lookup structures rebuilt from a ``State``; never hashed or saved.

    Attributes:
        adjacency: (M, M) CSR 0/1 matrix of the Neural Cloud graph, sorted indices.
        carrier: (nnz,) int32 the row (carrying node) of each stored adjacency entry.
        cit_node: (N,) int32 node serving each citizen's cell.
        node_citizens: (M,) float64 citizens per node (at least 1, to divide by).
        cells_per_node: (M,) float64 canopy cells per node.
        comm_cells: (K,) float64 canopy cells per community.
        comm_citizens: (K,) float64 citizens per community.
        cit_gcell: (N,) int32 growth-grid cell of each citizen.
        gcell_node: (G*G,) int32 node serving each growth cell.
        gcell_citizens: (G*G,) float64 citizens per growth cell (at least 1).
        coarse: side of the coarse grid used to find citizens near a point.
        coarse_order: (N,) int32 citizens sorted by coarse cell (row-major).
        coarse_start: (coarse*coarse + 1,) int64 start of each coarse cell in coarse_order.
        members: per community, the (n_k,) int32 indices of its citizens.
        touch_order: (N,) int32 citizens sorted by their cell of the TOUCH_GRID^2 touch
            field (row-major), so a touch gathers only the citizens of the cells it reaches.
        touch_start: (TOUCH_GRID^2 + 1,) int64 start of each touch cell in touch_order.
    """

    adjacency: sp.csr_matrix
    carrier: np.ndarray
    cit_node: np.ndarray
    node_citizens: np.ndarray
    cells_per_node: np.ndarray
    comm_cells: np.ndarray
    comm_citizens: np.ndarray
    cit_gcell: np.ndarray
    gcell_node: np.ndarray
    gcell_citizens: np.ndarray
    coarse: int
    coarse_order: np.ndarray
    coarse_start: np.ndarray
    members: list[np.ndarray]
    touch_order: np.ndarray
    touch_start: np.ndarray
    gs_buffers: GrayScottBuffers | None = None
    field_cells: dict = field(default_factory=dict)  # renderer's texel lookups, by size


def build_derived(state: State) -> Derived:
    """Rebuild the lookup structures of ``state`` (after creation or a restore)."""
    from installation.simulation.models import GrayScottBuffers

    m = state.node_pos.shape[0]
    k = state.shares.shape[0]
    h, w = state.community.shape
    e = state.edges
    adjacency = sp.coo_matrix(
        (
            np.ones(2 * len(e)),
            (np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])),
        ),
        shape=(m, m),
    ).tocsr()
    adjacency.sum_duplicates()
    adjacency.sort_indices()
    adjacency.data[:] = 1.0
    carrier = np.repeat(np.arange(m, dtype=np.int32), np.diff(adjacency.indptr))
    cit_node = state.cell_node.ravel()[state.cit_cell].astype(np.int32)
    node_citizens = np.maximum(np.bincount(cit_node, minlength=m).astype(np.float64), 1.0)
    cells_per_node = np.bincount(state.cell_node.ravel(), minlength=m).astype(np.float64)
    comm_cells = np.bincount(state.community.ravel(), minlength=k).astype(np.float64)
    comm_citizens = np.bincount(state.cit_home, minlength=k).astype(np.float64)
    g = state.growth_u.shape[0]
    gx = np.minimum((state.cit_pos[:, 0] * g).astype(np.int32), g - 1)
    gy = np.minimum((state.cit_pos[:, 1] * g).astype(np.int32), g - 1)
    cit_gcell = (gy * g + gx).astype(np.int32)
    # The node serving each growth cell: sample the canopy at the growth cell's centre.
    centres = (np.arange(g) + 0.5) / g
    rows = np.minimum((centres * h).astype(np.int64), h - 1)
    cols = np.minimum((centres * w).astype(np.int64), w - 1)
    gcell_node = state.cell_node[np.ix_(rows, cols)].ravel().astype(np.int32)
    gcell_citizens = np.maximum(np.bincount(cit_gcell, minlength=g * g).astype(np.float64), 1.0)
    coarse = 32
    cx = np.minimum((state.cit_pos[:, 0] * coarse).astype(np.int64), coarse - 1)
    cy = np.minimum((state.cit_pos[:, 1] * coarse).astype(np.int64), coarse - 1)
    ccell = cy * coarse + cx
    coarse_order = np.argsort(ccell, kind="stable").astype(np.int32)
    coarse_start = np.searchsorted(ccell[coarse_order], np.arange(coarse * coarse + 1))
    members = [np.flatnonzero(state.cit_home == c).astype(np.int32) for c in range(k)]
    tcell = np.minimum((state.cit_pos * TOUCH_GRID).astype(np.int64), TOUCH_GRID - 1)
    cit_touch = tcell[:, 1] * TOUCH_GRID + tcell[:, 0]
    touch_order = np.argsort(cit_touch, kind="stable").astype(np.int32)
    touch_start = np.searchsorted(cit_touch[touch_order], np.arange(TOUCH_GRID**2 + 1))
    return Derived(
        adjacency=adjacency,
        carrier=carrier,
        cit_node=cit_node,
        node_citizens=node_citizens,
        cells_per_node=cells_per_node,
        comm_cells=np.maximum(comm_cells, 1.0),
        comm_citizens=np.maximum(comm_citizens, 1.0),
        cit_gcell=cit_gcell,
        gcell_node=gcell_node,
        gcell_citizens=gcell_citizens,
        coarse=coarse,
        coarse_order=coarse_order,
        coarse_start=coarse_start.astype(np.int64),
        members=members,
        touch_order=touch_order,
        touch_start=touch_start.astype(np.int64),
        gs_buffers=GrayScottBuffers(state.growth_u.shape, state.growth_u.dtype),
    )


def derived(state: State) -> Derived:
    """The state's lookup structures, built on first use."""
    if state.derived is None:
        state.derived = build_derived(state)
    return state.derived


def rng_state_json(rng: np.random.Generator) -> str:
    """The generator's full state as canonical JSON (for hashing and snapshots)."""
    return json.dumps(rng.bit_generator.state, sort_keys=True)


def scalars_json(state: State) -> str:
    """Every non-array field of the state (config, counters, story, indices) as JSON."""
    doc = {
        "world": dataclasses.asdict(state.world),
        "model": dataclasses.asdict(state.model),
        "counters": dataclasses.asdict(state.counters),
        "story": dataclasses.asdict(state.story),
        "indices": dataclasses.asdict(state.indices),
    }
    for name in SCALAR_FIELDS:
        doc[name] = getattr(state, name)
    # repr() keeps floats exact, so the hash sees every bit.
    return json.dumps(doc, sort_keys=True, default=repr)


def state_hash(state: State) -> str:
    """SHA-256 over every field of the state, the random generator included."""
    arrays = {name: getattr(state, name) for name in ARRAY_FIELDS}
    return hash_parts(arrays, scalars_json(state), rng_state_json(state.rng))


def hash_parts(arrays: dict[str, np.ndarray], scalars: str, rng: str) -> str:
    """The state hash's layout: each array with its name, dtype and shape (in the order given).

    Then the scalars' and the generator's JSON. Snapshots of an older format are checked with it
    over the fields that format had.
    """
    h = hashlib.sha256()
    for name, value in arrays.items():
        a = np.ascontiguousarray(value)
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    h.update(scalars.encode())
    h.update(rng.encode())
    return h.hexdigest()
