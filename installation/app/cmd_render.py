"""The commands that render offline: render (video or PNG frames), still, stills."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from installation.app.commands import (
    QUALITY_HELP,
    Command,
    UsageError,
    nonneg_float,
    positive_float,
    positive_int,
    size,
)
from installation.config import QUALITIES
from installation.outputs.presets import DEFAULT_PRESET, X264_PRESETS

if TYPE_CHECKING:
    import numpy as np

    from installation.app.offline import RenderSummary
    from installation.app.sketch import Sketch


def _render_arguments(r: argparse.ArgumentParser) -> None:
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
    length.add_argument("--seconds", type=positive_float, help="length in seconds")
    length.add_argument("--frames", type=positive_int, help="length in frames")
    r.add_argument("--fps", type=positive_float, default=30.0, help="frames per second")
    r.add_argument("--size", type=size, default=(1280, 720), help="WxH (default 1280x720)")
    r.add_argument("--seed", type=positive_int, help="world seed (overrides the sketch)")
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
    ray = r.add_argument_group(
        "distributed rendering (Ray)",
        "Chunks of the film render in parallel as Ray tasks; the file and its frames-hash "
        "are those of a render in one process. An interrupted render resumes when run again.",
    )
    ray.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="render N chunks at once: on a local Ray instance of N CPUs, or on the "
        "cluster of --ray-address (default there: all its GPUs, or all its CPUs)",
    )
    ray.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="a running Ray cluster's head, HOST:PORT (docs/distributed.md)",
    )
    ray.add_argument(
        "--chunk-seconds",
        type=positive_float,
        metavar="S",
        help="seconds of film per chunk (default: about four chunks a worker, 2 to 60 s)",
    )


def _still_arguments(st: argparse.ArgumentParser) -> None:
    st.add_argument("-o", "--output", required=True, type=Path, help="PNG file to write")
    st.add_argument("--size", type=size, default=(1280, 720), help="WxH (default 1280x720)")
    st.add_argument("--at", type=nonneg_float, default=0.0, help="time in seconds")
    st.add_argument("--sketch", help="sketch name or path (default: the story)")
    st.add_argument("--seed", type=positive_int, help="world seed (overrides the sketch)")
    st.add_argument("--quality", choices=QUALITIES, default="full", help=QUALITY_HELP)


def _stills_arguments(sa: argparse.ArgumentParser) -> None:
    sa.add_argument("-o", "--output", type=Path, default=Path("docs/stills"), help="folder")
    sa.add_argument(
        "--size",
        type=size,
        default=(1920, 1080),
        help="WxH (default 1920x1080: a gallery projector's size, where single threads show)",
    )
    sa.add_argument("--sketch", help="sketch name or path (default: the story)")
    sa.add_argument("--seed", type=positive_int, help="world seed (overrides the sketch)")
    sa.add_argument("--quality", choices=QUALITIES, default="full", help=QUALITY_HELP)
    sa.add_argument(
        "--strip",
        type=nonneg_float,
        default=0.0,
        metavar="SECONDS",
        help="also write, for each act, a strip of six frames over SECONDS from its still "
        "(<n>-<act>-strip.png), to review its motion (default 0: none)",
    )


def _strip_times(marks: list, seconds: float) -> list[tuple[float, str]]:
    """The frames of each act's strip after its still: five more over ``seconds``, in order."""
    return [
        (t + seconds * k / 5.0, f"{label}  +{seconds * k / 5.0:g} s")
        for t, label, _ in marks
        for k in range(1, 6)
    ]


def _write_strips(
    folder: Path, marks: list, stills: list[np.ndarray], strip: list[tuple[str, np.ndarray]]
) -> None:
    """Each act's motion: its still and the five frames after it (``strip``), in a row."""
    from installation.app.offline import still_name
    from installation.outputs.png import write_png
    from installation.outputs.sheet import contact_sheet

    for n, (_, label, _) in enumerate(marks):
        row = [(f"{label}  +0 s", stills[n]), *strip[5 * n : 5 * n + 5]]
        sheet = contact_sheet(row, columns=6, width=320)
        print(f"wrote {write_png(folder / still_name(n + 1, label, '-strip'), sheet)}")


def cmd_render(args: argparse.Namespace) -> int:
    """``canopy render``: render a sketch or a recorded show offline; 130 when interrupted."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="canopy-render-") as scratch:
        return _render(args, Path(scratch))


def _render(args: argparse.Namespace, scratch: Path) -> int:
    """``canopy render``, with ``scratch`` for a journal's joined sound (removed after)."""
    from installation.app.offline import render_video
    from installation.app.replay import journal_sketch
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
        sketch, journal_sound = journal_sketch(args.journal, scratch)
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
    # What a render in one process and a distributed one share.
    options = {
        "size": args.size,
        "fps": args.fps,
        "count": count,
        "seed": args.seed,
        "audio": audio,
        "preset": args.preset,
        "progress": not args.quiet,
        "look": Look.tier(args.quality),
    }
    if args.workers is not None or args.ray_address is not None:
        summary = _render_distributed(args, sketch, options)
    else:
        summary = render_video(sketch, args.output, **options)
    if summary.frames_hash or not summary.interrupted:  # (a distributed one said its own)
        state = "interrupted after" if summary.interrupted else "wrote"
        print(
            f"{state} {summary.frames} frames ({summary.seconds:.1f} s at {args.fps:g} fps, "
            f"{args.size[0]}x{args.size[1]}) to {summary.path} in {summary.wall_s:.1f} s "
            f"({summary.fps:.1f} fps)"
        )
        print(f"frames-hash: {summary.frames_hash}")
    return 130 if summary.interrupted else 0


def _render_distributed(
    args: argparse.Namespace, sketch: Sketch, options: dict[str, Any]
) -> RenderSummary:
    """``canopy render --workers/--ray-address``: the render's chunks on Ray."""
    from installation.app.distributed import DistributedError, connect, render_distributed
    from installation.app.offline import RenderSummary

    try:
        cluster = connect(args.workers, args.ray_address)
    except DistributedError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print("interrupted while Ray was starting: nothing was rendered", file=sys.stderr)
        return RenderSummary(str(args.output), 0, 0.0, 0.0, "", True)
    try:
        print(
            f"rendering on Ray ({cluster.where}): {cluster.slots} chunks at once"
            + (", a GPU each" if cluster.gpus else ""),
            flush=True,
        )
        return render_distributed(
            sketch, args.output, cluster, chunk_seconds=args.chunk_seconds, **options
        )
    finally:
        cluster.close()


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
    from installation.app.offline import act_marks, render_stills, still_name
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
    # The stills and the strips' later frames in one pass over the story.
    extra = _strip_times(marks, args.strip) if args.strip > 0 else []
    shots = render_stills(
        sketch,
        [(t, label) for t, label, _ in marks] + extra,
        None,
        size=args.size,
        seed=args.seed,
        look=Look.tier(args.quality),
    )
    stills = [frame for _, frame in shots[: len(marks)]]
    for n, ((_, label, _), frame) in enumerate(zip(marks, stills, strict=True)):
        print(f"wrote {write_png(args.output / still_name(n + 1, label), frame)}")
    seed = args.seed if args.seed is not None else sketch.world.seed
    sheet = contact_sheet(
        [
            (f"{n + 1}. {label}  (t = {t:g} s)", frame)
            for n, ((t, label, _), frame) in enumerate(zip(marks, stills, strict=True))
        ],
        title=f"{sketch.title} - seed {seed}, {args.quality}",
    )
    print(f"wrote {write_png(args.output / 'contact-sheet.png', sheet)}")
    if extra:
        later = shots[len(marks) :]
        strip = [(label, frame) for (_, label), (_, frame) in zip(extra, later, strict=True)]
        _write_strips(args.output, marks, stills, strip)
    return 0


COMMANDS = (
    Command(
        "render",
        "render a sketch offline to video (.mp4 H.264, .mov ProRes) or PNG frames",
        cmd_render,
        _render_arguments,
        "Renders a sketch (the default story when none is given) offline. The same sketch, "
        "seed and options give identical frames on any machine. Ctrl-C leaves a playable "
        "file holding the frames so far.",
    ),
    Command("still", "render one frame of a sketch to a PNG", cmd_still, _still_arguments),
    Command(
        "stills",
        "render one PNG per act of a sketch, and a labelled contact sheet, into a folder",
        cmd_stills,
        _stills_arguments,
        "Renders one still per act the sketch marks, and contact-sheet.png with all of them "
        "labelled. With --seed, each story act's still is taken while that seed's city is in "
        "the act (its acts come at other times than the sketch's marks). With --strip, each "
        "act's motion too: six frames over that many seconds, in a row.",
    ),
)
