"""The commands about the gallery show: run, soak, replay, devices, check-config."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from installation.app.commands import (
    QUALITY_HELP,
    Command,
    config_argument,
    format_indices,
    nonneg_float,
    port,
    positive_float,
    size,
    venue,
)
from installation.config import QUALITIES, Config, load_config
from installation.simulation import state_hash


def _run_arguments(ru: argparse.ArgumentParser) -> None:
    config_argument(ru)
    ru.add_argument("--headless", action="store_true", help="render offscreen through EGL")
    ru.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    ru.add_argument("--journal", type=Path, metavar="DIR", help="record every input here")
    ru.add_argument("--osc-host", help="OSC listen address (overrides the config)")
    ru.add_argument("--osc-port", type=port, help="OSC UDP port (overrides the config)")
    ru.add_argument("--size", type=size, help="headless render size WxH (default: display 1)")
    ru.add_argument(
        "--quality", choices=QUALITIES, help=QUALITY_HELP + " (default: the venue's show.quality)"
    )
    ru.add_argument("--no-render", action="store_true", help="simulate without drawing")
    ru.add_argument(
        "--status-port", type=port, help="serve /health and /metrics on this localhost port"
    )
    ru.add_argument(
        "--web-port",
        type=port,
        help="serve the OSCQuery service on this port (overrides the venue's [web] port)",
    )
    ru.add_argument(
        "--resume", action="store_true", help="continue from the latest snapshot in data_dir"
    )
    ru.add_argument(
        "--data-dir", type=Path, help="snapshots, journal, screenshots, logs (overrides config)"
    )
    ru.add_argument(
        "--sketch",
        help="play a sketch live (name or path): its world, and its score while the room "
        "is quiet; visitors' inputs act on top",
    )
    ru.add_argument(
        "--quiet-after",
        type=nonneg_float,
        default=30.0,
        metavar="SECONDS",
        help="with --sketch: the score carries the piece after this long without a "
        "visitor's input (default 30)",
    )


def _sketch_venue(config: Config, args: argparse.Namespace) -> tuple[Config, Any]:
    """With ``--sketch``, the venue with the sketch's world and model, and the sketch."""
    if args.sketch is None:
        return config, None
    from installation.app.sketch import load_sketch

    sketch = load_sketch(args.sketch)
    return dataclasses.replace(config, world=sketch.world, model=sketch.model), sketch


def _osc_summary(counts: dict[str, int], restarts: int) -> str:
    # Every counter but these two counts messages dropped for one reason (a bundle is one
    # datagram received but may hold several messages accepted, so the difference of the
    # two is no count of anything).
    reasons = {k: v for k, v in counts.items() if k not in ("received", "accepted") and v}
    detail = ", ".join(
        f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return (
        f"# osc: received {counts.get('received', 0)}, accepted "
        f"{counts.get('accepted', 0)}, rejected {sum(reasons.values())}"
        + (f" ({detail})" if detail else "")
        + f", restarts {restarts}"
    )


def cmd_run(args: argparse.Namespace) -> int:
    """``canopy run``: the live show, on the venue file with the command line's overrides."""
    from installation.app.live import Show, ShowOptions
    from installation.app.logs import setup_logging, stop_logging
    from installation.config.paths import ensure_data_dir, ensure_folder, resolve_data_dir

    config, sketch = _sketch_venue(venue(args), args)
    headless = args.headless
    if not headless and not args.no_render and not os.environ.get("DISPLAY"):
        print("# no display server ($DISPLAY is not set): running headless", flush=True)
        headless = True
    # Created and tried here, before anything starts, so a bad folder is one line naming it
    # (DataDirError is an OSError: main prints it) instead of an errno from deep inside.
    data_dir = ensure_data_dir(resolve_data_dir(args.data_dir, config.show))
    if args.journal is not None:
        ensure_folder(args.journal, "--journal")
    handlers = setup_logging(data_dir / "logs", config.show.log_max_mb)
    try:
        options = ShowOptions(
            duration=args.duration,
            journal=args.journal,
            size=args.size or tuple(config.displays[0].size),
            render=not args.no_render,
            headless=headless,
            resume=args.resume,
            data_dir=data_dir,
            status_port=args.status_port,
            web_port=args.web_port,
            on_ready=lambda message: print(f"# {message}", flush=True),
            quality=args.quality,
        )
        if sketch is not None:
            from installation.app.sketch import LiveScore

            options.sources = (LiveScore(sketch, args.quiet_after),)
        show = Show(config, options)
        if show.resumed_from is not None:
            print(
                f"# resumed: {show.resumed_from} tick {show.state.tick} "
                f"state-hash {state_hash(show.state)}",
                flush=True,
            )
        result = show.run()
    finally:
        stop_logging(handlers)
    if result.osc_counts:
        print(_osc_summary(result.osc_counts, result.osc_restarts))
    if result.snapshot is not None:
        print(f"# snapshot: {result.snapshot}")
    elif show.snapshots.error:
        print(f"# snapshot: none written at the stop ({show.snapshots.error})")
    print(
        f"# stopped by {result.stopped_by} at tick {result.state.tick}, "
        f"{result.frames} frames drawn, microphone {result.audio_state}"
    )
    print(format_indices(result.state))
    print(f"state-hash: {state_hash(result.state)}", flush=True)
    return 0


def _soak_arguments(so: argparse.ArgumentParser) -> None:
    so.add_argument("--minutes", type=positive_float, default=60.0, help="how long (60)")
    so.add_argument("--size", type=size, default=(640, 360), help="render size (640x360)")
    so.add_argument("--rate", type=positive_float, default=500.0, help="OSC msg/s (500)")
    config_argument(so)
    so.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_soak(args: argparse.Namespace) -> int:
    """``canopy soak``: the headless show under random OSC input; 1 if it did not stay healthy."""
    from installation.app.soak import run_soak

    report = run_soak(venue(args), args.minutes, args.size, args.rate)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<24s} {value}")
    return 0 if report["passed"] else 1


def cmd_devices(args: argparse.Namespace) -> int:
    """``canopy devices``: list the audio input devices and the displays' screens."""
    from installation.inputs.audio import list_input_devices

    print("audio inputs:")
    devices = list_input_devices()
    if isinstance(devices, str):
        print(f"  {devices}")
    elif not devices:
        print("  none")
    for d in devices if isinstance(devices, list) else []:
        print(
            f"  {d['name']!r}: {d['channels']} channels, {d['samplerate']:g} Hz "
            "(choose it with [audio] device = a substring of this name)"
        )
    print("displays:")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("  no display server ($DISPLAY is not set)")
        return 0
    try:
        import pyglet

        from installation.outputs.window import desktop_screens  # Xinerama's heads too

        screens = desktop_screens(pyglet.display.get_display())
    except Exception as exc:
        print(f"  cannot reach the display server ({exc})")
        return 0
    for i, sc in enumerate(screens):
        name = getattr(sc, "name", "") or f"screen {i}"
        print(f"  {name!r}: {sc.width}x{sc.height} at ({sc.x}, {sc.y})")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """``canopy replay``: re-run the simulation from a journal and print its final state."""
    from installation.app.replay import replay

    state = replay(args.journal)
    print(format_indices(state))
    print(f"state-hash: {state_hash(state)}", flush=True)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """``canopy check-config``: validate a venue file and print what it means for this machine."""
    from installation.app.venue_check import check_venue

    config = load_config(args.file)
    # Warnings about this machine (a missing screen or microphone) leave the status at 0:
    # the venue is valid, and the show falls back and says so.
    print(check_venue(config, str(args.file or "built-in default")), flush=True)
    return 0


COMMANDS = (
    Command(
        "run",
        "run the live show: windows (or headless), OSC, microphone, status, snapshots",
        cmd_run,
        _run_arguments,
        "The live show: OSC and microphone input, the simulation at its fixed rate, the "
        "tapestry on every configured display (or offscreen with --headless; headless by "
        "itself when there is no display server). Keys: H HUD, F fullscreen, R reload "
        "shaders, S screenshot, Space pause, Esc/Q quit (gallery mode: only the quit chord). "
        "Prints 'state-hash: <hex>' when it stops (duration, quit, Ctrl-C or SIGTERM), after "
        "a final snapshot.",
    ),
    Command(
        "soak",
        "run the headless show with random OSC input and check it stays healthy",
        cmd_soak,
        _soak_arguments,
        "Runs the show headless at full speed with random OSC input (good and bad) and "
        "checks: memory growth under 5%% after warm-up, no NaN or out-of-range state, no "
        "frame gap over 100 ms. Exit status 0 only if all hold.",
    ),
    Command("devices", "list audio input devices and displays", cmd_devices),
    Command(
        "replay",
        "re-run the simulation from a journal folder",
        cmd_replay,
        lambda p: p.add_argument(
            "journal", type=Path, help="the folder 'canopy run --journal' wrote"
        ),
    ),
    Command(
        "check-config",
        "validate a venue file and print what it means",
        cmd_check_config,
        lambda p: p.add_argument(
            "file", type=Path, nargs="?", help="venue file (default: built-in default)"
        ),
    ),
)
