"""The tapestry's passes: weave (with feedback trails), Neural Cloud, bloom, composite.

The simulation reaches the GPU once per tick through ``upload`` (textures and instance
data); ``draw`` renders one frame at the output size into ``output`` (an RGBA8 framebuffer),
or into a window's framebuffer. The picture depends only on the state and the times given,
never on the wall clock, so offline renders are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import moderngl
import numpy as np

from installation.render.overlay import TextOverlay
from installation.render.shaders import SHADER_DIR, ShaderLibrary
from installation.render.uniforms import INDEX_UNIFORMS, apply, index_values
from installation.simulation import State
from installation.simulation.fields import (
    grid_field,
    growth_field,
    link_table,
    node_table,
    sentiment_field,
)

PROGRAMS = {
    "weave": ("fullscreen.vert", "weave.frag"),
    "cloud": ("cloud.vert", "cloud.frag"),
    "blur": ("fullscreen.vert", "blur.frag"),
    "composite": ("fullscreen.vert", "composite.frag"),
    "overlay": ("fullscreen.vert", "overlay.frag"),
}


@dataclass(frozen=True)
class Look:
    """Artistic constants of the tapestry."""

    threads: float = 160.0
    persistence: float = 0.82
    bloom_threshold: float = 0.55
    bloom_strength: float = 0.8
    filament: float = 0.0025


class Tapestry:
    """Owns every GL object of the tapestry for one output size.

    Args:
        ctx: the GL context (from ``installation.render.context``).
        size: output (width, height) in pixels.
        library: shader programs; a new library from ``shaders/`` when None.
        look: artistic constants.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        size: tuple[int, int],
        library: ShaderLibrary | None = None,
        look: Look = Look(),
    ) -> None:
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self.look = look
        self.library = library or ShaderLibrary(ctx, PROGRAMS, SHADER_DIR)
        self.overlay = TextOverlay(ctx, self.library)
        self.frame = 0
        self.audio_time = 0.0
        self.fade = 1.0  # gallery hours: 1 the full picture, 0 black
        self._tex: dict[str, moderngl.Texture] = {}
        self._fullscreen: dict[int, moderngl.VertexArray] = {}
        self._cloud_vao: moderngl.VertexArray | None = None
        self._cloud_generation = -1
        self._instances: moderngl.Buffer | None = None
        self._instance_count = 0
        self._static: dict[str, object] = {}
        self._uniforms: dict[str, object] = {}
        self._previous: dict | None = None
        self._current: dict | None = None
        self._alpha = 1.0
        w, h = self.size
        hw, hh = max(w // 2, 1), max(h // 2, 1)
        # The weave pass reads last frame's picture for its trails: ping-pong two targets.
        self._feedback = [self._target((w, h)), self._target((w, h))]
        self._bloom = [self._target((hw, hh)), self._target((hw, hh))]
        out_tex = ctx.texture((w, h), 4, dtype="f1")
        self.output = ctx.framebuffer(color_attachments=[out_tex])
        self._corner = ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4").tobytes())
        for fb in (self._feedback[0], self._feedback[1]):
            # use() first: moderngl's clear() re-binds the previously bound framebuffer,
            # which may be one a released tapestry deleted.
            fb.use()
            fb.clear(0.0, 0.0, 0.0, 1.0)

    def _target(self, size: tuple[int, int]) -> moderngl.Framebuffer:
        tex = self.ctx.texture(size, 4, dtype="f1")
        tex.repeat_x = tex.repeat_y = False
        return self.ctx.framebuffer(color_attachments=[tex])

    # ------------------------------------------------------------------ upload

    def _texture(
        self, name: str, data: np.ndarray, dtype: str, linear: bool, repeat: bool = False
    ) -> None:
        h, w, c = data.shape
        tex = self._tex.get(name)
        if tex is None or tex.size != (w, h) or tex.components != c:
            if tex is not None:
                tex.release()
            tex = self.ctx.texture((w, h), c, dtype=dtype)
            tex.filter = (
                (moderngl.LINEAR, moderngl.LINEAR)
                if linear
                else (moderngl.NEAREST, moderngl.NEAREST)
            )
            tex.repeat_x = tex.repeat_y = repeat
            self._tex[name] = tex
        tex.write(np.ascontiguousarray(data).tobytes())

    def upload(self, state: State, loudness: float | None = None) -> None:
        """Send one tick's state to the GPU (the previous tick is kept for ``interpolate``)."""
        self._previous = self._current
        self._current = {
            "u_sentiment": sentiment_field(state),
            "u_growth": growth_field(state),
            "uniforms": index_values(
                state.indices, state.time, self.audio_time, state.loudness, self.size
            ),
        }
        self._alpha = 1.0
        self._texture("u_sentiment", self._current["u_sentiment"], "f4", linear=True)
        self._texture("u_grid", grid_field(state), "f1", linear=False)
        self._texture("u_growth", self._current["u_growth"], "f4", linear=True, repeat=True)
        links = link_table(state)
        nodes = node_table(state)
        inst = np.zeros((len(links) + len(nodes), 6), dtype="f4")
        inst[: len(links), 0:4] = links[:, 0:4]
        inst[: len(links), 4] = links[:, 4]
        inst[: len(links), 5] = 0.0
        inst[len(links) :, 0:2] = nodes[:, 0:2]
        inst[len(links) :, 2:4] = nodes[:, 0:2]
        inst[len(links) :, 4:6] = nodes[:, 2:4]
        data = inst.tobytes()
        if self._instances is None or self._instances.size != len(data):
            if self._instances is not None:
                self._instances.release()
            self._instances = self.ctx.buffer(data)
            self._cloud_generation = -1
        else:
            self._instances.write(data)
        self._instance_count = len(inst)
        colours = np.zeros((16, 3), dtype="f4")
        colours[: len(state.colours)] = state.colours
        self._static = {
            "u_colours": [tuple(map(float, c)) for c in colours],
            "u_canopy": (float(state.world.width), float(state.world.height)),
        }
        self._uniforms = dict(self._current["uniforms"])

    def interpolate(self, alpha: float) -> None:
        """Show the state ``alpha`` of the way from the previous upload to the last one.

        The live show renders faster than the simulation ticks on a fast GPU; blending the
        smooth fields (sentiment, growth) and the indices keeps motion fluid. The grid
        (power, community) and the cloud are discrete and show the latest tick. Offline
        renders never call this: each frame shows exactly its tick (``alpha`` = 1).
        """
        alpha = float(min(max(alpha, 0.0), 1.0))
        prev, cur = self._previous, self._current
        if prev is None or cur is None or alpha == self._alpha:
            return
        self._alpha = alpha
        for name in ("u_sentiment", "u_growth"):
            a, b = prev[name], cur[name]
            if a.shape == b.shape:
                self._tex[name].write((a + (b - a) * np.float32(alpha)).tobytes())
        for key, b in cur["uniforms"].items():
            a = prev["uniforms"].get(key, b)
            if key in ("u_time",) or (key in INDEX_UNIFORMS and isinstance(b, float)):
                self._uniforms[key] = a + (b - a) * alpha

    def advance_audio_clock(self, dt: float, loudness: float) -> None:
        """The audio clock runs faster when the room is loud (1x to 3x)."""
        self.audio_time += dt * (1.0 + 2.0 * min(max(loudness, 0.0), 1.0))
        self._uniforms["u_audio_time"] = self.audio_time

    # ------------------------------------------------------------------ draw

    def _quad(self, program: moderngl.Program) -> moderngl.VertexArray:
        key = id(program)
        vao = self._fullscreen.get(key)
        if vao is None:
            vao = self.ctx.vertex_array(program, [])
            self._fullscreen = {
                key: vao,
                **{
                    k: v
                    for k, v in self._fullscreen.items()
                    if k in {id(p) for p in self.library.programs.values()}
                },
            }
        return vao

    def _pass(
        self,
        name: str,
        target: moderngl.Framebuffer,
        textures: dict[str, object],
        extra: dict[str, object] | None = None,
        between: Callable[[], None] | None = None,
        bands: int = 1,
    ) -> None:
        prog = self.library[name]
        apply(prog, self._uniforms)
        if extra:
            apply(prog, extra)
        for unit, (uname, tex) in enumerate(textures.items()):
            if uname in prog:
                prog[uname].value = unit
            tex.use(location=unit)
        target.use()
        if between is None or bands <= 1:
            self._quad(prog).render(moderngl.TRIANGLES, vertices=3)
            if between is not None:
                self.ctx.finish()
                between()
            return
        # Horizontal bands, each finished before ``between`` runs: the live loop applies due
        # ticks there, so inputs never wait for a whole frame (llvmpipe blocks while drawing).
        w, h = target.size
        for i in range(bands):
            y0, y1 = h * i // bands, h * (i + 1) // bands
            self.ctx.scissor = (0, y0, w, y1 - y0)
            self._quad(prog).render(moderngl.TRIANGLES, vertices=3)
            self.ctx.finish()
            between()
        self.ctx.scissor = None

    def draw(
        self, screen: moderngl.Framebuffer | None = None, between: Callable[[], None] | None = None
    ) -> None:
        """Render one frame into ``self.output`` (and also to ``screen`` when given).

        Args:
            screen: a window's framebuffer to draw to as well.
            between: called between slices of the work (after each band of the heavy
                passes), so a live loop can apply due ticks while a slow renderer draws.
        """
        if "u_grid" not in self._tex:
            raise RuntimeError("upload a state before drawing")
        ctx = self.ctx
        look = self.look
        ctx.disable(moderngl.BLEND)
        prev, cur = self._feedback[self.frame % 2], self._feedback[(self.frame + 1) % 2]
        weave_inputs = {k: self._tex[k] for k in ("u_sentiment", "u_grid", "u_growth")}
        weave_inputs["u_previous"] = prev.color_attachments[0]
        self._pass(
            "weave",
            cur,
            weave_inputs,
            {**self._static, "u_threads": look.threads, "u_persistence": look.persistence},
            between,
            bands=6,
        )
        # Bloom at half resolution: bright pass folded into the horizontal blur.
        self._pass(
            "blur",
            self._bloom[1],
            {"u_source": cur.color_attachments[0]},
            {"u_direction": (2.0, 0.0), "u_threshold": look.bloom_threshold},
            between,
        )
        self._pass(
            "blur",
            self._bloom[0],
            {"u_source": self._bloom[1].color_attachments[0]},
            {"u_direction": (0.0, 1.0), "u_threshold": 0.0},
            between,
        )
        composite = {
            "u_frame": cur.color_attachments[0],
            "u_bloom": self._bloom[0].color_attachments[0],
        }
        extra = {"u_bloom_strength": look.bloom_strength, "u_fade": self.fade}
        # The Neural Cloud glows on top of the finished cloth (added after the trails, which
        # would otherwise accumulate it frame after frame).
        # A shader that failed to reload is shown over the picture (the last good program
        # keeps rendering) until a fixed edit clears it.
        self.overlay.set_text(self.library.error_text)
        for target in (self.output, screen) if screen is not None else (self.output,):
            self._pass("composite", target, composite, extra, between, bands=2)
            self._draw_cloud(target)
            self.overlay.draw(target)
        self.frame += 1

    def _draw_cloud(self, target: moderngl.Framebuffer) -> None:
        prog = self.library["cloud"]
        if self._cloud_vao is None or self._cloud_generation != self.library.generation:
            if self._cloud_vao is not None:
                self._cloud_vao.release()
            self._cloud_vao = self.ctx.vertex_array(
                prog,
                [
                    (self._corner, "2f", "in_corner"),
                    (self._instances, "4f 2f/i", "in_segment", "in_state"),
                ],
            )
            self._cloud_generation = self.library.generation
        apply(prog, self._uniforms)
        apply(prog, {"u_thickness": self.look.filament})
        target.use()
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.ONE, moderngl.ONE
        self._cloud_vao.render(moderngl.TRIANGLE_STRIP, vertices=4, instances=self._instance_count)
        self.ctx.disable(moderngl.BLEND)

    def read(self) -> np.ndarray:
        """The last frame as an (H, W, 3) uint8 array, top row first."""
        w, h = self.size
        data = self.output.read(components=3, alignment=1)
        return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1]

    def release(self) -> None:
        """Free every GL object this tapestry created."""
        # moderngl re-binds "the previous framebuffer" after creating or clearing one; make
        # that the default framebuffer, not one of ours that is about to be deleted.
        (self.ctx.screen or self.ctx.detect_framebuffer(0)).use()
        for tex in self._tex.values():
            tex.release()
        for fb in (*self._feedback, *self._bloom, self.output):
            for att in fb.color_attachments:
                att.release()
            fb.release()
        for vao in self._fullscreen.values():
            vao.release()
        if self._cloud_vao is not None:
            self._cloud_vao.release()
        if self._instances is not None:
            self._instances.release()
        self._corner.release()
        self.overlay.release()
