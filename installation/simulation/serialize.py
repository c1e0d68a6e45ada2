"""Turning a ``State`` into plain arrays and back, exactly (no IO here: see app.snapshots).

The arrays carry every field bit for bit, and the metadata (JSON) carries the configs,
counters, story, indices, scalars and the random generator's state, so a restored run
continues bit-identically.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from installation.config import ModelConfig, WorldConfig
from installation.simulation.state import (
    ARRAY_FIELDS,
    SCALAR_FIELDS,
    Counters,
    Indices,
    State,
    Story,
    rng_state_json,
    scalars_json,
    state_hash,
)

FORMAT = "canopy-state"
VERSION = 1


class StateFormatError(ValueError):
    """Arrays or metadata that do not describe a Canopy state of this version."""


def state_to_arrays(state: State) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The state as named arrays plus JSON-ready metadata (which includes its hash)."""
    arrays = {name: np.ascontiguousarray(getattr(state, name)) for name in ARRAY_FIELDS}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "scalars": json.loads(scalars_json(state)),
        "rng": json.loads(rng_state_json(state.rng)),
        "state_hash": state_hash(state),
    }
    return arrays, meta


def state_from_arrays(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> State:
    """Rebuild a state; checks the format, every array's presence and the stored hash."""
    if meta.get("format") != FORMAT:
        raise StateFormatError("not a Canopy state")
    if meta.get("version") != VERSION:
        raise StateFormatError(
            f"state format version {meta.get('version')!r}; this Canopy reads version {VERSION}"
        )
    missing = [name for name in ARRAY_FIELDS if name not in arrays]
    if missing:
        raise StateFormatError(f"missing arrays: {', '.join(missing)}")
    try:
        sc = meta["scalars"]
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = meta["rng"]
        fields: dict[str, Any] = {name: np.array(arrays[name], copy=True) for name in ARRAY_FIELDS}
        for name in SCALAR_FIELDS:
            fields[name] = sc[name]
        state = State(
            world=_frozen(WorldConfig, sc["world"]),
            model=_frozen(ModelConfig, sc["model"]),
            rng=rng,
            counters=Counters(**sc["counters"]),
            story=Story(**sc["story"]),
            indices=Indices(**sc["indices"]),
            **fields,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFormatError(f"damaged metadata ({exc})") from None
    if state_hash(state) != meta.get("state_hash"):
        raise StateFormatError("contents do not match the recorded state hash (damaged)")
    return state


def _frozen(cls: type, values: dict[str, Any]) -> Any:
    out = dict(values)
    for key, value in out.items():
        if isinstance(value, list):
            out[key] = tuple(value)
    return cls(**out)
