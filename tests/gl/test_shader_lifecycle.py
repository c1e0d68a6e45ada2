"""A venue's own shader folder, hot reload of every library (the presenters' too).

No GL object leaked across reloads and releases, and the shader-error panel kept out of the
tapestry's picture and on the operator's window.

Live GL objects are counted by the driver itself (``glIs*`` over the object names, through
glvnd's libGL on the test's real EGL context), not by moderngl's Python wrappers, so an
array dropped without ``release`` is seen.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from installation.config import WorldConfig
from installation.inputs import EMPTY_FRAME
from installation.render.present import Presenter
from installation.render.shaders import (
    SHADER_DIR,
    ShaderLibrary,
    ShaderWatcher,
    shader_dir_problem,
)
from installation.render.tapestry import PROGRAMS, Tapestry
from installation.simulation import create_world, step

SMALL = WorldConfig(seed=2, height=64, width=64, citizens=3000, nodes=32, growth_resolution=32)
SIZE = (240, 135)
KINDS = (
    "glIsBuffer",
    "glIsTexture",
    "glIsFramebuffer",
    "glIsRenderbuffer",
    "glIsVertexArray",
    "glIsProgram",
    "glIsShader",
)
# A flat composite: the picture becomes one colour, defined in an include the venue's folder
# overrides (common.glsl exists in shaders/include too, without FLAT).
FLAT_COMPOSITE = """#version 330
#include "indices.glsl"
#include "common.glsl"
in vec2 v_uv;
out vec4 f_colour;
void main() {
    f_colour = vec4(FLAT, 1.0);
}
"""


def _gl() -> ctypes.CDLL:
    for name in ("libGL.so.1", "libOpenGL.so.0"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for kind in KINDS:
            fn = getattr(lib, kind)
            fn.restype, fn.argtypes = ctypes.c_ubyte, [ctypes.c_uint]
        return lib
    pytest.fail("neither libGL.so.1 nor libOpenGL.so.0 can be loaded (install libgl1)")


def _next_names(gl: ctypes.CDLL) -> dict[str, int]:
    """The name each kind of object would get now (made and deleted at once)."""
    out = {}
    for kind, gen, delete in (
        ("glIsBuffer", "glGenBuffers", "glDeleteBuffers"),
        ("glIsTexture", "glGenTextures", "glDeleteTextures"),
        ("glIsFramebuffer", "glGenFramebuffers", "glDeleteFramebuffers"),
        ("glIsRenderbuffer", "glGenRenderbuffers", "glDeleteRenderbuffers"),
        ("glIsVertexArray", "glGenVertexArrays", "glDeleteVertexArrays"),
    ):
        name = ctypes.c_uint(0)
        getattr(gl, gen)(1, ctypes.byref(name))
        getattr(gl, delete)(1, ctypes.byref(name))
        out[kind] = name.value
    gl.glCreateProgram.restype = gl.glCreateShader.restype = ctypes.c_uint
    prog = gl.glCreateProgram()
    shader = gl.glCreateShader(0x8B30)
    gl.glDeleteProgram(prog)
    gl.glDeleteShader(shader)
    out["glIsProgram"] = out["glIsShader"] = max(prog, shader)  # one namespace in Mesa
    return out


def live_objects() -> Counter:
    """How many GL objects of each kind are alive in the current context.

    Mesa gives some kinds the lowest free name and others ever-growing ones, so each kind
    is scanned well past the name a new object would get now. The program in use is
    unbound first: GL keeps a deleted program (and its shaders) until it stops being used,
    which is not a leak.
    """
    gl = _gl()
    gl.glUseProgram(0)
    limits = _next_names(gl)
    return Counter(
        {kind: sum(getattr(gl, kind)(n) for n in range(1, limits[kind] + 1024)) for kind in KINDS}
    )


def world():
    state = create_world(SMALL)
    for _ in range(10):
        step(state, EMPTY_FRAME, 1 / 30)
    return state


def write(path: Path, text: str, tick: int) -> None:
    """Write a shader and give it a distinct modification time.

    So that edits faster than the file system's clock are still seen as changes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    ns = 1_700_000_000_000_000_000 + tick * 1_000_000_000
    os.utime(path, ns=(ns, ns))


def flat_common(rgb: tuple[float, float, float]) -> str:
    base = (SHADER_DIR / "include" / "common.glsl").read_text()
    return base + f"\nconst vec3 FLAT = vec3({rgb[0]}, {rgb[1]}, {rgb[2]});\n"


def drawn(tap: Tapestry, state) -> np.ndarray:
    tap.upload(state)
    tap.draw()
    return tap.read()


def is_flat(img: np.ndarray, rgb: tuple[float, float, float]) -> bool:
    want = np.round(np.array(rgb) * 255)
    return bool(np.all(np.abs(img.astype(float) - want) <= 1.5))


def test_a_venue_folder_overrides_shaders_and_includes_hot_reloads_and_survives_breakage(
    ctx, tmp_path, caplog
):
    venue = tmp_path / "venue-shaders"
    write(venue / "composite.frag", FLAT_COMPOSITE, 1)
    write(venue / "include" / "common.glsl", flat_common((0.2, 0.4, 0.6)), 1)
    state = world()
    tap = Tapestry(ctx, SIZE, shader_dir=venue)
    watcher = ShaderWatcher(tap.library)
    try:
        # The override and its include (replacing the built-in common.glsl) are used.
        assert is_flat(drawn(tap, state), (0.2, 0.4, 0.6))
        # An edit of the include is noticed and hot-reloaded.
        write(venue / "include" / "common.glsl", flat_common((0.6, 0.2, 0.1)), 2)
        assert venue / "include" / "common.glsl" in watcher.poll_once()
        assert "composite" in tap.library.reload_pending()
        assert is_flat(drawn(tap, state), (0.6, 0.2, 0.1))
        # A broken edit keeps the last good program, and its error names the venue's file.
        write(venue / "composite.frag", FLAT_COMPOSITE.replace("FLAT, 1.0", "FLAT 1.0"), 3)
        watcher.poll_once()
        with caplog.at_level(logging.ERROR):
            assert "composite" not in tap.library.reload_pending()
        assert f"{venue / 'composite.frag'}:7" in tap.library.errors["composite"]
        assert "keeping the last good one" in caplog.text
        assert is_flat(drawn(tap, state), (0.6, 0.2, 0.1))
        # Removing the override brings the built-in look back (a vanished file is a change).
        (venue / "composite.frag").unlink()
        watcher.poll_once()
        assert "composite" in tap.library.reload_pending() and not tap.library.errors
        control = Tapestry(ctx, SIZE)
        try:
            assert np.array_equal(drawn(tap, state), drawn(control, state))
        finally:
            control.release()
    finally:
        tap.release()


def test_a_broken_or_missing_venue_folder_never_stops_the_show(ctx, tmp_path, caplog):
    missing = tmp_path / "not-mounted"
    assert "does not exist" in shader_dir_problem(missing)
    assert shader_dir_problem(tmp_path) == "" and shader_dir_problem("") == ""
    (tmp_path / "a-file").write_text("")
    assert "is not a folder" in shader_dir_problem(tmp_path / "a-file")
    state = world()
    control = Tapestry(ctx, SIZE)
    reference = drawn(control, state)
    # A missing folder: the built-in shaders, watched there in case it appears later.
    tap = Tapestry(ctx, SIZE, shader_dir=missing)
    watcher = ShaderWatcher(tap.library)
    try:
        assert np.array_equal(drawn(tap, state), reference)
        write(missing / "composite.frag", FLAT_COMPOSITE, 1)
        write(missing / "include" / "common.glsl", flat_common((0.1, 0.8, 0.3)), 1)
        watcher.poll_once()
        assert "composite" in tap.library.reload_pending()
        assert is_flat(drawn(tap, state), (0.1, 0.8, 0.3))
    finally:
        tap.release()
    # An override that is broken at start-up: that program starts from the built-in files.
    broken = tmp_path / "broken"
    write(broken / "composite.frag", "#version 330\nvoid main() { nope(); }\n", 1)
    with caplog.at_level(logging.ERROR):
        tap = Tapestry(ctx, SIZE, shader_dir=broken)
    try:
        assert "composite.frag:2" in tap.library.errors["composite"]
        assert "using the built-in one" in caplog.text
        assert np.array_equal(drawn(tap, state), reference)
    finally:
        tap.release()
        control.release()


def test_no_gl_object_leaks_across_twenty_reloads_resizes_and_release(ctx, tmp_path):
    """The tapestry (with the shaders it compiled itself) and a presenter.

    As the live show uses them: a reload swaps programs, whose vertex arrays must go with them.
    """
    venue = tmp_path / "venue-shaders"
    present = (SHADER_DIR / "present.frag").read_text()
    write(venue / "present.frag", present, 0)
    state = world()
    before = live_objects()
    target = ctx.framebuffer(color_attachments=[ctx.texture(SIZE, 4)])
    tap = Tapestry(ctx, SIZE, shader_dir=venue)
    presenter = Presenter(ctx, (0.0, 0.0, 1.0, 1.0), shader_dir=venue)
    watcher = ShaderWatcher(tap.library, presenter.library)

    def frame(i: int) -> None:
        drawn(tap, state)
        presenter.errors.set_text(tap.library.error_text)
        presenter.hud.set_text(f"frame {i}")
        presenter.present(tap.output.color_attachments[0], SIZE, target=target)

    frame(0)
    tap = tap.resized((SIZE[0] + 16, SIZE[1] + 9))  # hands its shaders on
    frame(0)
    baseline = live_objects()
    for i in range(1, 21):
        # Every reload swaps every program of both libraries (a shared include changed),
        # and every fifth edit is broken (the old program stays, its error is shown).
        text = "#version 330\nbroken\n" if i % 5 == 0 else present + f"// edit {i}\n"
        write(venue / "present.frag", text, i)
        write(venue / "include" / "indices.glsl", _indices(i), i)
        watcher.poll_once()
        assert tap.library.reload_pending() == list(PROGRAMS)
        swapped = presenter.reload_pending()
        assert ("present" in swapped) == (i % 5 != 0)
        frame(i)
        assert live_objects() == baseline, f"GL objects grew at reload {i}"
    assert tap.library.generation == 20
    tap.release()
    presenter.release()
    target.color_attachments[0].release()
    target.release()
    assert live_objects() == before


def test_no_gl_object_leaks_across_rescales(ctx):
    """The adaptive render scale re-makes the tapestry's targets; the old ones are released."""
    state = world()
    before = live_objects()
    tap = Tapestry(ctx, SIZE)
    drawn(tap, state)
    baseline = live_objects()
    for i in range(20):
        scale = 0.5 + 0.025 * i
        tap.rescale((round(SIZE[0] * scale), round(SIZE[1] * scale)))
        tap.draw()
    tap.rescale(SIZE)
    tap.draw()
    assert live_objects() == baseline
    tap.release()
    assert live_objects() == before


def _indices(i: int) -> str:
    return (SHADER_DIR / "include" / "indices.glsl").read_text() + f"// edit {i}\n"


def test_the_error_panel_is_the_operators_and_never_in_the_picture(ctx, tmp_path):
    root = tmp_path / "shaders"
    shutil.copytree(SHADER_DIR, root)
    state = world()
    lib = ShaderLibrary(ctx, PROGRAMS, root)
    tap = Tapestry(ctx, SIZE, library=lib)
    control = Tapestry(ctx, SIZE)
    operator = Presenter(ctx)
    target = ctx.framebuffer(color_attachments=[ctx.texture((480, 270), 4)])
    try:
        cloth = root / "cloth.frag"
        cloth.write_text(cloth.read_text().replace("void main() {", "void main() { oops"))
        lib.reload_all()
        assert "cloth" in lib.errors
        picture = drawn(tap, state)
        assert np.array_equal(picture, drawn(control, state))  # no panel in the output

        def shown(errors: str) -> np.ndarray:
            operator.errors.set_text(errors)
            operator.present(tap.output.color_attachments[0], (480, 270), target=target)
            data = target.read(components=3, alignment=1)
            return np.frombuffer(data, np.uint8).reshape(270, 480, 3)[::-1]

        clean, panel = shown(""), shown(lib.error_text)
        differs = np.any(clean != panel, axis=2)
        rows, cols = np.nonzero(differs)
        assert differs.sum() > 500  # the operator's window shows the error...
        assert rows.min() >= 4 and rows.max() < 135 and cols.min() >= 4  # ...at its top left
        # The panel is dark with light text over the picture.
        assert panel[rows, cols].mean() != clean[rows, cols].mean()
        assert np.array_equal(tap.read(), picture)  # and presenting never touched the output
    finally:
        operator.release()
        target.color_attachments[0].release()
        target.release()
        tap.release()
        control.release()
        lib.release()
