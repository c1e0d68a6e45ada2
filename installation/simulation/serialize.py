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

Nothing from outside is trusted: ``check_layout`` checks the metadata (a JSON object of this
format and a version it reads, with a world and model the schema accepts) and every array's
shape and dtype against what that world implies, from the arrays' headers alone, so a file
whose header claims terabytes is refused before anything is allocated; ``state_from_arrays``
then checks the scalars' types, that index arrays point inside the world, and the hash.
Anything else raises ``StateFormatError``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np

from installation.config import ConfigError, ModelConfig, WorldConfig, parse_world_and_model
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


FIELDS_OF = {1: V1_FIELDS, 2: V2_FIELDS, 3: ARRAY_FIELDS}
Shape = tuple[int, ...]


def array_layout(world: WorldConfig) -> dict[str, tuple[tuple[int | None, ...], np.dtype]]:
    """Each array's shape and dtype in a state of ``world``.

    None: the Neural Cloud's link count, which the world's seed decides; ``carried`` holds two
    entries per link.
    """
    h, w, k, n = world.height, world.width, world.communities, world.citizens
    m, g = world.nodes, world.growth_resolution
    u1, b1, i4, f4, f8 = (np.dtype(c) for c in ("u1", "?", "<i4", "<f4", "<f8"))
    return {
        "community": ((h, w), u1),
        "colours": ((k, 3), f4),
        "shares": ((k,), f8),
        "cell_node": ((h, w), i4),
        "node_pos": ((m, 2), f8),
        "node_comm": ((m,), i4),
        "edges": ((None, 2), i4),
        "cells_kn": ((k, m), i4),
        "base_demand": ((m,), f8),
        "capacity0": ((m,), f8),
        "cit_pos": ((n, 2), f4),
        "cit_home": ((n,), u1),
        "cit_cell": ((n,), i4),
        "sentiment": ((n, 4), f4),
        "anchor": ((n, 4), f4),
        "anchor_rate": ((n, 4), f4),
        "baseline": ((k, 4), f4),
        "node_alive": ((m,), b1),
        "node_health": ((m,), f8),
        "node_help": ((m,), f8),
        "transit": ((m,), f8),
        "transit_alive": ((m,), b1),
        "carried": ((None,), f8),
        "growth_u": ((g, g), f4),
        "growth_v": ((g, g), f4),
        "cloth_unravel": ((g, g), f4),
        "cloth_scar": ((g, g), f4),
        "cloth_gold": ((g, g), f4),
        "node_changed": ((m,), f8),
    }


def check_layout(meta: Any, headers: Mapping[str, tuple[Shape, np.dtype]]) -> WorldConfig:
    """Check metadata and the arrays' (shape, dtype) as their headers claim them.

    Nothing is read before these checks pass. Returns the state's world.

    The metadata must be a JSON object of this format, of a version this Canopy reads,
    whose world and model the config schema accepts; the arrays must be exactly those of
    that version, each of the shape and dtype the world implies. The link count is the one
    shape a world does not fix: it must connect the nodes and fit a simple graph.

    Raises:
        StateFormatError: anything else (a foreign or damaged file).
    """
    version = _check_meta(meta)
    world = _configs(meta["scalars"])[0]
    names = FIELDS_OF[version]
    missing = [name for name in names if name not in headers]
    if missing:
        raise StateFormatError(f"missing arrays: {', '.join(missing)}")
    extra = sorted(set(headers) - set(names))
    if extra:
        raise StateFormatError(f"unexpected arrays: {', '.join(extra)}")
    m = world.nodes
    edges = headers["edges"][0]
    links = edges[0] if len(edges) == 2 else -1
    if not m - 1 <= links <= m * (m - 1) // 2:
        raise StateFormatError(f"array edges has shape {edges}, not (links, 2) for {m} nodes")
    layout = array_layout(world)
    for name in names:
        shape, dtype = tuple(headers[name][0]), np.dtype(headers[name][1])
        want, want_dtype = layout[name]
        if name == "edges":
            want = (links, 2)
        elif name == "carried":
            want = (2 * links,)  # load carried along each link, both ways
        if shape != want or dtype != want_dtype:
            raise StateFormatError(
                f"array {name} is {dtype.str}{list(shape)}; this world's is "
                f"{want_dtype.str}{list(want)}"
            )
    return world


def _check_meta(meta: Any) -> int:
    """The metadata's format version, once it is known to be a JSON object this reads."""
    if not isinstance(meta, dict):
        raise StateFormatError(f"metadata is {type(meta).__name__}, not an object")
    if meta.get("format") != FORMAT:
        raise StateFormatError("not a Canopy state")
    version = meta.get("version")
    if isinstance(version, bool) or version not in READS:
        raise StateFormatError(
            f"state format version {version!r}; this Canopy reads versions "
            + ", ".join(map(str, READS))
        )
    if not isinstance(meta.get("scalars"), dict):
        raise StateFormatError("damaged metadata (no scalars)")
    return version


def _configs(scalars: dict[str, Any]) -> tuple[WorldConfig, ModelConfig]:
    """The world and model, checked as a venue file's are (types, ranges, consistency)."""
    try:
        return parse_world_and_model(scalars, "snapshot")
    except ConfigError as exc:
        raise StateFormatError(f"damaged metadata ({exc})") from None


def _check_values(arrays: Mapping[str, np.ndarray], world: WorldConfig) -> None:
    """Index arrays must point inside the world.

    A foreign file with a valid hash would otherwise load and fail later, inside a tick of the
    running show.
    """
    m, k, cells = world.nodes, world.communities, world.height * world.width
    for name, bound in (
        ("community", k),
        ("cell_node", m),
        ("node_comm", k),
        ("edges", m),
        ("cit_home", k),
        ("cit_cell", cells),
    ):
        a = arrays[name]
        if a.size and (int(a.min()) < 0 or int(a.max()) >= bound):
            raise StateFormatError(f"array {name} points outside the world (damaged)")


def _check_scalars(sc: dict[str, Any]) -> None:
    """Every scalar of the right type.

    A whole tick count, finite numbers, and the counters', story's and indices' fields as their
    dataclasses declare them.
    """
    for name in SCALAR_FIELDS:
        _check_number(name, sc.get(name), int if name == "tick" else float)
    if sc["tick"] < 0:
        raise StateFormatError("damaged metadata (a negative tick)")
    for key, cls in (("counters", Counters), ("story", Story), ("indices", Indices)):
        values = sc.get(key)
        if not isinstance(values, dict):
            raise StateFormatError(f"damaged metadata ({key} is not an object)")
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise StateFormatError(f"damaged metadata (unknown {key}: {', '.join(unknown)})")
        for name, value in values.items():
            _check_number(f"{key}.{name}", value, hints[name])


def _check_number(name: str, value: Any, kind: type) -> None:
    """``value`` is a whole number (``kind`` int) or a finite number.

    JSON's booleans are neither.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        ok = False
    elif isinstance(value, int):
        ok = True  # where a float is declared, a whole number is one all the same
    else:
        ok = kind is not int and math.isfinite(value)
    if not ok:
        raise StateFormatError(f"damaged metadata ({name} = {value!r:.40})")


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
    """Rebuild a state; checks the format, every array's presence, shape and dtype.

    It also checks the scalars' types, the index arrays' ranges and the stored hash.

    Raises:
        StateFormatError: the arrays and metadata are not a Canopy state this version reads.
    """
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    world = check_layout(meta, {name: (a.shape, a.dtype) for name, a in arrays.items()})
    _check_values(arrays, world)
    try:
        return _rebuild(arrays, meta)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        if isinstance(exc, StateFormatError):
            raise
        # A backstop: the checks above should leave nothing for the rebuild to trip on.
        raise StateFormatError(f"damaged metadata or arrays ({exc})") from None


def _rebuild(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> State:
    version = meta["version"]
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
    """Check an older version's hash as it computed it.

    Over its own arrays, and the scalars' and generator's JSON as they were written.
    """
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
    _check_scalars(meta["scalars"])
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
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
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
