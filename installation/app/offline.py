"""Offline rendering: a sketch (or recorded input) to video, PNG sequence or stills.

Time comes from the frame count (``FrameTime``), never the wall clock, so the same sketch,
seed and options give the same frames on any machine. The simulation and the GL passes run
on this thread; encoding runs on a writer thread fed through a small queue, so encoding
overlaps with simulating and rendering the next frame (measured in ``canopy bench render``).
"""

from __future__ import annotations

import hashlib
import math
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import moderngl
import numpy as np

from installation.app.audio_clock import AudioClock
from installation.app.runner import Runner
from installation.app.sketch import Sketch
from installation.outputs.contract import FileOutput, Picture
from installation.outputs.png import OutputError, write_png
from installation.outputs.presets import DEFAULT_PRESET
from installation.outputs.video import VideoWriter
from installation.render.context import create_headless_context
from installation.render.tapestry import Look, Tapestry
from installation.simulation import ACT_NAMES, State, create_world
from installation.timing import FrameTime

MAX_SIZE = (7680, 4320)


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), within 16x16 .. 7680x4320."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1280x720, got {text!r}") from None
    if not (16 <= w <= MAX_SIZE[0] and 16 <= h <= MAX_SIZE[1]):
        raise ValueError(f"size {w}x{h} is outside 16x16 .. {MAX_SIZE[0]}x{MAX_SIZE[1]}")
    return w, h


def _start(sketch: Sketch, seed: int | None) -> State:
    """The state a sketch starts from (its recorded start, or a new world, ``seed`` given)."""
    if sketch.start is not None:
        return sketch.start()
    world = sketch.world if seed is None else replace(sketch.world, seed=seed)
    return create_world(world, sketch.model)


@dataclass
class Keyframe:
    """Where a stretch of a render starts: all that frame ``frame`` depends on.

    A frame is a function of the state it shows and the audio clock's value then, nothing
    older (the cloth's remembered history is in the state), so a render can start at any
    frame from one of these: the chunks of a distributed render do.

    Attributes:
        frame: the frame's number in the whole render (0 for its first).
        state: the state that frame shows (its ticks run).
        audio_time: the audio clock at that frame (``AudioClock.time``).
    """

    frame: int
    state: State
    audio_time: float = 0.0


def timeline(
    sketch: Sketch,
    fps: float,
    count: int,
    seed: int | None = None,
    start: Keyframe | None = None,
) -> Iterator[Keyframe]:
    """Simulate ``count`` frames of ``sketch`` and yield each as a ``Keyframe``, drawing none.

    Frame k shows the city at k / fps seconds: the sketch's score drives a ``Runner`` on a
    frame clock (``FrameTime``). The keyframe yielded is live (its state is advanced in
    place for the next frame): copy what must outlive the step.

    Args:
        sketch: what to simulate.
        fps: frames per second.
        count: number of frames.
        seed: overrides the sketch's world seed (ignored with ``start``).
        start: continue from this keyframe (its state is advanced in place); from the
            sketch's start otherwise.
    """
    start = start or Keyframe(0, _start(sketch, seed))
    source = FrameTime(fps)
    runner = Runner.on(start.state, source, sources=[sketch.score], max_catchup=10**9)
    audio = AudioClock(runner.dt, start.audio_time)  # (the runner's tick, as live)
    runner.listeners.append(audio)
    assert runner.clock is not None  # (Runner.on gives it one)
    source.advance(start.frame)
    runner.clock.poll()  # the ticks up to the first frame are in its state already
    for k in range(start.frame, start.frame + count):
        if k > start.frame:
            source.advance()
            runner.advance()
        yield Keyframe(k, start.state, audio.time)


def play(
    sketch: Sketch,
    size: tuple[int, int],
    fps: float,
    count: int,
    ctx: moderngl.Context,
    seed: int | None = None,
    on_state: Callable[[State], None] | None = None,
    tapestry: Tapestry | None = None,
    draw: Callable[[int], bool] | None = None,
    look: Look | None = None,
    start: Keyframe | None = None,
) -> Iterator[Tapestry | None]:
    """Yield ``count`` drawn frames of ``sketch``: frame k shows the city at k / fps seconds.

    The frames are those of ``timeline``; each is yielded as the tapestry that drew it (an
    ``outputs.contract.Picture``), valid until the next one.

    Args:
        sketch: what to render.
        size: (width, height).
        fps: frames per second.
        count: number of frames.
        ctx: the GL context.
        seed: overrides the sketch's world seed.
        on_state: called with the state before each frame is drawn (for probes and tests).
        tapestry: an existing tapestry to draw with (one is created otherwise).
        draw: which frames to draw (all when None); the others are simulated only and
            yielded as None.
        look: the look (quality tier) of the tapestry created here; full when None.
        start: begin at this keyframe (a chunk of a distributed render); ``draw`` and the
            frames yielded still count from 0.
    """
    own = tapestry is None
    tap = tapestry or Tapestry(ctx, size, look=look or Look())
    try:
        for k, key in enumerate(timeline(sketch, fps, count, seed, start)):
            if on_state is not None:
                on_state(key.state)
            if draw is not None and not draw(k):
                yield None
                continue
            tap.audio_time = key.audio_time  # the clock at this tick, whatever the frame rate
            tap.upload(key.state)
            tap.draw()
            yield tap
    finally:
        if own:
            tap.release()


def frames(
    sketch: Sketch,
    size: tuple[int, int],
    fps: float,
    count: int,
    ctx: moderngl.Context,
    **kwargs: Any,
) -> Iterator[np.ndarray | None]:
    """The frames of ``play`` as pixels (None for those not drawn); same arguments."""
    for picture in play(sketch, size, fps, count, ctx, **kwargs):
        yield None if picture is None else picture.read()


@dataclass
class RenderSummary:
    """What a render produced."""

    path: str
    frames: int
    seconds: float
    wall_s: float
    frames_hash: str
    interrupted: bool

    @property
    def fps(self) -> float:
        """Frames rendered per second of wall time (0 when no time passed)."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


class _Progress:
    """A one-line progress bar on stderr: frames, frames per second, time left."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.finished = False

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if not self.enabled or self.finished or (now - self.last < 0.5 and done < self.total):
            return
        self.last = now
        rate = done / max(now - self.t0, 1e-9)
        left = (self.total - done) / rate if rate > 0 else 0.0
        filled = int(30 * done / max(self.total, 1))
        bar = "#" * filled + "." * (30 - filled)
        sys.stderr.write(
            f"\r[{bar}] {done}/{self.total} frames  {rate:5.1f} fps  "
            f"left {int(left) // 60}:{int(left) % 60:02d} "
        )
        if done >= self.total:
            self.finished = True
            sys.stderr.write("\n")
        sys.stderr.flush()


class FrameEncoder:
    """The video ``Output`` of a render: pixels hashed, then encoded on a writer thread.

    Encoding overlaps with simulating and drawing the next frame behind a queue of four
    frames; without ``threaded`` every frame is encoded inline (kept for the benchmark that
    measures what the overlap gains). A failure of the writer is raised by ``close``.

    ``digest`` folds the frames' own SHA-256s into the render's ``frames-hash``; ``frames``
    keeps them one by one (a chunk of a distributed render returns them).
    """

    def __init__(self, writer: VideoWriter, threaded: bool, keep: bool = False) -> None:
        """Open the output; start the writer thread when ``threaded``; ``keep`` the digests."""
        self.keep = keep
        self.output = FileOutput(writer)
        self.digest = hashlib.sha256()
        self.frames: list[bytes] = []
        self.failure: list[BaseException] = []
        self.jobs: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._encode, name="encoder", daemon=True)
        self.threaded = threaded
        if threaded:
            self.thread.start()

    def _encode(self) -> None:
        while True:
            frame = self.jobs.get()
            if frame is None:
                return
            if self.failure:
                continue
            try:
                self.output.sink.write(frame)
            except BaseException as exc:  # reported on the main thread
                self.failure.append(exc)

    def write(self, picture: Picture) -> None:
        """Hash the picture's pixels and hand them to the encoder."""
        frame = picture.read()
        own = hashlib.sha256(frame.tobytes()).digest()
        self.digest.update(own)
        if self.keep:
            self.frames.append(own)
        if self.threaded:
            self.jobs.put(frame)
        else:
            self.output.sink.write(frame)

    def close(self) -> None:
        """Finish encoding and close the file; raise the writer's failure, if any."""
        if self.threaded:
            self.jobs.put(None)
            self.thread.join()
        self.output.close()
        if self.failure:
            raise self.failure[0]


def render_video(
    sketch: Sketch,
    output: str | Path,
    size: tuple[int, int] = (1280, 720),
    fps: float = 30.0,
    count: int | None = None,
    seed: int | None = None,
    audio: str | Path | None = None,
    preset: str = DEFAULT_PRESET,
    progress: bool = True,
    ctx: moderngl.Context | None = None,
    threaded: bool = True,
    look: Look | None = None,
) -> RenderSummary:
    """Render ``sketch`` to a video file or PNG sequence; Ctrl-C keeps what was made.

    With ``threaded`` (the default) encoding runs on a writer thread while the next frame
    is simulated and drawn (``FrameEncoder``).

    Raises:
        OutputError: the output cannot be written (bad path, disk full, ...).
    """
    count = count if count is not None else round(sketch.seconds * fps)
    encoder = FrameEncoder(VideoWriter(output, size, fps, audio=audio, preset=preset), threaded)
    ctx = ctx or create_headless_context()
    bar = _Progress(count, enabled=progress)
    t0 = time.perf_counter()
    done = 0
    interrupted = False
    try:
        for picture in play(sketch, size, fps, count, ctx, seed=seed, look=look):
            if encoder.failure:
                break
            assert picture is not None  # without ``draw`` every frame is drawn
            encoder.write(picture)
            done += 1
            bar.update(done)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        encoder.close()
    return RenderSummary(
        str(output),
        done,
        done / fps,
        time.perf_counter() - t0,
        encoder.digest.hexdigest(),
        interrupted,
    )


OUTAGE_ACT = {name: n for n, name in ACT_NAMES.items()}["summit and outage"]  # the crisis


def story_spans(spans: list[tuple[int, float, float]]) -> dict[int, tuple[float, float]]:
    """The stretch of each act that tells the story, from a city's act spans in time order.

    A city may fall back (an outage flares again while it mends, lights come back and it
    never bonds) and live an act more than once. The stretches chosen are the ones that lead
    to its ending: its longest emergence, then the last mobilisation before it (an earlier
    one failed), the longest outage before that (the crisis itself, not a flare while it was
    mending), the last glitches before that and the last rally before those. An act with no
    stretch on that path falls back to its longest stretch.

    Args:
        spans: (act, start, end) for each stretch the city spends in one act, in order.

    Returns:
        act number -> (start, end) for each act the city lives at all.
    """
    chosen: dict[int, tuple[float, float]] = {}
    bound = math.inf
    for act in sorted({n for n, _, _ in spans}, reverse=True):
        mine = [(a, b) for n, a, b in spans if n == act]
        on_path = [(a, b) for a, b in mine if a < bound]
        if on_path and act == OUTAGE_ACT:
            a, b = max(on_path, key=lambda ab: ab[1] - ab[0])
        elif on_path and act != max(n for n, _, _ in spans):
            a, b = max(on_path)  # the last one before the next act's stretch
        else:
            a, b = max(mine, key=lambda ab: ab[1] - ab[0])
        chosen[act] = (a, b)
        bound = min(bound, a)
    return chosen


def act_marks(sketch: Sketch, seed: int | None = None) -> list[tuple[float, str, bool]]:
    """The sketch's act marks, each moved into the act it names as this seed's city lives it.

    A mark whose label is one of the story's acts (``ACT_NAMES``) stays where it is when the
    city is then in the stretch of that act that tells its story (``story_spans``); otherwise
    it moves to the middle of that stretch (the acts are recognised from the state, so another
    seed reaches them at other times). Marks with other labels (the studies') stay as they are.

    Returns:
        (time, label, found) per mark; ``found`` is False for a story act this city never
        reaches within the sketch's length (the mark is then left where it was).
    """
    state = _start(sketch, seed)
    runner = Runner(state, [sketch.score])
    dt = runner.dt
    end = max([sketch.seconds, *(t for t, _ in sketch.acts)])
    spans: list[tuple[int, float, float]] = []  # (act, start, end)
    act, since = state.indices.act, state.time
    for _ in range(round(end / dt)):
        runner.tick()
        if state.indices.act != act:
            spans.append((act, since, state.time))
            act, since = state.indices.act, state.time
    spans.append((act, since, state.time + dt))
    chosen = story_spans(spans)
    numbers = {name: n for n, name in ACT_NAMES.items()}
    out = []
    for t, label in sketch.acts:
        want = numbers.get(label)
        if want is None:
            out.append((t, label, True))
        elif want not in chosen:
            out.append((t, label, False))
        else:
            a, b = chosen[want]
            out.append((t if a <= t < b else round((a + b) / 2.0, 2), label, True))
    return out


def still_name(n: int, label: str, suffix: str = "") -> str:
    """The file name of the ``n``-th still (from 1): ``<n>-<label><suffix>.png``."""
    return f"{n}-{label.replace(' ', '-')}{suffix}.png" if label else f"{n}{suffix}.png"


def render_stills(
    sketch: Sketch,
    times: list[tuple[float, str]],
    folder: str | Path | None,
    size: tuple[int, int] = (1280, 720),
    fps: float = 30.0,
    seed: int | None = None,
    ctx: moderngl.Context | None = None,
    look: Look | None = None,
) -> list[tuple[Path | None, np.ndarray]]:
    """Render frames at the given times in one pass; write them as PNGs when ``folder`` is given.

    The files are named ``<n>-<label>.png``. A frame depends only on the state and the clocks, so
    only the wanted frames are drawn; the others are simulated.

    Returns:
        (path or None, frame) per entry of ``times``, in the order given (two times on the
        same frame give that frame twice).
    """
    ctx = ctx or create_headless_context()
    wanted: dict[int, list[int]] = {}
    for i, (t, _) in enumerate(times):
        wanted.setdefault(round(t * fps), []).append(i)
    last = max(wanted) if wanted else 0

    def needed(k: int) -> bool:
        return k in wanted

    out: list[tuple[Path | None, np.ndarray] | None] = [None] * len(times)
    shots = frames(sketch, size, fps, last + 1, ctx, seed=seed, draw=needed, look=look)
    for k, frame in enumerate(shots):
        if frame is None:
            continue
        for i in wanted.get(k, ()):
            label = times[i][1]
            path = None
            if folder is not None:
                path = write_png(Path(folder) / still_name(i + 1, label), frame)
            out[i] = (path, frame)
    return [shot for shot in out if shot is not None]


__all__ = [
    "FrameEncoder",
    "Keyframe",
    "OutputError",
    "RenderSummary",
    "act_marks",
    "frames",
    "parse_size",
    "play",
    "render_stills",
    "render_video",
    "story_spans",
    "timeline",
]
