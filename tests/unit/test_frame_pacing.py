"""The live loop's pacing of ticks against frames.

While a frame waits, ticks run one at a time within the frame's budget for ticks and inputs; the
rest stay owed (not dropped) and run when no frame is due. Time is injected (ManualTime) so the test
decides when ticks are due; the show, its clock and its ticks are real.
"""

from __future__ import annotations

import time

from installation.app.live import FRAME_WORK_BUDGET_S, INPUT_MAX_WAIT_S, Show, ShowOptions
from installation.config import AudioConfig, Config, OscConfig
from installation.inputs import Touch
from installation.inputs.osc_server import Received
from installation.timing import FixedStepClock, ManualTime


def test_a_waiting_frame_gets_one_tick_at_a_time_within_a_budget(small_world, tmp_path):
    config = Config(
        world=small_world, audio=AudioConfig(enabled=False), osc=OscConfig(enabled=False)
    )
    show = Show(config, ShowOptions(render=False, snapshots=False, data_dir=tmp_path))
    t = ManualTime()
    show.clock = FixedStepClock(small_world.tick_hz, t, max_catchup=8)
    t.t = 5.0 / small_world.tick_hz  # five ticks owed (after a stall, say)
    show.run_due_ticks(frame_waiting=True)
    show.run_due_ticks(frame_waiting=True)
    assert show.state.tick == 2  # one a call: before the frame, between its bands
    show.phases.ms["inputs"] = FRAME_WORK_BUDGET_S * 1e3  # inputs spent this frame's budget
    show.run_due_ticks(frame_waiting=True)
    assert show.state.tick == 2
    # The next frame's first tick always runs, whatever its inputs cost: no stall.
    show.phases.reset()
    show.phases.ms["inputs"] = FRAME_WORK_BUDGET_S * 1e3
    show.run_due_ticks(frame_waiting=True)
    assert show.state.tick == 3
    # With that frame finished and no frame due before `until`, the owed ticks all run.
    show.phases.reset()
    show.run_due_ticks(until=time.monotonic() + 60.0)
    assert show.state.tick == 5 and show.clock.dropped_total == 0
    # Ticks due, but so is the next frame: it goes first.
    t.t = 7.0 / small_world.tick_hz
    show.run_due_ticks(until=time.monotonic() - 1.0)
    assert show.state.tick == 5
    show.run_due_ticks()
    assert show.state.tick == 7


def test_inputs_share_the_budget_until_they_are_overdue(small_world, tmp_path):
    config = Config(
        world=small_world, audio=AudioConfig(enabled=False), osc=OscConfig(enabled=False)
    )
    show = Show(config, ShowOptions(render=False, snapshots=False, data_dir=tmp_path))

    def touch(waited_s: float) -> Received:
        t = time.time() - waited_s
        return Received(t, t, "127.0.0.1", 9000, "/canopy/touch", (0.5, 0.5), Touch(0.5, 0.5))

    show.phases.ms["ticks"] = FRAME_WORK_BUDGET_S * 1e3  # this frame's budget is spent
    show._inbox.append(touch(0.0))
    show._apply_inputs(frame_waiting=True)
    assert show.inputs_total == 0 and len(show._inbox) == 1  # waits for the frame
    show._inbox[0] = touch(INPUT_MAX_WAIT_S * 2)
    show._apply_inputs(frame_waiting=True)
    assert show.inputs_total == 1 and not show._inbox  # overdue: applied anyway
    show._inbox.append(touch(0.0))
    show._apply_inputs()  # no frame waiting (or a tick's own inputs): no frame budget
    assert show.inputs_total == 2
