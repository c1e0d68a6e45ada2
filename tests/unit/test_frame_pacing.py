"""The live loop's pacing of ticks against frames, and of frames against each other.

While a frame waits, ticks run one at a time within the frame's budget for ticks and inputs; the
rest stay owed (not dropped) and run when no frame is due. Time is injected (ManualTime) so the test
decides when ticks are due; the runner, its clock, its ticks and the inbox are real.
"""

from __future__ import annotations

import time

import pytest

from installation.app.inbox import Inbox
from installation.app.pacing import (
    CADENCE_ROOM,
    CADENCE_WINDOW,
    FRAME_WORK_BUDGET_S,
    INPUT_MAX_WAIT_S,
    Cadence,
    FramePhases,
    Pacer,
)
from installation.app.runner import Runner
from installation.inputs import Touch
from installation.inputs.osc_server import Received
from installation.simulation import create_world
from installation.timing import FixedStepClock, ManualTime


def pacer_on(small_world, model, t: ManualTime) -> Pacer:
    inbox = Inbox(None)
    clock = FixedStepClock(small_world.tick_hz, t, max_catchup=8)
    return Pacer(Runner(create_world(small_world, model), [inbox], clock=clock), inbox)


def spend(pacer: Pacer, phase: str, seconds: float) -> None:
    """As if ``phase`` had taken ``seconds`` since the last frame."""
    pacer.phases.add(phase, time.perf_counter() - seconds)


def test_a_waiting_frame_gets_one_tick_at_a_time_within_a_budget(small_world, model):
    t = ManualTime()
    pacer = pacer_on(small_world, model, t)
    state = pacer.runner.state
    t.t = 5.0 / small_world.tick_hz  # five ticks owed (after a stall, say)
    pacer.run_due_ticks(frame_waiting=True)
    pacer.run_due_ticks(frame_waiting=True)
    assert state.tick == 2  # one a call: before the frame, between its bands
    spend(pacer, "inputs", FRAME_WORK_BUDGET_S)  # inputs spent this frame's budget
    pacer.run_due_ticks(frame_waiting=True)
    assert state.tick == 2
    # The next frame's first tick always runs, whatever its inputs cost: no stall.
    pacer.phases.reset()
    spend(pacer, "inputs", FRAME_WORK_BUDGET_S)
    pacer.run_due_ticks(frame_waiting=True)
    assert state.tick == 3
    # With that frame finished and no frame due before `until`, the owed ticks all run.
    pacer.phases.reset()
    pacer.run_due_ticks(until=time.monotonic() + 60.0)
    assert pacer.runner.clock is not None
    assert state.tick == 5 and pacer.runner.clock.dropped_total == 0
    # Ticks due, but so is the next frame: it goes first.
    t.t = 7.0 / small_world.tick_hz
    pacer.run_due_ticks(until=time.monotonic() - 1.0)
    assert state.tick == 5
    pacer.run_due_ticks()
    assert state.tick == 7


def test_inputs_share_the_budget_until_they_are_overdue(small_world, model):
    pacer = pacer_on(small_world, model, ManualTime())

    def touch(waited_s: float) -> Received:
        t = time.time() - waited_s
        return Received(t, t, "127.0.0.1", 9000, "/canopy/touch", (0.5, 0.5), Touch(0.5, 0.5))

    spend(pacer, "ticks", FRAME_WORK_BUDGET_S)  # this frame's budget is spent
    pacer.inbox.put([touch(0.0)])
    pacer.apply_inputs(frame_waiting=True)
    assert pacer.runner.applied == 0 and len(pacer.inbox) == 1  # waits for the frame
    time.sleep(INPUT_MAX_WAIT_S * 2)  # now it is overdue
    pacer.apply_inputs(frame_waiting=True)
    assert pacer.runner.applied == 1 and len(pacer.inbox) == 0  # overdue: applied anyway
    pacer.inbox.put([touch(0.0)])
    pacer.apply_inputs()  # no frame waiting (or a tick's own inputs): no frame budget
    assert pacer.runner.applied == 2


def frame_with(cadence: Cadence, **ms: float) -> None:
    phases = FramePhases()
    phases.ms.update(ms)
    cadence.framed(phases)


def test_the_cadence_spaces_frames_evenly_at_what_the_slow_frames_need():
    # Frames alternate between a quick one and one with a tick and an upload in front: drawn
    # as fast as possible they would alternate 12 and 24 ms apart (a judder, the p99 twice
    # the median); the cadence spaces them all at the slow ones' need, with room.
    cadence = Cadence(max_fps=60.0, min_fps=30.0)
    assert cadence.period_s == 1 / 60  # nothing measured yet: as fast as allowed
    for i in range(CADENCE_WINDOW):
        if i % 2:
            frame_with(cadence, draw=12.0)
        else:
            frame_with(cadence, ticks=4.0, tick_max=4.0, inputs=2.0, upload=3.0, draw=15.0)
    assert cadence.period_s == pytest.approx(0.024 * CADENCE_ROOM)  # tick_max not counted twice


def test_the_cadence_leaves_out_presenting_which_holds_vsyncs_wait():
    # A fast GPU draws in 3 ms and the flip waits 13.7 ms for vsync: counted as work, the
    # wait would space frames 18 ms apart, below a 60 Hz display's rate (a judder).
    cadence = Cadence(max_fps=60.0, min_fps=30.0)
    for _ in range(CADENCE_WINDOW):
        frame_with(cadence, draw=3.0, present=13.7, housekeeping=0.2)
    assert cadence.period_s == 1 / 60


def test_the_cadence_stays_between_max_fps_and_the_target():
    quick, slow = Cadence(max_fps=60.0, min_fps=30.0), Cadence(max_fps=60.0, min_fps=30.0)
    for _ in range(CADENCE_WINDOW):
        frame_with(quick, draw=2.0)
        frame_with(slow, draw=80.0)
    assert quick.period_s == 1 / 60
    assert slow.period_s == 1 / 30  # the render scale's job to bring the work back under it
    # A target above max_fps cannot make the cadence faster than max_fps.
    assert Cadence(max_fps=24.0, min_fps=30.0).longest_s == 1 / 24
