"""The fixed-step clock: how many simulation ticks to run now, whatever time source drives it.

The simulation only ever advances in whole ticks of ``dt``; the clock turns elapsed time from
an injected source into a tick count and an interpolation fraction for rendering between
ticks (the "fix your timestep" accumulator). Live, the source is the monotonic wall clock;
offline, it is the frame count times the frame period, so an offline render never depends on
how fast the machine is. After a stall the clock runs at most ``max_catchup`` ticks in one
go and drops the rest (counted), so a slow tick never freezes the picture in a spiral of
catching up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class TimeSource(Protocol):
    """Anything that says how many seconds have passed since an arbitrary origin."""

    def now(self) -> float:
        """Seconds since the source's origin."""


class WallTime:
    """Monotonic wall time, for the live show."""

    def now(self) -> float:
        """Monotonic seconds (``time.monotonic``)."""
        return time.monotonic()


class FrameTime:
    """Offline time: ``frame / fps``, advanced explicitly once per rendered frame."""

    def __init__(self, fps: float) -> None:
        """Start at frame 0 at ``fps`` frames per second."""
        if not fps > 0:
            raise ValueError("fps must be positive")
        self.fps = float(fps)
        self.frame = 0

    def advance(self, frames: int = 1) -> None:
        """Move on by ``frames`` rendered frames."""
        self.frame += frames

    def now(self) -> float:
        """Seconds of the frames rendered so far."""
        return self.frame / self.fps


class ManualTime:
    """A time source set by hand (tests, replays)."""

    def __init__(self, t: float = 0.0) -> None:
        """Start at ``t`` seconds."""
        self.t = float(t)

    def now(self) -> float:
        """The time last set."""
        return self.t


@dataclass(frozen=True)
class Advance:
    """What the clock decided for one poll.

    Attributes:
        ticks: whole simulation ticks to run now.
        alpha: fraction of the next tick already elapsed, in [0, 1), for interpolation.
        dropped: ticks skipped because the loop fell further behind than ``max_catchup``.
    """

    ticks: int
    alpha: float
    dropped: int


class FixedStepClock:
    """Turns elapsed time into fixed ticks of ``dt`` seconds.

    Args:
        tick_hz: the simulation rate.
        source: the injected time source.
        max_catchup: most ticks handed out by one poll; any further backlog is dropped.
    """

    def __init__(self, tick_hz: float, source: TimeSource, max_catchup: int = 5) -> None:
        """Start at tick 0 at the source's current time."""
        if not tick_hz > 0:
            raise ValueError("tick_hz must be positive")
        if max_catchup < 1:
            raise ValueError("max_catchup must be at least 1")
        self.dt = 1.0 / float(tick_hz)
        self.source = source
        self.max_catchup = int(max_catchup)
        self.tick = 0
        self.dropped_total = 0
        # Integer tick bookkeeping: the time owed is (now - origin) - tick*dt, computed from
        # the tick count each poll, so float error never accumulates over weeks.
        self._origin = source.now()
        self._skipped = 0

    def poll(self, limit: int | None = None) -> Advance:
        """Ticks due since the last poll (call once per frame).

        Args:
            limit: hand out at most this many now; the rest stay owed to later polls (a
                live loop that must draw a frame first spreads its catch-up this way).
                Only a backlog beyond ``max_catchup`` is ever dropped.
        """
        elapsed = self.source.now() - self._origin
        due = int(elapsed / self.dt + 1e-9) - self.tick - self._skipped
        dropped = 0
        if due > self.max_catchup:
            dropped = due - self.max_catchup
            self._skipped += dropped
            self.dropped_total += dropped
            due = self.max_catchup
        due = max(due, 0) if limit is None else min(max(due, 0), limit)
        self.tick += due
        behind = elapsed - (self.tick + self._skipped) * self.dt
        alpha = min(max(behind / self.dt, 0.0), 1.0 - 1e-9)
        return Advance(ticks=due, alpha=alpha, dropped=dropped)

    def time_until_next(self) -> float:
        """Seconds until the next tick is due (never negative); for sleeping live."""
        elapsed = self.source.now() - self._origin
        return max((self.tick + self._skipped + 1) * self.dt - elapsed, 0.0)

    @property
    def sim_time(self) -> float:
        """Simulated seconds: ticks run times ``dt``."""
        return self.tick * self.dt
