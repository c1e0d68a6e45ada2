"""The one loop that advances the simulation: clock, input sources, ``step``, listeners.

Every way Canopy runs the city goes through a ``Runner``: the live show, the offline render,
``replay``, ``simulate``, the benchmarks and the soak. They differ only in what they plug in:

- the *clock*: a ``FixedStepClock`` on ``WallTime`` live, on ``FrameTime`` offline, or none
  when the caller says how many ticks to run (replay, ``simulate``, benchmarks);
- the *sources* (``InputSource``): the OSC inbox and the microphone live, a ``Score`` or a
  recorded ``Journal`` offline and in replays;
- the *listeners* (``Listener``): the journal that records a live run, the show's
  telemetry, probes of tests and benchmarks; and the outputs that are handed the frames
  (``installation.outputs.Output``), which the callers drive between ticks.

Inputs reach the state by one path, ``Runner.apply``: a source's ``InputFrame`` is applied
in its batches (``apply_events``), each batch told to the listeners (the journal records it
with its tick and batch number, so a replay applies the same groups). A tick (``Runner.tick``)
takes every source's frame for the tick through that path, then steps the state with the
tick's sound; this is the only call of ``step`` in the application.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Protocol

from installation.inputs.frame import Event, InputFrame, RoomSound
from installation.simulation import State, apply_events, step
from installation.timing import FixedStepClock
from installation.timing.clock import TimeSource


class InputSource(Protocol):
    """Anything that gives the inputs of a tick: a score, a journal, the microphone, OSC."""

    @property
    def name(self) -> str:
        """What the journal records as the inputs' ``source`` (``osc``, ``score``, ...)."""
        ...

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The inputs of tick ``tick`` (``dt`` seconds per tick); called once as it begins."""
        ...


class ArrivingSource(Protocol):
    """A source whose inputs also arrive between ticks (OSC), applied as they come.

    Its ``frame`` gives the tick's own inputs (none for OSC); ``arrived`` hands over what has
    arrived since, one batch at a time, when the runner asks (``Runner.take_arrivals``).
    """

    name: str

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The inputs of tick ``tick`` itself (see ``InputSource.frame``)."""
        ...

    def arrived(self, tick: int) -> InputFrame | None:
        """The next batch of inputs that arrived, or None when none is waiting."""
        ...


class Listener:
    """What a runner tells about its work; subclasses override what they need.

    The journal's recorder, the show's telemetry and probes are listeners.
    """

    def applied(self, tick: int, batch: int, source: str, frame: InputFrame) -> None:
        """One batch of ``source``'s events was applied within ``tick`` (numbered ``batch``)."""

    def stepping(self, tick: int, sound: RoomSound | None) -> None:
        """``tick`` is about to be stepped with this sound (its events are applied)."""

    def stepped(self, state: State) -> None:
        """A tick was stepped; ``state.tick`` is the next one."""


class Runner:
    """Advances one state: applies its sources' inputs, steps it tick by tick.

    Args:
        state: the state to advance (in place).
        sources: where inputs come from, asked in this order each tick.
        listeners: told about every batch applied and every tick.
        dt: seconds per tick (default: the world's tick period).
        clock: decides how many ticks are due (``advance``); None when the caller counts.
    """

    def __init__(
        self,
        state: State,
        sources: Sequence[InputSource] = (),
        listeners: Iterable[Listener] = (),
        dt: float | None = None,
        clock: FixedStepClock | None = None,
    ) -> None:
        """Start at the state's tick with no batch applied yet."""
        self.state = state
        self.sources = list(sources)
        self.listeners = list(listeners)
        self.dt = dt if dt is not None else 1.0 / state.world.tick_hz
        self.clock = clock
        self.paused = False
        self.batch = 0  # batches applied within the current tick
        self.applied = 0  # events applied in all
        self.ignored = 0  # events that arrived while paused, dropped

    @classmethod
    def on(cls, state: State, source: TimeSource, **kwargs) -> Runner:
        """A runner whose clock runs on ``source`` (``WallTime`` live, ``FrameTime`` offline).

        Keyword arguments (``sources``, ``listeners``, ``max_catchup``) are passed on.
        """
        catchup = kwargs.pop("max_catchup", 5)
        clock = FixedStepClock(state.world.tick_hz, source, max_catchup=catchup)
        return cls(state, clock=clock, **kwargs)

    def apply(self, frame: InputFrame, source: str) -> int:
        """Apply a frame's events in its batches; the one path by which inputs reach the state.

        While paused the events are dropped and counted in ``ignored``.

        Returns:
            the number of events applied.
        """
        if not frame.events:
            return 0
        if self.paused:
            self.ignored += len(frame.events)
            return 0
        tick = self.state.tick
        start = 0
        for group in frame.batched():
            apply_events(self.state, group)
            part = _part(frame, start, group)
            start += len(group)
            for listener in self.listeners:
                listener.applied(tick, self.batch, source, part)
            self.batch += 1
        self.applied += len(frame.events)
        return len(frame.events)

    def take_arrivals(self, budget_s: float | None = None) -> int:
        """Apply what the arriving sources hold, a batch at a time.

        Stops when none is waiting or ``budget_s`` has passed (None: no limit).

        Returns:
            the number of events applied.
        """
        t0 = time.perf_counter()
        n = 0
        for source in self.sources:
            # An attribute look-up: isinstance on a runtime protocol costs ~70 us a call.
            arrived = getattr(source, "arrived", None)
            if arrived is None:
                continue
            while (frame := arrived(self.state.tick)) is not None:
                n += self.apply(frame, source.name)
                if budget_s is not None and time.perf_counter() - t0 >= budget_s:
                    return n
        return n

    def tick(self) -> bool:
        """Run one tick: each source's inputs for it through ``apply``, then ``step``.

        While paused the sources are still read (the microphone drained, inputs dropped) and
        the state stays; returns False then.
        """
        tick = self.state.tick
        sound: RoomSound | None = None
        for source in self.sources:
            frame = source.frame(tick, self.dt)
            self.apply(frame, source.name)
            if frame.sound is not None:
                sound = frame.sound
        if self.paused:
            return False
        for listener in self.listeners:
            listener.stepping(tick, sound)
        # The tick's events were applied above; the step brings the sound.
        step(self.state, InputFrame(tick=tick, sound=sound), self.dt)
        self.batch = 0
        for listener in self.listeners:
            listener.stepped(self.state)
        return True

    def run(self, ticks: int) -> None:
        """Run ``ticks`` ticks, whatever the clock says (replays, ``simulate``, benchmarks)."""
        for _ in range(ticks):
            self.tick()

    def advance(self, limit: int | None = None) -> int:
        """Run the ticks the clock says are due (at most ``limit``); how many ran."""
        assert self.clock is not None, "a runner without a clock is advanced with run()"
        due = self.clock.poll(limit).ticks
        self.run(due)
        return due


def _part(frame: InputFrame, start: int, group: tuple[Event, ...]) -> InputFrame:
    """The batch ``group`` (starting at event ``start``) as a frame of its own."""
    if len(group) == len(frame.events):
        return frame
    received = frame.received[start : start + len(group)] if frame.received else ()
    return InputFrame(tick=frame.tick, events=group, received=received)
