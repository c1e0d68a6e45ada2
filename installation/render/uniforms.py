"""The uniform contract: every uniform and texture the shaders may read, written from here.

``UNIFORMS`` and ``TEXTURES`` are the single source of truth; ``shaders/UNIFORMS.md`` is
generated from them (``canopy uniforms-reference``) and a test keeps it current and checks
that the shaders declare nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import moderngl

from installation.simulation.state import Indices


@dataclass(frozen=True)
class Uniform:
    """One uniform: its GLSL name and type, the passes that read it, and what it means."""

    name: str
    glsl: str
    passes: str
    meaning: str


UNIFORMS: tuple[Uniform, ...] = (
    Uniform("u_time", "float", "all", "Simulated seconds since the world began."),
    Uniform(
        "u_audio_time",
        "float",
        "all",
        "A clock that runs at 1x in a quiet room and up to 3x when it is loud.",
    ),
    Uniform("u_resolution", "vec2", "all", "Output size in pixels."),
    Uniform("u_unity", "float", "all", "Unity index in [0, 1]."),
    Uniform("u_disparity", "float", "all", "Gini coefficient of access, [0, 1]."),
    Uniform("u_outage", "float", "all", "Share of the canopy without power, [0, 1]."),
    Uniform("u_hope", "float", "all", "Mean hope, [0, 1]."),
    Uniform("u_anger", "float", "all", "Mean anger, [0, 1]."),
    Uniform("u_participation", "float", "all", "Visitors' recent activity, [0, 1)."),
    Uniform("u_loudness", "float", "all", "Smoothed room loudness, [0, 1]."),
    Uniform("u_act", "int", "all", "The act: 1 rally ... 5 emergence."),
    Uniform(
        "u_colours",
        "vec3[16]",
        "cloth, cords",
        "Community identity colours (linear RGB); a repaired cord is whipped in them.",
    ),
    Uniform(
        "u_wealth",
        "float[16]",
        "cloth",
        "Each community's powered share of the resources, [0, 1]: how dense its weave is.",
    ),
    Uniform("u_communities", "int", "cloth", "How many communities the city has."),
    Uniform("u_canopy", "vec2", "cloth", "Canopy size in cells (width, height)."),
    Uniform(
        "u_cloth_rect",
        "vec4",
        "cloth, cords, composite",
        "Where the woven cloth hangs in the picture: x, y of its top left, width, height "
        "(0..1, y down); around it are its rod, its fringe and the wall.",
    ),
    Uniform(
        "u_rows",
        "float",
        "cloth, cords",
        "Weft rows (picks) over the cloth's height; the cords pass under what is woven where.",
    ),
    Uniform(
        "u_gild",
        "float",
        "cloth, cords",
        "Gold brocade across the borders (unity with empathy), [0, 1]; it cools the embers.",
    ),
    Uniform(
        "u_mix",
        "float",
        "cloth, cords",
        "How far community yarns cross the borders, [0, 1]: the shared border and medallion grow"
        " with it, and the cords pass under them.",
    ),
    Uniform(
        "u_mend",
        "float",
        "cloth",
        "How far the city has sewn its districts together after an outage (the re-woven "
        "share of its scars, once the dark lifts): seams whipped shut over the borders, [0, 1].",
    ),
    Uniform("u_glitch", "float", "cloth", "The loom's unease: share of working nodes glitching."),
    Uniform("u_rally", "float", "cloth", "Strength of the rallying thread, [0, 1]."),
    Uniform(
        "u_focus",
        "vec4",
        "cloth, cords, composite",
        "Focal point: x, y (canopy units), strength, kind (0 hope, 1 where the crisis began).",
    ),
    Uniform(
        "u_key",
        "vec3",
        "composite",
        "The act's key from the state: light level, warmth (-1 cold .. 1 warm), saturation.",
    ),
    Uniform("u_thickness", "float", "cords", "Half width of the heaviest cord, canopy units."),
    Uniform("u_shadow", "float", "cords", "1 while drawing the cords' shadows, else 0."),
    Uniform(
        "u_cord_gild",
        "float",
        "cords",
        "How far the cords have turned to gold (and couched heavier), [0, 1].",
    ),
    Uniform(
        "u_threshold",
        "float",
        "blur",
        "Brightness above which light blooms (0: plain blur, no bright pass).",
    ),
    Uniform("u_direction", "vec2", "blur", "Blur direction, in texels."),
    Uniform("u_bloom_strength", "float", "composite", "How strongly bloom is added."),
    Uniform("u_fade", "float", "composite", "1 for the full picture, 0 for black."),
    Uniform(
        "u_view",
        "vec4",
        "present",
        "Part of the tapestry a display shows (x, y, width, height in texture coordinates).",
    ),
    Uniform(
        "u_pin",
        "mat3",
        "present",
        "The display's corner pin: a homography from picture fractions to window fractions.",
    ),
    Uniform(
        "u_blend",
        "vec4",
        "present",
        "Soft-edge ramp widths at the picture's left, top, right, bottom (picture fractions).",
    ),
    Uniform(
        "u_blend_shape",
        "vec2",
        "present",
        "The soft edge's curve (1 linear, 2 an S) and the projector's gamma.",
    ),
    Uniform("u_calibrating", "int", "present", "1: projection calibration's test grid."),
    Uniform(
        "u_marker",
        "vec3",
        "present",
        "Calibration's selected point: window pixels (y up) and its ring's radius.",
    ),
    Uniform("u_mesh", "vec2", "present", "The mesh warp's control points (cols, rows)."),
    Uniform(
        "u_panel",
        "vec4",
        "overlay",
        "Overlay panel rectangle in the output (x, y, width, height in 0..1).",
    ),
)

TEXTURES: tuple[Uniform, ...] = (
    Uniform(
        "u_sentiment",
        "sampler2D",
        "cloth",
        "RGBA32F, ~12 citizens a texel: mean hope, anger, empathy, trust (linear).",
    ),
    Uniform(
        "u_grid",
        "sampler2D",
        "cloth",
        "RGBA8 per canopy cell (linear): powered, node health / 1.5, node stress, and the "
        "spark of a fresh failure (an ember) or repair (a needle of light).",
    ),
    Uniform(
        "u_cloth",
        "sampler2D",
        "cloth",
        "RGBA32F on the growth grid (linear): embroidery (Gray-Scott v), unravel, scar, gold.",
    ),
    Uniform(
        "u_map",
        "sampler2D",
        "cloth",
        "RGBA8 per canopy cell (nearest), fixed for a world: community id, nearest other "
        "community's id, distance to that border in eighths of a cell.",
    ),
    Uniform(
        "u_border",
        "sampler2D",
        "cloth",
        "RGBA32F per canopy cell (linear), fixed for a world: signed distance to the nearest "
        "district border in cells (negative on the lower id's side) and its smoothed "
        "gradient; the mobilisation's seams follow it.",
    ),
    Uniform("u_source", "sampler2D", "blur", "The image being bloomed."),
    Uniform(
        "u_frame",
        "sampler2D",
        "composite, present",
        "This frame's cloth and cords (linear HDR); the finished tapestry when presenting.",
    ),
    Uniform("u_bloom", "sampler2D", "composite", "The blurred bright parts."),
    Uniform(
        "u_mask",
        "sampler2D",
        "present",
        "R8 over the window, bottom row first: 1 where it may be lit, 0 under a mask.",
    ),
    Uniform("u_overlay", "sampler2D", "overlay", "RGBA8 text panel, premultiplied alpha."),
)

INDEX_UNIFORMS = {
    "u_unity": "unity",
    "u_disparity": "disparity",
    "u_outage": "outage",
    "u_hope": "hope",
    "u_anger": "anger",
    "u_participation": "participation",
}


def index_values(
    indices: Indices, time: float, audio_time: float, loudness: float, resolution: tuple[int, int]
) -> dict[str, Any]:
    """The uniforms every pass shares, for one frame."""
    values: dict[str, Any] = {u: float(getattr(indices, f)) for u, f in INDEX_UNIFORMS.items()}
    values.update(
        u_time=float(time),
        u_audio_time=float(audio_time),
        u_loudness=float(loudness),
        u_act=int(indices.act),
        u_resolution=(float(resolution[0]), float(resolution[1])),
    )
    return values


def apply(program: moderngl.Program, values: Mapping[str, Any]) -> None:
    """Write the values the program actually uses (the compiler drops unused uniforms)."""
    for name, value in values.items():
        if name in program:
            program[name] = value  # moderngl's shortcut for program[name].value = value


def uniforms_reference() -> str:
    """Markdown for shaders/UNIFORMS.md."""
    lines = [
        "# The uniform contract",
        "",
        "Generated from `installation/render/uniforms.py` by `canopy uniforms-reference`; a "
        "test keeps this file current and checks that the shaders declare nothing else. "
        "Shared declarations live in `include/indices.glsl`.",
        "",
        "## Uniforms",
        "",
        "| name | type | read by | meaning |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{u.name}` | `{u.glsl}` | {u.passes} | {u.meaning} |" for u in UNIFORMS]
    lines += ["", "## Textures", "", "| name | type | read by | contents |", "|---|---|---|---|"]
    lines += [f"| `{u.name}` | `{u.glsl}` | {u.passes} | {u.meaning} |" for u in TEXTURES]
    return "\n".join(lines) + "\n"
