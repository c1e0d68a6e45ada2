"""The one runner: inputs by one path, in their batches, told to listeners; pause; the clock."""

from __future__ import annotations

from installation.app.runner import Listener, Runner
from installation.inputs import InputFrame, Push, Touch
from installation.inputs.score import Cue, Score
from installation.simulation import create_world, state_hash, step
from installation.timing import FrameTime

SCORE = Score(
    (
        Cue(0.0, 5.0, 0.1, lambda t, n: (Touch(0.2, 0.3), Push(1, 0.9, 0.5, 0.5))),
        Cue(0.05, 5.0, 0.2, lambda t, n: (Push(0, 1.0),)),
    )
)


class Heard(Listener):
    def __init__(self) -> None:
        self.batches: list[tuple[int, int, str, int]] = []
        self.ticks: list[int] = []

    def applied(self, tick, batch, source, frame) -> None:
        self.batches.append((tick, batch, source, len(frame.events)))

    def stepped(self, state) -> None:
        self.ticks.append(state.tick)


class Batched:
    """A recorded tick: three events applied live in two groups."""

    name = "journal"

    def frame(self, tick: int, dt: float) -> InputFrame:
        events = (Touch(0.1, 0.1), Touch(0.2, 0.2), Touch(0.3, 0.3)) if tick == 1 else ()
        return InputFrame(tick=tick, events=events, batches=(2, 1) if events else ())


def test_a_tick_is_the_step_of_the_score_frame(small_world, model):
    """The runner steps exactly as ``step(state, score.frame(tick), dt)`` does."""
    direct, run = create_world(small_world, model), create_world(small_world, model)
    dt = 1.0 / small_world.tick_hz
    for _ in range(40):
        step(direct, SCORE.frame(direct.tick, dt), dt)
    Runner(run, [SCORE]).run(40)
    assert state_hash(run) == state_hash(direct)


def test_batches_are_applied_and_told_in_order(small_world, model):
    heard = Heard()
    runner = Runner(create_world(small_world, model), [Batched()], [heard])
    runner.run(3)
    assert heard.batches == [(1, 0, "journal", 2), (1, 1, "journal", 1)]
    assert heard.ticks == [1, 2, 3] and runner.applied == 3


def test_paused_the_sources_are_read_and_their_inputs_dropped(small_world, model):
    runner = Runner(create_world(small_world, model), [Batched()])
    runner.run(1)
    runner.paused = True
    assert runner.tick() is False
    assert runner.state.tick == 1 and runner.ignored == 3 and runner.applied == 0


def test_a_frame_clock_runs_one_tick_per_frame(small_world, model):
    source = FrameTime(small_world.tick_hz)
    runner = Runner.on(create_world(small_world, model), source, sources=[SCORE])
    assert runner.advance() == 0
    for _ in range(5):
        source.advance()
        assert runner.advance() == 1
    assert runner.state.tick == 5
