"""Turning a ``State`` into plain arrays and back, exactly (no IO here: see app.snapshots).

The arrays carry every field bit for bit, and the metadata (JSON) carries the configs,
counters, story, indices, scalars and the random generator's state, so a restored run
continues bit-identically.

Version 2 added the state of cascades that spread over ticks (``transit_alive``,
``cascade_carry``, ``Counters.cascade_round`` / ``cascade_size``). A version-1 state (every
cascade finished within its tick, transit always routed on the live graph) is read and
upgraded exactly: its hash is checked over what version 1 stored.

Version 3 added the cloth's memory (``cloth_unravel``, ``cloth_scar``, ``cloth_gold``,
``node_changed``; see ``simulation.cloth``). An older state is upgraded with the cloth as its
city stands: what is dark is unravelled (and so scarred), nothing is gilded yet, and no node
has a recorded failure or repair time except the dark ones, which failed "now".
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from installation.config import ModelConfig, WorldConfig
from installation.simulation.cloth import new_cloth
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
VERSION = 3
READS = (1, 2, 3)
CLOTH_FIELDS = ("cloth_unravel", "cloth_scar", "cloth_gold", "node_changed")
V2_FIELDS = tuple(name for name in ARRAY_FIELDS if name not in CLOTH_FIELDS)
V1_FIELDS = tuple(name for name in V2_FIELDS if name != "transit_alive")


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
        return _build(*_upgrade_v2(*_upgrade_v1(arrays, meta)))
    if version == 2:
        _check_hash(arrays, meta, V2_FIELDS)
        return _build(*_upgrade_v2(arrays, meta))
    state = _build(arrays, meta)
    if state_hash(state) != meta.get("state_hash"):
        raise StateFormatError("contents do not match the recorded state hash (damaged)")
    return state


def _check_hash(
    arrays: dict[str, np.ndarray], meta: dict[str, Any], names: tuple[str, ...]
) -> None:
    """Check an older version's hash as it computed it: over its own arrays, and the
    scalars' and generator's JSON as they were written."""
    missing = [name for name in names if name not in arrays]
    if missing:
        raise StateFormatError(f"missing arrays: {', '.join(missing)}")
    old_hash = hash_parts(
        {name: arrays[name] for name in names},
        json.dumps(meta.get("scalars"), sort_keys=True, default=repr),
        json.dumps(meta.get("rng"), sort_keys=True),
    )
    if old_hash != meta.get("state_hash"):
        raise StateFormatError("contents do not match the recorded state hash (damaged)")
    if not isinstance(meta.get("scalars"), dict):
        raise StateFormatError("damaged metadata (no scalars)")


def _upgrade_v2(
    arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A version-2 state (its hash already checked) with the cloth of version 3."""
    try:
        alive = np.asarray(arrays["node_alive"], dtype=bool)
        cell_node = np.asarray(arrays["cell_node"])
        growth = np.asarray(arrays["growth_u"])
        time = float(meta["scalars"]["time"])
        if alive.ndim != 1 or cell_node.ndim != 2 or growth.ndim != 2:
            raise ValueError("arrays of the wrong shape")
        if growth.shape[0] != growth.shape[1]:
            raise ValueError("a growth grid that is not square")
        g = int(growth.shape[0])
        h, w = cell_node.shape
        # The node serving each growth cell, as build_derived finds it.
        centres = (np.arange(g) + 0.5) / g
        rows = np.minimum((centres * h).astype(np.int64), h - 1)
        cols = np.minimum((centres * w).astype(np.int64), w - 1)
        dark = ~alive[cell_node[np.ix_(rows, cols)]]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise StateFormatError(f"damaged metadata or arrays ({exc})") from None
    cloth = new_cloth(g, len(alive))
    cloth["cloth_unravel"][dark] = 1.0
    cloth["cloth_scar"][dark] = 1.0
    cloth["node_changed"][~alive] = time
    return dict(arrays, **cloth), meta


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
    _check_hash(arrays, meta, V1_FIELDS)
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
