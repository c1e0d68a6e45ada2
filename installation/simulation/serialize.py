"""Turning a ``State`` into plain arrays and back, exactly (no IO here: see app.snapshots).

The arrays carry every field bit for bit, and the metadata (JSON) carries the configs,
counters, story, indices, scalars and the random generator's state, so a restored run
continues bit-identically.

Version 2 added the state of cascades that spread over ticks (``transit_alive``,
``cascade_carry``, ``Counters.cascade_round`` / ``cascade_size``). A version-1 state (every
cascade finished within its tick, transit always routed on the live graph) is read and
upgraded exactly: its hash is checked over what version 1 stored.
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
    hash_parts,
    rng_state_json,
    scalars_json,
    state_hash,
)

FORMAT = "canopy-state"
VERSION = 2
READS = (1, 2)


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
    version = meta.get("version")
    if version not in READS:
        raise StateFormatError(
            f"state format version {version!r}; this Canopy reads versions "
            + ", ".join(map(str, READS))
        )
    if version == 1:
        return _build(*_upgrade_v1(arrays, meta))
    state = _build(arrays, meta)
    if state_hash(state) != meta.get("state_hash"):
        raise StateFormatError("contents do not match the recorded state hash (damaged)")
    return state


def _build(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> State:
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
        return State(
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


def _upgrade_v1(
    arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A version-1 state, its hash checked as version 1 computed it, in version 2's terms."""
    v1_arrays = [name for name in ARRAY_FIELDS if name != "transit_alive"]
    missing = [name for name in v1_arrays if name not in arrays]
    if missing:
        raise StateFormatError(f"missing arrays: {', '.join(missing)}")
    # Version 1's scalars_json and rng_state_json, from the JSON they were written as.
    v1_hash = hash_parts(
        {name: arrays[name] for name in v1_arrays},
        json.dumps(meta.get("scalars"), sort_keys=True, default=repr),
        json.dumps(meta.get("rng"), sort_keys=True),
    )
    if v1_hash != meta.get("state_hash"):
        raise StateFormatError("contents do not match the recorded state hash (damaged)")
    if not isinstance(meta.get("scalars"), dict):
        raise StateFormatError("damaged metadata (no scalars)")
    # Version 1 re-routed transit after every change and finished cascades within a tick.
    alive = np.asarray(arrays["node_alive"], dtype=bool)
    arrays = dict(arrays, transit_alive=alive.copy())
    return arrays, dict(meta, scalars=dict(meta["scalars"], cascade_carry=0.0))


def _frozen(cls: type, values: dict[str, Any]) -> Any:
    out = dict(values)
    for key, value in out.items():
        if isinstance(value, list):
            out[key] = tuple(value)
    return cls(**out)
