"""The cloth's memory (``simulation.cloth``).

Unravelling spreads over seconds, re-weaving follows repair, scars stay, gold fills them only as the
city bonds; all of it is state (hashed, snapshotted, upgraded from older snapshots) and independent
of the tick rate.
"""

from __future__ import annotations

import numpy as np

from installation.app.snapshots import load_snapshot, save_snapshot
from installation.config import ModelConfig, WorldConfig
from installation.inputs import EMPTY_FRAME
from installation.simulation import create_world, state_hash, step
from installation.simulation.cloth import NEVER
from installation.simulation.sanity import sanity_problems
from installation.simulation.state import derived

WORLD = WorldConfig(
    seed=5, height=64, width=64, communities=4, citizens=3000, nodes=64, growth_resolution=32
)
# No glitches and no repairs unless a test asks: the cloth follows only what the test does.
QUIET = ModelConfig(glitch_rate=0.0, repair_rate=0.0)


def darken(state, nodes) -> None:
    state.node_alive[nodes] = False
    state.transit_alive[:] = state.node_alive  # no re-routing cascade from the test's cut


def run(state, seconds: float, hz: float = 30.0) -> None:
    for _ in range(round(seconds * hz)):
        step(state, EMPTY_FRAME, 1.0 / hz)


def cells_of(state, node: int) -> np.ndarray:
    g = state.cloth_unravel.shape[0]
    return (derived(state).gcell_node == node).reshape(g, g)


def test_an_outage_unravels_over_seconds_and_its_time_is_recorded():
    state = create_world(WORLD, QUIET)
    node = int(np.argmax(np.bincount(derived(state).gcell_node)))
    dark = cells_of(state, node)
    state.capacity0[node] = 0.0  # the next cascade round fails it
    run(state, 1.0 / 30.0)
    assert not state.node_alive[node] and state.node_changed[node] == 0.0
    assert state.cloth_unravel[dark].max() < 0.05  # nothing comes apart at once
    run(state, 6.0)
    assert state.cloth_unravel[dark].mean() > 0.8  # seconds later it has come apart
    lit = state.node_alive[derived(state).gcell_node].reshape(dark.shape)
    assert state.cloth_unravel[lit].max() == 0.0  # lit cloth never unravels
    assert np.array_equal(state.cloth_scar, state.cloth_unravel)


def test_unravelled_neighbours_speed_the_fraying():
    # The whole city dark; one row of cloth already unravelled. A cell beside it frays
    # faster than a cell far from any damage: damage spreads from where it began.
    state = create_world(WORLD, QUIET)
    darken(state, np.arange(WORLD.nodes))
    state.cloth_unravel[10, 10:13] = 1.0
    run(state, 0.3)
    u = state.cloth_unravel
    assert u[11, 11] > 1.5 * u[25, 25] > 0.0


def test_repair_reweaves_but_the_scar_stays_and_gold_needs_a_bond():
    state = create_world(WORLD, QUIET)
    node = int(np.argmax(np.bincount(derived(state).gcell_node)))
    dark = cells_of(state, node)
    darken(state, [node])
    run(state, 6.0)
    state.node_alive[node] = True  # repaired by hand: the test sets it back
    state.node_changed[node] = state.time
    # A divided, cold city: re-woven, scarred, not gilded.
    state.sentiment[:, 2] = 0.05  # no empathy
    run(state, 12.0)
    assert state.cloth_unravel[dark].max() < 0.05
    assert state.cloth_scar[dark].min() > 0.8
    assert state.cloth_gold[dark].max() < 0.05
    # The same cloth in a city that has come together: gold fills the scar, within it.
    united = state
    united.sentiment[:] = united.sentiment.mean(axis=0)
    united.sentiment[:, 1] = 0.1  # calm
    united.sentiment[:, 2] = 0.95  # empathic
    united.anchor_rate[:] = 0.0
    run(united, 30.0)
    gold = united.cloth_gold[dark]
    assert gold.mean() > 0.5
    assert np.all(united.cloth_gold <= united.cloth_scar + 1e-6)
    assert not sanity_problems(united)


def test_the_cloth_does_not_depend_on_the_tick_rate():
    def after(hz: float) -> np.ndarray:
        state = create_world(WORLD, QUIET)
        darken(state, [3, 4, 5, 11])
        run(state, 2.0, hz)
        return state.cloth_unravel

    a, b = after(30.0), after(60.0)
    assert np.abs(a - b).max() < 0.08  # same rates per second, sampled finer


def test_the_cloth_is_part_of_the_hashed_snapshotted_state(tmp_path):
    state = create_world(WORLD, QUIET)
    darken(state, [7])
    run(state, 1.0)
    before = state_hash(state)
    state.cloth_scar[0, 0] += 0.5
    assert state_hash(state) != before
    again = load_snapshot(save_snapshot(state, tmp_path / "s.npz"))
    assert state_hash(again) == state_hash(state)
    assert np.array_equal(again.node_changed, state.node_changed)
    assert state.node_changed[7] == NEVER  # darkened by hand: no failure was recorded


def test_the_cord_table_names_the_districts_each_cord_joins():
    # A repaired cord is whipped in the yarns of the two districts it joins: the table carries
    # each end's main community, per link and (both the same) per knot.
    from installation.simulation.fields import cord_table

    state = create_world(WORLD, QUIET)
    table = cord_table(state)
    links, knots = table[: len(state.edges)], table[len(state.edges) :]
    assert table.shape == (len(state.edges) + len(state.node_pos), 16)
    np.testing.assert_array_equal(links[:, 8], state.node_comm[state.edges[:, 0]])
    np.testing.assert_array_equal(links[:, 9], state.node_comm[state.edges[:, 1]])
    np.testing.assert_array_equal(knots[:, 8], state.node_comm)
    np.testing.assert_array_equal(knots[:, 9], state.node_comm)
    assert (links[:, 8] != links[:, 9]).any()  # some cords cross a border
    assert not links[:, 10:12].any() and not knots[:, 11].any()


def test_a_couched_line_runs_on_through_a_knot_into_its_straightest_continuation():
    # The cords are laid as long lines: through a knot a cord sweeps on into the couched cord
    # that continues it most nearly straight (its course), and where exactly two couched
    # cords carry one line through a node no knot is tied there.
    from installation.simulation.fields import (
        CLOTH_ASPECT,
        COUCHED_LOAD,
        cord_courses,
        cord_table,
    )

    state = create_world(WORLD, QUIET)
    table = cord_table(state)
    e, pos = state.edges, state.node_pos.astype(np.float32)
    links, knots = table[: len(e)], table[len(e) :]
    couched = links[:, 5] >= COUCHED_LOAD
    courses, through = cord_courses(state, links[:, 5])
    np.testing.assert_array_equal(links[:, 12:16], courses)
    np.testing.assert_array_equal(knots[:, 10], through)
    np.testing.assert_array_equal(knots[:, 12:14], pos)
    # A link that is not couched has no course: its knots' own positions stand there.
    np.testing.assert_array_equal(courses[~couched, 0:2], pos[e[~couched, 0]])
    np.testing.assert_array_equal(courses[~couched, 2:4], pos[e[~couched, 1]])
    checked = 0
    for node in np.flatnonzero(through):
        mine = np.flatnonzero(couched & ((e[:, 0] == node) | (e[:, 1] == node)))
        assert len(mine) == 2
        a, b = mine
        far_a = e[a, 1] if e[a, 0] == node else e[a, 0]
        far_b = e[b, 1] if e[b, 0] == node else e[b, 0]
        # Each carries on into the other: a's course at this node is b's far end.
        course_a = courses[a, 0:2] if e[a, 0] == node else courses[a, 2:4]
        course_b = courses[b, 0:2] if e[b, 0] == node else courses[b, 2:4]
        np.testing.assert_allclose(course_a, pos[far_b])
        np.testing.assert_allclose(course_b, pos[far_a])
        checked += 1
    assert checked > 3
    # Where three or more couched cords meet, a knot is tied, and a cord runs on into the
    # straightest of the others (within 70 degrees) or into none.
    degree = np.bincount(e[couched].ravel(), minlength=len(pos))
    assert not through[degree >= 3].any()
    assert through.any() and not through.all()
    aspect = np.array([CLOTH_ASPECT, 1.0])
    junctions = 0
    for k in np.flatnonzero(couched):
        for end, col in ((0, 0), (1, 2)):
            node, far = e[k, end], e[k, 1 - end]
            if degree[node] < 3:
                continue
            others = [
                j
                for j in np.flatnonzero(couched & ((e[:, 0] == node) | (e[:, 1] == node)))
                if j != k
            ]
            away = (pos[far] - pos[node]) * aspect
            away /= np.linalg.norm(away)
            best, best_cos = pos[node], np.cos(np.radians(70.0))
            for j in others:
                other_far = e[j, 1] if e[j, 0] == node else e[j, 0]
                out = (pos[other_far] - pos[node]) * aspect
                cos = -float(away @ (out / np.linalg.norm(out)))
                if cos > best_cos:
                    best, best_cos = pos[other_far], cos
            np.testing.assert_allclose(courses[k, col : col + 2], best)
            junctions += 1
    assert junctions > 3


def test_the_couched_cords_are_the_same_in_numpy_and_in_the_shaders():
    # Which cords are couched is decided twice, in the shaders (which cords to draw) and in
    # numpy (which cords the courses run through): the two must agree.
    import re
    from pathlib import Path

    from installation.simulation.fields import COUCHED_LOAD

    glsl = (Path(__file__).resolve().parents[2] / "shaders/include/cloth.glsl").read_text()
    found = re.search(r"const float COUCHED_LOAD = ([\d.]+);", glsl)
    assert found is not None and float(found.group(1)) == COUCHED_LOAD
