"""Time: the one fixed-step clock that live and offline modes share, and its time sources."""

from installation.timing.clock import Advance, FixedStepClock, FrameTime, ManualTime, WallTime

__all__ = ["Advance", "FixedStepClock", "FrameTime", "ManualTime", "WallTime"]
