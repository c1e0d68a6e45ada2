"""Every sketch loads, runs its score and renders non-blank frames headless."""

from __future__ import annotations

import pytest

from installation.app.offline import frames
from installation.app.sketch import SketchError, available_sketches, load_sketch
from installation.simulation import create_world, step
from installation.simulation.sanity import sanity_problems

from .test_tapestry import assert_not_blank


def test_there_is_a_story_and_at_least_two_studies():
    names = available_sketches()
    assert "verdantia" in names and len(names) >= 3


@pytest.mark.parametrize("name", available_sketches())
def test_sketch_renders(ctx, name):
    sketch = load_sketch(name)
    last = None
    for img in frames(sketch, (160, 90), 30.0, 4, ctx):
        last = img
    assert last is not None and last.shape == (90, 160, 3)
    assert_not_blank(last)


@pytest.mark.slow
@pytest.mark.parametrize("name", available_sketches())
def test_sketch_score_runs_to_the_end(name):
    sketch = load_sketch(name)
    state = create_world(sketch.world, sketch.model)
    dt = 1.0 / sketch.world.tick_hz
    for tick in range(int(sketch.seconds / dt)):
        step(state, sketch.score.frame(tick, dt), dt)
    assert not sanity_problems(state)
    assert state.counters.inputs > 0 and state.counters.rejected_inputs == 0


def test_the_story_goes_through_all_five_acts():
    sketch = load_sketch("verdantia")
    state = create_world(sketch.world, sketch.model)
    dt = 1.0 / sketch.world.tick_hz
    acts = []
    for tick in range(int(sketch.seconds / dt)):
        step(state, sketch.score.frame(tick, dt), dt)
        if not acts or acts[-1] != state.indices.act:
            acts.append(state.indices.act)
    assert acts == [1, 2, 3, 4, 5]


def test_bad_sketches_are_explained(tmp_path):
    with pytest.raises(SketchError, match="no sketch 'missing'"):
        load_sketch("missing")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(SketchError, match="failed to load: RuntimeError: oops"):
        load_sketch(str(broken))
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(SketchError, match="defines no SKETCH"):
        load_sketch(str(empty))
