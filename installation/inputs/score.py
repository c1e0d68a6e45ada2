"""Scores: timed inputs that tell a story offline or keep the piece alive in an empty room.

A score is a list of cues; each cue emits events at a steady rate between its start and end
times (simulated seconds). ``Score.frame(tick, dt)`` gives the ``InputFrame`` for one tick, so
a score is just another input source, read once per tick like a journal in a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from installation.inputs.frame import Event, InputFrame

EventMaker = Callable[[float, int], tuple[Event, ...]]
"""Makes the events of one firing: given the time and the firing's count since the start."""


@dataclass(frozen=True)
class Cue:
    """Events fired every ``every`` seconds from ``start`` until ``end`` (once if every == 0).

    Attributes:
        start: first firing, simulated seconds.
        end: no firing at or after this time.
        every: seconds between firings; 0 fires once at ``start``.
        make: builds the events of one firing.
        label: what the cue is for (shown in logs and docs).
    """

    start: float
    end: float
    every: float
    make: EventMaker
    label: str = ""

    def firings(self, t0: float, t1: float) -> list[tuple[float, int]]:
        """(time, count) of the firings in [t0, t1)."""
        if self.every <= 0:
            return [(self.start, 0)] if t0 <= self.start < t1 and self.start < self.end else []
        first = max(0, int(-(-(t0 - self.start) // self.every)))
        out = []
        n = first
        while True:
            t = self.start + n * self.every
            if t >= t1 or t >= self.end:
                break
            if t >= t0:
                out.append((t, n))
            n += 1
        return out


@dataclass(frozen=True)
class Score:
    """A list of cues; an input source (its inputs are journaled as ``score``)."""

    name: ClassVar[str] = "score"
    cues: tuple[Cue, ...] = ()

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The events due in tick ``tick`` (covering [tick*dt, (tick+1)*dt))."""
        t0, t1 = tick * dt, (tick + 1) * dt
        events: list[Event] = []
        for cue in self.cues:
            for t, n in cue.firings(t0 - 1e-9, t1 - 1e-9):
                events.extend(cue.make(t, n))
        return InputFrame(tick=tick, events=tuple(events))
