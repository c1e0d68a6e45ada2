"""What the live show draws on, and how it draws a frame.

``Screen`` owns the tapestry, the displays' windows (none when headless), their output
(``WindowOutput``) and the shader watcher: it opens them as the venue and the options say,
draws each frame of the live state (uploading a tick once, interpolating between the last
two, running due ticks between the bands of a slow frame) and releases them at the end.

It renders at the displays' size times ``[show] render_scale`` (headless: at ``--size``) times
the adaptive factor that ``RenderScale`` (``app/render_scale.py``) decides from each drawn
frame's work; a change re-makes only the tapestry's render targets (``Tapestry.rescale``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from installation.app.audio_clock import AudioClock
from installation.app.pacing import Pacer
from installation.app.render_scale import RenderScale
from installation.config import Config
from installation.config.keys import parse_chord

if TYPE_CHECKING:
    from installation.app.live import ShowOptions

log = logging.getLogger(__name__)

# A frame whose drawing took longer than this is drawn in bands, with due ticks and inputs
# applied between them (llvmpipe blocks the loop while it draws); a quicker one is drawn in
# one go, as inputs can wait that long: the bands' finishes cost 3-5 ms a frame on llvmpipe
# (at 320x180 to 640x360: 13.7 against 10.7 ms, 23.0 against 18.4 ms).
BANDS_ABOVE_S = 0.015


def _shader_dir(config: Config) -> Path | None:
    if not config.show.shader_dir:
        return None
    from installation.render.shaders import shader_dir_problem

    shader_dir = Path(config.show.shader_dir).expanduser().absolute()
    problem = shader_dir_problem(shader_dir)
    if problem:
        # Still watched: files put there later (a mounted drive) are picked up.
        log.error("%s; the show starts with the built-in shaders", problem)
    return shader_dir


class Screen:
    """The live show's tapestry and windows.

    Args:
        config: the venue (displays, shaders, quality).
        options: headless or not, the headless size, the quality asked for.
        hud: the HUD's text now (drawn over the picture in windows).
        audio_clock: the audio clock, advanced by the show's runner (one of its listeners).
        data_dir: the show's data folder (where the calibration file is by default).
    """

    def __init__(
        self,
        config: Config,
        options: ShowOptions,
        hud: Callable[[], str],
        audio_clock: AudioClock,
        data_dir: Path,
    ) -> None:
        """Open the windows (or a headless context), make the tapestry, start the watcher."""
        from installation.render.shaders import ShaderWatcher
        from installation.render.tapestry import Look, Tapestry

        self.config = config
        shader_dir = _shader_dir(config)
        self.windows: Any = None
        self.output: Any = None
        if options.headless:
            from installation.render.context import create_headless_context

            ctx = create_headless_context()
        else:
            from installation.outputs.calibration import calibration_path
            from installation.outputs.window import WindowOutput, Windows

            self.windows = Windows(
                config.displays,
                gallery=config.show.mode == "gallery",
                quit_chord=parse_chord(config.show.quit_chord),
                shader_dir=shader_dir,
                calibration=calibration_path(config.show.calibration, data_dir),
            )
            ctx = self.windows.ctx
            self.output = WindowOutput(self.windows, hud, self._errors)
        self._headless_size = options.size
        self.scaler = RenderScale.from_config(config.show)
        self.audio_clock = audio_clock
        # The tapestry compiles (and at the end releases) its own shaders; resizes and the
        # adaptive scale keep them (``Tapestry.rescale`` re-makes only the targets).
        look = Look.tier(options.quality or config.show.quality)
        self.tapestry = Tapestry(ctx, self.render_size(), look=look, shader_dir=shader_dir)
        presenters = self.windows.libraries() if self.windows is not None else []
        self.watcher = ShaderWatcher(self.tapestry.library, *presenters)
        self.watcher.start()
        self._uploaded_tick = -1
        self._draw_s = float("inf")  # the last frame's drawing (without the work between bands)

    def _errors(self) -> str:
        return self.tapestry.library.error_text

    def render_size(self) -> tuple[int, int]:
        """The tapestry's size now, with the adaptive factor.

        With windows: the displays' size times ``render_scale`` times the factor; headless:
        the size asked for (``--size``, which ``render_scale`` never changed) times the factor.
        """
        factor = self.scaler.scale
        if self.windows is not None:
            return self.windows.render_size(self.config.show.render_scale * factor)
        w, h = self._headless_size
        return max(16, round(w * factor)), max(16, round(h * factor))

    def describe_scale(self) -> dict[str, Any]:
        """The render scale for ``/health`` and the HUD: the adaptive factor and the size.

        The size is the one the factor gives, which every frame from the next on is drawn at:
        the factor changes after a frame and the targets are re-made before the next, so the
        tapestry's own size, read in between, was still the old one beside the new factor.
        """
        return {**self.scaler.describe(), "size": list(self.render_size())}

    def frame(self, fade: float, pacer: Pacer) -> None:
        """Draw the runner's state at ``fade`` (0: nothing drawn) and hand it to the windows."""
        tap = self.tapestry
        tap.library.reload_pending()
        want = self.render_size()
        if want != tap.size:
            # A window was resized or the adaptive scale changed: only the targets are made
            # anew; the uploaded state, the shaders and the clocks carry on.
            tap.rescale(want)
            work = self.scaler.last_work_s
            log.info(
                "rendering at %dx%d (adaptive scale %g%s)",
                *want,
                self.scaler.scale,
                f"; a frame's work was {work * 1e3:.1f} ms" if work is not None else "",
            )
        tap.fade = fade
        if fade > 0.0:
            t0 = time.perf_counter()
            self._draw(pacer)
            # The frame's work, what the scale can change; presenting (and vsync's wait) is
            # not counted.
            self.scaler.update(time.perf_counter() - t0, time.monotonic())
        if self.output is not None:
            t0 = time.perf_counter()
            self.output.write(tap)
            pacer.phases.add("present", t0)

    def _draw(self, pacer: Pacer) -> None:
        tap, phases, runner = self.tapestry, pacer.phases, pacer.runner
        state = runner.state
        if state.tick != self._uploaded_tick:
            tap.audio_time = self.audio_clock.time  # at this tick (blended like u_time below)
            t0 = time.perf_counter()
            tap.upload(state)
            phases.add("upload", t0)
            self._uploaded_tick = state.tick
        # Between the last two ticks, by how far the next one is; paused, the last.
        assert runner.clock is not None
        alpha = 1.0 if runner.paused else 1.0 - runner.clock.time_until_next() / runner.dt
        tap.interpolate(alpha)
        nested = phases.work_ms()
        t0 = time.perf_counter()
        if self._draw_s > BANDS_ABOVE_S:
            tap.draw(between=lambda: pacer.run_due_ticks(frame_waiting=True))
        else:
            tap.draw()
            tap.ctx.finish()  # drawn when the frame is handed on, as the bands' last finish did
        phases.add("draw", t0)
        phases.ms["draw"] -= phases.work_ms() - nested  # the ticks run between its bands
        self._draw_s = phases.ms["draw"] / 1e3

    def close(self) -> None:
        """Stop the watcher, release the tapestry, close the windows."""
        self.watcher.stop()
        self.tapestry.release()
        if self.output is not None:
            self.output.close()
