"""The fixed-step clock with an injected time source."""

from __future__ import annotations

import pytest

from installation.timing import FixedStepClock, FrameTime, ManualTime


def test_ticks_follow_elapsed_time_and_alpha_interpolates():
    t = ManualTime(100.0)
    clock = FixedStepClock(10.0, t)
    assert clock.poll().ticks == 0
    t.t = 100.25
    adv = clock.poll()
    assert adv.ticks == 2 and adv.dropped == 0
    assert adv.alpha == pytest.approx(0.5)
    t.t = 100.30
    assert clock.poll().ticks == 1
    assert clock.tick == 3 and clock.sim_time == pytest.approx(0.3)


def test_catch_up_is_limited_after_a_stall_and_the_rest_is_dropped():
    t = ManualTime(0.0)
    clock = FixedStepClock(30.0, t, max_catchup=4)
    t.t = 2.0  # a two-second stall: 60 ticks owed
    adv = clock.poll()
    assert adv.ticks == 4 and adv.dropped == 56
    assert clock.dropped_total == 56
    # After the stall the clock runs normally again; no spiral of catching up.
    t.t = 2.0 + 1 / 30
    adv = clock.poll()
    assert adv.ticks == 1 and adv.dropped == 0


def test_a_limited_poll_leaves_the_rest_owed_not_dropped():
    t = ManualTime(0.0)
    clock = FixedStepClock(10.0, t, max_catchup=5)
    t.t = 0.45  # four ticks owed
    adv = clock.poll(limit=1)
    assert adv.ticks == 1 and adv.dropped == 0 and adv.alpha == pytest.approx(1.0)
    assert clock.time_until_next() == 0.0  # still behind: the next poll owes the rest
    assert clock.poll(limit=2).ticks == 2
    assert clock.poll().ticks == 1 and clock.dropped_total == 0
    assert clock.tick == 4


def test_time_going_backwards_gives_no_ticks():
    t = ManualTime(5.0)
    clock = FixedStepClock(30.0, t)
    t.t = 4.0
    adv = clock.poll()
    assert adv.ticks == 0 and 0.0 <= adv.alpha < 1.0


def test_frame_time_makes_offline_ticks_independent_of_machine_speed():
    src = FrameTime(fps=60.0)
    clock = FixedStepClock(30.0, src)
    ticks = []
    for _ in range(120):
        src.advance()
        ticks.append(clock.poll().ticks)
    assert sum(ticks) == 60
    assert ticks[:4] == [0, 1, 0, 1]


def test_no_drift_over_a_week_of_ticks():
    t = ManualTime(0.0)
    clock = FixedStepClock(30.0, t, max_catchup=10**9)
    week = 7 * 24 * 3600
    for hour in range(1, 7 * 24 + 1):
        t.t = hour * 3600.0
        assert clock.poll().ticks == 30 * 3600
    assert clock.tick == week * 30 and clock.dropped_total == 0


def test_time_until_next():
    t = ManualTime(0.0)
    clock = FixedStepClock(10.0, t)
    assert clock.time_until_next() == pytest.approx(0.1)
    t.t = 0.15
    clock.poll()
    assert clock.time_until_next() == pytest.approx(0.05)


def test_bad_arguments():
    with pytest.raises(ValueError):
        FixedStepClock(0.0, ManualTime())
    with pytest.raises(ValueError):
        FrameTime(0)
