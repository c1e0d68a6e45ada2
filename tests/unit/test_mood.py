"""The act's signature comes from the state (``render.mood``), never from the act number.

Cities in different conditions get different keys, motifs and focal points, and the act index itself
changes nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from installation.config import ModelConfig, WorldConfig
from installation.inputs import EMPTY_FRAME
from installation.render.mood import mood, mood_uniforms
from installation.simulation import create_world, step
from installation.simulation.indices import update_indices

WORLD = WorldConfig(
    seed=2, height=64, width=64, communities=5, citizens=4000, nodes=64, growth_resolution=32
)
QUIET = ModelConfig(glitch_rate=0.0, repair_rate=0.0)


def city():
    state = create_world(WORLD, QUIET)
    for _ in range(3):
        step(state, EMPTY_FRAME, 1 / 30)
    return state


def hopeful(state):
    state.sentiment[:, 0] = 0.85
    state.sentiment[:, 1] = 0.15
    state.participation_rate = 4.0
    update_indices(state, 0.0)
    return state


def test_an_outage_is_dark_cold_and_drained_of_colour():
    calm, dark = hopeful(city()), hopeful(city())
    dark.node_alive[: WORLD.nodes * 2 // 3] = False
    update_indices(dark, 0.0)
    a, b = mood(calm), mood(dark)
    # The room's light falls by at least a fifth; the unpowered cloth's own fading does the
    # rest (tests/gl/test_tapestry.py: a stricken district goes dark).
    assert b.light < 0.8 * a.light
    assert b.saturation < 0.5 * a.saturation
    assert b.warmth < a.warmth - 0.5
    assert b.focus_kind == 1 and a.focus_kind == 0


def test_the_crisis_focus_is_the_knot_that_failed_first():
    state = city()
    state.node_alive[[5, 9, 20]] = False
    state.node_changed[[5, 9, 20]] = [3.0, 1.5, 2.0]  # node 9 went first
    update_indices(state, 0.0)
    m = mood(state)
    assert m.focus_kind == 1
    assert np.allclose(m.focus, state.node_pos[9])


def test_glitches_cool_and_sour_the_key_and_still_the_rallying_thread():
    calm, glitchy = hopeful(city()), hopeful(city())
    glitchy.node_health[:] = 0.7  # every node's capacity has dipped
    a, b = mood(calm), mood(glitchy)
    assert a.rally > 0.3 and b.rally < 0.05
    assert b.warmth < 0.0 < a.warmth
    assert b.saturation < a.saturation and b.glitch > 0.9


def test_unity_with_empathy_gilds_the_borders_and_trust_gilds_the_cords():
    divided, united = hopeful(city()), hopeful(city())
    united.sentiment[:] = united.sentiment.mean(axis=0)
    united.sentiment[:, 1] = 0.1
    united.sentiment[:, 2] = 0.95
    united.sentiment[:, 3] = 0.2
    update_indices(united, 0.0)
    assert mood(divided).gild == 0.0
    m = mood(united)
    assert m.gild > 0.8 and m.gilded_cords < 0.1 and m.rally < 0.1
    united.sentiment[:, 3] = 0.8  # the city trusts its infrastructure again
    m = mood(united)
    assert m.gilded_cords > 0.8 and m.mix > 0.8 and m.warmth > 0.5


def test_poorer_districts_weave_thinner():
    state = city()
    m = mood(state)
    order = np.argsort(state.shares)
    assert m.wealth[order[0]] < m.wealth[order[-1]]
    # A district that loses its power loses its density too.
    k = int(order[-1])
    state.node_alive[state.node_comm == k] = False
    assert mood(state).wealth[k] < 0.5 * m.wealth[k]


def test_the_act_number_alone_changes_nothing():
    state = hopeful(city())
    before = mood_uniforms(mood(state))
    state.indices = dataclasses.replace(state.indices, act=5)
    state.story.act = 5
    after = mood_uniforms(mood(state))
    assert before == after


def test_the_seams_are_sewn_as_far_as_the_torn_cloth_is_woven_again():
    state = city()
    assert mood(state).mend == 0.0  # nothing was ever torn
    state.cloth_scar[:] = 0.6
    state.cloth_unravel[:] = 0.45  # a quarter of what tore is woven again
    half = mood(state).mend
    state.cloth_unravel[:] = 0.0  # all of it
    whole = mood(state).mend
    assert 0.2 < half < 0.3 and whole == 1.0
    # In the dark of an outage nobody sews.
    state.node_alive[: WORLD.nodes * 2 // 3] = False
    update_indices(state, 0.0)
    assert mood(state).mend < 0.1


def test_a_city_mending_its_cloth_is_not_uneasy():
    # The nodes still weak after an outage are what the city is repairing: while the torn
    # cloth is woven again the loom's unease recedes and the room warms with the work, so a
    # mobilisation is never keyed like the glitches.
    weak, mending = hopeful(city()), hopeful(city())
    for state in (weak, mending):
        state.node_health[:] = 0.7
        state.cloth_scar[:] = 0.6
        state.cloth_unravel[:] = 0.6  # torn, and nothing woven yet
    mending.cloth_unravel[:] = 0.05  # most of it woven again
    a, b = mood(weak), mood(mending)
    assert a.mend == 0.0 and b.mend > 0.9
    assert a.glitch > 0.9 and b.glitch < 0.35
    assert b.warmth > a.warmth + 1.0
