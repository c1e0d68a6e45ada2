"""The show's windows: one per configured display, on the screen the venue file names.

Screens are chosen by (a substring of) the name the OS reports, or by a desktop point on
them, never by pyglet's screen index, which changes between boots. A configured screen
that is missing falls back to the primary screen with a warning, and ``recheck`` moves the
window back when the screen returns. A windowed display opens at its configured
``position`` on its screen (centred without one). Keys become operator actions
(``Action``); in gallery mode only the configured chord quits, and the close button does
nothing.

On a Xinerama desktop (one X screen spanning several monitors, as with TwinView or a
multi-head ``xorg.conf``) pyglet asks XRandR first, which there reports only the first
monitor (or one screen covering all), so the other heads could never be found, not even by
a point on them. ``desktop_screens`` then lists Xinerama's heads instead, named
``xinerama-0``, ``xinerama-1``... in the X server's own order, which the server's
configuration fixes (``canopy devices`` lists them).

The operator's screen is the first display's window: the shader-error panel is drawn there
only (and never into the tapestry's picture).

The first window's GL context is the show's context (``render.context``); every later
window shares objects with it (pyglet shares every window's context with its hidden shadow
window), so each display shows the one tapestry texture through its own ``Presenter``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import moderngl

from installation.config import DisplayConfig
from installation.config.keys import Chord
from installation.outputs.calibration import CalibrationEditor
from installation.render.context import attach_window_context
from installation.render.present import Presenter

log = logging.getLogger(__name__)

# Operator keys (pyglet symbol names) and the actions they ask for.
KEYS = {
    "H": "hud",
    "F": "fullscreen",
    "F11": "fullscreen",
    "R": "reload",
    "S": "screenshot",
    "F12": "screenshot",
    "SPACE": "pause",
    "P": "pause",
}
WINDOWED_QUIT = ("ESCAPE", "Q")


class WindowError(RuntimeError):
    """No window could be opened; the message says why and what to do."""


@dataclass(frozen=True)
class ScreenChoice:
    """Which screen a display goes on, and whether it is the one the venue asked for."""

    screen: Any
    found: bool
    why: str = ""


def screen_name(screen: Any) -> str:
    """The name the OS reports for a screen ('' when it reports none)."""
    name = getattr(screen, "name", "") or ""
    return "" if name == "Unknown" else str(name)


def is_primary(screen: Any) -> bool:
    """Whether the OS marks ``screen`` primary (pyglet's XRandR screens say ``is_primary``)."""
    return bool(getattr(screen, "primary", False) or getattr(screen, "is_primary", False))


def xinerama_heads(display: Any) -> list[Any]:
    """Xinerama's heads of a pyglet X display as pyglet screens named ``xinerama-N``.

    Empty when the display is not X or Xinerama is off.
    """
    xdisplay = getattr(display, "_display", None)
    if not xdisplay:
        return []
    try:
        from ctypes import POINTER, byref, c_int, cast

        from pyglet.display.xlib import XlibScreenXinerama
        from pyglet.libs.x11 import xinerama, xlib
    except Exception:  # no libXinerama: no heads to add
        return []
    if not xinerama.XineramaIsActive(xdisplay):
        return []
    number = c_int()
    infos = xinerama.XineramaQueryScreens(xdisplay, byref(number))
    if not infos:
        return []
    heads = []
    try:
        table = cast(infos, POINTER(xinerama.XineramaScreenInfo * number.value)).contents
        for i, info in enumerate(table):
            # Screens are duck-typed here: a head gets the name and primary flag XRandR's
            # screens have, which pyglet's Xinerama class does not declare.
            head: Any = XlibScreenXinerama(
                display, info.x_org, info.y_org, info.width, info.height, number.value > 1, i
            )
            head.name = f"xinerama-{i}"
            head.primary = i == 0  # Xinerama's first head holds the desktop's origin
            heads.append(head)
    finally:
        xlib.XFree(infos)
    return heads


def desktop_screens(display: Any) -> list[Any]:
    """The monitors of a pyglet display.

    Pyglet's screens, or Xinerama's heads when Xinerama knows more monitors than pyglet found
    (XRandR sees only the first there).
    """
    screens = list(display.get_screens())
    heads = xinerama_heads(display)
    return heads if len(heads) > len(screens) else screens


def choose_screen(display: DisplayConfig, screens: Sequence[Any]) -> ScreenChoice:
    """Pick the screen for ``display`` from pyglet-like screens (x, y, width, height, name).

    'primary' takes the screen the OS marks primary (else the first); otherwise the name,
    case-insensitive, exactly or else as a substring ('HDMI-1' is not taken for 'HDMI-10');
    otherwise ``origin``, a desktop point on the screen; otherwise the primary screen, with
    ``found`` False and the reason.
    """
    if not screens:
        raise WindowError("the display server reports no screens")
    primary = next((s for s in screens if is_primary(s)), screens[0])
    want = display.screen.strip().lower()
    if want in ("", "primary"):
        return ScreenChoice(primary, True)
    for s in screens:
        if want == screen_name(s).lower():
            return ScreenChoice(s, True)
    for s in screens:
        if want in screen_name(s).lower():
            return ScreenChoice(s, True)
    if len(display.origin) == 2:
        x, y = display.origin
        for s in screens:
            if s.x <= x < s.x + s.width and s.y <= y < s.y + s.height:
                return ScreenChoice(s, True)
    names = ", ".join(repr(screen_name(s) or f"{s.width}x{s.height}+{s.x}+{s.y}") for s in screens)
    return ScreenChoice(
        primary,
        False,
        f"display {display.name!r}: no screen matches {display.screen!r}"
        + (f" or contains {tuple(display.origin)}" if display.origin else "")
        + f" (screens: {names}); showing it on the primary screen until it returns",
    )


def chord_pressed(chord: Chord, symbol_name: str, ctrl: bool, shift: bool, alt: bool) -> bool:
    """Whether a key press (pyglet symbol name and modifier state) is exactly ``chord``."""
    held = {m for m, on in (("ctrl", ctrl), ("shift", shift), ("alt", alt)) if on}
    return symbol_name.lower() == chord.key and held == set(chord.modifiers)


class DisplayWindow:
    """One display's window, its GL context and its presenter."""

    def __init__(self, config: DisplayConfig, window: Any, choice: ScreenChoice) -> None:
        """Wrap ``window`` on its chosen screen; the GL context and presenter come later."""
        self.config = config
        self.window = window
        self.screen = choice.screen
        self.found = choice.found
        self.ctx: moderngl.Context | None = None
        self.presenter: Presenter | None = None

    @property
    def size(self) -> tuple[int, int]:
        """The window's framebuffer size in pixels."""
        w, h = self.window.get_framebuffer_size()
        return int(w), int(h)


class Windows:
    """Every display's window, their events and their presentation.

    Args:
        displays: the venue's displays.
        gallery: gallery mode (hidden cursor, only ``quit_chord`` quits).
        quit_chord: the chord that quits in gallery mode.
        shader_dir: a folder whose files override the built-in shaders (the presenters').
        calibration: the venue's calibration file (projection mapping); None: no mapping and
            no calibration mode.
    """

    def __init__(
        self,
        displays: Sequence[DisplayConfig],
        gallery: bool,
        quit_chord: Chord,
        shader_dir: str | Path | None = None,
        calibration: Path | None = None,
    ) -> None:
        """Open a window per display on its screen (or another when its own is missing)."""
        try:
            import pyglet

            pyglet.options["vsync"] = None
            # pyglet checks glGetError after its own calls and raises on errors that are not
            # its own; in a gallery a stray GL error must not end the show (the GL tests
            # check for errors after every test instead).
            pyglet.options["debug_gl"] = False
            import pyglet.window  # connects to the display server
        except Exception as exc:
            raise WindowError(
                f"cannot reach a display server ({exc}); set $DISPLAY or run with --headless"
            ) from None
        self._pyglet = pyglet
        self.gallery = gallery
        self.quit_chord = quit_chord
        # (action, index of the window the key was pressed in)
        self.actions: list[tuple[str, int]] = []
        self.gl_errors = 0
        display = pyglet.display.get_display()
        self._display = display
        screens = desktop_screens(display)
        self.items: list[DisplayWindow] = []
        for i, cfg in enumerate(displays):
            choice = choose_screen(cfg, screens)
            if not choice.found:
                log.warning(choice.why)
            # Only the last window waits for vertical blank: one wait per frame, not one each.
            win = self._open(cfg, choice.screen, vsync=i == len(displays) - 1)
            item = DisplayWindow(cfg, win, choice)
            self._hook(item, i)
            self.items.append(item)
        self.main = self.items[0]
        self.main.window.switch_to()
        self.ctx = attach_window_context()
        for item in self.items:
            item.window.switch_to()
            item.ctx = self.ctx if item is self.main else attach_window_context()
            item.presenter = Presenter(item.ctx, item.config.view, shader_dir)
        self.main.window.switch_to()
        self.calibration: CalibrationEditor | None = None
        self._calibration_seen = -1
        if calibration is not None:
            self.calibration = CalibrationEditor(
                calibration, [d.name for d in displays], fit_of=self._fit_of
            )

    def _fit_of(self, index: int) -> tuple[float, float, float, float]:
        """Where display ``index`` letterboxes its picture (window fractions)."""
        presenter = self.items[index].presenter
        assert presenter is not None
        return presenter.last_fit

    def libraries(self) -> list[Any]:
        """The presenters' shader libraries (for the show's shader watcher)."""
        return [item.presenter.library for item in self.items if item.presenter is not None]

    def reload_shaders(self) -> list[str]:
        """Recompile every presenter's shaders now (the operator's reload key).

        The names swapped in.
        """
        swapped: list[str] = []
        for item in self.items:
            item.window.switch_to()
            if item.presenter is not None:
                swapped += item.presenter.library.reload_all()
        self.main.window.switch_to()
        return sorted(set(swapped))

    @property
    def shader_errors(self) -> str:
        """The presenters' shader errors, each once ('' when all compile)."""
        lines: list[str] = []
        for item in self.items:
            if item.presenter is not None:
                for line in item.presenter.library.error_text.splitlines():
                    if line not in lines:
                        lines.append(line)
        return "\n".join(lines)

    def _open(self, cfg: DisplayConfig, screen: Any, vsync: bool) -> Any:
        pyglet = self._pyglet
        gl_config = pyglet.gl.Config(
            major_version=3, minor_version=3, forward_compatible=True, double_buffer=True
        )
        kwargs: dict[str, Any] = {
            "caption": f"Canopy — {cfg.name}",
            "vsync": vsync,
            "screen": screen,
        }
        if cfg.fullscreen:
            kwargs["fullscreen"] = True
        else:
            kwargs.update(width=int(cfg.size[0]), height=int(cfg.size[1]), resizable=True)
        try:
            try:
                win = pyglet.window.Window(config=gl_config, **kwargs)
            except pyglet.window.NoSuchConfigException:
                win = pyglet.window.Window(**kwargs)
        except Exception as exc:
            raise WindowError(f"cannot open a window for display {cfg.name!r}: {exc}") from None
        if not cfg.fullscreen:
            self._place(win, screen, cfg)
        self._settle(win)
        if self.gallery or cfg.fullscreen:
            win.set_mouse_visible(False)
        return win

    @staticmethod
    def _settle(win: Any) -> None:
        """Take this window's pending X events now.

        pyglet maps a new window by reading the display's whole event queue and takes any
        ConfigureNotify there as the new window's size: the move above queues one for this window,
        which would give the next window this one's size (and its picture a viewport larger than the
        window).
        """
        x_display = getattr(win, "_x_display", None)
        if x_display is None:
            return
        from pyglet.libs.x11 import xlib

        xlib.XSync(x_display, False)
        win.dispatch_events()

    @staticmethod
    def _place(win: Any, screen: Any, cfg: DisplayConfig) -> None:
        """Put a windowed display at its ``position`` on ``screen`` (from the screen's top-left).

        Without a ``position`` the window is centred on the screen.
        """
        if len(cfg.position) == 2:
            x, y = int(cfg.position[0]), int(cfg.position[1])
        else:
            w, h = int(cfg.size[0]), int(cfg.size[1])
            x, y = max((screen.width - w) // 2, 0), max((screen.height - h) // 2, 0)
        win.set_location(screen.x + x, screen.y + y)

    def _hook(self, item: DisplayWindow, index: int) -> None:
        key = self._pyglet.window.key
        gallery, chord, actions = self.gallery, self.quit_chord, self.actions

        def on_key_press(symbol: int, modifiers: int) -> bool:
            name = key.symbol_string(symbol)
            ctrl = bool(modifiers & key.MOD_CTRL)
            shift = bool(modifiers & key.MOD_SHIFT)
            alt = bool(modifiers & key.MOD_ALT)
            # Two ways to quit, kept apart: the chord anywhere, a bare key only when windowed.
            if chord_pressed(chord, name, ctrl, shift, alt):  # noqa: SIM114
                actions.append(("quit", index))
            elif not gallery and name in WINDOWED_QUIT and not (ctrl or alt):
                actions.append(("quit", index))
            elif (
                self.calibration is not None
                and not (ctrl or alt)
                and (self.calibration.key(index, name, shift))
            ):
                pass  # projection calibration's key (outputs/calibration.py)
            elif name in KEYS and not (ctrl or alt):
                actions.append((KEYS[name], index))
            return True  # never let pyglet's default (Escape closes the window) run

        def where(x: int, y: int) -> tuple[float, float]:
            # (pyglet's pointer is in window points from the bottom left.)
            w, h = item.window.get_size()
            return x / max(w, 1), 1.0 - y / max(h, 1)

        def on_mouse_press(x: int, y: int, button: int, modifiers: int) -> None:
            if self.calibration is not None:
                self.calibration.press(index, where(x, y))

        def on_mouse_drag(x: int, y: int, dx: int, dy: int, buttons: int, modifiers: int) -> None:
            if self.calibration is not None:
                self.calibration.drag(index, where(x, y))

        def on_mouse_release(x: int, y: int, button: int, modifiers: int) -> None:
            if self.calibration is not None:
                self.calibration.release()

        def on_close() -> bool:
            if gallery:
                log.warning("window close ignored in gallery mode (quit with %s)", chord)
            else:
                actions.append(("quit", index))
            return True

        item.window.push_handlers(
            on_key_press=on_key_press,
            on_close=on_close,
            on_mouse_press=on_mouse_press,
            on_mouse_drag=on_mouse_drag,
            on_mouse_release=on_mouse_release,
        )

    def poll(self) -> list[tuple[str, int]]:
        """Dispatch window events; return the operator actions since the last poll.

        Each action comes with the index of the window it came from.
        """
        for item in self.items:
            # Events may make pyglet touch GL (its resize handler); let it use the window's
            # own context, never the show's while the tapestry's state is bound there.
            item.window.switch_to()
            item.window.dispatch_events()
        self.main.window.switch_to()
        out = list(self.actions)
        self.actions.clear()
        return out

    def toggle_fullscreen(self, index: int) -> None:
        """Toggle fullscreen for window ``index`` (on its screen)."""
        item = self.items[index]
        self._refullscreen(item, not item.window.fullscreen, item.screen)
        item.window.set_mouse_visible(not (self.gallery or item.window.fullscreen))

    def _refullscreen(self, item: DisplayWindow, fullscreen: bool, screen: Any) -> None:
        """Switch a window in or out of fullscreen, remaking its presenter's vertex arrays.

        pyglet re-creates the X window to change fullscreen. Vertex arrays made before then fail to
        draw (GL_INVALID_OPERATION on llvmpipe), so the window's presenter drops them before and
        makes them afresh after (its programs, which the shader watcher knows, are kept: the GL
        context survives).
        """
        item.window.switch_to()
        if item.presenter is not None:
            item.presenter.reset()
        item.window.set_fullscreen(fullscreen, screen=screen)
        item.window.switch_to()
        self.main.window.switch_to()

    def recheck(self) -> list[str]:
        """Look for screens that were missing; move their windows back. Returns messages."""
        messages: list[str] = []
        if all(item.found for item in self.items):
            return messages
        screens = desktop_screens(self._display)
        for item in self.items:
            if item.found:
                continue
            choice = choose_screen(item.config, screens)
            if choice.found:
                self._move(item, choice.screen)
                item.screen, item.found = choice.screen, True
                messages.append(f"display {item.config.name!r}: its screen is back; moved there")
                log.info(messages[-1])
        return messages

    def _move(self, item: DisplayWindow, screen: Any) -> None:
        if item.window.fullscreen:
            self._refullscreen(item, True, screen)
        else:
            self._place(item.window, screen, item.config)

    def present(self, tex: moderngl.Texture | None, hud: str, errors: str) -> None:
        """Show ``tex`` (None: black) on every display and flip (the last flip waits for vsync).

        ``errors`` (the tapestry's shader errors) and the presenters' own are shown on the
        operator's window only; the HUD on every window.

        Each presenter first swaps in the shaders the watcher saw change, in its own
        context.
        """
        for item in self.items:
            item.window.switch_to()
            assert item.presenter is not None
            item.presenter.reload_pending()
        panel = "\n".join(t for t in (errors, self.shader_errors) if t)
        self._take_calibration()
        for item in self.items:
            item.window.switch_to()
            assert item.presenter is not None
            item.presenter.hud.set_text(hud, size=14, colour=(235, 230, 210))
            item.presenter.errors.set_text(panel if item is self.main else "")
            item.presenter.present(tex, item.size)
            item.window.flip()
            assert item.ctx is not None  # made with the presenter, at the window's opening
            error = item.ctx.error  # one glGetError per window and frame: cheap, and seen
            if error != "GL_NO_ERROR":
                self.gl_errors += 1
                if self.gl_errors == 1 or self.gl_errors % 1000 == 0:
                    log.error("GL error on display %r: %s (%d so far)", item.config.name,
                              error, self.gl_errors)  # fmt: skip
        self.main.window.switch_to()

    def _take_calibration(self) -> None:
        """Give each presenter its display's calibration and the editor's marker."""
        editor = self.calibration
        if editor is None:
            return
        for i, item in enumerate(self.items):
            assert item.presenter is not None
            if editor.version != self._calibration_seen:
                # (In the window's own context: its vertex arrays are released there.)
                item.window.switch_to()
                item.presenter.set_calibration(editor.of(i))
            item.presenter.calibrating = editor.active
            item.presenter.marker = editor.marker(i)
        self._calibration_seen = editor.version

    def render_size(self, scale: float) -> tuple[int, int]:
        """Tapestry size that gives every display at least its own pixels (times ``scale``)."""
        w = h = 1.0
        for item in self.items:
            ww, wh = item.size
            _, _, vw, vh = item.config.view
            w, h = max(w, ww / vw), max(h, wh / vh)
        return max(16, round(w * scale)), max(16, round(h * scale))

    def close(self) -> None:
        """Release every presenter and close every window, newest first; never raises."""
        for item in reversed(self.items):
            try:
                item.window.switch_to()
                if item.presenter is not None:
                    item.presenter.release()
                item.window.close()
            except Exception as exc:  # closing must never stop the final snapshot
                log.warning("closing window %r: %s", item.config.name, exc)


class WindowOutput:
    """The live show's windows as an ``Output``: each picture on every display.

    The HUD and the shader errors are drawn over it (``Windows.present``); a picture
    faded to black (gallery hours) is not drawn at all, and the windows show black.

    Args:
        windows: the displays' windows.
        hud: the HUD's text now (empty: hidden).
        errors: the tapestry's shader errors now.
    """

    def __init__(self, windows: Windows, hud: Callable[[], str], errors: Callable[[], str]) -> None:
        """Show pictures on ``windows``."""
        self.windows = windows
        self.hud = hud
        self.errors = errors

    def write(self, picture: Any) -> None:
        """Present ``picture`` (an ``outputs.contract.Picture``) and flip."""
        tex = picture.output.color_attachments[0] if picture.fade > 0.0 else None
        self.windows.present(tex, self.hud(), self.errors())

    def close(self) -> None:
        """Close the windows."""
        self.windows.close()
