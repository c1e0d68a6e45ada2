"""Inputs: everything that reaches the simulation from outside.

And the processes that capture it.
"""

from installation.inputs.frame import (
    EMPTY_FRAME,
    SENTIMENTS,
    Event,
    InputFrame,
    Push,
    Repair,
    RoomSound,
    SetParam,
    Touch,
)

__all__ = [
    "EMPTY_FRAME",
    "SENTIMENTS",
    "Event",
    "InputFrame",
    "Push",
    "Repair",
    "RoomSound",
    "SetParam",
    "Touch",
]
