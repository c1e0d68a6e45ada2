"""The headline indices and the act the city is in, read from the state each tick.

The acts are not scripted: they are recognised from the dynamics (glitch activity, outage,
repair, unity), with hysteresis so the story does not flicker between acts.
"""

from __future__ import annotations

import math

import numpy as np

from installation.simulation.models import gini
from installation.simulation.state import ANGER, HOPE, State, derived

UNITY_RADIUS = 0.15
"""A citizen is 'united' with the city when its 4-D sentiment lies this close to the mean."""

# Act thresholds (shares of the canopy, glitches per minute, seconds).
CRISIS_OUTAGE = 0.12
CALM_OUTAGE = 0.03
GLITCHY = 3.0
MIN_ACT_S = 8.0
EMERGENCE_HOLD_S = 90.0
PARTICIPATION_SCALE = 4.0  # inputs per second that make participation 1 - 1/e


def access(state: State) -> np.ndarray:
    """(K,) float64 powered share of each community's cells."""
    d = derived(state)
    return (state.cells_kn @ state.node_alive.astype(np.float64)) / d.comm_cells


def community_mean(state: State, dim: int) -> np.ndarray:
    """(K,) float64 each community's mean of one sentiment dimension (``HOPE`` .. ``TRUST``)."""
    d = derived(state)
    k = len(d.members)
    return (
        np.bincount(state.cit_home, weights=state.sentiment[:, dim], minlength=k) / d.comm_citizens
    )


def outage_share(state: State) -> float:
    """Share of canopy cells whose node has failed."""
    d = derived(state)
    dark = d.cells_per_node[~state.node_alive].sum()
    return float(dark / d.cells_per_node.sum())


UNITY_SAMPLE = 16384
"""Unity is estimated on an evenly strided sample of at most this many citizens (they are
stored in Morton order, so the stride samples the canopy evenly): standard error < 0.4%."""


def unity(sentiment: np.ndarray) -> float:
    """Share of citizens who share the city's mean mood and are not enraged.

    Agreement alone is not unity (a blacked-out city agrees in its fury), so a citizen counts
    when its 4-D sentiment lies within ``UNITY_RADIUS`` of the mean and its anger is below
    one half.
    """
    stride = max(1, -(-len(sentiment) // UNITY_SAMPLE))
    sample = sentiment[::stride]
    mean = sample.mean(axis=0, dtype=np.float64).astype(np.float32)
    diff = sample - mean
    d2 = np.einsum("nd,nd->n", diff, diff)
    united = (d2 < UNITY_RADIUS**2) & (sample[:, ANGER] < 0.5)
    return float(np.count_nonzero(united)) / len(sample)


def update_indices(state: State, dt: float, glitches: int = 0) -> None:
    """Recompute ``state.indices`` and advance the act classifier by ``dt`` seconds."""
    s = state.sentiment
    ix = state.indices
    ix.unity = unity(s)
    ix.disparity = gini(access(state))
    ix.outage = outage_share(state)
    ix.hope = float(s[:, HOPE].mean(dtype=np.float64))
    ix.anger = float(s[:, ANGER].mean(dtype=np.float64))
    ix.participation = 1.0 - math.exp(-state.participation_rate / PARTICIPATION_SCALE)
    _advance_story(state, dt, glitches)
    ix.act = state.story.act


def _advance_story(state: State, dt: float, glitches: int) -> None:
    st = state.story
    ix = state.indices
    now = state.time
    if dt > 0:
        decay = math.exp(-dt / 30.0)
        st.glitch_activity = st.glitch_activity * decay + glitches * 60.0 / 30.0
    if ix.outage > CALM_OUTAGE:
        st.calm_since = now
    held = now - st.act_since >= MIN_ACT_S
    new = st.act
    if st.act in (1, 2, 5) and ix.outage >= CRISIS_OUTAGE:
        new = 3
    elif st.act == 1 and held and (st.glitch_activity >= GLITCHY or ix.disparity >= 0.08):
        new = 2
    elif (
        st.act == 2
        and held
        and st.glitch_activity < GLITCHY / 3
        and ix.disparity < 0.04
        and now - st.calm_since >= 60.0
    ):
        new = 1
    elif st.act == 3:
        st.peak_outage = max(st.peak_outage, ix.outage)
        if held and ix.outage <= 0.6 * st.peak_outage:
            new = 4
    elif st.act == 4:
        if ix.outage >= max(CRISIS_OUTAGE, 0.9 * st.peak_outage):
            new = 3
        elif held and ix.outage <= CALM_OUTAGE and ix.unity >= 0.5:
            new = 5
        elif now - st.calm_since >= EMERGENCE_HOLD_S:
            new = 1  # the lights are back but the city never came together
    elif st.act == 5 and held and now - st.calm_since >= EMERGENCE_HOLD_S:
        new = 1
    if new != st.act:
        if new == 3 and st.act != 4:
            st.peak_outage = ix.outage
        st.act = new
        st.act_since = now
