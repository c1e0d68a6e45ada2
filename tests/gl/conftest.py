"""One headless GL context per test process (Mesa llvmpipe through EGL without a GPU)."""

from __future__ import annotations

import pytest

from installation.render.context import create_headless_context


@pytest.fixture(scope="session")
def ctx():
    """A headless GL context shared by the whole test process, released at its end."""
    context = create_headless_context()
    yield context
    context.release()


@pytest.fixture(autouse=True)
def no_gl_errors(ctx):
    """Every GL test must leave no GL error behind."""
    _ = ctx.error  # clear anything left by an earlier test
    yield
    assert ctx.error == "GL_NO_ERROR"
