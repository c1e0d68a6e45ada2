"""The one place that creates the moderngl context: headless through EGL, or a window's.

Everything else receives the context; nothing else calls ``moderngl.create_context``. Without
OpenGL 3.3 the show stops with one message naming what to install.
"""

from __future__ import annotations

import moderngl

MIN_GL = 330
INSTALL_HINT = (
    "install Mesa's EGL and OpenGL drivers (Debian: apt-get install libegl1 libgl1 "
    "libegl-mesa0 libgl1-mesa-dri) or your GPU vendor's driver"
)


class GLUnavailable(RuntimeError):
    """No usable OpenGL >= 3.3; the message says what to install."""


def _check(ctx: moderngl.Context) -> moderngl.Context:
    if ctx.version_code < MIN_GL:
        renderer = ctx.info.get("GL_RENDERER", "unknown renderer")
        ctx.release()
        raise GLUnavailable(
            f"OpenGL {ctx.version_code / 100:.1f} from {renderer} is too old; Canopy needs "
            f"3.3 or newer: {INSTALL_HINT}"
        )
    return ctx


def create_headless_context(device: int | None = None) -> moderngl.Context:
    """A standalone context through EGL (works without a display; llvmpipe without a GPU).

    Args:
        device: the EGL device to use (a machine's n-th GPU); EGL's default when None.
    """
    settings = {} if device is None else {"device_index": int(device)}
    try:
        # moderngl's stub types every **settings value as a dict; backend is a string.
        ctx = moderngl.create_context(standalone=True, backend="egl", require=MIN_GL, **settings)  # type: ignore[arg-type]
    except Exception as exc:  # moderngl/glcontext raise bare Exceptions for missing libraries
        raise GLUnavailable(
            f"cannot create a headless OpenGL context ({exc}); {INSTALL_HINT}"
        ) from None
    return _check(ctx)


def attach_window_context() -> moderngl.Context:
    """The context of the window whose GL context is current (pyglet makes it current)."""
    try:
        ctx = moderngl.create_context(require=MIN_GL)
    except Exception as exc:
        raise GLUnavailable(
            f"cannot use the window's OpenGL context ({exc}); {INSTALL_HINT}"
        ) from None
    return _check(ctx)


def describe(ctx: moderngl.Context) -> str:
    """'renderer, GL version' for logs and benchmarks."""
    return f"{ctx.info.get('GL_RENDERER', '?')}, OpenGL {ctx.info.get('GL_VERSION', '?')}"
