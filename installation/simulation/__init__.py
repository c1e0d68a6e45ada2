"""The Verdantia simulation: numpy only, no IO, no clock; ``step`` is deterministic."""

from installation.simulation.state import ACT_NAMES, Indices, State, state_hash
from installation.simulation.step import DYNAMICS_VERSION, apply_events, step
from installation.simulation.world import create_world

__all__ = [
    "ACT_NAMES",
    "DYNAMICS_VERSION",
    "Indices",
    "State",
    "apply_events",
    "create_world",
    "state_hash",
    "step",
]
