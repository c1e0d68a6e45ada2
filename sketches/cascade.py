"""Study: an outage cascade.

A thin-margin Neural Cloud takes one burst of glitches; watch the Motter-Lai re-routing and the
fibre-bundle load sharing carry the failure across the city, then visitors' repairs bring it back.
"""

from __future__ import annotations

from installation.app.sketch import Sketch
from installation.config import ModelConfig, WorldConfig
from installation.inputs import Repair, SetParam
from installation.inputs.score import Cue, Score


def repair_sweep(t: float, n: int) -> tuple:
    """Repair crews sweeping the canopy from left to right."""
    x = min((t - 20.0) / 14.0, 1.0)
    return (Repair(x, (n * 0.37) % 1.0, 1.0),)


SKETCH = Sketch(
    name="cascade",
    title="Study: an outage cascade",
    world=WorldConfig(seed=5, citizens=30_000, nodes=196),
    model=ModelConfig(tolerance=0.35, glitch_rate=0.0, repair_rate=0.01, unrest_load=0.6),
    seconds=40.0,
    score=Score(
        (
            Cue(5.0, 5.1, 0.0, lambda t, n: (SetParam("glitch_rate", 0.2),), "a glitch storm"),
            Cue(6.0, 6.1, 0.0, lambda t, n: (SetParam("glitch_rate", 0.0),), "the storm ends"),
            Cue(20.0, 36.0, 0.02, repair_sweep, "repair crews sweep the city"),
        )
    ),
    acts=((4.0, "before"), (14.0, "cascade"), (39.0, "repaired")),
)
