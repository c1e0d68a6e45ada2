"""The act's signature read from the state: key, focal point and motifs, never the act number.

ART.md asks each act for its own key (light, warmth, saturation), motif and motion, and for
all of them to come from the city (indices, fields, history) so that a gallery run reaches
them through its visitors. ``mood(state)`` turns the state into the few numbers the passes
use; it is pure numpy, so tests can check what each kind of city looks like without GL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from installation.simulation import State
from installation.simulation.fields import sentiment_field
from installation.simulation.indices import access, community_mean
from installation.simulation.state import EMPATHY, HOPE, TRUST


def _smooth(lo: float, hi: float, x: float) -> float:
    t = min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class Mood:
    """What the passes need to give the city its look.

    Attributes:
        light: overall light level (1 a bright room, ~0.2 an outage's darkness).
        warmth: colour of the light, -1 cold blue .. 1 warm gold.
        saturation: of the yarns, 0 monochrome .. ~1.1.
        gild: the gold brocade across the borders (unity with empathy), [0, 1].
        gilded_cords: how far the Neural Cloud's cords have turned gold (a united city that
            trusts its infrastructure again), [0, 1].
        mix: how far community yarns cross the borders, [0, 1].
        mend: how far the districts are sewn together after an outage, [0, 1]: the share
            of the torn cloth that is woven again (its scars, less what is still unravelled,
            over its scars), once the dark has lifted. The seams are sewn along each border as
            far as it has come, the needle where the work has got to; it stays at 1 while the
            scars do (hours).
        glitch: the loom's unease, share of working nodes whose capacity has dipped, [0, 1].
        rally: the rallying thread (hopeful visitors at work in a calm city), [0, 1].
        focus: (x, y) of the focal point in canopy units.
        focus_strength: how strongly the light gathers there, [0, 1].
        focus_kind: 0 a hopeful point, 1 the knot where the crisis began.
        wealth: (K,) each community's powered share of the resources (weave density), [0, 1].
    """

    light: float
    warmth: float
    saturation: float
    gild: float
    gilded_cords: float
    mix: float
    mend: float
    glitch: float
    rally: float
    focus: tuple[float, float]
    focus_strength: float
    focus_kind: int
    wealth: np.ndarray


def _focus(state: State, hope_field: np.ndarray | None) -> tuple[tuple[float, float], int]:
    """Where the eye should go: the knot where the current outage began.

    With no outage, the heart of the city's hope (the centroid of its most hopeful tenth).
    """
    dead = ~state.node_alive
    if dead.any() and state.indices.outage > 0.01:
        changed = np.where(dead, state.node_changed, np.inf)
        first = int(np.argmin(changed))
        x, y = state.node_pos[first]
        return (float(x), float(y)), 1
    if hope_field is None:
        hope_field = sentiment_field(state, 16)[..., HOPE]
    h = hope_field.astype(np.float64)
    cut = np.quantile(h, 0.9)
    w = np.maximum(h - cut, 0.0) + 1e-9
    res_y, res_x = h.shape
    ys, xs = np.mgrid[0:res_y, 0:res_x]
    x = float(((xs + 0.5) / res_x * w).sum() / w.sum())
    y = float(((ys + 0.5) / res_y * w).sum() / w.sum())
    return (x, y), 0


def mood(state: State, hope_field: np.ndarray | None = None) -> Mood:
    """The look of the city as it is now.

    Args:
        state: the city.
        hope_field: (R, R) mean hope per texel when the caller has it (the sentiment field's
            first channel), to find the focal point without recomputing it.
    """
    ix = state.indices
    empathy = float(community_mean(state, EMPATHY).mean())
    trust = float(community_mean(state, TRUST).mean())
    outage = ix.outage
    alive = state.node_alive
    weak = alive & (state.node_health < 0.97)
    gild = _smooth(0.55, 0.95, ix.unity) * _smooth(0.45, 0.85, empathy)
    # The loom's unease: nodes glitching now, and the city's recent run of glitches (the act
    # classifier's memory) unless the city has since bonded.
    weak_share = float(weak.sum()) / max(int(alive.sum()), 1)
    recent = _smooth(2.0, 20.0, state.story.glitch_activity) * (1.0 - gild)
    dark = _smooth(0.02, 0.5, outage)
    # A wound re-woven but not yet gilded still shadows the room: the cloth remembers.
    wound = float(np.mean(np.maximum(state.cloth_scar - state.cloth_gold - state.cloth_unravel, 0)))
    healed = float(np.mean(np.maximum(state.cloth_scar - state.cloth_unravel, 0)))
    scar = float(np.mean(state.cloth_scar))
    # (How far the seams are sewn: the share of the torn cloth woven again.)
    rewoven = min(_smooth(0.02, 0.2, healed), healed / max(scar, 1e-9))
    mend = rewoven * (1.0 - _smooth(0.25, 0.5, outage))
    # (A city at work mending its cloth is not uneasy: the nodes still weak after an outage
    # are what it is repairing, and the room warms with the work (below). Blind viewers took
    # a mobilisation whose faults still chilled the light for the glitches.)
    glitch = min(1.0, max(4.0 * weak_share, recent)) * (1.0 - 0.75 * mend)
    # A bonded city that trusts its cloud again: the cords turn gold and the yarns mix.
    trusting_bond = float(gild * _smooth(0.3, 0.65, trust) * (1.0 - dark))
    light = (0.55 + 0.45 * ix.hope) * (1.0 - 0.22 * dark) * (1.0 - 0.06 * _smooth(0.05, 0.5, wound))
    # The bond lights the room a little; a city that trusts its cloud again, fully (so the
    # mobilisation keeps some of the outage's dark).
    light += 0.1 * gild + 0.24 * trusting_bond
    # (Glitches turn the light cold: blind viewers told the loom's unease from a mended
    # city by it when a milder cool let the two be confused. The faults themselves are told
    # in the cloth, where they happen.)
    warmth = (
        1.4 * (ix.hope - ix.anger) - 0.35 + 0.45 * gild - 2.2 * glitch - 0.8 * dark + 0.3 * mend
    )
    # Glitches sour the colours and dim the room; an outage drains them to near-monochrome.
    saturation = (0.72 + 0.35 * ix.hope + 0.08 * gild) * (1.0 - 0.6 * dark) * (1.0 - 0.2 * glitch)
    light *= 1.0 - 0.06 * glitch
    rally = (
        ix.participation
        * _smooth(0.2, 0.6, ix.hope - ix.anger)
        * (1.0 - glitch)
        * (1.0 - gild)
        * (1.0 - _smooth(0.0, 0.08, outage))
    )
    focus, kind = _focus(state, hope_field)
    strength = 0.75 if kind == 1 else 0.3 + 0.5 * rally + 0.2 * gild
    shares = state.shares / max(float(state.shares.max()), 1e-12)
    wealth = np.clip(access(state) * (0.25 + 0.75 * shares), 0.0, 1.0)
    return Mood(
        light=float(light),
        warmth=float(np.clip(warmth, -1.0, 1.0)),
        saturation=float(saturation),
        gild=float(gild),
        gilded_cords=trusting_bond,
        mix=trusting_bond,
        mend=mend,
        # (In the dark of an outage the surviving cloth huddles whole: it does not slip.)
        glitch=float(glitch * (1.0 - 0.6 * dark)),
        rally=float(rally),
        focus=focus,
        focus_strength=float(strength),
        focus_kind=kind,
        wealth=wealth.astype(np.float32),
    )


def mood_uniforms(m: Mood) -> dict[str, object]:
    """The mood as the passes' uniforms (see ``render.uniforms``)."""
    wealth = np.zeros(16, dtype=np.float32)
    wealth[: len(m.wealth)] = m.wealth
    return {
        "u_key": (m.light, m.warmth, m.saturation),
        "u_gild": m.gild,
        "u_cord_gild": m.gilded_cords,
        "u_mix": m.mix,
        "u_mend": m.mend,
        "u_glitch": m.glitch,
        "u_rally": m.rally,
        "u_focus": (m.focus[0], m.focus[1], m.focus_strength, float(m.focus_kind)),
        "u_wealth": [float(w) for w in wealth],
    }
