"""One fixed step of Verdantia: inputs, the Neural Cloud, sentiment, growth, indices.

``step(state, frame, dt)`` modifies ``state`` in place and is deterministic: the state's own
seeded generator is the only source of randomness, and the generator is drawn from the same
number of times whatever happens, so runs that differ only in their inputs share their luck
(glitch and repair draws) tick for tick. All rates are per simulated second, and every
per-tick probability is 1 - exp(-rate * dt), so the dynamics do not depend on the tick rate.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from installation.config import live_parameters
from installation.inputs.frame import (
    Event,
    InputFrame,
    Push,
    Repair,
    RoomSound,
    SetParam,
    Touch,
)
from installation.simulation.cloth import weave_cloth
from installation.simulation.indices import access, community_mean, update_indices
from installation.simulation.models import (
    deffuant_pairs,
    gray_scott_step,
    local_load_sharing,
    put_rows,
    shortest_path_load,
)
from installation.simulation.state import (
    ANGER,
    EMPATHY,
    HOPE,
    TOUCH_GRID,
    TRUST,
    State,
    derived,
)

# Pearson's (1993) diffusion constants and the two regimes growth moves between.
GS_DU, GS_DV = 0.2097, 0.1049
GS_THRIVING = (0.0367, 0.0649)  # dividing spots
GS_DECAY = (0.040, 0.075)  # extinction
DARK_MOOD = np.array([0.05, 0.95, 0.0, 0.05], dtype=np.float32)  # where darkness pulls
REPAIR_REINFORCEMENT = 1.5  # a repaired node comes back with extra margin that fades
HELP_DECAY_S = 10.0
PARTICIPATION_WINDOW_S = 10.0
LOUDNESS_WINDOW_S = 2.0
# The version of these dynamics: raised whenever a change makes the same world and inputs
# give another city, so a journal recorded under another version is replayed with a warning
# (2: cascades spread one round a tick; 3: the cloth remembers outages, scars and gold).
DYNAMICS_VERSION = 3
CASCADE_MIN_FAILURES = 3  # nodes, over at least two rounds, that make a cascade
CASCADE_ROUNDS_PER_S = 30.0  # Motter-Lai rounds per simulated second
DRIFT_SLICES = 8
LIVE = live_parameters()


def step(state: State, frame: InputFrame, dt: float) -> None:
    """Advance ``state`` by one tick of ``dt`` simulated seconds, applying ``frame``.

    The frame's events are applied first, in its batches (``apply_events``); the live show
    has already applied its events as they arrived and passes only the tick's sound.
    """
    if not dt > 0:
        raise ValueError("dt must be positive")
    for batch in frame.batched():
        apply_events(state, batch)
    if frame.sound is not None:
        _room_sound(state, frame.sound, dt)
    a = 1.0 - math.exp(-dt / PARTICIPATION_WINDOW_S)
    state.participation_rate += a * (state.counters.pending_inputs / dt - state.participation_rate)
    state.counters.pending_inputs = 0
    glitches = _neural_cloud(state, dt)
    weave_cloth(state, dt)
    _sentiment(state, dt)
    _growth(state, dt)
    state.tick += 1
    state.time += dt
    update_indices(state, dt, glitches)


# --------------------------------------------------------------------------- inputs


def _finite(*values: float | None) -> bool:
    return all(v is None or (isinstance(v, (int, float)) and math.isfinite(v)) for v in values)


def _clip01(v: float) -> float:
    return min(max(float(v), 0.0), 1.0)


def citizens_near(state: State, x: float, y: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Citizens within ``radius`` of (x, y) (canopy units) and their falloff weights in (0, 1]."""
    d = derived(state)
    c = d.coarse
    x0 = max(int((x - radius) * c), 0)
    x1 = min(int((x + radius) * c), c - 1)
    y0 = max(int((y - radius) * c), 0)
    y1 = min(int((y + radius) * c), c - 1)
    if x0 > x1 or y0 > y1:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    # One contiguous run of the coarse-cell ordering per coarse row of the bounding box.
    runs = [
        d.coarse_order[d.coarse_start[r * c + x0] : d.coarse_start[r * c + x1 + 1]]
        for r in range(y0, y1 + 1)
    ]
    idx = np.concatenate(runs) if runs else np.zeros(0, np.int32)
    p = state.cit_pos[idx]
    d2 = (p[:, 0] - np.float32(x)) ** 2 + (p[:, 1] - np.float32(y)) ** 2
    r2 = np.float32(radius * radius)
    inside = d2 < r2
    return idx[inside], (1.0 - d2[inside] / r2).astype(np.float32)


def _anchor(
    state: State,
    idx: np.ndarray | slice,
    dim: int,
    value: float,
    pull: np.ndarray | np.floating | float,
) -> None:
    """Friedkin-Johnsen anchoring: blend a new target into citizens' anchors on one dimension.

    The anchor moves towards ``value`` in proportion to the new pull's share of the total,
    and the pull rate becomes the larger of the old and the new (a sustained push holds the
    anchor; it does not grow without bound).
    """
    old = state.anchor_rate[idx, dim]
    total = old + pull
    share = np.divide(pull, total, out=np.zeros_like(total), where=total > 0)
    state.anchor[idx, dim] += share * (np.float32(value) - state.anchor[idx, dim])
    state.anchor_rate[idx, dim] = np.maximum(old, pull)


def apply_events(state: State, events: Sequence[Event]) -> int:
    """Apply visitors' and controllers' events to the state now; returns how many were accepted.

    Invalid ones are counted in ``counters.rejected_inputs``.

    The live show calls this as soon as inputs arrive, between ticks, so an input reaches
    the state within milliseconds instead of at the next tick boundary; the next ``step``
    moves the city under the new anchors and counts the inputs into participation. The
    events of one call act together (touches combine through one field), so a replay must
    apply the same groups: the journal records them (``InputFrame.batches``).
    """
    model = state.model
    d = derived(state)
    accepted = 0
    touches: list[tuple[float, float, float]] = []
    for ev in events:
        if isinstance(ev, Push):
            if not (_finite(ev.value, ev.x, ev.y, ev.strength) and 0 <= ev.sentiment < 4):
                state.counters.rejected_inputs += 1
                continue
            pull = np.float32(model.anchor_rate * _clip01(ev.strength))
            value = _clip01(ev.value)
            if ev.community is not None:
                if not 0 <= ev.community < len(d.members):
                    state.counters.rejected_inputs += 1
                    continue
                _anchor(state, d.members[ev.community], ev.sentiment, value, pull)
            elif ev.x is not None and ev.y is not None:
                idx, w = citizens_near(state, _clip01(ev.x), _clip01(ev.y), model.push_radius)
                _anchor(state, idx, ev.sentiment, value, pull * w)
            else:
                _anchor(state, slice(None), ev.sentiment, value, pull)
        elif isinstance(ev, Touch):
            if not _finite(ev.x, ev.y, ev.strength):
                state.counters.rejected_inputs += 1
                continue
            touches.append((_clip01(ev.x), _clip01(ev.y), _clip01(ev.strength)))
        elif isinstance(ev, Repair):
            if not _finite(ev.x, ev.y, ev.strength):
                state.counters.rejected_inputs += 1
                continue
            s = _clip01(ev.strength)
            if ev.x is None or ev.y is None:
                state.node_help += 0.5 * s
            else:
                dist2 = ((state.node_pos - [_clip01(ev.x), _clip01(ev.y)]) ** 2).sum(axis=1)
                r2 = (2.0 * model.push_radius) ** 2
                state.node_help += s * np.clip(1.0 - dist2 / r2, 0.0, 1.0)
            np.minimum(state.node_help, 1.0, out=state.node_help)
        elif isinstance(ev, SetParam):
            rng = LIVE.get(ev.name)
            if rng is None or not _finite(ev.value):
                state.counters.rejected_inputs += 1
                continue
            value = min(max(float(ev.value), rng[0]), rng[1])
            state.model = dataclasses.replace(state.model, **{ev.name: value})
        else:
            state.counters.rejected_inputs += 1
            continue
        accepted += 1
    if touches:
        _touches(state, np.asarray(touches, dtype=np.float64))
    state.counters.inputs += accepted
    state.counters.pending_inputs += accepted
    return accepted


def _room_sound(state: State, sound: RoomSound, dt: float) -> None:
    """Loud crowds raise anger; sustained, harmonic voices raise empathy (city-wide)."""
    if not _finite(sound.smoothed_db, sound.flatness):
        state.counters.rejected_inputs += 1
        return
    level = _clip01((sound.smoothed_db + 55.0) / 40.0)
    a = 1.0 - math.exp(-dt / LOUDNESS_WINDOW_S)
    state.loudness += a * (level - state.loudness)
    if state.loudness < 0.15:
        return
    harmonic = 1.0 - _clip01(sound.flatness)
    pull = state.model.anchor_rate * 0.3 * state.loudness
    if harmonic > 0.5:
        _anchor(state, slice(None), EMPATHY, 0.95, np.float32(pull * harmonic))
    else:
        _anchor(state, slice(None), ANGER, 0.9, np.float32(pull * (1.0 - harmonic)))


def _touches(state: State, touches: np.ndarray) -> None:
    """All of a tick's touches at once (an XY pad sends dozens per tick).

    Hope anchored around each touch, growth seeded there. Overlapping touches count as the
    strongest.

    Args:
        state: the state the touches act on, modified in place.
        touches: (T, 3) float64 x, y, strength, already clipped to [0, 1].
    """
    model = state.model
    xs, ys, strength = touches[:, 0], touches[:, 1], touches[:, 2]
    # The touches' pull on a TOUCH_GRID^2 field (falloff at cell centres), maximum over
    # touches, then read by every citizen from its cell.
    radius = model.push_radius * 0.5
    centres = ((np.arange(TOUCH_GRID) + 0.5) / TOUCH_GRID).astype(np.float32)
    dx2 = (centres[None, :] - xs[:, None].astype(np.float32)) ** 2 / np.float32(radius**2)
    dy2 = (centres[None, :] - ys[:, None].astype(np.float32)) ** 2 / np.float32(radius**2)
    falloff = dy2[:, :, None] + dx2[:, None, :]  # (T, grid, grid) float32, in place below
    np.subtract(1.0, falloff, out=falloff)
    np.maximum(falloff, 0.0, out=falloff)
    falloff *= strength[:, None, None].astype(np.float32)
    field = falloff.max(axis=0).ravel()
    # Only the citizens of the cells the touches reach (a few percent of the city): the
    # live show applies touches every few milliseconds.
    d = derived(state)
    cells = np.flatnonzero(field > 0)
    starts = d.touch_start[cells]
    counts = d.touch_start[cells + 1] - starts
    total = int(counts.sum())
    if total:
        first = np.repeat(np.cumsum(counts) - counts, counts)
        order = np.repeat(starts, counts) + np.arange(total, dtype=np.int64) - first
        who = d.touch_order[order]
        pull = np.repeat(field[cells], counts)
        ascending = np.argsort(who)  # citizen order, as a whole-city pass would give
        idx, pull = who[ascending], pull[ascending]
        _anchor(state, idx, HOPE, 0.9, np.float32(model.anchor_rate * 0.5) * pull)
    # Growth: a small square of fresh Gray-Scott seed at each touch (later touches win).
    g = state.growth_u.shape[0]
    r = max(1, g // 64)
    off = np.arange(-r, r + 1)
    cy = (ys * (g - 1)).astype(np.int64)
    cx = (xs * (g - 1)).astype(np.int64)
    rows = ((cy[:, None, None] + off[None, :, None]) % g) + 0 * off[None, None, :]
    cols = ((cx[:, None, None] + off[None, None, :]) % g) + 0 * off[None, :, None]
    s3 = np.broadcast_to(strength[:, None, None], rows.shape)
    state.growth_u[rows.ravel(), cols.ravel()] = (1.0 - 0.5 * s3.ravel()).astype(np.float32)
    state.growth_v[rows.ravel(), cols.ravel()] = (0.25 * s3.ravel()).astype(np.float32)


# --------------------------------------------------------------------------- neural cloud


def node_demand(state: State) -> np.ndarray:
    """(M,) each node's own demand: its cells' base demand, raised by its citizens' anger."""
    d = derived(state)
    m = len(d.node_citizens)
    anger = np.bincount(d.cit_node, weights=state.sentiment[:, ANGER], minlength=m)
    return state.base_demand * (1.0 + state.model.unrest_load * anger / d.node_citizens)


def carried_load(state: State) -> np.ndarray:
    """(M,) load each node carries on behalf of failed neighbours (fibre-bundle sharing)."""
    d = derived(state)
    return np.bincount(d.carrier, weights=state.carried, minlength=len(state.node_alive))


def node_load(state: State) -> np.ndarray:
    """(M,) load on every working node: demand, Motter-Lai transit and carried load."""
    load = node_demand(state) + state.transit + carried_load(state)
    return np.where(state.node_alive, load, 0.0)


def _reroute(state: State) -> None:
    """Motter-Lai: transit follows shortest paths on the live graph.

    Re-routed at the start of a cascade round when the graph has changed since (failures, repairs).
    """
    if np.array_equal(state.transit_alive, state.node_alive):
        return
    d = derived(state)
    alive = np.flatnonzero(state.node_alive)
    state.transit[:] = 0.0
    if alive.size > 2:
        sub = d.adjacency[alive][:, alive]
        state.transit[alive] = shortest_path_load(sub, clean=True) * state.transit_scale
    state.transit_alive[:] = state.node_alive


def _neural_cloud(state: State, dt: float) -> int:
    model = state.model
    d = derived(state)
    m = len(state.node_alive)
    # Fixed draws per tick, used or not, keep the random stream aligned across runs.
    u_glitch = state.rng.random(m)
    depth = state.rng.random(m)
    u_repair = state.rng.random(m)

    acc = access(state)
    poverty = 1.0 - acc[state.node_comm]
    hazard = model.glitch_rate * (1.0 + model.glitch_poverty * poverty)
    glitch = state.node_alive & (u_glitch < -np.expm1(-hazard * dt))
    n_glitch = int(glitch.sum())
    if n_glitch:
        hit = 1.0 - model.glitch_depth * depth
        state.node_health = np.where(glitch, np.minimum(state.node_health, hit), state.node_health)
        state.counters.glitches += n_glitch
    # Health relaxes back to 1 (from a glitch below, from a repair's reinforcement above).
    state.node_health += (1.0 - state.node_health) * -math.expm1(-dt / model.glitch_recovery_s)
    state.node_help *= math.exp(-dt / HELP_DECAY_S)

    # Repairs: faster with unity and with visitors' help.
    dead = ~state.node_alive
    if dead.any():
        emp = community_mean(state, EMPATHY)[state.node_comm]
        rate = model.repair_rate * (
            1.0 + model.repair_unity * state.indices.unity + model.repair_empathy * emp
        )
        rate = rate * (1.0 + model.repair_help * state.node_help)
        repaired = dead & (u_repair < -np.expm1(-rate * dt))
        if repaired.any():
            state.node_alive |= repaired
            # Neighbours stop carrying the load of a node that is back.
            state.carried[repaired[d.adjacency.indices]] = 0.0
            state.node_health[repaired] = REPAIR_REINFORCEMENT
            state.node_changed[repaired] = state.time
            state.counters.repairs += int(repaired.sum())

    # Cascade rounds (Motter-Lai's iteration): route transit on the live graph, fail every
    # overloaded node at once; its demand goes to its working neighbours. The rounds run at
    # CASCADE_ROUNDS_PER_S, one a tick at the default rate, so a cascade spreads visibly
    # across the canopy and no tick pays for a whole cascade (each round re-routes, ~10 ms).
    rounds_f = dt * CASCADE_ROUNDS_PER_S + state.cascade_carry
    rounds = int(rounds_f + 1e-9)  # 1/30 s * 30 must make one round, not 0.99999...
    state.cascade_carry = max(rounds_f - rounds, 0.0)
    capacity = state.capacity0 * state.node_health
    for _ in range(rounds):
        _reroute(state)
        demand = node_demand(state)
        carried = carried_load(state)
        load = np.where(state.node_alive, demand + state.transit + carried, 0.0)
        over = state.node_alive & (load > capacity)
        count = int(over.sum())
        c = state.counters
        if count == 0:
            # The cascade under way (consecutive rounds with failures) is over.
            if c.cascade_round >= 2 and c.cascade_size >= CASCADE_MIN_FAILURES:
                c.cascades += 1
                c.largest_cascade = max(c.largest_cascade, c.cascade_size)
            c.cascade_round = c.cascade_size = 0
            break
        c.cascade_round += 1
        c.cascade_size += count
        c.failures += count
        state.node_alive &= ~over
        state.node_changed[over] = state.time
        # A failing node sheds its own demand; what it carried for others is dropped (those
        # districts stay dark) rather than passed on, which would snowball every cascade
        # into the whole city.
        state.carried = local_load_sharing(
            d.adjacency, state.carried, over, demand, state.node_alive
        )
    return n_glitch


# --------------------------------------------------------------------------- sentiment


def _sentiment(state: State, dt: float) -> None:
    model = state.model
    d = derived(state)
    x = state.sentiment
    n = len(x)
    # Community empathy widens each community's confidence bound.
    emp = community_mean(state, EMPATHY)
    eps_comm = (model.confidence_min + model.confidence_gain * emp).astype(np.float32)

    # Drift: darkness drains hope and trust and feeds anger; light lets a community return to
    # its resting mood, anger faster where empathy is high. Trust's resting level follows
    # the community's access. Drift is slow (rates well under 1/s), so each tick updates one
    # of DRIFT_SLICES contiguous slices of the citizens with DRIFT_SLICES * dt: the same
    # rates at an eighth of the cost.
    lo = (state.tick % DRIFT_SLICES) * n // DRIFT_SLICES
    hi = (state.tick % DRIFT_SLICES + 1) * n // DRIFT_SLICES
    xs = x[lo:hi]
    home = state.cit_home[lo:hi]
    lit = state.node_alive[d.cit_node[lo:hi]]
    acc = access(state)
    rest = state.baseline.copy()
    rest[:, TRUST] = np.clip(rest[:, TRUST] * (0.5 + 0.5 * acc), 0.0, 1.0)
    dark_rest = np.repeat(DARK_MOOD[None, :], len(rest), axis=0)
    dark_rest[:, EMPATHY] = rest[:, EMPATHY]
    # Empathic communities bear darkness with less rage.
    dark_rest[:, ANGER] *= (1.0 - 0.7 * emp).astype(np.float32)
    # Per community and light: the target mood and the pull on each dimension.
    targets = np.stack([dark_rest, rest])  # (2, K, 4)
    span = DRIFT_SLICES * dt
    calm = -math.expm1(-model.calm_rate * span)
    stress = -math.expm1(-model.outage_stress * span)
    pulls = np.empty((2, len(rest), 4), dtype=np.float32)
    pulls[0] = stress
    pulls[1] = calm
    pulls[1, :, ANGER] = -np.expm1(-model.calm_rate * span * (1.0 + 4.0 * emp))
    sel = lit.astype(np.intp) * len(rest) + home
    xs += np.take(pulls.reshape(-1, 4), sel, axis=0) * (
        np.take(targets.reshape(-1, 4), sel, axis=0) - xs
    )

    # Small random shocks keep the city alive with nobody in the room.
    shocks = state.rng.binomial(n, min(1.0, model.shock_rate * dt))
    who = state.rng.integers(0, n, shocks)
    kick = state.rng.standard_normal((shocks, 4), dtype=np.float32) * np.float32(model.noise)
    put_rows(x, who, np.clip(np.take(x, who, axis=0) + kick, 0.0, 1.0))

    # Bounded confidence between spatial neighbours (Deffuant-Weisbuch), with disjoint pairs
    # (a, a + s) taken from a window of the Morton ordering; a log-uniform shift s mixes
    # mostly-local encounters with rare city-wide ones.
    pairs_f = model.interaction_rate * dt * n / 2.0 + state.pair_carry
    n_pairs = int(pairs_f)
    state.pair_carry = pairs_f - n_pairs
    shift = int(math.exp(state.rng.random() * math.log(max(n // 2, 2))))
    shift = min(max(shift, 1), n // 2)
    rotation = int(state.rng.integers(0, n))
    start = int(state.rng.integers(0, n))
    if n_pairs > 0:
        # Pairs p = 0..T-1 map to a = (p // s) * 2s + p % s; only those with a + s < n exist:
        # s per full block of 2s agents, plus what fits in the remainder.
        full_blocks = n // (2 * shift)
        total = full_blocks * shift + max(0, n - full_blocks * 2 * shift - shift)
        n_pairs = min(n_pairs, total)
        p = (start + np.arange(n_pairs, dtype=np.int64)) % total
        a = (p // shift) * 2 * shift + p % shift
        i = (a + rotation) % n
        j = (a + shift + rotation) % n
        deffuant_pairs(
            x, i, j, eps_comm[state.cit_home[i]], eps_comm[state.cit_home[j]], model.convergence
        )

    # Friedkin-Johnsen anchoring to visitors' pushes: x <- (1 - w) x + w u with
    # w = 1 - exp(-rate dt); the anchors then fade.
    if state.anchor_rate.any():
        w = -np.expm1(-state.anchor_rate * np.float32(dt))
        x += w * (state.anchor - x)
        state.anchor_rate *= np.float32(math.exp(-dt / model.anchor_decay_s))
        state.anchor_rate[state.anchor_rate < 1e-4] = 0.0
    # Drift, encounters and anchoring are convex combinations of moods in [0, 1], and the
    # shocks are clipped, so sentiment stays in [0, 1] without a clip over every citizen.


# --------------------------------------------------------------------------- growth


def _growth(state: State, dt: float) -> None:
    """Gray-Scott growth whose feed and kill follow local hope and power."""
    d = derived(state)
    steps_f = state.model.growth_steps_per_s * dt + state.growth_carry
    steps = int(steps_f)
    state.growth_carry = steps_f - steps
    if steps == 0:
        return
    g = state.growth_u.shape[0]
    hope = np.bincount(d.cit_gcell, weights=state.sentiment[:, HOPE], minlength=g * g)
    health = (hope / d.gcell_citizens) * state.node_alive[d.gcell_node]
    health = np.clip(health.reshape(g, g) * 1.6, 0.0, 1.0).astype(np.float32)
    F = GS_DECAY[0] + (GS_THRIVING[0] - GS_DECAY[0]) * health
    k = GS_DECAY[1] + (GS_THRIVING[1] - GS_DECAY[1]) * health
    buffers = d.gs_buffers
    assert buffers is not None  # build_derived always makes them
    for _ in range(steps):
        gray_scott_step(state.growth_u, state.growth_v, F, k, GS_DU, GS_DV, 1.0, buffers)
    np.clip(state.growth_u, 0.0, 1.0, out=state.growth_u)
    np.clip(state.growth_v, 0.0, 1.0, out=state.growth_v)
