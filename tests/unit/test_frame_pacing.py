"""The live loop's pacing: while a frame waits, ticks run one at a time within a budget;
the rest stay owed (not dropped) and run when no frame is due. Time is injected (ManualTime)
so the test decides when ticks are due; the show's own clock and ticks are real."""

from __future__ import annotations

import time

from installation.app.live import FRAME_TICK_BUDGET_S, Show, ShowOptions
from installation.config import AudioConfig, Config, OscConfig
from installation.timing import FixedStepClock, ManualTime


def test_a_waiting_frame_gets_one_tick_at_a_time_within_a_budget(small_world, tmp_path):
    config = Config(
        world=small_world, audio=AudioConfig(enabled=False), osc=OscConfig(enabled=False)
    )
    show = Show(config, ShowOptions(render=False, snapshots=False, data_dir=tmp_path))
    t = ManualTime()
    show.clock = FixedStepClock(small_world.tick_hz, t, max_catchup=8)
    t.t = 4.0 / small_world.tick_hz  # four ticks owed (after a stall, say)
    show.run_due_ticks(frame_waiting=True)
    show.run_due_ticks(frame_waiting=True)
    assert show.state.tick == 2  # one a call: before the frame, between its bands
    show.phases.ms["ticks"] = FRAME_TICK_BUDGET_S * 1e3  # this frame's tick budget is spent
    show.run_due_ticks(frame_waiting=True)
    assert show.state.tick == 2
    # With the frame finished, no frame due before `until`: the owed ticks all run.
    show.phases.reset()
    show.run_due_ticks(until=time.monotonic() + 60.0)
    assert show.state.tick == 4 and show.clock.dropped_total == 0
    # Ticks due, but so is the next frame: it goes first.
    t.t = 6.0 / small_world.tick_hz
    show.run_due_ticks(until=time.monotonic() - 1.0)
    assert show.state.tick == 4
    show.run_due_ticks()
    assert show.state.tick == 6
