"""Putting the finished tapestry on a display, with the operator's HUD and error panels.

The tapestry renders once per frame into its own framebuffer; each display's window then
shows its part of it (its ``view``), letterboxed into the window so threads stay square, or
placed by the display's projection mapping (``installation.render.mapping``: corner pin,
mesh warp, soft-edge blend, masks). The picture is drawn as a mesh whose vertices the
corner pin places, so one textured pass does all of it.
A window other than the first has a GL context of its own that shares objects with the
first, so the presenter wraps the shared texture by name (``external_texture``) and keeps
its own programs and vertex arrays (vertex arrays are not shared between contexts).

The panels are drawn here, over the window's picture, never into the tapestry's output (so
never into screenshots or recordings); the windows give the error panel's text to the
operator's window only. The presenter's shaders hot-reload like the tapestry's: the show's
watcher queues their changes and ``reload_pending`` swaps them in, compiled first.
"""

from __future__ import annotations

from pathlib import Path

import moderngl
import numpy as np

from installation.render.mapping import Calibration, mask_image, pin, warp_mesh
from installation.render.overlay import TextOverlay
from installation.render.shaders import SHADER_DIR, ShaderLibrary
from installation.render.uniforms import apply

PROGRAMS = {
    "present": ("present.vert", "present.frag"),
    "overlay": ("fullscreen.vert", "overlay.frag"),
}


def fit(source: tuple[float, float], window: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest viewport (x, y, w, h) of ``window`` with the aspect of ``source``, centred."""
    sw, sh = source
    ww, wh = window
    if sw <= 0 or sh <= 0 or ww <= 0 or wh <= 0:
        return (0, 0, max(ww, 1), max(wh, 1))
    scale = min(ww / sw, wh / sh)
    w, h = max(1, round(sw * scale)), max(1, round(sh * scale))
    return ((ww - w) // 2, (wh - h) // 2, w, h)


class Presenter:
    """Shows a texture of the shared tapestry in one window's context.

    Args:
        ctx: the window's moderngl context (current when called).
        view: (x, y, width, height) of the tapestry this display shows, fractions from the
            top-left.
        shader_dir: a folder whose files override the built-in shaders (``[show]
            shader_dir``).
        calibration: the display's projection mapping (default: letterboxed, unwarped).
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        view: tuple[float, ...] = (0, 0, 1, 1),
        shader_dir: str | Path | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        """Compile the presenter's shaders in ``ctx`` and make its HUD and error panels."""
        self.ctx = ctx
        self.view = tuple(float(v) for v in view)
        self.library = ShaderLibrary(
            ctx, PROGRAMS, SHADER_DIR, overrides=Path(shader_dir) if shader_dir else None
        )
        self.hud = TextOverlay(ctx, self.library)
        self.errors = TextOverlay(ctx, self.library)
        self._vao: moderngl.VertexArray | None = None
        self._vao_program: moderngl.Program | None = None
        self._wrapped: moderngl.Texture | None = None
        self._wrapped_key: tuple[int, tuple[int, int]] | None = None
        self.calibration = calibration or Calibration()
        # Where the picture sat letterboxed last frame (window fractions): calibration's start.
        self.last_fit = (0.0, 0.0, 1.0, 1.0)
        # In calibration: the test grid, and the selected point (window fractions) ringed.
        self.calibrating = False
        self.marker: tuple[float, float] | None = None
        self._vbo: moderngl.Buffer | None = None
        self._ibo: moderngl.Buffer | None = None
        self._mask: moderngl.Texture | None = None
        self._mask_key: tuple[object, ...] | None = None

    def set_calibration(self, calibration: Calibration) -> None:
        """Use ``calibration`` from the next frame (its mesh and masks are made then)."""
        if calibration != self.calibration:
            self.calibration = calibration
            self._release_geometry()

    def _release_geometry(self) -> None:
        for obj in (self._vao, self._vbo, self._ibo):
            if obj is not None:
                obj.release()
        self._vao = self._vao_program = None
        self._vbo = self._ibo = None

    def _mask_texture(self, size: tuple[int, int]) -> moderngl.Texture:
        """The masks over a window of ``size`` (remade when either changes)."""
        masks = self.calibration.masks
        key = (size, masks) if masks else ((1, 1), ())
        if self._mask is None or self._mask_key != key:
            if self._mask is not None:
                self._mask.release()
            if masks:
                # (Texture rows start at the bottom; the image's at the top.)
                # (Smoothed at 4x4 samples a pixel, 2x2 above 1080p: the drawing's memory.)
                ss = 4 if size[0] * size[1] <= 1920 * 1080 else 2
                cover = mask_image(self.calibration, size, supersample=ss)
                cover = np.ascontiguousarray(np.flipud(cover))
                self._mask = self.ctx.texture(size, 1, cover.tobytes())
            else:
                self._mask = self.ctx.texture((1, 1), 1, b"\xff")
            self._mask_key = key
        return self._mask

    def reload_pending(self) -> list[str]:
        """Swap in the shaders the watcher saw change (this window's context current)."""
        return self.library.reload_pending()

    def reset(self) -> None:
        """Forget the vertex arrays (pyglet re-created the window: ones made before fail to draw).

        They are made afresh at the next ``present``.
        """
        self._release_geometry()
        self.hud.reset()
        self.errors.reset()

    def _texture(self, tex: moderngl.Texture) -> moderngl.Texture:
        if tex.ctx is self.ctx:
            return tex
        key = (tex.glo, tex.size)
        if self._wrapped is None or self._wrapped_key != key:
            # external_texture only wraps a name; it never frees the shared texture.
            self._wrapped = self.ctx.external_texture(tex.glo, tex.size, 4, 0, "f1")
            self._wrapped_key = key
        return self._wrapped

    def present(
        self,
        tex: moderngl.Texture | None,
        size: tuple[int, int],
        target: moderngl.Framebuffer | None = None,
    ) -> None:
        """Draw this display's part of ``tex`` into the window's framebuffer (``size`` pixels).

        Black around it (all black when ``tex`` is None), then the HUD and error panels.

        Args:
            tex: the tapestry's output texture.
            size: the window's current size in pixels.
            target: draw here instead of the window's framebuffer (offscreen checks).
        """
        ctx = self.ctx
        if target is None:
            target = ctx.screen if ctx.screen is not None else ctx.detect_framebuffer(0)
        target.use()
        ctx.scissor = None
        ctx.viewport = (0, 0, size[0], size[1])
        ctx.clear(0.0, 0.0, 0.0, 1.0)
        if tex is not None:
            self._draw_view(tex, size)
        self._draw_panel(self.errors, target, size, bottom=False)
        self._draw_panel(self.hud, target, size, bottom=True)

    def _draw_view(self, tex: moderngl.Texture, size: tuple[int, int]) -> None:
        ctx = self.ctx
        vx, vy, vw, vh = self.view
        tw, th = tex.size
        ww, wh = max(size[0], 1), max(size[1], 1)
        fx, fy, fw, fh = fit((tw * vw, th * vh), size)
        # (fit's rectangle is centred, so it reads the same from the top as from the bottom.)
        cal = self.calibration
        self.last_fit = (fx / ww, fy / wh, fw / ww, fh / wh)
        homography = pin(cal, self.last_fit)
        prog = self.library["present"]
        if self._vao is None or self._vao_program is not prog:
            # A hot reload swapped (and released) the program: its array goes with it; a new
            # calibration remade the mesh.
            self._release_geometry()
            vertices, triangles = warp_mesh(cal)
            self._vbo = ctx.buffer(vertices.tobytes())
            self._ibo = ctx.buffer(triangles.tobytes())
            self._vao = ctx.vertex_array(prog, [(self._vbo, "2f 2f", "in_pos", "in_uv")], self._ibo)
            self._vao_program = prog
        marker = self.marker or (-1e4, -1e4)
        apply(
            prog,
            {
                # Views are given from the top; texture rows start at the bottom.
                "u_view": (vx, 1.0 - vy - vh, vw, vh),
                "u_frame": 0,
                "u_mask": 1,
                # (GLSL's mat3 is filled column by column.)
                "u_pin": tuple(homography.T.ravel()),
                "u_blend": cal.blend,
                "u_blend_shape": (cal.blend_curve, cal.blend_gamma),
                "u_resolution": (float(ww), float(wh)),
                "u_calibrating": int(self.calibrating),
                "u_marker": (marker[0] * ww, (1.0 - marker[1]) * wh, 12.0),
                "u_mesh": (float(cal.mesh_size[0]), float(cal.mesh_size[1])),
            },
        )
        self._texture(tex).use(0)
        self._mask_texture((ww, wh)).use(1)
        ctx.disable(moderngl.BLEND)
        ctx.viewport = (0, 0, ww, wh)
        self._vao.render(moderngl.TRIANGLES)

    @staticmethod
    def _draw_panel(
        overlay: TextOverlay, screen: moderngl.Framebuffer, size: tuple[int, int], bottom: bool
    ) -> None:
        if overlay.text:
            # The window's framebuffer object reports the size it was created with; panels
            # are placed in the window's current pixels.
            overlay.draw(_Sized(screen, size), bottom=bottom)

    def release(self) -> None:
        """Free this presenter's vertex arrays, panels and programs.

        Never the shared tapestry texture it wraps.
        """
        self._release_geometry()
        if self._mask is not None:
            self._mask.release()
            self._mask = None
        self.hud.release()
        self.errors.release()
        self.library.release()


class _Sized:
    """A framebuffer with the size the window has now (pyglet windows are resizable)."""

    def __init__(self, fb: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        self._fb = fb
        self.size = size

    def use(self) -> None:
        self._fb.use()
        self._fb.ctx.viewport = (0, 0, *self.size)
