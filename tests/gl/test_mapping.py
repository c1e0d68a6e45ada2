"""Projection mapping as the presenter draws it: corner pin, mesh warp, soft edges, masks.

The corner pin is checked against an independent implementation, OpenCV's
``warpPerspective``; the soft edges of two overlapping displays against the light they
must add up to.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from installation.render.mapping import Calibration, homography
from installation.render.present import Presenter

PICTURE = (320, 180)
WINDOW = (400, 300)


def pattern(size: tuple[int, int]) -> np.ndarray:
    """A test picture (rows from the top): smooth gradients and a soft checker, no hard edges.

    Hard edges would make the comparison measure where each implementation puts an edge
    within a pixel, not whether the warp is the same.
    """
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    checker = 0.5 + 0.5 * np.sin(x / w * 2 * np.pi * 6) * np.sin(y / h * 2 * np.pi * 4)
    img = np.stack([x / (w - 1), y / (h - 1), checker], axis=-1)
    return np.round(img * 255).astype(np.uint8)


def upload(ctx, img: np.ndarray):
    """``img`` (rows from the top) as an RGBA8 texture (rows from the bottom), filtered."""
    h, w = img.shape[:2]
    rgba = np.concatenate([img, np.full((h, w, 1), 255, np.uint8)], axis=-1)
    tex = ctx.texture((w, h), 4, np.ascontiguousarray(np.flipud(rgba)).tobytes())
    tex.repeat_x = tex.repeat_y = False
    return tex


def show(ctx, tex, cal: Calibration, view=(0.0, 0.0, 1.0, 1.0), window=WINDOW) -> np.ndarray:
    """What a display with ``cal`` shows of ``tex``: RGB rows from the top."""
    fbo = ctx.framebuffer(color_attachments=[ctx.texture(window, 4)])
    presenter = Presenter(ctx, view, calibration=cal)
    try:
        presenter.present(tex, window, target=fbo)
        data = np.frombuffer(fbo.read(components=3), np.uint8).reshape(window[1], window[0], 3)
        return np.flipud(data).copy()
    finally:
        presenter.release()
        # (Never leave a released framebuffer bound: making the next one, moderngl rebinds it.)
        ctx.detect_framebuffer(0).use()
        fbo.color_attachments[0].release()
        fbo.release()


def to_pixels(size: tuple[int, int]) -> np.ndarray:
    """From fractions of an image to its pixel coordinates (pixel centres at integers)."""
    w, h = size
    return np.array([[w, 0, -0.5], [0, h, -0.5], [0, 0, 1.0]])


def test_corner_pin_matches_opencv(ctx):
    img = pattern(PICTURE)
    tex = upload(ctx, img)
    corners = ((0.12, 0.08), (0.93, 0.17), (0.84, 0.9), (0.05, 0.77))
    got = show(ctx, tex, Calibration(corners=corners))
    tex.release()
    # OpenCV's warp, in pixels: picture pixel -> picture fraction -> window fraction -> pixel.
    h = (
        to_pixels(WINDOW)
        @ homography(((0, 0), (1, 0), (1, 1), (0, 1)), corners)
        @ np.linalg.inv(to_pixels(PICTURE))
    )
    want = cv2.warpPerspective(img, h, WINDOW, flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    inside = cv2.warpPerspective(np.full(img.shape[:2], 255, np.uint8), h, WINDOW,
                                 flags=cv2.INTER_NEAREST)  # fmt: skip
    # Compare away from the quad's edge (2 px), where coverage, not the warp, decides.
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0
    assert inside.sum() > 0.4 * WINDOW[0] * WINDOW[1]
    diff = np.abs(got.astype(int) - want.astype(int))[inside]
    # Tolerance: both filter bilinearly; llvmpipe weighs the four texels with 8-bit
    # fractions and rounds, so a smooth picture may differ by a few levels, on average
    # by about one.
    assert diff.mean() < 1.5, diff.mean()
    assert np.percentile(diff, 99.9) <= 6
    # Outside the quad, nothing is lit.
    outside = cv2.dilate(inside.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    assert got[outside].max() == 0


def test_no_calibration_is_the_letterboxed_picture(ctx):
    img = pattern(PICTURE)
    tex = upload(ctx, img)
    got = show(ctx, tex, Calibration(), window=(400, 300))
    tex.release()
    # 320x180 into 400x300: 400x225, centred (37 rows above, 38 below), and black around.
    assert got[:37].max() == 0 and got[262:].max() == 0
    want = cv2.resize(img, (400, 225), interpolation=cv2.INTER_LINEAR)
    diff = np.abs(got[37:262].astype(int) - want.astype(int))
    assert diff[2:-2, 2:-2].mean() < 1.5


def test_mesh_warp_moves_the_picture_smoothly(ctx):
    img = pattern(PICTURE)
    tex = upload(ctx, img)
    flat = show(ctx, tex, Calibration(corners=((0, 0), (1, 0), (1, 1), (0, 1))))
    mesh = [(0.0, 0.0)] * 9
    mesh[4] = (0.1, 0.0)  # the centre point, a tenth of the picture to the right
    bent = show(ctx, tex, Calibration(corners=((0, 0), (1, 0), (1, 1), (0, 1)),
                                      mesh_size=(3, 3), mesh=tuple(mesh)))  # fmt: skip
    tex.release()
    # The corners stay; the centre's column of the picture now shows 40 px to the right.
    assert np.abs(flat[:3, :3].astype(int) - bent[:3, :3].astype(int)).max() <= 2
    row = 150
    centre = flat[row, 200, 0]  # red: x across the picture
    shifted = np.argmin(np.abs(bent[row, :, 0].astype(int) - int(centre)))
    assert abs(shifted - 240) <= 2
    # Smooth: no step between neighbouring pixels bigger than the picture's own.
    assert np.abs(np.diff(bent[row, :, 0].astype(int))).max() <= 3


def test_soft_edges_of_two_overlapping_displays_add_up_to_one_in_light(ctx):
    # Two projectors side by side, each showing 60% of the tapestry: 20% overlap. Each ramps
    # over the overlap, which is a third of its picture.
    grey = np.full((180, 500, 3), 200, np.uint8)
    tex = upload(ctx, grey)
    gamma = 2.2
    left = Calibration(blend=(0.0, 0.0, 1 / 3, 0.0), blend_gamma=gamma)
    right = Calibration(blend=(1 / 3, 0.0, 0.0, 0.0), blend_gamma=gamma)
    # Windows with the views' aspect, so each picture fills its window: 600 px for 0.6.
    a = show(ctx, tex, left, view=(0.0, 0.0, 0.6, 1.0), window=(600, 360))
    b = show(ctx, tex, right, view=(0.4, 0.0, 0.6, 1.0), window=(600, 360))
    tex.release()
    light_a = (a[180, :, 1] / 255.0) ** gamma
    light_b = (b[180, :, 1] / 255.0) ** gamma
    one = (200 / 255.0) ** gamma
    # Tapestry column x shows at a's pixel 400 + k and b's pixel k over the overlap.
    total = light_a[400:] + light_b[:200]
    # 8-bit output: each pixel's light is off by at most half a level's worth (~0.4% here).
    assert np.abs(total - one).max() < 0.015 * one, np.abs(total - one).max()
    # Outside the overlap each projector alone gives the full light, and across it the ramp
    # falls smoothly.
    assert np.abs(light_a[:390] - one).max() < 0.01 * one
    assert np.abs(light_b[210:] - one).max() < 0.01 * one
    assert light_a[595] < 0.05 * one and np.all(np.diff(light_a[400:]) <= 1e-3)


def test_masks_black_out_their_polygon(ctx):
    img = np.full((180, 320, 3), 180, np.uint8)
    tex = upload(ctx, img)
    triangle = ((0.5, 0.1), (0.9, 0.9), (0.1, 0.9))
    got = show(ctx, tex, Calibration(corners=((0, 0), (1, 0), (1, 1), (0, 1)),
                                     masks=(triangle,)))  # fmt: skip
    tex.release()
    assert got[200, 200].max() == 0  # inside the triangle
    assert got[20, 20].min() == 180 and got[280, 390].min() == 180  # outside it
    # The edge is smoothed, not stepped: some pixels along it are partly covered.
    edge_row = got[150, 100:200, 0]
    assert ((edge_row > 5) & (edge_row < 175)).any()


@pytest.mark.parametrize("calibrating", [False, True])
def test_calibration_grid_replaces_the_picture(ctx, calibrating):
    img = np.full((180, 320, 3), 180, np.uint8)
    tex = upload(ctx, img)
    fbo = ctx.framebuffer(color_attachments=[ctx.texture(WINDOW, 4)])
    presenter = Presenter(ctx, calibration=Calibration())
    presenter.calibrating = calibrating
    presenter.marker = (0.5, 0.5)
    presenter.present(tex, WINDOW, target=fbo)
    data = np.frombuffer(fbo.read(components=3), np.uint8).reshape(WINDOW[1], WINDOW[0], 3)
    presenter.release()
    ctx.detect_framebuffer(0).use()
    fbo.color_attachments[0].release()
    fbo.release()
    tex.release()
    inside = data[60:240, 20:380]
    if calibrating:
        assert inside.std() > 20  # lines and squares, not the flat grey
    else:
        assert inside.min() == inside.max() == 180
