"""Text over the picture for the operator: the shader-error overlay and the HUD.

Text is rasterised on the CPU with Pillow's built-in font into a small RGBA texture, only
when it changes, and blended over the frame's top-left corner by ``overlay.frag``.
"""

from __future__ import annotations

from typing import Protocol

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from installation.render.shaders import ShaderLibrary
from installation.render.uniforms import apply

PADDING = 10
MAX_LINES = 12
MAX_CHARS = 110


def rasterise(text: str, size: int, colour: tuple[int, int, int]) -> np.ndarray:
    """``text`` on a dark translucent panel as a premultiplied (H, W, 4) uint8 image."""
    lines = []
    for raw in text.splitlines()[:MAX_LINES]:
        lines.append(raw if len(raw) <= MAX_CHARS else raw[: MAX_CHARS - 1] + "…")
    font = ImageFont.load_default(size=size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    width = max((int(probe.textlength(ln, font=font)) for ln in lines), default=1)
    height = len(lines) * (size + 4)
    img = Image.new("RGBA", (width + 2 * PADDING, height + 2 * PADDING), (10, 4, 4, 215))
    draw = ImageDraw.Draw(img)
    for i, ln in enumerate(lines):
        draw.text((PADDING, PADDING + i * (size + 4)), ln, font=font, fill=(*colour, 255))
    a = np.asarray(img, dtype=np.float32)
    a[..., :3] *= a[..., 3:4] / 255.0
    return a.astype(np.uint8)


class DrawTarget(Protocol):
    """What a panel is drawn into: a framebuffer, or one that knows the window's size now."""

    @property
    def size(self) -> tuple[int, int]:
        """The target's (width, height) in pixels."""
        ...

    def use(self) -> None:
        """Bind the target for drawing."""
        ...


class TextOverlay:
    """One text panel drawn over the top-left corner of a framebuffer."""

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary) -> None:
        """An empty panel; its texture and vertex array are made at the first draw with text."""
        self.ctx = ctx
        self.library = library
        self.text = ""
        self._tex: moderngl.Texture | None = None
        self._vao: moderngl.VertexArray | None = None
        self._vao_program: moderngl.Program | None = None

    def set_text(
        self, text: str, size: int = 15, colour: tuple[int, int, int] = (255, 120, 100)
    ) -> None:
        """Show ``text`` ('' hides the panel); re-rasterises only when it changes."""
        if text == self.text:
            return
        self.text = text
        if self._tex is not None:
            self._tex.release()
            self._tex = None
        if text:
            img = rasterise(text, size, colour)
            self._tex = self.ctx.texture((img.shape[1], img.shape[0]), 4, img.tobytes())
            self._tex.filter = (moderngl.NEAREST, moderngl.NEAREST)

    def draw(self, target: DrawTarget, bottom: bool = False) -> None:
        """Blend the panel over ``target``'s top-left corner (bottom-left with ``bottom``).

        Nothing when there is no text.
        """
        if self._tex is None:
            return
        prog = self.library["overlay"]
        if self._vao is None or self._vao_program is not prog:
            # A hot reload swapped (and released) the program: remake the array, free the old.
            if self._vao is not None:
                self._vao.release()
            self._vao = self.ctx.vertex_array(prog, [])
            self._vao_program = prog
        w, h = target.size
        tw, th = self._tex.size
        scale = min(1.0, (w - 16) / tw)  # never wider than the picture
        pw, ph = tw * scale / w, th * scale / h
        y = 8 / h if bottom else 1.0 - 8 / h - ph
        apply(prog, {"u_panel": (8 / w, y, pw, ph), "u_overlay": 0})  # what it uses
        self._tex.use(0)
        target.use()
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA
        self._vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.blend_func = moderngl.ONE, moderngl.ONE
        self.ctx.disable(moderngl.BLEND)

    def reset(self) -> None:
        """Forget the vertex array (made again at the next ``draw``).

        E.g. after the window it draws in was re-created.
        """
        if self._vao is not None:
            self._vao.release()
        self._vao = self._vao_program = None

    def release(self) -> None:
        """Free the panel's texture and vertex array (the programs are the library's)."""
        if self._tex is not None:
            self._tex.release()
            self._tex = None
        self.reset()
        self.text = ""
