"""Gallery hours: whether the gallery is open at a given local time, and the picture's fade.

The wall clock is read by the caller and passed in, so the hours can be tested at any date.
Outside the hours the picture fades to a dim idle (or black) over ``fade_s`` and fades back in
at opening time; the simulation keeps running underneath, so the city has lived on overnight.
"""

from __future__ import annotations

import datetime as _dt

from installation.config import ScheduleConfig

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def is_open(schedule: ScheduleConfig, when: _dt.datetime) -> bool:
    """Whether the gallery is open at local time ``when``.

    Hours that cross midnight (open 20:00, close 02:00) belong to the day they open on.
    """
    if schedule.always_open:
        return True
    opens, closes = _minutes(schedule.open), _minutes(schedule.close)
    now = when.hour * 60 + when.minute
    today = DAYS[when.weekday()]
    if opens == closes:  # open around the clock on the listed days
        return today in schedule.days
    if opens < closes:
        return today in schedule.days and opens <= now < closes
    yesterday = DAYS[(when.weekday() - 1) % 7]
    return (today in schedule.days and now >= opens) or (
        yesterday in schedule.days and now < closes
    )


def closed_level(schedule: ScheduleConfig) -> float:
    """Brightness of the picture while closed."""
    return schedule.dim_level if schedule.closed_picture == "dim" else 0.0


class Fader:
    """The picture's brightness, moving linearly towards open (1) or closed over ``fade_s``.

    The fade is for the moments the hours change while the show runs. A show that starts
    (or restarts, after a crash or a reboot) starts at the level the hours call for: during
    closed hours it must not flash the full picture and then dim over ``fade_s``.

    Args:
        schedule: the venue's hours.
        when: local time the show starts at; the level is the scheduled one then. None: the
            first ``update`` sets it from the time it is given (no fade).
    """

    def __init__(self, schedule: ScheduleConfig, when: _dt.datetime | None = None) -> None:
        """Start at the level the hours call for at ``when`` (full brightness without it)."""
        self.schedule = schedule
        self._started = when is not None
        self.open = True if when is None else is_open(schedule, when)
        self.level = 1.0 if self.open else closed_level(schedule)

    def update(self, when: _dt.datetime, elapsed: float) -> float:
        """Advance by ``elapsed`` seconds at local time ``when``; returns the brightness."""
        self.open = is_open(self.schedule, when)
        target = 1.0 if self.open else closed_level(self.schedule)
        if not self._started:  # the first look at the clock: start where the hours say
            self._started = True
            self.level = target
            return self.level
        fade = self.schedule.fade_s
        step = 1.0 if fade <= 0 else max(elapsed, 0.0) / fade
        if self.level < target:
            self.level = min(target, self.level + step)
        else:
            self.level = max(target, self.level - step)
        return self.level
