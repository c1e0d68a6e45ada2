"""What the cloth remembers: unravelling, scars and golden mending, as simulation state.

The tapestry shows the city's history (where outages tore it, where the city mended it, and
how lovingly), so that history is state: snapshotted, hashed and replayed like everything
else, never a trick of the renderer. Three fields on the growth grid (G x G, float32, [0, 1]):

- ``cloth_unravel``: how far the weft has come away. A dark cell unravels over seconds, faster
  next to cells already unravelled, so damage visibly spreads from where it began; a lit cell
  is re-woven, faster where visitors help repair.
- ``cloth_scar``: the deepest unravelling a cell has known, fading over hours
  (``SCAR_MEMORY_S``): a gallery day's outages stay in the cloth.
- ``cloth_gold``: kintsugi: gold filling re-woven scars, at a pace set by the city's unity
  and empathy and by visitors' repair help. Gold never exceeds the re-woven part of a scar.

``node_changed`` (M,) float64 is the simulated time of each Neural Cloud node's last failure
or repair (``NEVER`` before any), so the picture can show embers where a failure is fresh and
needles of light where a repair is.

No randomness is drawn here: the cloth follows the city and never changes its course.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np

from installation.simulation.indices import community_mean
from installation.simulation.state import EMPATHY, State, derived

UNRAVEL_RATE = 0.9
"""Per second: how fast a dark cell unravels, at full speed next to unravelled cells."""
UNRAVEL_SEED = 0.25
"""Share of ``UNRAVEL_RATE`` a dark cell unravels at with no unravelled neighbour."""
REWEAVE_RATE = 0.35
"""Per second: how fast a lit cell is re-woven (times 1 + 3 x visitors' repair help)."""
GOLD_RATE = 0.06
"""Per second: how fast gold fills a re-woven scar, times the city's bond plus help."""
SCAR_MEMORY_S = 6 * 3600.0
"""Scars fade with this time constant: the cloth remembers about a gallery day."""
NEVER = -1.0e9
"""``node_changed`` of a node that has never failed or been repaired."""


class ClothFields(TypedDict):
    """The cloth's arrays of a state, by field name (see ``State``)."""

    cloth_unravel: np.ndarray
    cloth_scar: np.ndarray
    cloth_gold: np.ndarray
    node_changed: np.ndarray


def new_cloth(g: int, m: int) -> ClothFields:
    """The fields of an untouched cloth: G x G growth grid, M nodes."""
    return {
        "cloth_unravel": np.zeros((g, g), dtype=np.float32),
        "cloth_scar": np.zeros((g, g), dtype=np.float32),
        "cloth_gold": np.zeros((g, g), dtype=np.float32),
        "node_changed": np.full(m, NEVER, dtype=np.float64),
    }


def _neighbour_mean(a: np.ndarray) -> np.ndarray:
    """Mean of the four neighbours, edges repeated (the cloth does not wrap)."""
    p = np.pad(a, 1, mode="edge")
    return 0.25 * (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:])


def weave_cloth(state: State, dt: float) -> None:
    """Advance the cloth's memory by ``dt`` seconds (after the Neural Cloud has moved)."""
    d = derived(state)
    g = state.cloth_unravel.shape[0]
    lit = state.node_alive[d.gcell_node].reshape(g, g)
    help_ = state.node_help[d.gcell_node].reshape(g, g).astype(np.float32)
    u = state.cloth_unravel
    spread = _neighbour_mean(u)
    fray = np.float32(UNRAVEL_RATE) * (np.float32(UNRAVEL_SEED) + spread)
    mend = np.float32(REWEAVE_RATE) * (1.0 + 3.0 * help_)
    # Exponential relaxation (1 - exp(-rate dt)) keeps the cloth independent of the tick rate.
    rate = np.where(lit, mend, fray)
    target = np.where(lit, np.float32(0.0), np.float32(1.0))
    u += -np.expm1(-rate * np.float32(dt)) * (target - u)
    fade = np.float32(math.exp(-dt / SCAR_MEMORY_S))
    np.maximum(state.cloth_scar * fade, u, out=state.cloth_scar)
    # Gold: the bond of a united, empathic city, and hands helping, fill what was re-woven.
    empathy = float(community_mean(state, EMPATHY).mean())
    bond = state.indices.unity * empathy
    room = np.maximum(state.cloth_scar - u, 0.0)
    gold = state.cloth_gold
    pace = np.float32(GOLD_RATE) * (np.float32(bond) + help_)
    gold += -np.expm1(-pace * np.float32(dt)) * np.maximum(room - gold, 0.0)
    np.minimum(gold, room, out=gold)
