"""Live, offline and replay are one loop with other clocks, sources and outputs.

The same score drives the offline render (frames on ``FrameTime``) and the live show, headless and
on a frame clock instead of the wall clock: both reach the same state at the same tick. A live run
with OSC on top of the score is journaled, and the replay of its journal reproduces it. Real parts:
EGL, the OSC process, UDP on loopback, the journal on disk.
"""

from __future__ import annotations

import dataclasses
import socket

from canopy_helpers import free_port, journal_lines

from installation.app.live import Show, ShowOptions
from installation.app.offline import frames, play
from installation.app.replay import replay
from installation.app.sketch import Sketch
from installation.config import AudioConfig, Config, OscConfig, load_config
from installation.inputs import InputFrame, Push, Repair, Touch
from installation.inputs.frame import RoomSound
from installation.inputs.score import Cue, Score
from installation.render.context import create_headless_context
from installation.simulation import State, state_hash
from installation.timing import FrameTime

TICKS = 45
SCORE = Score(
    (
        Cue(0.0, 10.0, 0.1, lambda t, n: (Touch((n * 0.37) % 1.0, (n * 0.61) % 1.0),)),
        Cue(0.2, 10.0, 0.5, lambda t, n: (Push(n % 4, 0.9, community=n % 3),)),
        Cue(0.7, 0.8, 0.0, lambda t, n: (Repair(),)),
    )
)


def offline_state(sketch: Sketch, ticks: int) -> State:
    """The sketch's state at ``ticks`` in the offline render (one frame per tick)."""
    seen: list[State] = []
    ctx = create_headless_context()
    try:
        shots = frames(
            sketch, (64, 36), sketch.world.tick_hz, ticks + 1, ctx,
            on_state=seen.append, draw=lambda k: False,
        )  # fmt: skip
        assert list(shots) == [None] * (ticks + 1)
    finally:
        ctx.release()
    assert seen[-1].tick == ticks
    return seen[-1]


def live_on_a_frame_clock(config: Config, tmp_path, **options) -> Show:
    """The live show, headless, its clock advanced one tick per frame, stopped at ``TICKS``."""
    clock = FrameTime(config.world.tick_hz)

    def next_frame(_show: Show) -> None:
        clock.advance()

    show = Show(
        config,
        ShowOptions(
            ticks=TICKS,
            duration=60.0,
            size=(64, 36),
            headless=True,
            snapshots=False,
            data_dir=tmp_path,
            time_source=clock,
            on_frame=next_frame,
            **{"sources": (SCORE,), **options},
        ),
    )
    result = show.run()
    assert result.stopped_by == "ticks", result.stopped_by
    return show


def test_the_same_score_offline_and_live_reaches_the_same_state(tmp_path, small_world):
    sketch = Sketch("probe", "probe", world=small_world, score=SCORE)
    config = Config(
        world=small_world, audio=AudioConfig(enabled=False), osc=OscConfig(enabled=False)
    )
    show = live_on_a_frame_clock(config, tmp_path)
    assert show.state.tick == TICKS and show.runner.applied > 0
    assert state_hash(show.state) == state_hash(offline_state(sketch, TICKS))


def test_a_replayed_journal_reproduces_the_live_run(tmp_path, small_world):
    base = load_config()
    config = dataclasses.replace(
        base,
        world=small_world,
        osc=dataclasses.replace(base.osc, port=free_port()),
        audio=dataclasses.replace(base.audio, enabled=False),
    )

    def visitor(state: State) -> None:
        if state.tick % 3 == 0:  # a visitor's touches on top of the score, over OSC
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"/canopy/touch\0\0\0,ff\0?\0\0\0?\0\0\0", ("127.0.0.1", config.osc.port))

    show = live_on_a_frame_clock(config, tmp_path, journal=tmp_path / "journal", on_tick=visitor)
    assert show.runner.applied > 0
    assert state_hash(replay(tmp_path / "journal")) == state_hash(show.state)
    # The visitors' touches came in as they arrived, beside the score's.
    sources = {line.get("source") for line in journal_lines(tmp_path / "journal")}
    assert "osc" in sources and "score" in sources


class Crowd:
    """A room that grows loud and quiet again, one sound a tick (as the microphone gives)."""

    name = "crowd"

    def frame(self, tick: int, dt: float) -> InputFrame:
        level = -60.0 + 50.0 * abs(((tick * dt) % 1.0) - 0.5) * 2  # -60 .. -10 dBFS
        return InputFrame(tick=tick, sound=RoomSound(level, level, flatness=0.9))


def test_the_audio_clock_follows_the_ticks_live_and_offline(tmp_path, small_world):
    # One rule: the audio clock advances per tick at the room's speed, whatever the frame
    # rate. Live one frame a tick, offline two frames a tick: the same clock at the same tick.
    config = Config(
        world=small_world, audio=AudioConfig(enabled=False), osc=OscConfig(enabled=False)
    )
    show = live_on_a_frame_clock(config, tmp_path, sources=(Scored(SCORE, Crowd()),))
    assert show.screen is not None and show.state.loudness > 0.1
    live = show.screen.audio_clock.time
    sketch = Sketch("probe", "probe", world=small_world, score=Scored(SCORE, Crowd()))
    ctx = create_headless_context()
    try:
        shots = list(play(sketch, (64, 36), 2 * small_world.tick_hz, 2 * TICKS + 1, ctx))
        offline = shots[-1].uniform("u_audio_time")  # the tick TICKS frame
    finally:
        ctx.release()
    assert offline == live
    assert TICKS / small_world.tick_hz * 1.1 < live < TICKS / small_world.tick_hz * 3.0


class Scored:
    """A score and a room as one source (a sketch has one score)."""

    name = "score"

    def __init__(self, score: Score, room: Crowd) -> None:
        self.score, self.room = score, room

    def frame(self, tick: int, dt: float) -> InputFrame:
        events = self.score.frame(tick, dt)
        return InputFrame(tick=tick, events=events.events, sound=self.room.frame(tick, dt).sound)
