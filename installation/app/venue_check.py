"""``canopy check-config``: what a venue file means, in words, and what this machine lacks.

The summary reads the validated ``Config`` (world, displays and how each finds its screen,
the microphone, OSC, gallery hours, the show's settings, the data folder as it resolves
here). The warnings compare the venue with this machine: screens and microphones it names
that are not here, an OSC address that is not one of this machine's, a data folder this
user cannot write. A venue is portable, so none of these make it invalid: the show itself
falls back (primary screen, no sound, retries) and says so; the operator should know first.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import errno
import ipaddress
import os
import socket
from collections.abc import Mapping
from typing import Any

from installation.app.schedule import closed_level, is_open
from installation.config import (
    AudioConfig,
    Config,
    DisplayConfig,
    OscConfig,
    ScheduleConfig,
    ShowConfig,
)
from installation.config.paths import resolve_data_dir


def _changed(obj: Any, skip: set[str]) -> list[str]:
    """'key = value' for the fields of ``obj`` that differ from their defaults.

    Fields in ``skip`` (the ones a summary line already describes) are left out. Keys added to the
    schema later show up here without this module knowing them.
    """
    out = []
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        default = f.default_factory() if callable(f.default_factory) else f.default
        value = getattr(obj, f.name)
        if value != default:
            out.append(f"{f.name} = {_toml(value)}")
    return out


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _also(obj: Any, described: set[str]) -> str:
    rest = _changed(obj, described)
    return f"; also {', '.join(rest)}" if rest else ""


def _screen_choice(d: DisplayConfig) -> str:
    if d.screen.strip().lower() in ("", "primary"):
        where = "the primary screen"
    else:
        where = f"the screen whose name contains {d.screen!r}"
    if len(d.origin) == 2:
        where += f", else the one containing the desktop point ({d.origin[0]}, {d.origin[1]})"
    if where != "the primary screen":
        where += ", else the primary screen"
    return where


def _display_line(d: DisplayConfig) -> str:
    how = "fullscreen" if d.fullscreen else f"a {d.size[0]}x{d.size[1]} window"
    view = (
        "the whole tapestry"
        if tuple(d.view) == (0.0, 0.0, 1.0, 1.0)
        else f"[{', '.join(f'{v:g}' for v in d.view)}] of the tapestry"
    )
    described = {"name", "screen", "origin", "fullscreen", "size", "view"}
    return f"  {d.name}: {how} on {_screen_choice(d)}; shows {view}{_also(d, described)}"


def _days(days: tuple[str, ...]) -> str:
    return ", ".join(days) if days else "no day"


def describe(
    config: Config,
    environ: Mapping[str, str] | None = None,
    now: _dt.datetime | None = None,
) -> list[str]:
    """The venue in words, one line per section (displays: one line each)."""
    w = config.world
    g = w.growth_resolution
    shares = f", resource shares {_toml(w.resource_shares)}" if w.resource_shares else ""
    lines = [
        f"world: seed {w.seed}, {w.height}x{w.width} canopy, {w.communities} communities, "
        f"{w.citizens:,} citizens, {w.nodes} Neural Cloud nodes, growth {g}x{g}, "
        f"{w.tick_hz:g} ticks/s{shares}"
    ]
    model = _changed(config.model, set())
    lines.append("model: " + (", ".join(model) if model else "the default dynamics"))
    lines.append(f"displays: {len(config.displays)}")
    lines += [_display_line(d) for d in config.displays]
    lines.append(_audio_line(config.audio))
    lines.append(_osc_line(config.osc))
    lines.append(_schedule_line(config.schedule, now))
    lines.append(_show_line(config.show))
    lines.append(_data_line(config.show, os.environ if environ is None else environ))
    return lines


def _audio_line(a: AudioConfig) -> str:
    if not a.enabled:
        return "audio: off (no microphone)"
    device = (
        f"the input whose name contains {a.device!r}" if a.device else "the system's default input"
    )
    return (
        f"audio: {device}, {a.channels} channel{'s' if a.channels > 1 else ''} at "
        f"{a.samplerate} Hz, gain {a.gain_db:+g} dB"
    )


def _osc_line(o: OscConfig) -> str:
    if not o.enabled:
        return "osc: off"
    targets = (
        f" to subscribers and {', '.join(o.feedback_targets)}"
        if o.feedback_targets
        else " to subscribers"
    )
    return (
        f"osc: UDP {o.host}:{o.port}, accepting {', '.join(o.allowed_networks) or 'nobody'}; "
        f"{o.rate_limit:g} msg/s per source (burst {o.burst}); feedback "
        f"{o.feedback_hz:g} Hz{targets}; {len(o.mappings)} "
        f"mapping{'' if len(o.mappings) == 1 else 's'}"
    )


def _schedule_line(s: ScheduleConfig, now: _dt.datetime | None) -> str:
    if s.always_open:
        return "schedule: always open"
    closed = (
        f"the picture dimmed to {closed_level(s):.0%}"
        if s.closed_picture == "dim"
        else "a black screen"
    )
    state = ""
    if now is not None:
        state = f"; {'open' if is_open(s, now) else 'closed'} now ({now:%a %H:%M})"
    return (
        f"schedule: open {_days(s.days)} {s.open}-{s.close}; closed hours show {closed}, "
        f"fading over {s.fade_s:g} s{state}"
    )


# The keys of [show] that its line describes; any other that differs from its default is
# listed after them.
_SHOW_DESCRIBED = {
    "mode",
    "quit_chord",
    "status_port",
    "status_host",
    "status_allowed",
    "snapshot_minutes",
    "snapshots_kept",
    "journal",
    "quality",
    "max_fps",
    "render_scale",
    "adaptive_scale",
    "target_fps",
    "min_scale",
    "max_scale",
    "data_dir",
}


def _show_line(sh: ShowConfig) -> str:
    mode = f"gallery mode (only {sh.quit_chord} quits)" if sh.mode == "gallery" else "windowed mode"
    status = "no status endpoint"
    if sh.status_port:
        # getattr: the status endpoint's address and allowlist are newer keys of [show].
        host = getattr(sh, "status_host", "127.0.0.1")
        allowed = getattr(sh, "status_allowed", ())
        status = f"status on {host}:{sh.status_port}" + (
            f" (readable from {', '.join(allowed)})" if allowed else ""
        )
    return (
        f"show: {mode}, {status}, a snapshot every {sh.snapshot_minutes:g} min "
        f"({sh.snapshots_kept} kept), journal {'on' if sh.journal else 'off'}, "
        f"quality {sh.quality}, at most {sh.max_fps:g} fps, render scale {sh.render_scale:g}"
        f"{_adaptive(sh)}{_also(sh, _SHOW_DESCRIBED)}"
    )


def _adaptive(sh: ShowConfig) -> str:
    if not sh.adaptive_scale:
        return " (fixed)"
    return f" times {sh.min_scale:g} to {sh.max_scale:g} (adaptive, holding {sh.target_fps:g} fps)"


def _data_line(sh: ShowConfig, env: Mapping[str, str]) -> str:
    folder = resolve_data_dir(None, sh, env)
    if sh.data_dir:
        why = "[show] data_dir"
    elif env.get("STATE_DIRECTORY"):
        why = "systemd's $STATE_DIRECTORY"
    else:
        why = "the platform's state directory"
    return f"data folder: {folder.resolve()} ({why})"


# ------------------------------------------------------------------ this machine


def screen_warnings(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Displays whose screen this machine's display server does not have."""
    env = os.environ if environ is None else environ
    if not env.get("DISPLAY"):
        names = ", ".join(repr(d.name) for d in config.displays)
        return [
            "no display server here ($DISPLAY is not set): the screens of "
            f"{names} cannot be checked, and 'canopy run' would run headless"
        ]
    from installation.outputs.window import WindowError, choose_screen, desktop_screens

    try:
        import pyglet

        # The show's own way of listing monitors (Xinerama's heads too, where it has one).
        screens = desktop_screens(pyglet.display.get_display())
    except Exception as exc:  # pyglet raises its own types for a display it cannot open
        return [f"cannot reach the display server {env.get('DISPLAY')!r} ({exc})"]

    out = []
    for d in config.displays:
        try:
            choice = choose_screen(d, screens)
        except WindowError as exc:
            return [str(exc)]
        if not choice.found:
            out.append(choice.why)
    return out


def microphone_warnings(config: Config) -> list[str]:
    """The venue's microphone, if this machine has none that matches."""
    if not config.audio.enabled:
        return []
    from installation.inputs.audio import list_input_devices

    a = config.audio
    devices = list_input_devices()
    if isinstance(devices, str):
        return [f"audio: cannot list microphones here: {devices}"]
    here = ", ".join(repr(d["name"]) for d in devices) or "none"
    if not a.device:
        if not devices:
            return ["audio: this machine has no microphone; the show would run without room sound"]
        return []
    named = [d for d in devices if a.device.lower() in d["name"].lower()]
    if not named:
        return [
            f"audio.device {a.device!r}: no microphone here matches it (inputs here: {here}); "
            "the show would run without room sound and keep looking for it"
        ]
    if not any(d["channels"] >= a.channels for d in named):
        best = max(d["channels"] for d in named)
        return [
            f"audio.channels {a.channels}: {named[0]['name']!r} has only {best} input "
            "channel(s); the show would run without room sound"
        ]
    return []


def osc_warnings(config: Config) -> list[str]:
    """An OSC listen address that is not one of this machine's."""
    o = config.osc
    if not o.enabled:
        return []
    try:
        ip = ipaddress.ip_address(o.host.split("%")[0])
    except ValueError:
        return []  # a host name: resolving it here could wait on DNS; the show reports it
    if ip.is_unspecified:
        return []
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((o.host, 0))
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            return [
                f"osc.host {o.host}: not an address of this machine, so the show could not "
                "listen for controllers (use 0.0.0.0 for every interface)"
            ]
    return []


def data_dir_warnings(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """A data folder that this user could not create or write (nothing is created here)."""
    folder = resolve_data_dir(None, config.show, environ).absolute()
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return [f"data folder {folder}: {probe} is a file, not a folder"]
    if not os.access(probe, os.W_OK | os.X_OK):
        verb = "write" if probe == folder else "create"
        return [f"data folder {folder}: this user cannot {verb} it ({probe} is not writable)"]
    return []


def shader_dir_warnings(config: Config) -> list[str]:
    """A venue shader folder that is not there (the show would start with the built-ins)."""
    from installation.render.shaders import shader_dir_problem

    problem = shader_dir_problem(config.show.shader_dir)
    return [f"{problem}; the show would start with the built-in shaders"] if problem else []


def machine_warnings(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Everything the venue names that this machine lacks."""
    return (
        screen_warnings(config, environ)
        + microphone_warnings(config)
        + osc_warnings(config)
        + data_dir_warnings(config, environ)
        + shader_dir_warnings(config)
    )


def check_venue(config: Config, source: str, environ: Mapping[str, str] | None = None) -> str:
    """The whole ``check-config`` report: summary, then warnings, then a verdict line."""
    lines = [f"# {source}: valid"]
    lines += describe(config, environ, _dt.datetime.now())
    warnings = machine_warnings(config, environ)
    lines += [f"warning: {w}" for w in warnings]
    if warnings:
        lines.append(
            f"# valid, with {len(warnings)} warning{'s' if len(warnings) > 1 else ''} about "
            "this machine"
        )
    return "\n".join(lines)
