"""Verdantia: the default story in five acts, told by a score of timed inputs (75 s).

Rally -> glitches -> summit and outage -> mobilisation -> emergence. Nothing here paints a
picture: the cues only do what visitors and controllers could do (touch, push a sentiment,
repair, tune a live parameter), and the acts emerge from the simulation's response.
"""

from __future__ import annotations

from installation.app.sketch import Sketch
from installation.config import ModelConfig, WorldConfig
from installation.inputs import Push, Repair, SetParam, Touch
from installation.inputs.frame import SENTIMENTS
from installation.inputs.score import Cue, Score

HOPE, ANGER, EMPATHY, TRUST = (SENTIMENTS.index(s) for s in SENTIMENTS)


def spot(n: int, salt: int = 0) -> tuple[float, float]:
    """A deterministic, well-spread point for the n-th firing (golden-ratio sequence)."""
    return ((n * 0.618034 + salt * 0.29) % 1.0, (n * 0.414214 + salt * 0.71) % 1.0)


def touches(t: float, n: int) -> tuple:
    """A visitor's touch at the n-th well-spread spot."""
    x, y = spot(n)
    return (Touch(x, y, 1.0),)


def rally(t: float, n: int) -> tuple:
    """Hope pushed in one community after another."""
    return (Push(HOPE, 0.85, community=n % 6, strength=0.6),)


def set_param(name: str, value: float):
    """A cue action that sets the live parameter ``name`` to ``value``."""
    return lambda t, n: (SetParam(name, value),)


def unrest(t: float, n: int) -> tuple:
    """Anger up and trust down around the n-th spot."""
    x, y = spot(n, 3)
    return (Push(ANGER, 0.9, x, y, strength=0.8), Push(TRUST, 0.1, x, y, strength=0.6))


def city_anger(t: float, n: int) -> tuple:
    """Anger pushed over the whole city."""
    return (Push(ANGER, 0.85, strength=0.5),)


def repairs(t: float, n: int) -> tuple:
    """A repair at the n-th spot."""
    x, y = spot(n, 5)
    return (Repair(x, y, 1.0),)


def dialogue(t: float, n: int) -> tuple:
    """Empathy in one community while anger eases in the opposite one."""
    return (
        Push(EMPATHY, 0.95, community=n % 6, strength=1.0),
        Push(ANGER, 0.2, community=(n + 3) % 6, strength=0.5),
    )


def emergence(t: float, n: int) -> tuple:
    """The whole city towards empathy, hope and trust, away from anger."""
    return (
        Push(EMPATHY, 1.0),
        Push(HOPE, 0.85, strength=0.7),
        Push(ANGER, 0.1, strength=0.7),
        Push(TRUST, 0.75, strength=0.5),
    )


SCORE = Score(
    (
        Cue(0.0, 14.0, 0.15, touches, "visitors arrive and touch the canopy"),
        Cue(0.0, 12.0, 0.5, rally, "each community rallies"),
        Cue(12.0, 12.1, 0.0, set_param("glitch_rate", 0.006), "the Neural Cloud starts to glitch"),
        Cue(16.0, 30.0, 0.5, unrest, "unrest where service fails"),
        Cue(30.0, 30.1, 0.0, set_param("glitch_rate", 0.08), "the summit: the cloud buckles"),
        Cue(30.0, 38.0, 0.5, city_anger, "the city's anger"),
        Cue(34.0, 34.1, 0.0, set_param("glitch_rate", 0.0003), "glitches subside"),
        Cue(40.0, 60.0, 0.08, repairs, "communities mobilise and repair"),
        Cue(40.0, 60.0, 0.5, dialogue, "dialogue between communities"),
        Cue(58.0, 75.0, 0.4, emergence, "a shared identity emerges"),
        Cue(60.0, 75.0, 0.2, touches, "visitors return"),
    )
)

SKETCH = Sketch(
    name="verdantia",
    title="Seraphina's canopy tapestry: Verdantia",
    world=WorldConfig(seed=7),
    model=ModelConfig(),
    seconds=75.0,
    score=SCORE,
    acts=(
        (9.0, "rally"),
        (26.0, "glitches"),
        (36.0, "summit and outage"),
        (45.0, "mobilisation"),
        (70.0, "emergence"),
    ),
)
