"""Study: opinion clusters.

A city with no outages, where bounded confidence splits the communities into factions; then empathy
widens the confidence bounds and the factions merge.

Shows how to build on the engine with a score: pushes only, no infrastructure drama.
"""

from __future__ import annotations

from installation.app.sketch import Sketch
from installation.config import ModelConfig, WorldConfig
from installation.inputs import Push, SetParam
from installation.inputs.score import Cue, Score

HOPE, ANGER, EMPATHY, TRUST = range(4)


def polarise(t: float, n: int) -> tuple:
    """Opposite pulls on alternating halves of the canopy: two factions form."""
    side = 0.25 if n % 2 == 0 else 0.75
    return (
        Push(HOPE, 0.95 if n % 2 == 0 else 0.1, side, 0.5, strength=1.0),
        Push(ANGER, 0.1 if n % 2 == 0 else 0.85, side, 0.5, strength=1.0),
    )


def empathy(t: float, n: int) -> tuple:
    """Empathy pushed over the whole city, widening the confidence bounds."""
    return (Push(EMPATHY, 1.0, strength=0.8),)


SKETCH = Sketch(
    name="clusters",
    title="Study: factions and consensus",
    world=WorldConfig(seed=11, communities=3, citizens=30_000, nodes=64),
    model=ModelConfig(
        glitch_rate=0.0,
        confidence_min=0.05,
        confidence_gain=0.6,
        interaction_rate=2.0,
        push_radius=0.3,
    ),
    seconds=40.0,
    score=Score(
        (
            Cue(0.0, 0.1, 0.0, lambda t, n: (SetParam("noise", 0.02),), "quieter shocks"),
            Cue(1.0, 15.0, 0.25, polarise, "two camps pull apart"),
            Cue(20.0, 40.0, 0.5, empathy, "empathy widens every confidence bound"),
        )
    ),
    acts=((14.0, "factions"), (38.0, "consensus")),
)
