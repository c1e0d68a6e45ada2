"""A sketch's score in the live show carries the piece only while the room is quiet."""

from __future__ import annotations

from installation.app.runner import Runner
from installation.app.sketch import LiveScore, Sketch
from installation.inputs import InputFrame, Touch
from installation.inputs.score import Cue, Score
from installation.simulation import create_world

DT = 0.1
SCORE = Score((Cue(0.0, 1.0, DT, lambda t, n: (Touch(n / 10, 0.5),)),))


def test_the_score_plays_after_a_quiet_spell_and_stops_for_visitors():
    live = LiveScore(Sketch("s", "s", seconds=1.0, score=SCORE), quiet_s=0.5)
    played = [live.frame(tick, DT).events for tick in range(10)]
    assert played[:5] == [()] * 5  # the first half second is the quiet spell
    assert [e[0].x for e in played[5:]] == [0.0, 0.1, 0.2, 0.3, 0.4]  # from its own start
    live.applied(10, 0, "osc", InputFrame(tick=10, events=(Touch(0.9, 0.9),)))
    assert not any(live.frame(tick, DT).events for tick in range(10, 15))  # a visitor came
    assert live.frame(15, DT).events == (Touch(0.5, 0.5),)  # quiet again: where it stopped
    live.applied(16, 0, "score", InputFrame(tick=16, events=(Touch(0.5, 0.5),)))
    assert [live.frame(t, DT).events[0].x for t in range(16, 22)] == [0.6, 0.7, 0.8, 0.9, 0.0, 0.1]


def test_its_inputs_reach_the_state_through_the_runner(small_world, model):
    live = LiveScore(Sketch("s", "s", world=small_world, seconds=1.0, score=SCORE), quiet_s=0.2)
    runner = Runner(create_world(small_world, model), [live], [live])
    quiet = round(0.2 * small_world.tick_hz)
    runner.run(quiet + round(small_world.tick_hz))  # the quiet spell, then the score
    assert runner.applied == 10  # a touch every 0.1 s
