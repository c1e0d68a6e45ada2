"""What the live show draws on: the tapestry, the windows (none headless), the shader watcher.

``open_screen`` opens them as the venue and the options say; the show owns them after.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from installation.config import Config
from installation.config.keys import parse_chord

if TYPE_CHECKING:
    from installation.app.live import ShowOptions

log = logging.getLogger(__name__)


def open_screen(config: Config, options: ShowOptions) -> tuple[Any, Any, Any]:
    """The tapestry, the windows (None when headless) and the started shader watcher."""
    from installation.render.shaders import ShaderWatcher, shader_dir_problem
    from installation.render.tapestry import Look, Tapestry

    shader_dir = None
    if config.show.shader_dir:
        shader_dir = Path(config.show.shader_dir).expanduser().absolute()
        problem = shader_dir_problem(shader_dir)
        if problem:
            # Still watched: files put there later (a mounted drive) are picked up.
            log.error("%s; the show starts with the built-in shaders", problem)
    windows = None
    if options.headless:
        from installation.render.context import create_headless_context

        ctx = create_headless_context()
        size = options.size
    else:
        from installation.outputs.window import Windows

        windows = Windows(
            config.displays,
            gallery=config.show.mode == "gallery",
            quit_chord=parse_chord(config.show.quit_chord),
            shader_dir=shader_dir,
        )
        ctx = windows.ctx
        size = windows.render_size(config.show.render_scale)
    # The tapestry compiles (and at the end releases) its own shaders; resizes hand them on
    # (``Tapestry.resized``).
    tapestry = Tapestry(
        ctx, size, look=Look.tier(options.quality or config.show.quality), shader_dir=shader_dir
    )
    presenters = windows.libraries() if windows is not None else []
    watcher = ShaderWatcher(tapestry.library, *presenters)
    watcher.start()
    return tapestry, windows, watcher
