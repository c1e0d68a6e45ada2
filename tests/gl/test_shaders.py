"""Shader files: includes, error locations, compile-first hot reload, the uniform contract."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from installation.config import WorldConfig
from installation.inputs import EMPTY_FRAME
from installation.render.shaders import (
    SHADER_DIR,
    ShaderError,
    ShaderLibrary,
    ShaderWatcher,
    compile_program,
    load_source,
)
from installation.render.tapestry import PROGRAMS, Tapestry
from installation.render.uniforms import TEXTURES, UNIFORMS, uniforms_reference
from installation.simulation import create_world, step

SMALL = WorldConfig(seed=2, height=64, width=64, citizens=3000, nodes=32, growth_resolution=32)


@pytest.fixture
def shader_copy(tmp_path) -> Path:
    root = tmp_path / "shaders"
    shutil.copytree(SHADER_DIR, root)
    return root


def test_every_program_compiles(ctx):
    lib = ShaderLibrary(ctx, PROGRAMS)
    assert set(lib.programs) == set(PROGRAMS) and not lib.errors


def test_includes_keep_line_numbers_and_errors_name_the_file(ctx, shader_copy):
    src = load_source(shader_copy / "cloth.frag", shader_copy)
    assert src.files[0] == "cloth.frag" and "include/common.glsl" in src.files
    # Break line 5 of an included file: the error must point there, not into cloth.frag.
    inc = shader_copy / "include" / "common.glsl"
    lines = inc.read_text().splitlines()
    lines[4] = "    this is not glsl;"
    inc.write_text("\n".join(lines) + "\n")
    with pytest.raises(ShaderError, match=r"include/common\.glsl:5"):
        compile_program(
            ctx, shader_copy / "fullscreen.vert", shader_copy / "cloth.frag", shader_copy
        )
    # And an error in the main file keeps that file's own line number.
    cloth = shader_copy / "cloth.frag"
    text = cloth.read_text().splitlines()
    n = next(i for i, ln in enumerate(text) if "void main()" in ln)
    text.insert(n + 1, "    undefined_function();")
    cloth.write_text("\n".join(text) + "\n")
    inc.write_text("\n".join([*lines[:4], "float ok_line;", *lines[5:]]) + "\n")
    with pytest.raises(ShaderError, match=rf"cloth\.frag:{n + 2}"):
        compile_program(ctx, shader_copy / "fullscreen.vert", cloth, shader_copy)


def test_missing_include_is_reported(ctx, shader_copy):
    (shader_copy / "blur.frag").write_text('#version 330\n#include "nope.glsl"\n')
    with pytest.raises(ShaderError, match=r"cannot include 'nope\.glsl'"):
        load_source(shader_copy / "blur.frag", shader_copy)


def test_broken_edit_keeps_last_good_program_shows_the_error_and_fix_clears_it(ctx, shader_copy):
    state = create_world(SMALL)
    for _ in range(30):
        step(state, EMPTY_FRAME, 1 / 30)
    lib = ShaderLibrary(ctx, PROGRAMS, shader_copy)
    tap = Tapestry(ctx, (480, 270), library=lib)
    control = Tapestry(ctx, (480, 270))
    watcher = ShaderWatcher(lib)
    cloth = shader_copy / "cloth.frag"
    good = cloth.read_text()

    def both() -> tuple[np.ndarray, np.ndarray]:
        for t in (tap, control):
            t.upload(state)
            t.draw()
        return tap.read(), control.read()

    a, b = both()
    assert np.array_equal(a, b)
    cloth.write_text(good.replace("void main() {", "void main() { syntax error here"))
    time.sleep(0.01)
    assert cloth in watcher.poll_once()
    assert lib.reload_pending() == [n for n in PROGRAMS if n != "cloth"]
    assert "cloth" in lib.errors and re.search(r"cloth\.frag:\d+", lib.errors["cloth"])
    for _ in range(3):  # frames keep coming, from the last good program, and the error
        a, b = both()  # is never drawn into the picture (the operator's window shows it:
        assert a.std() > 5  # tests/gl/test_shader_lifecycle.py)
        assert np.array_equal(a, b)
    cloth.write_text(good)
    time.sleep(0.01)
    watcher.poll_once()
    assert "cloth" in lib.reload_pending() and not lib.errors and lib.error_text == ""
    a, b = both()
    assert np.array_equal(a, b)
    tap.release()
    control.release()


def test_watcher_thread_only_queues(ctx, shader_copy):
    lib = ShaderLibrary(ctx, {"blur": ("fullscreen.vert", "blur.frag")}, shader_copy)
    watcher = ShaderWatcher(lib, interval=0.02)
    watcher.start()
    try:
        before = lib["blur"]
        (shader_copy / "blur.frag").write_text(
            (shader_copy / "blur.frag").read_text() + "\n// touched\n"
        )
        deadline = time.monotonic() + 5
        while not lib.has_pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lib.has_pending()
        assert lib["blur"] is before  # nothing swapped until the render thread asks
        assert lib.reload_pending() == ["blur"] and lib["blur"] is not before
    finally:
        watcher.stop()
        watcher.join(timeout=2)


def test_uniform_contract_documents_exactly_what_shaders_declare():
    root = Path(SHADER_DIR)
    declared = set()
    for f in (
        list(root.glob("*.frag"))
        + list(root.glob("*.vert"))
        + list((root / "include").glob("*.glsl"))
    ):
        declared |= set(re.findall(r"^\s*uniform\s+\w+\s+(u_\w+)", f.read_text(), re.M))
    documented = {u.name for u in UNIFORMS} | {t.name for t in TEXTURES}
    assert declared == documented
    assert (root / "UNIFORMS.md").read_text() == uniforms_reference(), (
        "shaders/UNIFORMS.md is stale: run `canopy uniforms-reference > shaders/UNIFORMS.md`"
    )


def test_names_follow_the_conventions():
    for f in SHADER_DIR.rglob("*.*"):
        if f.suffix not in (".frag", ".vert", ".glsl"):
            continue
        text = f.read_text()
        for name in re.findall(r"^\s*uniform\s+\w+\s+(\w+)", text, re.M):
            assert name.startswith("u_"), (f.name, name)
        if f.suffix == ".vert":
            for name in re.findall(r"^\s*in\s+\w+\s+(\w+)", text, re.M):
                assert name.startswith("in_"), (f.name, name)
