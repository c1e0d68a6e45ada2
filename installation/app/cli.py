"""The ``canopy`` command line: one sub-command per job, one-line errors, no tracebacks.

Operator mistakes (a bad argument, a broken config or snapshot) print one line starting
with ``canopy:`` and exit with status 2; programming errors still raise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from installation.config import QUALITIES, ConfigError, load_config
from installation.inputs import EMPTY_FRAME
from installation.outputs.presets import DEFAULT_PRESET, X264_PRESETS
from installation.simulation import ACT_NAMES, State, create_world, state_hash, step
from installation.timing import FixedStepClock, WallTime

QUALITY_HELP = "look of the tapestry: full (default) or draft (cheaper, for slow renderers)"


class UsageError(Exception):
    """A mistake in how Canopy was called; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints usage on two lines; we want one
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, got {value}")
    return value


def _nonneg_float(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return _positive_float(text)


def _size(text: str) -> tuple[int, int]:
    from installation.app.offline import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = _Parser(
        prog="canopy",
        description="Canopy: the engine of Seraphina's canopy tapestry (Verdantia).",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser(
        "simulate",
        help="run the simulation headless and print its indices as they evolve",
        description="Run the Verdantia simulation without rendering. Prints the headline "
        "indices as they evolve and ends with 'state-hash: <hex>' over the whole state.",
    )
    s.add_argument("--config", type=Path, help="venue file (default: the built-in default)")
    s.add_argument(
        "--steps",
        type=_positive_int,
        help="ticks to run (default: 30 s of ticks; unbounded with --realtime)",
    )
    s.add_argument("--seed", type=_positive_int, help="world seed (overrides the config)")
    s.add_argument("--every", type=_positive_int, help="print every N ticks (default: 1 s)")
    s.add_argument("--dt", type=_positive_float, help="seconds per tick (default: 1/tick_hz)")
    s.add_argument(
        "--realtime",
        action="store_true",
        help="pace ticks with the wall clock, as the live show does",
    )
    s.add_argument("--save", type=Path, metavar="FILE", help="write a snapshot at the end")
    s.add_argument("--resume", type=Path, metavar="FILE", help="start from a snapshot")

    ru = sub.add_parser(
        "run",
        help="run the live show: windows (or headless), OSC, microphone, status, snapshots",
        description="The live show: OSC and microphone input, the simulation at its fixed "
        "rate, the tapestry on every configured display (or offscreen with --headless; "
        "headless by itself when there is no display server). Keys: H HUD, F fullscreen, "
        "R reload shaders, S screenshot, Space pause, Esc/Q quit (gallery mode: only the "
        "quit chord). Prints 'state-hash: <hex>' when it stops (duration, quit, Ctrl-C or "
        "SIGTERM), after a final snapshot.",
    )
    ru.add_argument("--config", type=Path, help="venue file (default: the built-in default)")
    ru.add_argument("--headless", action="store_true", help="render offscreen through EGL")
    ru.add_argument("--duration", type=_positive_float, help="stop after this many seconds")
    ru.add_argument("--journal", type=Path, metavar="DIR", help="record every input here")
    ru.add_argument("--osc-host", help="OSC listen address (overrides the config)")
    ru.add_argument("--osc-port", type=_port, help="OSC UDP port (overrides the config)")
    ru.add_argument("--size", type=_size, help="headless render size WxH (default: display 1)")
    ru.add_argument(
        "--quality", choices=QUALITIES, help=QUALITY_HELP + " (default: the venue's show.quality)"
    )
    ru.add_argument("--no-render", action="store_true", help="simulate without drawing")
    ru.add_argument(
        "--status-port", type=_port, help="serve /health and /metrics on this localhost port"
    )
    ru.add_argument(
        "--resume", action="store_true", help="continue from the latest snapshot in data_dir"
    )
    ru.add_argument(
        "--data-dir", type=Path, help="snapshots, journal, screenshots, logs (overrides config)"
    )

    so = sub.add_parser(
        "soak",
        help="run the headless show with random OSC input and check it stays healthy",
        description="Runs the show headless at full speed with random OSC input (good and "
        "bad) and checks: memory growth under 5%% after warm-up, no NaN or out-of-range "
        "state, no frame gap over 100 ms. Exit status 0 only if all hold.",
    )
    so.add_argument("--minutes", type=_positive_float, default=60.0, help="how long (60)")
    so.add_argument("--size", type=_size, default=(640, 360), help="render size (640x360)")
    so.add_argument("--rate", type=_positive_float, default=500.0, help="OSC msg/s (500)")
    so.add_argument("--config", type=Path, help="venue file (default: the built-in default)")
    so.add_argument("--json", action="store_true", help="print one JSON object")

    sub.add_parser("devices", help="list audio input devices and displays")

    rp = sub.add_parser("replay", help="re-run the simulation from a journal folder")
    rp.add_argument("journal", type=Path, help="the folder 'canopy run --journal' wrote")

    sub.add_parser(
        "validate",
        help="reproduce the published results of the models and print a table",
        description="Runs each model's reproduction (Deffuant, Hegselmann-Krause, "
        "Friedkin-Johnsen, Motter-Lai, Gray-Scott, Gini). Exit status 0 only if all pass.",
    )

    r = sub.add_parser(
        "render",
        help="render a sketch offline to video (.mp4 H.264, .mov ProRes) or PNG frames",
        description="Renders a sketch (the default story when none is given) offline. The "
        "same sketch, seed and options give identical frames on any machine. Ctrl-C leaves "
        "a playable file holding the frames so far.",
    )
    r.add_argument(
        "-o",
        "--output",
        default="out/verdantia.mp4",
        help="output: .mp4, .mov or a pattern like frames/%%05d.png",
    )
    r.add_argument("--sketch", help="sketch name in sketches/ or path to a .py file")
    r.add_argument(
        "--journal",
        type=Path,
        metavar="DIR",
        help="render a recorded show from its journal (with its sound)",
    )
    length = r.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=_positive_float, help="length in seconds")
    length.add_argument("--frames", type=_positive_int, help="length in frames")
    r.add_argument("--fps", type=_positive_float, default=30.0, help="frames per second")
    r.add_argument("--size", type=_size, default=(1280, 720), help="WxH (default 1280x720)")
    r.add_argument("--seed", type=_positive_int, help="world seed (overrides the sketch)")
    r.add_argument("--audio", type=Path, help="a sound file to mux in (e.g. a journal's WAV)")
    r.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=X264_PRESETS,
        help=f"x264 speed preset (.mp4; default {DEFAULT_PRESET}: cheap encoding keeps the "
        "renderer busy on a small machine; slower presets make smaller files)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--quality", choices=QUALITIES, default="full", help=QUALITY_HELP)

    st = sub.add_parser("still", help="render one frame of a sketch to a PNG")
    st.add_argument("-o", "--output", required=True, type=Path, help="PNG file to write")
    st.add_argument("--size", type=_size, default=(1280, 720), help="WxH (default 1280x720)")
    st.add_argument("--at", type=_nonneg_float, default=0.0, help="time in seconds")
    st.add_argument("--sketch", help="sketch name or path (default: the story)")
    st.add_argument("--seed", type=_positive_int, help="world seed (overrides the sketch)")
    st.add_argument("--quality", choices=QUALITIES, default="full", help=QUALITY_HELP)

    sa = sub.add_parser(
        "stills",
        help="render one PNG per act of a sketch, and a labelled contact sheet, into a folder",
        description="Renders one still per act the sketch marks, and contact-sheet.png with "
        "all of them labelled. With --seed, each story act's still is taken while that "
        "seed's city is in the act (its acts come at other times than the sketch's marks).",
    )
    sa.add_argument("-o", "--output", type=Path, default=Path("docs/stills"), help="folder")
    sa.add_argument("--size", type=_size, default=(1280, 720), help="WxH (default 1280x720)")
    sa.add_argument("--sketch", help="sketch name or path (default: the story)")
    sa.add_argument("--seed", type=_positive_int, help="world seed (overrides the sketch)")
    sa.add_argument("--quality", choices=QUALITIES, default="full", help=QUALITY_HELP)

    b = sub.add_parser("bench", help="benchmarks (figures, not tests)")
    b.add_argument("suite", choices=("sim", "render", "osc", "live"), help="what to measure")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (rougher)")

    c = sub.add_parser("check-config", help="validate a venue file and print what it means")
    c.add_argument("file", type=Path, nargs="?", help="venue file (default: built-in default)")

    sub.add_parser("config-reference", help="print the configuration reference (Markdown)")
    sub.add_parser("uniforms-reference", help="print the shaders' uniform contract (Markdown)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``canopy`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        handler = {
            "simulate": cmd_simulate,
            "validate": cmd_validate,
            "bench": cmd_bench,
            "check-config": cmd_check_config,
            "config-reference": cmd_config_reference,
            "uniforms-reference": cmd_uniforms_reference,
            "render": cmd_render,
            "run": cmd_run,
            "replay": cmd_replay,
            "devices": cmd_devices,
            "soak": cmd_soak,
            "still": cmd_still,
            "stills": cmd_stills,
        }[args.command]
        return handler(args)
    except (UsageError, ConfigError) as exc:
        print(f"canopy: {exc}", file=sys.stderr)
        return 2
    except _operator_errors() as exc:
        print(f"canopy: {exc}", file=sys.stderr)
        return 2


def _operator_errors() -> tuple[type[Exception], ...]:
    from installation.app.sketch import SketchError
    from installation.app.snapshots import SnapshotError
    from installation.inputs.journal import JournalError
    from installation.outputs.png import OutputError
    from installation.outputs.window import WindowError
    from installation.render.context import GLUnavailable

    return (
        SnapshotError,
        SketchError,
        OutputError,
        GLUnavailable,
        JournalError,
        WindowError,
        OSError,
    )


def format_indices(state: State) -> str:
    """One status line: tick, time, act and the headline indices."""
    ix = state.indices
    c = state.counters
    return (
        f"tick={state.tick:>7d} t={state.time:>8.1f}s act={ix.act} {ACT_NAMES[ix.act]:<17s} "
        f"unity={ix.unity:.3f} disparity={ix.disparity:.3f} outage={ix.outage:.3f} "
        f"hope={ix.hope:.3f} anger={ix.anger:.3f} participation={ix.participation:.3f} "
        f"glitches={c.glitches} cascades={c.cascades}"
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    """``canopy simulate``: run the simulation headless and print its indices as they evolve."""
    from installation.app.snapshots import load_snapshot, save_snapshot

    config = load_config(args.config)
    if args.resume is not None:
        if args.seed is not None:
            raise UsageError("--seed cannot be combined with --resume (the snapshot has one)")
        state = load_snapshot(args.resume)
    else:
        world = config.world
        if args.seed is not None:
            import dataclasses

            world = dataclasses.replace(world, seed=args.seed)
        state = create_world(world, config.model)
    tick_hz = state.world.tick_hz
    dt = args.dt or 1.0 / tick_hz
    every = args.every or max(1, round(1.0 / dt))
    steps = args.steps
    if steps is None and not args.realtime:
        steps = round(30.0 / dt)
    print(
        f"# Verdantia: {state.world.citizens} citizens, {state.world.communities} "
        f"communities, {state.world.nodes} nodes, seed {state.world.seed}, dt {dt:g} s",
        flush=True,
    )
    print(format_indices(state), flush=True)
    done = 0
    try:
        if args.realtime:
            clock = FixedStepClock(1.0 / dt, WallTime())
            while steps is None or done < steps:
                time.sleep(clock.time_until_next())
                for _ in range(clock.poll().ticks):
                    step(state, EMPTY_FRAME, dt)
                    done += 1
                    if done % every == 0:
                        print(format_indices(state), flush=True)
        else:
            for _ in range(steps or 0):
                step(state, EMPTY_FRAME, dt)
                done += 1
                if done % every == 0:
                    print(format_indices(state), flush=True)
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
    if done % every:
        print(format_indices(state), flush=True)
    if args.save is not None:
        save_snapshot(state, args.save)
        print(f"# snapshot: {args.save}")
    print(f"state-hash: {state_hash(state)}", flush=True)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``canopy validate``: reproduce the models' published results as a table; 1 if any fails."""
    from installation.simulation.validation import run_all

    checks = run_all()
    headers = ("reference", "protocol", "expected", "measured", "pass")
    rows = [
        (c.reference, c.protocol, c.expected, c.measured, "PASS" if c.passed else "FAIL")
        for c in checks
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    failed = sum(not c.passed for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def cmd_bench(args: argparse.Namespace) -> int:
    """``canopy bench SUITE``: run one benchmark suite and print its figures (JSON with --json)."""
    from installation.app import bench

    run, targets = {
        "sim": (bench.bench_sim, bench.SIM_TARGETS),
        "render": (bench.bench_render, bench.RENDER_TARGETS),
        "osc": (bench.bench_osc, bench.OSC_TARGETS),
        "live": (bench.bench_live, bench.LIVE_TARGETS),
    }[args.suite]
    result = run(quick=args.quick)
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        target = targets.get(key)
        note = f"   (target {target[0]} {target[1]:g})" if target else ""
        print(f"{key:<22s} {value}{note}")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """``canopy check-config``: validate a venue file and print what it means for this machine."""
    from installation.app.venue_check import check_venue

    config = load_config(args.file)
    # Warnings about this machine (a missing screen or microphone) leave the status at 0:
    # the venue is valid, and the show falls back and says so.
    print(check_venue(config, str(args.file or "built-in default")), flush=True)
    return 0


def _venue(args: argparse.Namespace):
    """The venue file with the command line's overrides."""
    import dataclasses

    from installation.config.schema import host_problem

    config = load_config(args.config)
    osc = config.osc
    if getattr(args, "osc_host", None) is not None:
        why = host_problem(args.osc_host)
        if why:
            raise UsageError(f"--osc-host: {why}")
        osc = dataclasses.replace(osc, host=args.osc_host)
    if getattr(args, "osc_port", None) is not None:
        osc = dataclasses.replace(osc, port=args.osc_port)
    return dataclasses.replace(config, osc=osc)


def cmd_run(args: argparse.Namespace) -> int:
    """``canopy run``: the live show, on the venue file with the command line's overrides."""
    import os

    from installation.app.live import Show, ShowOptions
    from installation.app.logs import setup_logging, stop_logging
    from installation.config.paths import ensure_data_dir, ensure_folder, resolve_data_dir

    config = _venue(args)
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
        show = Show(
            config,
            ShowOptions(
                duration=args.duration,
                journal=args.journal,
                size=args.size or tuple(config.displays[0].size),
                render=not args.no_render,
                headless=headless,
                resume=args.resume,
                data_dir=data_dir,
                status_port=args.status_port,
                on_ready=lambda message: print(f"# {message}", flush=True),
                quality=args.quality,
            ),
        )
        if show.resumed_from is not None:
            print(
                f"# resumed: {show.resumed_from} tick {show.state.tick} "
                f"state-hash {state_hash(show.state)}",
                flush=True,
            )
        result = show.run()
    finally:
        stop_logging(handlers)
    counts = result.osc_counts
    if counts:
        # Every counter but these two counts messages dropped for one reason (a bundle is
        # one datagram received but may hold several messages accepted, so the difference
        # of the two is no count of anything).
        reasons = {k: v for k, v in counts.items() if k not in ("received", "accepted") and v}
        detail = ", ".join(
            f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        print(
            f"# osc: received {counts.get('received', 0)}, accepted "
            f"{counts.get('accepted', 0)}, rejected {sum(reasons.values())}"
            + (f" ({detail})" if detail else "")
            + f", restarts {result.osc_restarts}"
        )
    if result.snapshot is not None:
        print(f"# snapshot: {result.snapshot}")
    elif show.snapshot_error:
        print(f"# snapshot: none written at the stop ({show.snapshot_error})")
    print(
        f"# stopped by {result.stopped_by} at tick {result.state.tick}, "
        f"{result.frames} frames drawn, microphone {result.audio_state}"
    )
    print(format_indices(result.state))
    print(f"state-hash: {state_hash(result.state)}", flush=True)
    return 0


def cmd_soak(args: argparse.Namespace) -> int:
    """``canopy soak``: the headless show under random OSC input; 1 if it did not stay healthy."""
    from installation.app.soak import run_soak

    report = run_soak(_venue(args), args.minutes, args.size, args.rate)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<24s} {value}")
    return 0 if report["passed"] else 1


def cmd_devices(args: argparse.Namespace) -> int:
    """``canopy devices``: list the audio input devices and the displays' screens."""
    import os

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
    from installation.app.live import replay

    state = replay(args.journal)
    print(format_indices(state))
    print(f"state-hash: {state_hash(state)}", flush=True)
    return 0


def _journal_sketch(folder: Path, scratch: Path):
    """A recorded show as a sketch: its world, its inputs tick by tick, and its sound.

    The sound is joined into one WAV in ``scratch``, a folder the caller removes.
    """
    from installation.app.live import check_dynamics, journal_configs, journal_start
    from installation.app.sketch import Sketch
    from installation.inputs.journal import journal_audio, read_journal

    journal = read_journal(folder)
    check_dynamics(journal)
    world, model = journal_configs(journal)
    start_tick = int(journal.header.get("start_tick", 0))
    seconds = ((journal.end or start_tick) - start_tick) / world.tick_hz
    sound = journal_audio(folder, world.tick_hz, scratch / "sound.wav", start_tick=start_tick)
    sketch = Sketch(
        name="journal",
        title=f"recorded show {folder}",
        world=world,
        model=model,
        seconds=seconds,
        score=journal,
        start=(lambda: journal_start(folder, journal)) if start_tick else None,
    )
    return sketch, sound


def cmd_render(args: argparse.Namespace) -> int:
    """``canopy render``: render a sketch or a recorded show offline; 130 when interrupted."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="canopy-render-") as scratch:
        return _render(args, Path(scratch))


def _render(args: argparse.Namespace, scratch: Path) -> int:
    """``canopy render``, with ``scratch`` for a journal's joined sound (removed after)."""
    from installation.app.offline import render_video
    from installation.app.sketch import load_sketch
    from installation.render.tapestry import Look

    audio = args.audio
    if audio is not None:
        from installation.outputs.png import OutputError
        from installation.outputs.video import open_sound

        try:  # before any frame is rendered: a wrong file is the operator's, name the option
            open_sound(audio).close()
        except OutputError as exc:
            raise UsageError(f"--audio {exc}") from None
    if args.journal is not None:
        if args.sketch is not None:
            raise UsageError("--journal and --sketch are alternatives")
        sketch, journal_sound = _journal_sketch(args.journal, scratch)
        audio = audio or journal_sound
    else:
        sketch = load_sketch(args.sketch)
    count = (
        args.frames
        if args.frames is not None
        else round((args.seconds if args.seconds is not None else sketch.seconds) * args.fps)
    )
    output = Path(args.output)
    if "%" not in str(output):
        output.parent.mkdir(parents=True, exist_ok=True)
    summary = render_video(
        sketch,
        args.output,
        size=args.size,
        fps=args.fps,
        count=count,
        seed=args.seed,
        audio=audio,
        preset=args.preset,
        progress=not args.quiet,
        look=Look.tier(args.quality),
    )
    state = "interrupted after" if summary.interrupted else "wrote"
    print(
        f"{state} {summary.frames} frames ({summary.seconds:.1f} s at {args.fps:g} fps, "
        f"{args.size[0]}x{args.size[1]}) to {summary.path} in {summary.wall_s:.1f} s "
        f"({summary.fps:.1f} fps)"
    )
    print(f"frames-hash: {summary.frames_hash}")
    return 130 if summary.interrupted else 0


def cmd_still(args: argparse.Namespace) -> int:
    """``canopy still``: render one frame of a sketch to a PNG."""
    from installation.app.offline import render_stills
    from installation.app.sketch import load_sketch
    from installation.outputs.png import write_png
    from installation.render.tapestry import Look

    sketch = load_sketch(args.sketch)
    ((_, frame),) = render_stills(
        sketch,
        [(args.at, "")],
        None,
        size=args.size,
        seed=args.seed,
        look=Look.tier(args.quality),
    )
    write_png(args.output, frame)
    print(f"wrote {args.output} ({args.size[0]}x{args.size[1]}, t={args.at:g} s)")
    return 0


def cmd_stills(args: argparse.Namespace) -> int:
    """``canopy stills``: one PNG per act of a sketch and a labelled contact sheet of them."""
    from installation.app.offline import act_marks, render_stills
    from installation.app.sketch import load_sketch
    from installation.outputs.png import write_png
    from installation.outputs.sheet import contact_sheet
    from installation.render.tapestry import Look

    sketch = load_sketch(args.sketch)
    if not sketch.acts:
        raise UsageError(f"sketch {sketch.name!r} marks no acts")
    marks = act_marks(sketch, args.seed)
    for t, label, found in marks:
        if not found:
            print(f"# this city never reaches {label!r}; its still is taken at {t:g} s")
    args.output.mkdir(parents=True, exist_ok=True)
    shots = render_stills(
        sketch,
        [(t, label) for t, label, _ in marks],
        args.output,
        size=args.size,
        seed=args.seed,
        look=Look.tier(args.quality),
    )
    for path, _ in shots:
        print(f"wrote {path}")
    seed = args.seed if args.seed is not None else sketch.world.seed
    sheet = contact_sheet(
        [
            (f"{n + 1}. {label}  (t = {t:g} s)", frame)
            for n, ((t, label, _), (_, frame)) in enumerate(zip(marks, shots, strict=True))
        ],
        title=f"{sketch.title} - seed {seed}, {args.quality}",
    )
    print(f"wrote {write_png(args.output / 'contact-sheet.png', sheet)}")
    return 0


def cmd_uniforms_reference(args: argparse.Namespace) -> int:
    """``canopy uniforms-reference``: print the shaders' uniform contract (Markdown)."""
    from installation.render.uniforms import uniforms_reference

    print(uniforms_reference(), end="")
    return 0


def cmd_config_reference(args: argparse.Namespace) -> int:
    """``canopy config-reference``: print the configuration reference (Markdown)."""
    from installation.config.reference import config_reference

    print(config_reference())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
