"""Gallery hours and the picture's fade, at chosen local times (no wall clock)."""

from __future__ import annotations

import datetime as dt

from installation.app.schedule import Fader, is_open
from installation.config import ScheduleConfig

HOURS = ScheduleConfig(
    always_open=False, open="10:00", close="18:00", days=("tue", "wed", "thu", "fri", "sat")
)


def at(day: int, hhmm: str) -> dt.datetime:
    """2026-11-23 is a Monday; ``day`` 0 = Monday."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2026, 11, 23 + day, h, m)


def test_open_during_hours_on_open_days_only():
    assert is_open(HOURS, at(1, "10:00")) and is_open(HOURS, at(1, "17:59"))
    assert not is_open(HOURS, at(1, "09:59")) and not is_open(HOURS, at(1, "18:00"))
    assert not is_open(HOURS, at(0, "12:00"))  # Monday: closed
    assert not is_open(HOURS, at(6, "12:00"))  # Sunday: closed
    assert is_open(ScheduleConfig(always_open=True), at(0, "03:00"))


def test_hours_across_midnight_belong_to_the_opening_day():
    night = ScheduleConfig(always_open=False, open="20:00", close="02:00", days=("fri",))
    assert is_open(night, at(4, "23:30"))  # Friday night
    assert is_open(night, at(5, "01:30"))  # Saturday small hours, still Friday's opening
    assert not is_open(night, at(5, "20:30"))  # Saturday evening: not an open day
    assert not is_open(night, at(4, "01:30"))  # Friday small hours belong to Thursday


def test_fade_to_dim_at_closing_and_back_at_opening():
    schedule = ScheduleConfig(
        always_open=False, open="10:00", close="18:00", fade_s=10.0, dim_level=0.2
    )
    fader = Fader(schedule)
    assert fader.update(at(2, "17:59"), 1.0) == 1.0
    levels = [fader.update(at(2, "18:00"), 1.0) for _ in range(12)]
    assert levels[0] < 1.0 and levels == sorted(levels, reverse=True)
    assert levels[-1] == 0.2 and not fader.open  # dims, never goes below the dim level
    assert fader.update(at(3, "09:59"), 60.0) == 0.2
    back = [fader.update(at(3, "10:00"), 1.0) for _ in range(12)]
    assert back == sorted(back) and back[-1] == 1.0 and fader.open


def test_black_when_configured_and_instant_without_fade():
    schedule = ScheduleConfig(always_open=False, days=(), closed_picture="black", fade_s=0.0)
    assert Fader(schedule).update(at(2, "12:00"), 0.01) == 0.0
