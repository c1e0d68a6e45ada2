"""Adaptive render scale: the one place that decides how large the live show renders.

On a slow renderer (llvmpipe) the tapestry's cost grows with its area, so the live show holds
its target frame rate (``[show] target_fps``) by rendering the tapestry smaller, and renders
it larger again when there is headroom. ``RenderScale`` is fed the time each drawn frame's
work took (upload, drawing and the ticks and inputs run between its bands; never the wait
for vsync, which the scale cannot shorten) and returns the factor to render at.

How the factor combines with the other size settings: the tapestry is rendered at the
displays' size times ``[show] render_scale`` times this factor (headless: at ``--size``
times the factor), and the quality tier's ``Look.scale`` stays the cloth pass's share of
that size. With windows the presenters scale the picture up to the displays; headless the
picture itself is smaller. Offline renders never adapt (their frames depend only on the
state and the clocks).

The decision, so that it never oscillates:

- *Smoothed*: the median work of the last ``WINDOW`` frames (one slow tick or a cascade
  round cannot move it).
- *Dead band*: lowered only above ``HIGH`` of the frame budget (``1 / target_fps``), raised
  only below ``LOW``. A step up costs at most ``1 / STEP**2`` more (the area), and
  ``LOW / STEP**2 < HIGH``, so a raise never lands above the band and undoes itself.
- *Dwell*: after a change the frames are measured afresh (a full window, at least
  ``DWELL_S``) before the next; a raise also needs headroom for ``RAISE_AFTER_S``.
- *Discrete steps*: factors on a ladder from ``max_scale`` down by ``STEP`` to
  ``min_scale``. A lower may skip steps (to where the work would be ``AIM`` of the budget
  if it were all proportional to the area; it is not, so it lands at or above that and
  never below ``LOW``); a raise is one step.
- *Regret*: a lower within ``REGRET_S`` of a raise means that raise was a mistake (a
  renderer whose cost is not proportional to the area): the wait before the next raise is
  multiplied by ``BACKOFF``, up to ``MAX_RAISE_AFTER_S``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from installation.config import ShowConfig

WINDOW = 15  # frames in the smoothed (median) work: half a second at 30 fps
HIGH = 0.8  # lower when the smoothed work is above this share of the frame budget
LOW = 0.55  # raise when it is below this share (LOW / STEP**2 = 0.68 < HIGH)
AIM = 0.675  # a lower aims here (the middle of the band)
STEP = 0.9  # ratio between neighbouring factors of the ladder
DWELL_S = 1.0  # at least this long between changes
RAISE_AFTER_S = 3.0  # headroom must last this long before a raise
REGRET_S = 10.0  # a lower this soon after a raise backs the raises off
BACKOFF = 4.0
MAX_RAISE_AFTER_S = 600.0


def ladder(lo: float, hi: float, step: float = STEP) -> tuple[float, ...]:
    """The factors the scale may take, from ``hi`` down by ``step`` to ``lo`` (both included)."""
    if not 0 < lo <= hi:
        raise ValueError(f"need 0 < min_scale <= max_scale, got {lo} and {hi}")
    out = [hi]
    while out[-1] * step > lo * (1 + 1e-9):
        out.append(round(out[-1] * step, 6))
    if out[-1] > lo:
        out.append(lo)
    return tuple(out)


class RenderScale:
    """Decides the render scale factor from measured frame work.

    Args:
        target_fps: the frame rate to hold.
        lo: the smallest factor (``[show] min_scale``).
        hi: the largest factor, and the first (``[show] max_scale``).
        enabled: adapt at all; when False the factor stays 1.
    """

    def __init__(self, target_fps: float, lo: float, hi: float, enabled: bool = True) -> None:
        """Start at ``hi`` (1 when disabled), nothing measured yet."""
        if not target_fps > 0:
            raise ValueError("target_fps must be positive")
        self.enabled = enabled
        self.budget_s = 1.0 / target_fps
        self.steps = ladder(lo, hi) if enabled else (1.0,)
        self.index = 0
        self.changes = 0
        self.raise_after_s = RAISE_AFTER_S
        self._work: deque[float] = deque(maxlen=WINDOW)
        self.last_work_s: float | None = None  # the smoothed work that made the last change
        self._changed_at: float | None = None
        self._raised_at: float | None = None
        self._headroom_since: float | None = None

    @classmethod
    def from_config(cls, show: ShowConfig) -> RenderScale:
        """The controller a venue's ``[show]`` asks for (``adaptive_scale``, ``target_fps``...)."""
        return cls(show.target_fps, show.min_scale, show.max_scale, enabled=show.adaptive_scale)

    @property
    def scale(self) -> float:
        """The factor to render at now."""
        return self.steps[self.index]

    def smoothed_s(self) -> float | None:
        """The smoothed frame work in seconds (None until a window is measured)."""
        if len(self._work) < WINDOW:
            return None
        return sorted(self._work)[WINDOW // 2]

    def update(self, work_s: float, now: float) -> float:
        """Note one drawn frame's work (seconds) at monotonic time ``now``; the factor to use."""
        if self._changed_at is not None and now - self._changed_at < DWELL_S:
            return self.scale  # the first frames at a new size are not what it costs
        self._work.append(work_s)  # (measured when disabled too: /health reports it)
        smoothed = self.smoothed_s()
        if smoothed is None or not self.enabled:
            return self.scale
        share = smoothed / self.budget_s
        if share > HIGH and self.index < len(self.steps) - 1:
            self._lower(share, now)
        elif share < LOW and self.index > 0:
            if self._headroom_since is None:
                self._headroom_since = now
            elif now - self._headroom_since >= self.raise_after_s:
                self._raised_at = now
                self._change(self.index - 1, now)
        else:
            self._headroom_since = None
        return self.scale

    def _lower(self, share: float, now: float) -> None:
        if self._raised_at is not None and now - self._raised_at < REGRET_S:
            self.raise_after_s = min(self.raise_after_s * BACKOFF, MAX_RAISE_AFTER_S)
        # The smallest factor that would bring the work to AIM if it all scaled with the
        # area; at least one step down.
        goal = self.scale * math.sqrt(AIM / share)
        index = self.index + 1
        while index + 1 < len(self.steps) and self.steps[index + 1] >= goal:
            index += 1
        self._change(index, now)

    def _change(self, index: int, now: float) -> None:
        self.last_work_s = self.smoothed_s()
        self.index = index
        self.changes += 1
        self._changed_at = now
        self._headroom_since = None
        self._work.clear()

    def describe(self) -> dict[str, Any]:
        """What ``/health`` and the benchmark report about the scale (size added by the caller)."""
        smoothed = self.smoothed_s()
        return {
            "scale": round(self.scale, 4),
            "adaptive": self.enabled,
            "changes": self.changes,
            "target_fps": round(1.0 / self.budget_s, 2),
            "work_ms": None if smoothed is None else round(smoothed * 1e3, 2),
        }
