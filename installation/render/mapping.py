"""Projection mapping, the geometry: where each display puts its part of the tapestry.

A projector rarely hits its wall square on. Each display has a ``Calibration``:

- **corner pin**: the four points of the display (fractions of its window, y down: top left,
  top right, bottom right, bottom left) where the corners of its picture land; a
  perspective warp (a homography) between them. Empty: the picture letterboxed into the
  window, as without mapping.
- **mesh warp**: a grid of cols x rows control points over the picture, each moved by an
  offset (fractions of the picture); the picture bends smoothly between them (Catmull-Rom
  through the points). Applied before the corner pin, so the two combine.
- **soft-edge blend**: ramps over the picture's edges where two projectors overlap. Each
  ramp rises with ``blend_ramp`` over its width (a fraction of the picture), shaped by
  ``blend_curve``; the two ramps of an overlap sum to one at every point, and the light is
  scaled through the projector's ``blend_gamma``, so the overlap is as bright, in light, as
  one projector alone.
- **masks**: polygons in window fractions that are never lit.

Pure numpy: the presenter (``installation.render.present``) draws what this computes, the
calibration editor (``installation.outputs.calibration``) changes it and keeps it in the
calibration file, and tests check it against an independent implementation (OpenCV's
``warpPerspective``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]

UNIT_CORNERS: tuple[Point, ...] = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
"""The picture's corners (top left, top right, bottom right, bottom left), y down."""

MAX_MESH = 33
"""The most control points a mesh has along either side."""

MAX_MASKS = 16
"""The most masks a display has."""


class CalibrationError(ValueError):
    """A calibration that cannot be used; the message says which display and what is wrong."""


@dataclass(frozen=True)
class Calibration:
    """How one display warps, blends and masks its picture (see the module's docstring).

    Attributes:
        corners: where the picture's four corners land, in window fractions (y down); empty:
            letterboxed into the window.
        mesh_size: control points of the mesh warp, (cols, rows), each at least 2.
        mesh: each control point's offset (dx, dy) in picture fractions, row by row from the
            top left; empty: no mesh warp.
        blend: widths of the soft-edge ramps at the picture's left, top, right and bottom
            edges, as fractions of the picture (0: no ramp).
        blend_curve: the ramp's shape: 1 linear, 2 (usual) an S that hides the seam.
        blend_gamma: the projector's gamma: the ramp is applied in light, not in pixel values.
        masks: polygons (at least 3 points each, window fractions) that stay black.
    """

    corners: tuple[Point, ...] = ()
    mesh_size: tuple[int, int] = (2, 2)
    mesh: tuple[Point, ...] = ()
    blend: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    blend_curve: float = 2.0
    blend_gamma: float = 2.2
    masks: tuple[tuple[Point, ...], ...] = ()

    def problems(self) -> list[str]:
        """What is wrong with this calibration, one message each (empty when it is usable)."""
        out = []
        if self.corners and len(self.corners) != 4:
            out.append("corners needs four [x, y] points (or none)")
        cols, rows = self.mesh_size
        if not (2 <= cols <= MAX_MESH and 2 <= rows <= MAX_MESH):
            out.append(f"mesh_size must be 2 to {MAX_MESH} points each way")
        elif self.mesh and len(self.mesh) != cols * rows:
            out.append(f"mesh needs {cols * rows} offsets for a {cols}x{rows} mesh (or none)")
        if any(not 0.0 <= b <= 0.5 for b in self.blend):
            out.append("blend widths must be between 0 and 0.5 of the picture")
        if not 0.5 <= self.blend_curve <= 8.0:
            out.append("blend_curve must be between 0.5 and 8")
        if not 1.0 <= self.blend_gamma <= 3.5:
            out.append("blend_gamma must be between 1 and 3.5")
        if len(self.masks) > MAX_MASKS:
            out.append(f"at most {MAX_MASKS} masks")
        if any(len(m) < 3 for m in self.masks):
            out.append("each mask needs at least three points")
        points = [*self.corners, *self.mesh, *(p for m in self.masks for p in m)]
        if not all(math.isfinite(v) and abs(v) <= 4.0 for p in points for v in p):
            out.append("points must be finite numbers within 4 of the window")
        if self.corners and not out and not _convex(self.corners):
            out.append("the corners must make a convex quadrilateral, in order round it")
        return out

    def mesh_offsets(self) -> np.ndarray:
        """The mesh's offsets as an array (rows, cols, 2): zeros when there is no mesh."""
        cols, rows = self.mesh_size
        if not self.mesh:
            return np.zeros((rows, cols, 2))
        return np.asarray(self.mesh, dtype=np.float64).reshape(rows, cols, 2)


def _convex(quad: tuple[Point, ...]) -> bool:
    """Whether four points make a convex quadrilateral, visited in order (either turn)."""
    p = np.asarray(quad, dtype=np.float64)
    edges = np.roll(p, -1, axis=0) - p
    cross = (
        edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1]
        - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    )
    return bool(np.all(cross > 1e-9) or np.all(cross < -1e-9))


def homography(
    src: np.ndarray | tuple[Point, ...], dst: np.ndarray | tuple[Point, ...]
) -> np.ndarray:
    """The 3x3 perspective transform taking the four ``src`` points onto the four ``dst``.

    Solved directly (h33 = 1), which holds for any convex quadrilaterals. Normalised so
    that points inside ``src`` map with a positive w (what clipping on the GPU needs).
    """
    s = np.asarray(src, dtype=np.float64)
    d = np.asarray(dst, dtype=np.float64)
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i in range(4):
        x, y = s[i]
        u, v = d[i]
        a[2 * i] = (x, y, 1, 0, 0, 0, -u * x, -u * y)
        a[2 * i + 1] = (0, 0, 0, x, y, 1, -v * x, -v * y)
        b[2 * i], b[2 * i + 1] = u, v
    h = np.append(np.linalg.solve(a, b), 1.0).reshape(3, 3)
    centre = h @ np.append(s.mean(axis=0), 1.0)
    return h if centre[2] > 0 else -h


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (..., 2) through ``h``, divided by w."""
    p = np.asarray(points, dtype=np.float64)
    q = p @ h[:, :2].T + h[:, 2]
    return q[..., :2] / q[..., 2:3]


def _catmull_rom(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Catmull-Rom through the points ``p`` (m, n, 2) along axis 0.

    Each column n at its own parameter ``t`` (n,) in [0, m - 1]. The ends are extended
    linearly, so a straight run of points stays straight.
    """
    m = p.shape[0]
    ext = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]], axis=0)
    i = np.clip(np.floor(t).astype(int), 0, m - 2)
    f = (t - i)[:, None]
    col = np.arange(p.shape[1])
    p0, p1, p2, p3 = ext[i, col], ext[i + 1, col], ext[i + 2, col], ext[i + 3, col]
    return 0.5 * (
        2 * p1
        + (p2 - p0) * f
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f**2
        + (3 * p1 - p0 - 3 * p2 + p3) * f**3
    )


def mesh_warp(cal: Calibration, uv: np.ndarray) -> np.ndarray:
    """Where the mesh moves picture points ``uv`` (n, 2), in picture fractions (bicubic)."""
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    if not cal.mesh:
        return uv.copy()
    offsets = cal.mesh_offsets()
    rows, cols = offsets.shape[:2]
    n = uv.shape[0]
    tx = np.clip(uv[:, 0], 0.0, 1.0) * (cols - 1)
    ty = np.clip(uv[:, 1], 0.0, 1.0) * (rows - 1)
    # Along each row of control points at every point's x, then down those results.
    by_col = np.transpose(offsets, (1, 0, 2))  # cols, rows, 2
    along = _catmull_rom(
        np.repeat(by_col[:, :, None, :], n, axis=2).reshape(cols, rows * n, 2), np.tile(tx, rows)
    ).reshape(rows, n, 2)
    return uv + _catmull_rom(along, ty)


def pin(cal: Calibration, fit_rect: tuple[float, float, float, float]) -> np.ndarray:
    """The corner pin's homography from picture fractions to window fractions.

    Args:
        cal: the display's calibration.
        fit_rect: (x, y, w, h) in window fractions where the picture sits letterboxed:
            where it goes when the calibration names no corners.
    """
    if cal.corners:
        dst: tuple[Point, ...] = cal.corners
    else:
        x, y, w, h = fit_rect
        dst = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
    return homography(UNIT_CORNERS, dst)


def warp_mesh(cal: Calibration, steps: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The geometry the presenter draws: vertices and triangle indices.

    Vertices are (x, y, u, v): (x, y) the point after the mesh warp (picture fractions,
    before the corner pin, which the vertex shader applies so that the pin is exact and
    perspective-correct); (u, v) the picture point it shows. Without a mesh one quad is
    enough; with one, about ``steps`` quads along each side, a whole number between each
    pair of control points (at least 4): on a 1080p display a quad then spans ~30 pixels,
    where the curve between its corners departs from a straight line by far less than one.
    (Finer costs vertex work that a CPU renderer feels: 64 a side is 8k triangles.)
    """
    cols, rows = cal.mesh_size
    nx = 1 if not cal.mesh else max(4, steps // (cols - 1)) * (cols - 1)
    ny = 1 if not cal.mesh else max(4, steps // (rows - 1)) * (rows - 1)
    gu, gv = np.meshgrid(np.linspace(0.0, 1.0, nx + 1), np.linspace(0.0, 1.0, ny + 1))
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    xy = mesh_warp(cal, uv) if cal.mesh else uv
    vertices = np.concatenate([xy, uv], axis=1).astype("f4")
    i = np.arange((ny + 1) * (nx + 1)).reshape(ny + 1, nx + 1)
    a, b, c, d = i[:-1, :-1], i[:-1, 1:], i[1:, 1:], i[1:, :-1]
    tris = np.stack([a, b, c, a, c, d], axis=-1).reshape(-1).astype("i4")
    return vertices, tris


def blend_ramp(x: np.ndarray | float, curve: float) -> np.ndarray:
    """The soft edge's rise over its width (x from 0 at the edge to 1 inside), in light.

    ``f(x) + f(1 - x) == 1``: where two projectors' ramps cross an overlap in opposite
    directions, their light sums to one projector's everywhere.
    """
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    low = 0.5 * (2.0 * x) ** curve
    high = 1.0 - 0.5 * (2.0 * (1.0 - x)) ** curve
    return np.where(x < 0.5, low, high)


def blend_light(cal: Calibration, uv: np.ndarray) -> np.ndarray:
    """The share of light each picture point ``uv`` (..., 2) gets from this display, [0, 1]."""
    uv = np.asarray(uv, dtype=np.float64)
    left, top, right, bottom = cal.blend
    out = np.ones(uv.shape[:-1])
    for width, dist in (
        (left, uv[..., 0]),
        (top, uv[..., 1]),
        (right, 1.0 - uv[..., 0]),
        (bottom, 1.0 - uv[..., 1]),
    ):
        if width > 0:
            out = out * blend_ramp(dist / width, cal.blend_curve)
    return out


def blend_factor(cal: Calibration, uv: np.ndarray) -> np.ndarray:
    """What pixel values are multiplied by so that the light is ``blend_light``."""
    return blend_light(cal, uv) ** (1.0 / cal.blend_gamma)


def mask_image(cal: Calibration, size: tuple[int, int], supersample: int = 4) -> np.ndarray:
    """The masks as coverage (height, width) uint8 of the window: 255 lit, 0 masked.

    Drawn ``supersample`` times larger and averaged, so mask edges are smooth.
    """
    from PIL import Image, ImageDraw

    w, h = size
    big = Image.new("L", (w * supersample, h * supersample), 255)
    draw = ImageDraw.Draw(big)
    for poly in cal.masks:
        draw.polygon([(x * w * supersample, y * h * supersample) for x, y in poly], fill=0)
    return np.asarray(big.resize((w, h), Image.Resampling.BOX), dtype=np.uint8)
