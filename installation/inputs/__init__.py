"""Inputs: everything that reaches the simulation from outside, drained once per tick."""

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
