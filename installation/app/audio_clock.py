"""The tapestry's audio clock: one rule for the live show and the offline render.

The clock (``u_audio_time``: the light running along the cords, the embers' flicker, the
billow) runs at 1x in a quiet room and up to 3x when it is loud. It advances with the
simulation, tick by tick: each tick adds its length times the speed the room's loudness
gives after that tick (``speed``). So it is a function of the ticks run (and the sound they
heard), never of how many frames were drawn: the live show at any frame rate, the offline
render at any ``--fps`` and the live show on a frame clock agree at the same tick.

A frame shows the clock's value at the tick it uploaded; live, between two uploads, it is
blended like the simulated time (``Tapestry.interpolate``). The runner tells the clock
about each tick (it is a ``Listener``); whoever draws copies ``time`` to the tapestry
before each upload.
"""

from __future__ import annotations

from installation.app.runner import Listener
from installation.simulation import State


def speed(loudness: float) -> float:
    """How fast the audio clock runs at a loudness (0 quiet .. 1 loud): 1x to 3x."""
    return 1.0 + 2.0 * min(max(loudness, 0.0), 1.0)


class AudioClock(Listener):
    """The audio clock of one run, advanced by its runner's ticks.

    Args:
        dt: seconds per tick (the runner's ``dt``).
        time: where the clock starts.
    """

    def __init__(self, dt: float, time: float = 0.0) -> None:
        """Start at ``time``: 0 at a run's first tick, a keyframe's value for a chunk."""
        self.dt = dt
        self.time = time

    def stepped(self, state: State) -> None:
        """One tick ran: advance by its length at the speed of the room it left."""
        self.time += self.dt * speed(state.loudness)
