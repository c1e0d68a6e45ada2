"""Verdantia's five-act arc over many seeds, and that visitors, not the clock, cause it.

The single-seed check in ``tests/gl/test_sketches.py`` runs the default story with the
sketch's own seed, so a change to the dynamics or the act classifier that only works for
that seed would pass it. These tests guard two claims the piece rests on:

1. Robustness: with the default score, the story goes through rally -> glitches -> summit
   and outage -> mobilisation -> emergence, strictly in that order, for (almost) any city.
   Over seeds 1..20 at least 19 must do so; a run that visits any other sequence of acts
   (an act skipped, or a step back such as 1, 2, 3, 4, 3, 4, 5) fails for its seed.
2. Causation: the acts are recognised from the simulation, not scheduled, so removing the
   cues in which visitors reconcile the communities (``dialogue`` and ``emergence`` in
   ``sketches/verdantia.py``) must leave the city short of emergence. Over the same seeds at
   least 19 must never reach act 5 in the sketch's full length.

Each run steps the simulation only (no rendering) and reads nothing but the act, so the
cost is the simulation itself: about 8 s of CPU per full 75 s run, hence ``slow``.
"""

from __future__ import annotations

import dataclasses

import pytest

from installation.app.sketch import Sketch, load_sketch
from installation.inputs.score import Score
from installation.simulation import create_world, step

SEEDS = range(1, 21)
"""The cities tried: seeds 1..20 (the sketch's own seed, 7, is among them)."""
MIN_PASSING = 19
"""Seeds out of 20 that must behave; one odd city is tolerated, two are a regression."""
FIVE_ACTS = [1, 2, 3, 4, 5]
RECONCILING_CUES = {"dialogue", "emergence"}
"""The cue functions of ``sketches/verdantia.py`` in which visitors bring the city together
(labels "dialogue between communities" and "a shared identity emerges")."""


def acts_visited(sketch: Sketch, score: Score, seed: int, stop_at: int | None = None) -> list[int]:
    """The distinct consecutive acts of one run of ``score`` on the sketch's world with ``seed``.

    The run lasts ``sketch.seconds`` or ends on the tick that first reaches ``stop_at``.
    """
    state = create_world(dataclasses.replace(sketch.world, seed=seed), sketch.model)
    dt = 1.0 / sketch.world.tick_hz
    acts = [state.indices.act]
    for tick in range(int(sketch.seconds / dt)):
        step(state, score.frame(tick, dt), dt)
        act = state.indices.act
        if act != acts[-1]:
            acts.append(act)
            if act == stop_at:
                break
    return acts


def describe(runs: dict[int, list[int]]) -> str:
    return "; ".join(f"seed {seed}: {acts}" for seed, acts in runs.items())


@pytest.mark.slow
def test_the_default_score_tells_the_five_acts_in_order_for_most_seeds():
    sketch = load_sketch("verdantia")
    # Once in act 5 the arc is complete; stopping there saves about a third of each run.
    runs = {seed: acts_visited(sketch, sketch.score, seed, stop_at=5) for seed in SEEDS}
    failing = {seed: acts for seed, acts in runs.items() if acts != FIVE_ACTS}
    assert len(runs) - len(failing) >= MIN_PASSING, (
        f"{len(failing)} of {len(runs)} seeds did not go through acts {FIVE_ACTS} in order "
        f"(at most {len(runs) - MIN_PASSING} may): {describe(failing)}"
    )


@pytest.mark.slow
def test_without_dialogue_and_emergence_cues_the_city_does_not_emerge():
    sketch = load_sketch("verdantia")
    cues = sketch.score.cues
    removed = [cue.label for cue in cues if cue.make.__name__ in RECONCILING_CUES]
    assert len(removed) == 2, (
        f"expected to remove exactly the two cues made by {sorted(RECONCILING_CUES)}, "
        f"removed {removed}: has sketches/verdantia.py changed?"
    )
    ablated = Score(tuple(cue for cue in cues if cue.make.__name__ not in RECONCILING_CUES))
    runs = {seed: acts_visited(sketch, ablated, seed) for seed in SEEDS}
    emerged = {seed: acts for seed, acts in runs.items() if 5 in acts}
    assert len(runs) - len(emerged) >= MIN_PASSING, (
        f"{len(emerged)} of {len(runs)} seeds reached act 5 without the dialogue and "
        f"emergence cues (at most {len(runs) - MIN_PASSING} may): {describe(emerged)}"
    )
