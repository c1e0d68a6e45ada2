"""Putting the finished tapestry on a display, with the operator's HUD and error panels.

The tapestry renders once per frame into its own framebuffer; each display's window then
shows its part of it (its ``view``), letterboxed into the window so threads stay square.
A window other than the first has a GL context of its own that shares objects with the
first, so the presenter wraps the shared texture by name (``external_texture``) and keeps
its own program and vertex array (those are not shared between contexts).
"""

from __future__ import annotations

import moderngl

from installation.render.overlay import TextOverlay
from installation.render.shaders import SHADER_DIR, ShaderLibrary

PROGRAMS = {
    "present": ("fullscreen.vert", "present.frag"),
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
    """

    def __init__(self, ctx: moderngl.Context, view: tuple[float, ...] = (0, 0, 1, 1)) -> None:
        self.ctx = ctx
        self.view = tuple(float(v) for v in view)
        self.library = ShaderLibrary(ctx, PROGRAMS, SHADER_DIR)
        self.hud = TextOverlay(ctx, self.library)
        self.errors = TextOverlay(ctx, self.library)
        self._vao = ctx.vertex_array(self.library["present"], [])
        self._wrapped: moderngl.Texture | None = None
        self._wrapped_key: tuple[int, tuple[int, int]] | None = None

    def _texture(self, tex: moderngl.Texture) -> moderngl.Texture:
        if tex.ctx is self.ctx:
            return tex
        key = (tex.glo, tex.size)
        if self._wrapped is None or self._wrapped_key != key:
            # external_texture only wraps a name; it never frees the shared texture.
            self._wrapped = self.ctx.external_texture(tex.glo, tex.size, 4, 0, "f1")
            self._wrapped_key = key
        return self._wrapped

    def present(self, tex: moderngl.Texture | None, size: tuple[int, int]) -> None:
        """Draw this display's part of ``tex`` into the window's framebuffer (``size``
        pixels), black around it (all black when ``tex`` is None), then the HUD and error
        panels."""
        ctx = self.ctx
        screen = ctx.screen if ctx.screen is not None else ctx.detect_framebuffer(0)
        screen.use()
        ctx.scissor = None
        ctx.viewport = (0, 0, size[0], size[1])
        ctx.clear(0.0, 0.0, 0.0, 1.0)
        if tex is not None:
            self._draw_view(tex, size)
        self._draw_panel(self.errors, screen, size, bottom=False)
        self._draw_panel(self.hud, screen, size, bottom=True)

    def _draw_view(self, tex: moderngl.Texture, size: tuple[int, int]) -> None:
        ctx = self.ctx
        vx, vy, vw, vh = self.view
        tw, th = tex.size
        ctx.viewport = fit((tw * vw, th * vh), size)
        prog = self.library["present"]
        # Views are given from the top; texture rows start at the bottom.
        prog["u_view"].value = (vx, 1.0 - vy - vh, vw, vh)
        prog["u_frame"].value = 0
        self._texture(tex).use(0)
        ctx.disable(moderngl.BLEND)
        self._vao.render(moderngl.TRIANGLES, vertices=3)
        ctx.viewport = (0, 0, size[0], size[1])

    @staticmethod
    def _draw_panel(
        overlay: TextOverlay, screen: moderngl.Framebuffer, size: tuple[int, int], bottom: bool
    ) -> None:
        if overlay.text:
            # The window's framebuffer object reports the size it was created with; panels
            # are placed in the window's current pixels.
            overlay.draw(_Sized(screen, size), bottom=bottom)

    def release(self) -> None:
        self._vao.release()
        self.hud.release()
        self.errors.release()
        for prog in self.library.programs.values():
            prog.release()


class _Sized:
    """A framebuffer with the size the window has now (pyglet windows are resizable)."""

    def __init__(self, fb: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        self._fb = fb
        self.size = size

    def use(self) -> None:
        self._fb.use()
        self._fb.ctx.viewport = (0, 0, *self.size)
