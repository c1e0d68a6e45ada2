"""The operator's actions on the live show: quit, HUD, pause, shaders, screenshot, fullscreen.

Windows turn keys (and the gallery's quit chord) into action names (``outputs.window``);
``Operator.act`` carries them out on the show's parts.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from installation.app.live import Show

log = logging.getLogger(__name__)


class Operator:
    """Carries out the operator's keys on ``show``."""

    def __init__(self, show: Show) -> None:
        """Act on ``show``."""
        self.show = show

    def act(self, actions: list[tuple[str, int]]) -> str | None:
        """Carry out ``(action, window)`` pairs; the stop reason when one of them quits."""
        show = self.show
        for action, window in actions:
            if action == "quit":
                log.info("quit by the operator")
                return "operator"
            if action == "hud":
                show.telemetry.toggle_hud()
            elif action == "pause":
                self.toggle_pause()
            elif action == "reload":
                self.reload_shaders()
            elif action == "screenshot":
                self.screenshot()
            elif action == "fullscreen" and show.windows is not None:
                show.windows.toggle_fullscreen(window)
        return None

    def toggle_pause(self) -> None:
        """Pause the simulation (inputs are then dropped, and counted) or resume it."""
        self.set_paused(not self.show.runner.paused)

    def set_paused(self, paused: bool) -> None:
        """Pause the simulation or let it run on (a controller's or the page's pause)."""
        runner = self.show.runner
        if runner.paused == paused:
            return
        runner.paused = paused
        log.info("simulation %s by the operator", "paused" if runner.paused else "resumed")
        self.show.telemetry.refresh_hud()

    def reload_shaders(self) -> None:
        """Recompile every shader now (a broken one keeps its last good program)."""
        show = self.show
        if show.tapestry is None:
            return
        swapped = show.tapestry.library.reload_all()
        if show.windows is not None:
            swapped += show.windows.reload_shaders()
        log.info("shaders reloaded: %s", ", ".join(swapped) or "none compiled")

    def screenshot(self) -> Path | None:
        """The tapestry as it is now, as a PNG in ``data_dir/screenshots``; None if none."""
        from installation.outputs.contract import PngOutput
        from installation.outputs.png import OutputError

        show = self.show
        if show.tapestry is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = show.data_dir / "screenshots" / f"canopy-{stamp}-tick{show.state.tick}.png"
        png = PngOutput(lambda _k: path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            png.write(show.tapestry)
        except (OutputError, OSError) as exc:
            log.error("screenshot failed: %s", exc)
            return None
        log.info("screenshot: %s", path)
        return path
