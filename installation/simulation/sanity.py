"""Checks that a state is sane: finite, in range, consistent. For soaks, tests and watchdogs."""

from __future__ import annotations

import numpy as np

from installation.simulation.state import State

_UNIT_ARRAYS = (
    "sentiment",
    "anchor",
    "growth_u",
    "growth_v",
    "cloth_unravel",
    "cloth_scar",
    "cloth_gold",
)


def sanity_problems(state: State) -> list[str]:
    """Everything wrong with ``state``; an empty list means sane."""
    out = []
    for name in _UNIT_ARRAYS:
        a = getattr(state, name)
        if not np.isfinite(a).all():
            out.append(f"{name} has NaN or infinite values")
        elif a.size and (a.min() < 0.0 or a.max() > 1.0):
            out.append(f"{name} left [0, 1]: {a.min()}..{a.max()}")
    for name in ("node_health", "node_help", "transit", "carried", "anchor_rate"):
        a = getattr(state, name)
        if not np.isfinite(a).all() or (a.size and a.min() < 0.0):
            out.append(f"{name} is negative or not finite")
    if state.anchor_rate.size and state.anchor_rate.max() > 20.0:
        out.append("anchor_rate above its ceiling")
    ix = state.indices
    for key, value in ix.as_dict().items():
        if key != "act" and not 0.0 <= value <= 1.0:
            out.append(f"index {key} = {value} outside [0, 1]")
    if ix.act not in (1, 2, 3, 4, 5):
        out.append(f"act {ix.act} is not an act")
    if not np.isfinite(state.time) or not np.isfinite(state.participation_rate):
        out.append("time or participation not finite")
    return out
