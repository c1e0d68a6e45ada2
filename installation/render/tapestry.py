"""The tapestry's passes: the woven cloth, the couched Neural Cloud, bloom, composite.

The simulation reaches the GPU once per tick through ``upload`` (textures, instance data and
the mood's uniforms); ``draw`` renders one frame at the output size into ``output`` (an
RGBA8 framebuffer), or into a window's framebuffer too. A frame depends only on the state
and the times given, never on the wall clock or on earlier frames, so offline renders are
reproducible and any frame can be rendered alone (a still, a chunk of a distributed render).

Passes: ``cloth`` (full screen, HDR) -> ``cords`` (their shadows, then the cords, instanced,
blended onto the cloth) -> bloom (``blur`` twice at half size; full quality only) ->
``composite`` (billow, key, focal light, tone map, fade) into ``output``.

``output`` is the picture and nothing else: screenshots and recordings are made from it, so
the operator's panels (shader errors, the HUD) are drawn by the windows' presenters instead
(``render.present``). Every GL object the tapestry makes is released by ``release``,
including the vertex arrays of programs swapped out by a hot reload and, when the tapestry
compiled its own shaders, the library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import moderngl
import numpy as np

from installation.config import QUALITIES
from installation.render.mood import mood, mood_uniforms
from installation.render.shaders import SHADER_DIR, ShaderLibrary
from installation.render.uniforms import INDEX_UNIFORMS, apply, index_values
from installation.simulation import State
from installation.simulation.fields import (
    border_field,
    cloth_field,
    cord_table,
    grid_field,
    map_field,
    sentiment_field,
)

PROGRAMS = {
    "cloth": ("fullscreen.vert", "cloth.frag"),
    "cords": ("cords.vert", "cords.frag"),
    "blur": ("fullscreen.vert", "blur.frag"),
    "composite": ("fullscreen.vert", "composite.frag"),
}

R11F_G11F_B10F = 0x8C3A
CORD_STEPS = 12  # quads along each cord's curve
CORD_FLOATS = 16  # floats per cord or knot in ``cord_table``
BLOOM_WIDTH = 320
# Quality tiers (``QUALITIES``): ``full`` is the whole look; ``draft`` (for slow renderers)
# weaves the cloth at 0.31 of the output's size with fewer, thicker picks, and drops the yarn's
# fuzz and slub, the loose ends in holes, the cords' shadows and the bloom: it costs no more
# than the look before the woven cloth (``canopy bench render`` measures both).


@dataclass(frozen=True)
class Look:
    """Artistic constants of the tapestry.

    Attributes:
        rows: weft rows (picks) over the cloth's height: 180 over 0.855 of the picture is
            about 210 over its height (ART.md asks 120 to 400). Coarser picks read as beads
            or wicker to fresh eyes; at 180 a pick is ~5 pixels at 1080p at full quality, so
            the ribs over the warps and the picks across them show, and at 1280x720 the
            picks fade to their ribs and the yarns' mean colour (filtered, not aliased).
        cord: half width of the heaviest Neural Cloud cord, canopy units.
        bloom_threshold: brightness above which light blooms.
        bloom_strength: how strongly bloom is added.
        quality: ``full`` or ``draft`` (see ``QUALITIES``).
        scale: size of the cloth pass relative to the output (the composite scales it up).
            0.50 in the full tier keeps its cost within twice the old look's on llvmpipe at
            1280x720 (llvmpipe pays for every shader branch on every pixel: it runs both
            sides under a mask; see the README's figures); a warp rib is then ~3.5 cloth
            pixels there and the picks fade into it; from 1080p up every thread is drawn;
            ``draft`` uses 0.31.
        cloth_rect: where the woven cloth hangs in the picture (x, y of its top left,
            width, height; 0..1, y down): the rest is its rod, fringe and the wall.
    """

    rows: float = 180.0
    cord: float = 0.0072
    bloom_threshold: float = 1.1
    bloom_strength: float = 0.15
    quality: str = "full"
    scale: float = 0.5
    cloth_rect: tuple[float, float, float, float] = (0.035, 0.06, 0.93, 0.855)

    def __post_init__(self) -> None:
        """Refuse a quality tier that is not one of ``QUALITIES``."""
        if self.quality not in QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, not {self.quality!r}")

    @classmethod
    def tier(cls, quality: str) -> Look:
        """The look of a quality tier (``QUALITIES``)."""
        return cls() if quality == "full" else cls(quality=quality, scale=0.31, rows=80.0)


def _texture(fbo: moderngl.Framebuffer) -> moderngl.Texture:
    """The colour texture of a framebuffer made by ``Tapestry._target`` (always a texture)."""
    return cast(moderngl.Texture, fbo.color_attachments[0])


class Tapestry:
    """Owns every GL object of the tapestry for one output size.

    Args:
        ctx: the GL context (from ``installation.render.context``).
        size: output (width, height) in pixels.
        library: shader programs, owned by the caller; when None the tapestry compiles its
            own from ``shaders/`` (and releases it with itself).
        look: artistic constants.
        shader_dir: with no ``library``, a folder whose files override the built-in shaders
            (``[show] shader_dir``).
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        size: tuple[int, int],
        library: ShaderLibrary | None = None,
        look: Look = Look(),
        shader_dir: str | Path | None = None,
    ) -> None:
        """Compile (or take) the shaders; textures and buffers are made at the first upload."""
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self.look = look
        defines = {"QUALITY": 1 if look.quality == "full" else 0}
        # (A library without the define compiles the full tier: the shaders default to it.)
        if library is not None and library.defines.get("QUALITY", 1) != defines["QUALITY"]:
            raise ValueError("the shader library was compiled for another quality tier")
        self._owns_library = library is None
        self.library = library or ShaderLibrary(
            ctx,
            PROGRAMS,
            SHADER_DIR,
            defines=defines,
            overrides=Path(shader_dir) if shader_dir else None,
        )
        self.frame = 0
        # The audio clock's value at the next upload; its one rule is ``app/audio_clock.py``.
        self.audio_time = 0.0
        self.fade = 1.0  # gallery hours: 1 the full picture, 0 black
        self._tex: dict[str, moderngl.Texture] = {}
        # Per pass: the program its vertex array was made for, and the array. A hot reload
        # swaps (and releases) programs; the array is remade, the old one released, when
        # the library's program is no longer the one it was made for (compared by identity:
        # an id() could be reused by the new program).
        self._fullscreen: dict[str, tuple[moderngl.Program, moderngl.VertexArray]] = {}
        self._cords_vao: moderngl.VertexArray | None = None
        self._cords_program: moderngl.Program | None = None
        self._instances: moderngl.Buffer | None = None
        self._instance_count = 0
        self._map_source: np.ndarray | None = None
        self._static: dict[str, object] = {}
        self._uniforms: dict[str, object] = {}
        self._previous: dict | None = None
        self._current: dict | None = None
        self._alpha = 1.0
        self._make_targets()
        # A cord is a strip of CORD_STEPS quads along its length (across -1..1, along -1..1),
        # so the vertex shader can lay it in a gentle curve, as a hand couches it.
        along = np.repeat(np.linspace(-1.0, 1.0, CORD_STEPS + 1), 2)
        across = np.tile([-1.0, 1.0], CORD_STEPS + 1)
        corners = np.stack([across, along], axis=1).astype("f4")
        self._corner = ctx.buffer(corners.tobytes())

    def _make_targets(self) -> None:
        """The render targets for ``self.size``: the cloth, the bloom's two, ``output``."""
        w, h = self.size
        # Bloom at a fixed size whatever the output's (at most 320 wide), so the glow spreads
        # over the same share of the picture at 720p and at 8K.
        bloom_w = min(w, BLOOM_WIDTH)
        hw, hh = max(bloom_w, 1), max(round(h * bloom_w / w), 1)
        cw, ch = max(round(w * self.look.scale), 1), max(round(h * self.look.scale), 1)
        # The cloth and its cords in linear HDR light (gold and embers exceed 1 and bloom).
        self._cloth = self._target((cw, ch))
        self._bloom = [self._target((hw, hh)), self._target((hw, hh))]
        out_tex = self.ctx.texture((w, h), 4, dtype="f1")
        self.output = self.ctx.framebuffer(color_attachments=[out_tex])

    def rescale(self, size: tuple[int, int]) -> None:
        """Draw at another output size from the next frame on, re-making only the targets.

        For the live show's adaptive render scale (``app/render_scale.py``) and its windows'
        resizes: the state's textures, the cords, the shaders and the two uploads that
        ``interpolate`` blends are kept, so the next frame is the one this tapestry would
        have drawn, at the new size (``u_resolution`` follows it). The old targets are
        released; ``output`` is a new framebuffer.
        """
        size = (int(size[0]), int(size[1]))
        if size == self.size:
            return
        self._release_targets()
        self.size = size
        self._make_targets()
        resolution = (float(size[0]), float(size[1]))
        for uploaded in (self._previous, self._current):
            if uploaded is not None:
                uploaded["uniforms"]["u_resolution"] = resolution
        if "u_resolution" in self._uniforms:
            self._uniforms["u_resolution"] = resolution

    def _release_targets(self) -> None:
        """Release the render targets ``_make_targets`` made (cloth, bloom, output)."""
        # moderngl re-binds "the previous framebuffer" after creating or clearing one; make
        # that the default framebuffer, not one of ours that is about to be deleted.
        (self.ctx.screen or self.ctx.detect_framebuffer(0)).use()
        for fb in (self._cloth, *self._bloom, self.output):
            for att in fb.color_attachments:
                att.release()
            fb.release()

    def _target(self, size: tuple[int, int]) -> moderngl.Framebuffer:
        # Packed floats: HDR light at 32 bits a pixel (half the bandwidth of RGBA16F, which
        # costs llvmpipe about 15 ms a 720p frame more over the cords, bloom and composite).
        tex = self.ctx.texture(size, 3, dtype="f4", internal_format=R11F_G11F_B10F)
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
        sentiment = sentiment_field(state)
        look = mood(state, sentiment[..., 0])
        self._current = {
            "u_sentiment": sentiment,
            "u_cloth": cloth_field(state),
            "uniforms": {
                **index_values(
                    state.indices, state.time, self.audio_time, state.loudness, self.size
                ),
                **mood_uniforms(look),
                "u_cloth_rect": self.look.cloth_rect,
            },
        }
        self._alpha = 1.0
        self._texture("u_sentiment", sentiment, "f4", linear=True)
        self._texture("u_grid", grid_field(state), "f1", linear=True)
        self._texture("u_cloth", self._current["u_cloth"], "f4", linear=True)
        # The districts' map is fixed for a world: made once per community layout.
        if self._map_source is not state.community:
            districts = map_field(state)
            self._texture("u_map", districts, "f1", linear=False)
            self._texture("u_border", border_field(districts), "f4", linear=True)
            self._map_source = state.community
        data = cord_table(state).tobytes()
        if self._instances is None or self._instances.size != len(data):
            if self._instances is not None:
                self._instances.release()
            self._instances = self.ctx.buffer(data)
            self._cords_program = None  # the vertex array binds the old buffer: remake it
        else:
            self._instances.write(data)
        self._instance_count = len(data) // (CORD_FLOATS * 4)
        colours = np.zeros((16, 3), dtype="f4")
        colours[: len(state.colours)] = state.colours
        self._static = {
            "u_colours": [tuple(map(float, c)) for c in colours],
            "u_communities": len(state.colours),
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
        for name in ("u_sentiment", "u_cloth"):
            a, b = prev[name], cur[name]
            if a.shape == b.shape:
                self._tex[name].write((a + (b - a) * np.float32(alpha)).tobytes())
        for key, b in cur["uniforms"].items():
            a = prev["uniforms"].get(key, b)
            clock = key in ("u_time", "u_audio_time")  # both clocks run between the ticks
            if clock or (key in INDEX_UNIFORMS and isinstance(b, float)):
                self._uniforms[key] = a + (b - a) * alpha

    def texture_data(self, name: str) -> np.ndarray:
        """The texture ``name`` (a ``TEXTURES`` entry uploaded from the state) as float32 data.

        Flat, in the texture's own row order; for tests and diagnostics (reads back from GL).
        """
        tex = self._tex[name]
        dtype = np.float32 if tex.dtype == "f4" else np.uint8
        return np.frombuffer(tex.read(), dtype=dtype).astype(np.float32)

    def uniform(self, name: str) -> object:
        """The value the passes will be given for the shared uniform ``name`` this frame."""
        return self._uniforms[name]

    # ------------------------------------------------------------------ draw

    def _quad(self, name: str) -> moderngl.VertexArray:
        """The full-screen triangle's vertex array for program ``name``.

        Remade after a reload swapped the program, the old array released.
        """
        prog = self.library[name]
        made = self._fullscreen.get(name)
        if made is not None and made[0] is prog:
            return made[1]
        if made is not None:
            made[1].release()
        vao = self.ctx.vertex_array(prog, [])
        self._fullscreen[name] = (prog, vao)
        return vao

    def _pass(
        self,
        name: str,
        target: moderngl.Framebuffer,
        textures: Mapping[str, moderngl.Texture],
        extra: Mapping[str, object] | None = None,
        between: Callable[[], None] | None = None,
        bands: int = 1,
    ) -> None:
        prog = self.library[name]
        apply(prog, self._uniforms)
        if extra:
            apply(prog, extra)
        for unit, (uname, tex) in enumerate(textures.items()):
            if uname in prog:
                prog[uname] = unit
            tex.use(location=unit)
        target.use()
        if between is None or bands <= 1:
            self._quad(name).render(moderngl.TRIANGLES, vertices=3)
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
            self._quad(name).render(moderngl.TRIANGLES, vertices=3)
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
        look = self.look
        self.ctx.disable(moderngl.BLEND)
        cloth_inputs = {
            k: self._tex[k] for k in ("u_sentiment", "u_grid", "u_cloth", "u_map", "u_border")
        }
        self._pass(
            "cloth",
            self._cloth,
            cloth_inputs,
            {**self._static, "u_rows": look.rows},
            between,
            bands=6,
        )
        self._draw_cords(self._cloth)
        full = look.quality == "full"
        if full:
            # Bloom: bright pass folded into the horizontal blur.
            self._pass(
                "blur",
                self._bloom[1],
                {"u_source": _texture(self._cloth)},
                {"u_direction": (1.0, 0.0), "u_threshold": look.bloom_threshold},
                between,
            )
            self._pass(
                "blur",
                self._bloom[0],
                {"u_source": _texture(self._bloom[1])},
                {"u_direction": (0.0, 1.0), "u_threshold": 0.0},
                between,
            )
        composite = {
            "u_frame": _texture(self._cloth),
            "u_bloom": _texture(self._bloom[0]),
        }
        extra = {"u_bloom_strength": look.bloom_strength, "u_fade": self.fade}
        # A shader that failed to reload keeps its last good program; its error is the
        # operator's business (the presenter's panel), never part of the picture.
        for target in (self.output, screen) if screen is not None else (self.output,):
            self._pass("composite", target, composite, extra, between, bands=2)
        self.frame += 1

    def _draw_cords(self, target: moderngl.Framebuffer) -> None:
        """The cords' soft shadows onto the cloth, then the cords themselves over them."""
        prog = self.library["cords"]
        if self._cords_vao is None or self._cords_program is not prog:
            if self._cords_vao is not None:
                self._cords_vao.release()
            self._cords_vao = self.ctx.vertex_array(
                prog,
                [
                    (self._corner, "2f", "in_corner"),
                    (
                        self._instances,
                        "4f 4f 4f 4f/i",
                        "in_segment",
                        "in_state",
                        "in_yarns",
                        "in_course",
                    ),
                ],
            )
            self._cords_program = prog
        apply(prog, self._uniforms)
        apply(prog, {**self._static, "u_thickness": self.look.cord, "u_rows": self.look.rows})
        target.use()
        self.ctx.enable(moderngl.BLEND)
        for shadow in (1.0, 0.0) if self.look.quality == "full" else (0.0,):
            apply(prog, {"u_shadow": shadow})
            # Shadows darken (ordinary alpha); cords are premultiplied (their glow adds).
            self.ctx.blend_func = (
                (moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA)
                if shadow
                else (moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA)
            )
            self._cords_vao.render(
                moderngl.TRIANGLE_STRIP,
                vertices=2 * (CORD_STEPS + 1),
                instances=self._instance_count,
            )
        self.ctx.disable(moderngl.BLEND)

    def read(self) -> np.ndarray:
        """The last frame as an (H, W, 3) uint8 array, top row first."""
        w, h = self.size
        data = self.output.read(components=3, alignment=1)
        return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1]

    def resized(self, size: tuple[int, int]) -> Tapestry:
        """Return a tapestry of another output size; this one is released.

        The new one takes over this one's shaders (and their ownership) and audio clock. Upload a
        state before drawing.
        """
        new = Tapestry(self.ctx, size, library=self.library, look=self.look)
        new.audio_time = self.audio_time
        new.fade = self.fade
        new._owns_library, self._owns_library = self._owns_library, False
        self.release()
        return new

    def release(self) -> None:
        """Free every GL object this tapestry created.

        Its shaders too, when it compiled them itself.
        """
        self._release_targets()
        for tex in self._tex.values():
            tex.release()
        for _, vao in self._fullscreen.values():
            vao.release()
        self._fullscreen.clear()
        if self._cords_vao is not None:
            self._cords_vao.release()
            self._cords_vao = None
        if self._instances is not None:
            self._instances.release()
        self._corner.release()
        if self._owns_library:
            self.library.release()
            self._owns_library = False
