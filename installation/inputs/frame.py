"""The immutable input vocabulary: what visitors, controllers, microphones and scores can do.

Capture code (OSC, audio, scores, journal replay) turns whatever it received into these events;
the simulation sees them through ``InputFrame`` (one per tick, with the sound) or, in the live
show, through ``apply_events`` as they arrive, in batches the frame records for replay.
Positions are canopy coordinates in [0, 1] (x to the right, y down), so they do not depend
on the grid's resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SENTIMENTS: tuple[str, ...] = ("hope", "anger", "empathy", "trust")
"""The sentiment vector's components, in storage order."""


@dataclass(frozen=True)
class Touch:
    """A visitor touches the canopy at (x, y): local hope, and growth embroidered there."""

    x: float
    y: float
    strength: float = 1.0


@dataclass(frozen=True)
class Push:
    """Pull one sentiment towards ``value``: city-wide, around (x, y), or in one community.

    Attributes:
        sentiment: index into ``SENTIMENTS``.
        value: the target in [0, 1].
        x, y: centre of a local push (both None for a city-wide or community push).
        community: the community index for a community push, else None.
        strength: scales the anchor's pull, in [0, 1].
    """

    sentiment: int
    value: float
    x: float | None = None
    y: float | None = None
    community: int | None = None
    strength: float = 1.0


@dataclass(frozen=True)
class Repair:
    """Visitors help repair the Neural Cloud around (x, y), or everywhere when x, y are None."""

    x: float | None = None
    y: float | None = None
    strength: float = 1.0


@dataclass(frozen=True)
class SetParam:
    """Tune one whitelisted live model parameter (``installation.config.live_parameters``)."""

    name: str
    value: float


@dataclass(frozen=True)
class RoomSound:
    """The room's sound over one tick, as computed by the audio features.

    Attributes:
        level_db: RMS level in dBFS this tick.
        smoothed_db: the level smoothed over about a second.
        bands: energy in four bands (low, low-mid, high-mid, high), dBFS.
        onset: whether an onset (clap, shout, step) started in this tick.
        centroid_hz: spectral centroid.
        flatness: spectral flatness in [0, 1]: 0 for a pure tone, 1 for white noise.
    """

    level_db: float
    smoothed_db: float
    bands: tuple[float, float, float, float] = (-120.0, -120.0, -120.0, -120.0)
    onset: bool = False
    centroid_hz: float = 0.0
    flatness: float = 1.0


Event = Touch | Push | Repair | SetParam


@dataclass(frozen=True)
class InputFrame:
    """Everything accepted during one tick.

    Attributes:
        tick: the simulation tick this frame is applied at.
        events: visitor and controller actions, in arrival order.
        sound: the room's sound this tick, or None when no microphone is listening.
        batches: the sizes of the consecutive groups in which the live show applied the
            events as they arrived (``simulation.apply_events``); empty means one group.
            A replay applies the same groups, so it reproduces the live state exactly.
        received: for inputs that came over OSC, one ``Received`` per event (its address
            and arguments as they arrived, for the journal); empty otherwise. Not part of
            the frame's identity.
    """

    tick: int = 0
    events: tuple[Event, ...] = field(default_factory=tuple)
    sound: RoomSound | None = None
    batches: tuple[int, ...] = ()
    received: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def batched(self) -> list[tuple[Event, ...]]:
        """The events in the groups they are applied in."""
        if not self.batches:
            return [self.events] if self.events else []
        if sum(self.batches) != len(self.events) or min(self.batches) < 1:
            raise ValueError(f"batches {self.batches} do not cover {len(self.events)} events")
        out, start = [], 0
        for n in self.batches:
            out.append(self.events[start : start + n])
            start += n
        return out


EMPTY_FRAME = InputFrame()
