"""Frame pacing: when the live show runs ticks and applies inputs, against the frames it draws.

Inputs are applied as they arrive, at most every ``INPUT_BATCH_S`` and at most
``INPUT_BUDGET_S`` a call. While a frame is due or drawing, ticks run one at a time (before
it, between its bands), and the ticks and inputs run since the last frame may take
``FRAME_WORK_BUDGET_S``: a tick runs only if the last one's cost still fits (the first tick
after a frame always runs, so the simulation never stalls), inputs while it lasts or once
overdue (``INPUT_MAX_WAIT_S``). After a slow tick or a stall the catch-up is spread over
frames instead of stacking up in front of one, so the picture keeps moving. Owed ticks run
later; only a backlog beyond the clock's ``max_catchup`` is dropped.

``FramePhases`` keeps what the time between two frames was spent on (the soak reports it);
``Cadence`` spaces the frames evenly from it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import numpy as np

from installation.app.inbox import Inbox
from installation.app.runner import Runner

# Inputs are applied as they arrive, but at most this often (a tick always applies what is
# waiting): one batch per OSC flush cost a fifth of the frame rate at 1,000 msg/s.
INPUT_BATCH_S = 0.004
# One call applies inputs for at most this long.
INPUT_BUDGET_S = 0.003
# Inputs share a frame's work budget with ticks, but once the oldest has waited this long
# they are applied whatever the budget: a visitor's touch is never held up for frames.
INPUT_MAX_WAIT_S = 0.010
FRAME_WORK_BUDGET_S = 0.035
# The cadence follows this high share of the recent frames' whole work (ticks and inputs
# before them included), with this much room over it, over this many frames.
CADENCE_QUANTILE = 90
CADENCE_ROOM = 1.1
CADENCE_WINDOW = 30


class FramePhases:
    """Milliseconds the loop spent per phase since the last frame was finished.

    What a long gap between frames was made of (the soak reports them for its worst gaps).

    ``ticks`` includes the inputs applied at each tick; ``draw`` excludes the ticks and
    inputs run between its bands; ``tick_max`` is the longest single tick.
    """

    NAMES = ("ticks", "tick_max", "inputs", "upload", "draw", "present", "housekeeping")

    def __init__(self) -> None:
        """Start with every phase at zero."""
        self.reset()

    def add(self, name: str, t0: float) -> float:
        """Add the time since ``t0`` (``perf_counter``) to phase ``name``; return it in ms."""
        ms = (time.perf_counter() - t0) * 1e3
        self.ms[name] += ms
        return ms

    def work_ms(self) -> float:
        """Milliseconds spent on ticks and inputs since the last frame."""
        return self.ms["ticks"] + self.ms["inputs"]

    def reset(self) -> None:
        """Set every phase back to zero (a frame was finished)."""
        self.ms = dict.fromkeys(self.NAMES, 0.0)


class Cadence:
    """How far apart frames are drawn: evenly, at a rate the machine holds, up to ``max_fps``.

    Drawing as fast as possible on a slow renderer alternates short frames with long ones
    (those with a tick and an upload in front), which reads as judder and makes the frame
    times' p99 twice their median. Instead the frames are spaced at a high share
    (``CADENCE_QUANTILE``) of the recent frames' whole work, never faster than ``max_fps``
    and never slower than ``min_fps`` (the adaptive render scale's target: it keeps the
    work under that). Until ``CADENCE_WINDOW`` frames are measured, at ``max_fps``.

    Args:
        max_fps: the fastest cadence (``[show] max_fps``).
        min_fps: the slowest (``[show] target_fps``, at most ``max_fps``).
    """

    COUNTED = ("ticks", "inputs", "upload", "draw")

    def __init__(self, max_fps: float, min_fps: float) -> None:
        """Start at ``max_fps`` with nothing measured."""
        self.shortest_s = 1.0 / max_fps
        self.longest_s = max(1.0 / min_fps, self.shortest_s)
        self._work: deque[float] = deque(maxlen=CADENCE_WINDOW)

    def framed(self, phases: FramePhases) -> None:
        """Note a frame's whole work: its ticks, inputs, upload and drawing.

        Presenting is left out: with windows it holds vsync's wait, which is not work and
        would slow the cadence below the display's rate on a fast renderer.
        """
        self._work.append(sum(phases.ms[k] for k in self.COUNTED) / 1e3)

    @property
    def period_s(self) -> float:
        """Seconds from one frame to the next now."""
        if len(self._work) < CADENCE_WINDOW:
            return self.shortest_s
        work = float(np.percentile(self._work, CADENCE_QUANTILE)) * CADENCE_ROOM
        return min(max(work, self.shortest_s), self.longest_s)


class Pacer:
    """Runs a live runner's due ticks and arrived inputs within each frame's budget.

    Args:
        runner: the runner (its clock on wall time).
        inbox: where OSC inputs wait.
        poll: called once a call of ``run_due_ticks`` (the status endpoint, kept lively
            between the bands of a slow frame too).
    """

    def __init__(
        self, runner: Runner, inbox: Inbox, poll: Callable[[], None] = lambda: None
    ) -> None:
        """Start with nothing spent."""
        self.runner = runner
        self.inbox = inbox
        self.poll = poll
        self.phases = FramePhases()
        self.applied_at = 0.0  # when inputs were last applied (monotonic)
        self.last_tick_s = 0.0  # what the last tick cost: will the next fit the budget?

    def work_left_s(self) -> float:
        """What is left of this frame's budget for ticks and inputs (negative: overspent)."""
        return FRAME_WORK_BUDGET_S - self.phases.work_ms() / 1e3

    def inputs_due_in(self) -> float:
        """Seconds until inputs may be applied again (0 or less: now)."""
        return self.applied_at + INPUT_BATCH_S - time.monotonic()

    def run_due_ticks(self, frame_waiting: bool = False, until: float | None = None) -> None:
        """Apply the inputs that have arrived, then run the ticks that are due.

        Args:
            frame_waiting: a frame is due or being drawn: run at most one tick, within the
                frame's work budget (``FRAME_WORK_BUDGET_S``).
            until: otherwise, stop when the monotonic clock reaches this (the next frame).

        The ticks not run stay owed to later calls, the inputs not applied wait.
        """
        clock = self.runner.clock
        assert clock is not None  # a live runner runs on a clock
        phases = self.phases
        if self.inputs_due_in() <= 0:
            t0 = time.perf_counter()
            self.apply_inputs(frame_waiting)
            phases.add("inputs", t0)
        self.poll()
        while True:
            if frame_waiting and phases.ms["ticks"] > 0 and self.work_left_s() < self.last_tick_s:
                return
            if until is not None and time.monotonic() >= until:
                return
            if clock.poll(1).ticks == 0:
                return
            t0 = time.perf_counter()
            self.apply_inputs()
            self.runner.tick()
            ms = phases.add("ticks", t0)
            phases.ms["tick_max"] = max(phases.ms["tick_max"], ms)
            self.last_tick_s = ms / 1e3
            if frame_waiting:
                return

    def apply_inputs(self, frame_waiting: bool = False) -> None:
        """Apply what the OSC process has delivered, now.

        For at most ``INPUT_BUDGET_S``, and while a frame waits only within its work budget
        unless the oldest input is overdue (``INPUT_MAX_WAIT_S``): a backlog (the OSC process
        was starved, a controller dumped its state) is spread over the next calls instead of
        holding up a frame. Nothing is lost unless the inbox overflows.
        """
        self.applied_at = time.monotonic()
        self.inbox.collect()
        ready_since = self.inbox.ready_since()
        if ready_since is None:
            return
        if self.runner.paused:
            self.runner.take_arrivals(None)  # dropped, and counted
            return
        budget = INPUT_BUDGET_S
        if frame_waiting and time.time() - ready_since < INPUT_MAX_WAIT_S:
            budget = min(budget, self.work_left_s())
        if budget > 0:
            self.runner.take_arrivals(budget)
