"""Random input frames, extreme values included: for soak runs and robustness tests.

A seeded stream of what careless or hostile visitors and controllers might send once they
are past the network checks: pushes and touches anywhere (including NaN, infinities and
absurd magnitudes), repairs, unknown and out-of-range parameters, and wild room sound.
"""

from __future__ import annotations

import numpy as np

from installation.inputs.frame import (
    Event,
    InputFrame,
    Push,
    Repair,
    RoomSound,
    SetParam,
    Touch,
)

_EXTREMES = (0.0, 1.0, -1e30, 1e30, float("nan"), float("inf"), -float("inf"), 0.5, -0.0)
_PARAMS = (
    "glitch_rate",
    "noise",
    "repair_rate",
    "growth_steps_per_s",
    "interaction_rate",
    "no_such_parameter",
)


class RandomInputs:
    """Generates one random ``InputFrame`` per call; an input source (``random``).

    Args:
        seed: seed of the stream.
        event_rate: probability that a tick carries an event.
        extreme_share: probability that a value is drawn from the extremes.
    """

    name = "random"

    def __init__(self, seed: int, event_rate: float = 0.2, extreme_share: float = 0.3) -> None:
        """Seed the generator: the same seed gives the same inputs."""
        self.rng = np.random.default_rng(seed)
        self.event_rate = event_rate
        self.extreme_share = extreme_share

    def _value(self) -> float:
        if self.rng.random() < self.extreme_share:
            return _EXTREMES[int(self.rng.integers(len(_EXTREMES)))]
        return float(self.rng.random())

    def frame(self, tick: int, dt: float | None = None) -> InputFrame:
        """A frame for ``tick`` with zero or one event and, sometimes, room sound."""
        rng, v = self.rng, self._value
        events: list[Event] = []
        if rng.random() < self.event_rate:
            kind = int(rng.integers(5))
            if kind == 0:
                events.append(Push(int(rng.integers(-1, 5)), v(), v(), v(), strength=v()))
            elif kind == 1:
                events.append(Push(int(rng.integers(4)), v(), community=int(rng.integers(-1, 17))))
            elif kind == 2:
                events.append(Touch(v(), v(), v()))
            elif kind == 3:
                events.append(Repair(v(), v(), v()) if rng.random() < 0.7 else Repair())
            else:
                events.append(SetParam(_PARAMS[int(rng.integers(len(_PARAMS)))], v()))
        sound = None
        if rng.random() < 0.1:
            sound = RoomSound(
                v() * 100 - 80,
                v() * 100 - 80,
                onset=bool(rng.random() < 0.5),
                centroid_hz=v() * 8000,
                flatness=v(),
            )
        return InputFrame(tick=tick, events=tuple(events), sound=sound)
