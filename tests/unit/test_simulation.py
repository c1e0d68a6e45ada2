"""The Verdantia simulation: determinism, inputs, the story's emergence, boundedness."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from installation.config import ModelConfig, WorldConfig
from installation.inputs import EMPTY_FRAME, InputFrame, Push, Repair, RoomSound, SetParam, Touch
from installation.inputs.random_input import RandomInputs
from installation.simulation import create_world, state_hash, step
from installation.simulation.indices import unity
from installation.simulation.sanity import sanity_problems
from installation.simulation.state import ANGER, EMPATHY, HOPE
from installation.simulation.step import citizens_near, node_load


def run(state, steps, dt=1 / 30, frame=EMPTY_FRAME):
    for _ in range(steps):
        step(state, frame, dt)
    return state


def test_same_seed_same_hash_different_seed_different_hash(small_world):
    a = run(create_world(small_world), 200)
    b = run(create_world(small_world), 200)
    c = run(create_world(dataclasses.replace(small_world, seed=4)), 200)
    assert state_hash(a) == state_hash(b)
    assert state_hash(a) != state_hash(c)


def test_hash_sees_every_part_of_the_state(small_world):
    base = create_world(small_world)
    h = state_hash(base)
    s = create_world(small_world)
    s.sentiment[0, 0] = np.nextafter(s.sentiment[0, 0], 2, dtype=np.float32)
    assert state_hash(s) != h
    s = create_world(small_world)
    s.rng.random()
    assert state_hash(s) != h
    s = create_world(small_world)
    s.counters.inputs += 1
    assert state_hash(s) != h


def test_world_geometry(small_world):
    s = create_world(small_world)
    assert s.community.shape == (32, 32) and s.community.dtype == np.uint8
    assert set(np.unique(s.community)) == set(range(small_world.communities))
    assert s.shares.sum() == pytest.approx(1.0) and len(set(s.shares.round(6))) > 1
    assert s.sentiment.dtype == np.float32 and s.sentiment.shape == (400, 4)
    assert np.all(s.cit_home == s.community.ravel()[s.cit_cell])
    # The city starts with every node working and within its capacity.
    assert s.node_alive.all() and np.all(node_load(s) <= s.capacity0)


def test_citizens_near_finds_exactly_the_disc(small_world):
    s = create_world(small_world)
    idx, w = citizens_near(s, 0.3, 0.6, 0.2)
    d2 = ((s.cit_pos - np.array([0.3, 0.6], dtype=np.float32)) ** 2).sum(axis=1)
    expected = np.flatnonzero(d2 < np.float32(0.04))
    assert sorted(idx.tolist()) == expected.tolist()
    assert np.all((w > 0) & (w <= 1))


def test_push_is_a_friedkin_johnsen_anchor_with_exact_pull(small_world):
    # With encounters, drift and shocks switched off, a held push is pure anchoring:
    # x(t+1) = (1 - w) x(t) + w u with w = 1 - exp(-rate dt).
    model = ModelConfig(
        interaction_rate=0.0,
        calm_rate=0.0,
        outage_stress=0.0,
        shock_rate=0.0,
        glitch_rate=0.0,
        anchor_decay_s=3600.0,
        anchor_rate=2.0,
    )
    s = create_world(small_world, model)
    x0 = s.sentiment[:, EMPATHY].astype(np.float64)
    dt = 0.1
    frame = InputFrame(events=(Push(EMPATHY, 0.9),))
    step(s, frame, dt)
    w = 1 - np.exp(-2.0 * dt)
    np.testing.assert_allclose(s.sentiment[:, EMPATHY], (1 - w) * x0 + w * 0.9, atol=2e-6)
    others = create_world(small_world, model)
    np.testing.assert_array_equal(s.sentiment[:, HOPE], others.sentiment[:, HOPE])


def test_community_and_local_pushes_reach_only_their_citizens(small_world):
    model = ModelConfig(interaction_rate=0.0, shock_rate=0.0, glitch_rate=0.0)
    s = create_world(small_world, model)
    before = s.sentiment[:, ANGER].copy()
    step(s, InputFrame(events=(Push(ANGER, 1.0, community=2),)), 0.1)
    moved = s.sentiment[:, ANGER] > before + 0.05
    assert moved.any() and np.all(s.cit_home[moved] == 2)
    s = create_world(small_world, model)
    step(s, InputFrame(events=(Push(ANGER, 1.0, x=0.2, y=0.2),)), 0.1)
    moved = s.sentiment[:, ANGER] > before + 0.05
    dist = np.hypot(*(s.cit_pos[moved] - np.float32(0.2)).T)
    assert moved.any() and dist.max() < model.push_radius


def test_bad_events_are_counted_not_applied(small_world):
    s = create_world(small_world)
    h_before = s.sentiment.copy()
    bad = (
        Push(HOPE, float("nan")),
        Push(9, 0.5),
        Push(HOPE, 0.5, community=99),
        Touch(float("inf"), 0.5),
        SetParam("no_such", 1.0),
        SetParam("noise", float("nan")),
    )
    step(s, InputFrame(events=bad), 1 / 30)
    assert s.counters.rejected_inputs == len(bad) and s.counters.inputs == 0
    assert not np.any(s.anchor_rate)
    assert np.isfinite(s.sentiment).all() and h_before.shape == s.sentiment.shape


def test_set_param_is_clamped_to_its_range(small_world):
    s = create_world(small_world)
    step(s, InputFrame(events=(SetParam("glitch_rate", 50.0),)), 1 / 30)
    assert s.model.glitch_rate == 1.0
    step(s, InputFrame(events=(SetParam("glitch_rate", -3.0),)), 1 / 30)
    assert s.model.glitch_rate == 0.0


def test_repair_help_is_local(small_world):
    s = create_world(small_world)
    step(s, InputFrame(events=(Repair(0.0, 0.0),)), 1 / 30)
    dist = np.hypot(*s.node_pos.T)
    reach = 2 * s.model.push_radius
    assert np.all(s.node_help[dist >= reach] == 0.0)
    assert np.all(s.node_help[dist < reach / 2] > 0.5)


def test_participation_follows_visitors(small_world):
    s = create_world(small_world)
    run(s, 300, frame=InputFrame(events=(Touch(0.5, 0.5),)))
    busy = s.indices.participation
    run(s, 900)
    assert busy > 0.5 and s.indices.participation < busy / 3


def test_loud_noisy_room_raises_anger_harmonic_voices_raise_empathy(small_world):
    model = ModelConfig(glitch_rate=0.0)
    loud = RoomSound(level_db=-8.0, smoothed_db=-8.0, flatness=0.9)
    voices = RoomSound(level_db=-12.0, smoothed_db=-12.0, flatness=0.05)
    a = run(create_world(small_world, model), 300, frame=InputFrame(sound=loud))
    b = run(create_world(small_world, model), 300, frame=InputFrame(sound=voices))
    c = run(create_world(small_world, model), 300)
    assert a.indices.anger > c.indices.anger + 0.1
    assert b.sentiment[:, EMPATHY].mean() > c.sentiment[:, EMPATHY].mean() + 0.1


def test_unity_counts_calm_agreement():
    agree = np.tile(np.array([[0.6, 0.2, 0.5, 0.5]], np.float32), (100, 1))
    furious = np.tile(np.array([[0.1, 0.9, 0.2, 0.1]], np.float32), (100, 1))
    split = np.vstack([agree[:50], furious[:50]])
    assert unity(agree) == 1.0 and unity(furious) == 0.0 and unity(split) == 0.0


def test_growth_is_driven_by_the_city_but_does_not_drive_it(small_world):
    # Growth reads hope and power; nothing reads growth back, so switching growth off
    # leaves the rest of the world bit-identical (used by the hour-long test below).
    a = run(create_world(small_world), 300)
    b = run(create_world(small_world, ModelConfig(growth_steps_per_s=0.0)), 300)
    for name in ("sentiment", "node_alive", "node_health", "anchor", "carried"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.growth_v, b.growth_v)


def test_a_cascade_spreads_one_round_a_tick_at_the_same_pace_whatever_the_tick_rate(
    monkeypatch,
):
    # A thin-margin 64-node cloud loses its busiest node; nothing else happens (no glitches,
    # no repairs). The re-routing is counted by wrapping the real shortest-path load.
    world = WorldConfig(
        seed=3, height=64, width=64, communities=4, citizens=2000, nodes=64, growth_resolution=16
    )
    step_module = importlib.import_module("installation.simulation.step")
    real = step_module.shortest_path_load
    routes = []
    monkeypatch.setattr(
        step_module, "shortest_path_load", lambda *a, **k: routes.append(1) or real(*a, **k)
    )

    def outage(dt, seconds=1.0):
        s = create_world(world, ModelConfig(tolerance=0.05, glitch_rate=0.0, repair_rate=0.0))
        s.node_health[int(np.argmax(s.transit))] = 0.1
        dead, reroutes = [], []
        for _ in range(round(seconds / dt)):
            routes.clear()
            step(s, EMPTY_FRAME, dt)
            dead.append(int(np.count_nonzero(~s.node_alive)))
            reroutes.append(len(routes))
        return s, dead, reroutes

    s30, dead30, reroutes30 = outage(1 / 30)
    assert max(reroutes30) == 1  # no tick pays for more than one round
    spread = sorted(set(dead30))
    assert len(spread) >= 5 and spread[-1] > 16  # visibly spreading, over many ticks
    assert s30.counters.cascades == 1 and s30.counters.largest_cascade == spread[-1]
    assert s30.counters.cascade_round == 0  # over
    # At 60 Hz a round every other tick: the same cascade at the same simulated pace.
    s60, dead60, _ = outage(1 / 60)
    assert dead60[1::2] == dead30
    assert s60.counters.cascades == 1 and s60.counters.largest_cascade == spread[-1]
    # One-second ticks run the whole cascade within the tick, as offline studies expect.
    s1, dead1, reroutes1 = outage(1.0)
    assert dead1 == [spread[-1]] and reroutes1[0] == len(spread)  # one per failing round
    assert s1.counters.cascades == 1 and s1.counters.largest_cascade == spread[-1]


@pytest.mark.slow
def test_with_no_input_the_default_world_glitches_and_cascades_within_an_hour():
    # The default world; growth off (it is one-way, see above) and 1 s ticks keep this
    # simulated hour to seconds of CPU. Rates are per second, so the tick size does not
    # change the dynamics' meaning.
    s = create_world(WorldConfig(), ModelConfig(growth_steps_per_s=0.0))
    acts = set()
    for _ in range(3600):
        step(s, EMPTY_FRAME, 1.0)
        acts.add(s.indices.act)
    assert s.counters.glitches >= 20
    assert s.counters.cascades >= 1 and s.counters.largest_cascade >= 3
    assert s.counters.repairs > 0
    assert {1, 2, 3} <= acts


@pytest.mark.slow
def test_sustained_empathy_raises_unity_and_speeds_repair():
    def crisis(empathy: bool):
        s = create_world(WorldConfig(seed=1), ModelConfig(growth_steps_per_s=0.0))
        dt = 0.5
        unity_sum = 0.0
        dead_node_seconds = 0.0
        for i in range(int(360 / dt)):
            t = i * dt
            events = []
            # The same storm for both cities: glitches rain for 30 s.
            if t == 60:
                events.append(SetParam("glitch_rate", 0.05))
            if t == 90:
                events.append(SetParam("glitch_rate", 0.0003))
            if empathy and t >= 60 and i % 2 == 0:
                events.append(Push(EMPATHY, 1.0))
            step(s, InputFrame(events=tuple(events)), dt)
            if t >= 60:
                unity_sum += s.indices.unity * dt
                dead_node_seconds += np.count_nonzero(~s.node_alive) * dt
        return unity_sum / 300, dead_node_seconds / max(s.counters.failures, 1), s

    u0, down0, s0 = crisis(False)
    u1, down1, s1 = crisis(True)
    assert s0.counters.failures >= 50 and s1.counters.failures >= 50  # a real crisis
    assert u1 > u0 + 0.15
    assert down1 < 0.6 * down0  # mean downtime per failed node


@pytest.mark.slow
def test_bounded_and_finite_under_random_and_extreme_input(small_world):
    s = create_world(small_world)
    chaos = RandomInputs(seed=11)
    for i in range(100_000):
        step(s, chaos.frame(i), 1 / 30)
        if i % 10_000 == 0:
            assert not sanity_problems(s), (i, sanity_problems(s))
    assert not sanity_problems(s)
    assert s.counters.rejected_inputs > 1000 and s.counters.inputs > 1000
    assert s.counters.glitches > 0 and s.counters.repairs > 0


def test_sanity_check_catches_a_nan(small_world):
    s = create_world(small_world)
    assert not sanity_problems(s)
    s.sentiment[3, 1] = np.nan
    assert sanity_problems(s) == ["sentiment has NaN or infinite values"]


def test_touches_anchor_hope_near_them_and_seed_growth(small_world):
    model = ModelConfig(glitch_rate=0.0)
    s = create_world(small_world, model)
    step(s, InputFrame(events=(Touch(0.2, 0.2), Touch(0.8, 0.8, 0.5))), 0.1)
    anchored = s.anchor_rate[:, HOPE] > 0
    near_a = np.hypot(*(s.cit_pos - np.float32(0.2)).T) < model.push_radius * 0.5 - 0.02
    far = (np.hypot(*(s.cit_pos - np.float32(0.2)).T) > model.push_radius * 0.5 + 0.02) & (
        np.hypot(*(s.cit_pos - np.float32(0.8)).T) > model.push_radius * 0.5 + 0.02
    )
    assert anchored[near_a].all() and not anchored[far].any()
    assert np.allclose(s.anchor[anchored, HOPE], 0.9)
    # The half-strength touch pulls half as hard at its centre.
    near_b = np.hypot(*(s.cit_pos - np.float32(0.8)).T) < 0.01
    if near_b.any() and near_a.any():
        assert s.anchor_rate[near_b, HOPE].max() < 0.75 * s.anchor_rate[near_a, HOPE].max()
    g = s.growth_v.shape[0]
    assert s.growth_v[int(0.2 * (g - 1)), int(0.2 * (g - 1))] > 0.2


def test_inputs_applied_as_they_arrive_replay_exactly_from_their_batches(small_world):
    """The live show applies inputs between ticks, in batches.

    A frame carrying the same batches reproduces the state bit for bit.
    """
    from installation.simulation import apply_events

    events = (Touch(0.3, 0.3), Touch(0.31, 0.3, 0.5), Push(HOPE, 0.9, 0.6, 0.6), Touch(0.3, 0.3))
    live = run(create_world(small_world), 5)
    assert apply_events(live, events[:2]) == 2
    assert apply_events(live, events[2:]) == 2
    assert live.counters.pending_inputs == 4
    step(live, InputFrame(tick=5), 1 / 30)
    assert live.counters.pending_inputs == 0 and live.participation_rate > 0

    replayed = run(create_world(small_world), 5)
    step(replayed, InputFrame(tick=5, events=events, batches=(2, 2)), 1 / 30)
    assert state_hash(replayed) == state_hash(live)
    with pytest.raises(ValueError, match="batches"):
        InputFrame(events=events, batches=(3,)).batched()
