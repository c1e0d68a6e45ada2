"""A render cut into chunks that render anywhere: the simulation pass, one chunk, the join.

A frame depends only on the state it shows and the audio clock then (``offline.Keyframe``),
so a film can be cut into stretches of frames that render independently, in any order,
on any machine, and still make the same frames:

1. ``simulate`` steps the whole timeline once, in order (it is cheap), and yields a
   ``ChunkJob`` per stretch: the state and the audio clock at its first frame, and the
   inputs its ticks apply (its ``Tape``), so a worker needs neither the sketch's file nor
   a recorded show's journal.
2. ``render_chunk`` renders one job to an encoded part (an H.264 or ProRes file starting on
   a key frame, or PNG files) and returns the frames' own SHA-256s.
3. ``join_parts`` (in ``outputs.video``) joins the parts without re-encoding and muxes the
   sound once, and ``fold`` makes the render's ``frames-hash`` from the chunks' digests:
   the very same hash a single-process render computes.

Nothing here knows about Ray (``app.distributed`` schedules the jobs); the tests run these
functions in one process too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from installation.app.offline import FrameEncoder, Keyframe, play, timeline
from installation.app.sketch import Sketch
from installation.inputs.frame import InputFrame
from installation.outputs.video import VideoWriter, video_kind
from installation.render.context import create_headless_context
from installation.render.tapestry import Look, Tapestry
from installation.simulation.serialize import state_from_arrays, state_to_arrays

DIGEST = 32  # bytes of a frame's SHA-256
SCRATCH = "canopy-chunk-"  # a chunk's scratch folder: canopy-chunk-<worker pid>-<random>


@dataclass(frozen=True)
class Tape:
    """The inputs of a stretch of ticks, recorded by the simulation pass; an input source.

    Attributes:
        frames: tick -> what the sketch's source gave for it (only ticks with events or
            sound are kept).
    """

    name: ClassVar[str] = "score"
    frames: dict[int, InputFrame]

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The recorded inputs of ``tick`` (none when nothing was recorded)."""
        return self.frames.get(tick) or InputFrame(tick=tick)


class _Taping:
    """Wraps a sketch's source during the simulation pass and records what it gives."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.name = source.name
        self.tape: dict[int, InputFrame] = {}

    def frame(self, tick: int, dt: float) -> InputFrame:
        frame = self.source.frame(tick, dt)
        if frame.events or frame.sound is not None:
            # (``received`` is only the journal's copy of what arrived over OSC)
            self.tape[tick] = replace(frame, received=())
        return frame

    def take(self) -> dict[int, InputFrame]:
        """What was recorded since the last call."""
        tape, self.tape = self.tape, {}
        return tape


@dataclass(frozen=True)
class Settings:
    """What every chunk of one render shares: the picture and the encoding.

    Attributes:
        size: (width, height).
        fps: frames per second.
        look: the tapestry's look (its quality tier and artistic constants).
        preset: the x264 preset (.mp4).
        suffix: the part's file type: ``.mp4``, ``.mov`` or ``.png`` (a PNG sequence).
    """

    size: tuple[int, int]
    fps: float
    look: Look
    preset: str
    suffix: str

    @classmethod
    def for_output(
        cls, output: str | Path, size: tuple[int, int], fps: float, look: Look, preset: str
    ) -> Settings:
        """The settings of a render to ``output`` (its kind picks the part's type)."""
        kind = video_kind(output)  # raises OutputError for an unknown type
        suffix = {"h264": ".mp4", "prores": ".mov", "png-sequence": ".png"}[kind]
        return cls((int(size[0]), int(size[1])), float(fps), look, preset, suffix)

    def frame_bytes(self) -> float:
        """About how many bytes a frame of the part takes (PNG and ProRes are large)."""
        pixels = self.size[0] * self.size[1]
        return pixels * {".png": 1.6, ".mov": 0.9, ".mp4": 0.08}[self.suffix]


@dataclass(frozen=True)
class ChunkJob:
    """Everything one chunk's render needs, and nothing that lives on the driver's disk.

    Attributes:
        index: the chunk's place in the film (from 0).
        first: its first frame's number in the film.
        count: how many frames it renders.
        settings: the render's picture and encoding.
        arrays: the state at ``first`` (``serialize.state_to_arrays``: checked and hashed
            again by the worker).
        meta: the state's metadata (with its hash).
        audio_time: the audio clock at ``first``.
        tape: the inputs of the chunk's ticks.
        ident: a digest of all of the above: names the part, so a resumed render keeps a
            part only if the new simulation pass asks for exactly the same chunk.
    """

    index: int
    first: int
    count: int
    settings: Settings
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    audio_time: float
    tape: Tape
    ident: str


@dataclass(frozen=True)
class ChunkResult:
    """A rendered chunk.

    Attributes:
        index: the chunk's place in the film.
        files: the encoded part (one file), or one PNG file a frame.
        digests: the frames' SHA-256s, in order (``DIGEST`` bytes each).
        host: the machine that rendered it (for the log).
        timings: seconds spent on ``preroll`` (the state restored and checked),
            ``startup`` (the context and the tapestry), ``first`` (the first frame, which
            compiles the shaders), ``frames`` (the others: simulated, drawn, encoded) and
            ``tail`` (the encoder flushed, the part read).
    """

    index: int
    files: tuple[bytes, ...]
    digests: bytes
    host: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def plan(count: int, chunk_frames: int) -> list[tuple[int, int]]:
    """(first frame, frames) of each chunk; the last may be shorter (none is empty)."""
    if count < 1 or chunk_frames < 1:
        raise ValueError("a render needs at least one frame and chunks of at least one")
    return [(first, min(chunk_frames, count - first)) for first in range(0, count, chunk_frames)]


PART_BYTES = 256 * 2**20
"""The most a chunk's part should take: it is held in memory and in Ray's object store."""


def chunk_length(
    count: int, fps: float, slots: int, seconds: float | None = None, frame_bytes: float = 0.0
) -> int:
    """Frames per chunk: ``seconds`` when given, else about four chunks per worker slot.

    Four a slot lets a fast worker take more while a slow one finishes; a chunk stays
    between 2 s (its start-up, about a tenth of a second, then costs little) and 60 s (a
    retried chunk loses at most a minute of film), and its part under ``PART_BYTES``
    (``frame_bytes`` a frame: PNG frames and ProRes make shorter chunks).
    """
    if seconds is not None:
        return max(1, round(seconds * fps))
    wanted = math.ceil(count / max(4 * slots, 1))
    most = round(60 * fps)
    if frame_bytes > 0:
        most = min(most, max(1, int(PART_BYTES // frame_bytes)))
    return max(1, min(max(wanted, round(2 * fps)), most, count))


@functools.cache
def code_version() -> str:
    """A digest of the code that makes a frame: the package, the sketches, the shaders.

    The package's version and the sources of all three. Part of every chunk's ident and of
    the keyframes' fingerprint, so nothing kept from before an upgrade or an edit is reused.
    Read once a process (a render asks for it several times; the code does not change under
    a running render).
    """
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    with contextlib.suppress(PackageNotFoundError):
        digest.update(version("verdantia-canopy").encode())
    root = Path(__file__).resolve().parents[2]
    for folder, pattern in (("installation", "*.py"), ("sketches", "*.py"), ("shaders", "*")):
        for path in sorted((root / folder).rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(
    sketch: Sketch, seed: int | None, fps: float, chunks: list[tuple[int, int]], code: str
) -> str | None:
    """What a render's simulation pass depends on, as a digest; None when it cannot be known.

    The piece (its ``origin``: a sketch file's or a journal's bytes), its world and
    dynamics, the seed, the frame rate, the cut into chunks, the code, and what the numbers
    are computed with (Python, numpy, scipy and the processor: their rounding may differ).
    Stored keyframes are read back only under the same fingerprint.

    Only a piece whose inputs are a function of the tick alone can go on from a stored
    keyframe: a ``Score`` or a recorded show (``Journal``). Any other source (one with a
    random generator of its own, say) gives None: its film is always simulated whole.
    """
    import platform
    import sys

    import scipy

    from installation.inputs.journal import Journal
    from installation.inputs.score import Score

    if not sketch.origin or not isinstance(sketch.score, Score | Journal):
        return None
    piece = [sketch.origin, repr(sketch.world), repr(sketch.model), seed, float(fps), chunks]
    machine = [sys.version, platform.machine(), np.__version__, scipy.__version__]
    text = json.dumps([*piece, code, *machine])
    return hashlib.sha256(text.encode()).hexdigest()


class JobFileError(ValueError):
    """A stored chunk job that cannot be read back (it is simulated again instead)."""


def save_job(job: ChunkJob, path: Path, fp: str) -> bool:
    """Store ``job``'s keyframe and inputs (not its settings) in ``path``, atomically.

    An ``.npz``: the state's arrays, its metadata, and the job's frames, audio clock and
    inputs as JSON (the journal's encoding of events and sounds), with the render's
    fingerprint ``fp``. Inputs that JSON would not give back exactly (numpy numbers in an
    event, say) are not stored: the job would come back another job.

    Returns:
        False when the job's inputs cannot be stored exactly (nothing is written).

    Raises:
        OSError: it cannot be written.
    """
    from installation.inputs.journal import event_to_json, sound_to_json
    from installation.outputs.files import atomic_write

    tape = [
        [
            tick,
            [event_to_json(e) for e in frame.events],
            None if frame.sound is None else sound_to_json(frame.sound),
            list(frame.batches),
        ]
        for tick, frame in sorted(job.tape.frames.items())
    ]
    about: dict[str, Any] = {"index": job.index, "first": job.first, "count": job.count}
    about |= {"audio_time": job.audio_time, "meta": job.meta, "tape": tape, "fp": fp}
    try:
        text = json.dumps(about, allow_nan=True)
        exact = repr(_tape_from_json(json.loads(text)["tape"])) == repr(job.tape)
    except (TypeError, ValueError, KeyError):
        exact = False
    if not exact:
        return False
    arrays = dict(job.arrays)
    arrays[_JOB_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)
    atomic_write(path, lambda fh: np.savez(fh, allow_pickle=False, **arrays))
    return True


def _tape_from_json(rows: Any) -> Tape:
    """The inverse of ``save_job``'s encoding of a tape (raises on anything else)."""
    from installation.inputs.journal import event_from_json, sound_from_json

    frames = {}
    for tick, events, sound, batches in rows:
        frames[int(tick)] = InputFrame(
            tick=int(tick),
            events=tuple(event_from_json(e) for e in events),
            sound=None if sound is None else sound_from_json(sound),
            batches=tuple(int(b) for b in batches),
        )
    return Tape(frames)


_JOB_KEY = "__job__"


def load_job(path: Path, settings: Settings, code: str, fp: str) -> ChunkJob:
    """Read back a job stored by ``save_job`` under fingerprint ``fp``, for ``settings``.

    Raises:
        JobFileError: missing, damaged, not a job, or stored under another fingerprint
            (the state's hash is checked again).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files if name != _JOB_KEY}
            about = json.loads(bytes(data[_JOB_KEY]).decode())
        if about.get("fp") != fp:
            raise ValueError("stored for another render (its fingerprint differs)")
        state_from_arrays(arrays, about["meta"])  # (checks every array and the hash)
        tape = _tape_from_json(about["tape"])
        first, count, audio = int(about["first"]), int(about["count"]), float(about["audio_time"])
        meta = about["meta"]
        ident = _ident(settings, first, count, meta, audio, tape, code)
        return ChunkJob(
            int(about["index"]), first, count, settings, arrays, meta, audio, tape, ident
        )
    except Exception as exc:  # (whatever is wrong with it, it is simulated again)
        raise JobFileError(f"{path}: {type(exc).__name__}: {exc}") from None


def _ident(
    settings: Settings,
    first: int,
    count: int,
    meta: dict[str, Any],
    audio: float,
    tape: Tape,
    code: str,
) -> str:
    text = json.dumps(
        [
            [settings.size, settings.fps, repr(settings.look), settings.preset, settings.suffix],
            [first, count, meta["state_hash"], repr(audio)],
        ]
    )
    digest = hashlib.sha256(text.encode())
    digest.update(code.encode())
    digest.update(repr(sorted(tape.frames.items())).encode())
    return digest.hexdigest()[:16]


def simulate(
    sketch: Sketch,
    settings: Settings,
    chunks: list[tuple[int, int]],
    seed: int | None = None,
    on_frame: Callable[[int], None] | None = None,
    start: ChunkJob | None = None,
) -> Iterator[ChunkJob]:
    """The simulation pass: step the film once and yield each chunk's job as it is reached.

    A chunk's job is complete once the pass has stepped through its last frame (its tape
    is then whole), so job k is yielded when frame ``first + count - 1`` of chunk k has
    been simulated; the caller can start rendering it while the pass goes on.

    Args:
        sketch: the film (its score or recorded show drives it).
        settings: the render's settings.
        chunks: ``plan``'s chunks, in order, covering frames 0 .. end without gaps.
        seed: overrides the sketch's world seed.
        on_frame: told each frame simulated (progress).
        start: go on from this chunk's keyframe (a stored job): it and the chunks after it
            are simulated, from its state, not from the film's start.
    """
    code = code_version()
    taping = _Taping(sketch.score)
    taped = replace(sketch, score=taping)
    key0 = None
    if start is not None:
        state = state_from_arrays(start.arrays, start.meta)
        key0 = Keyframe(start.first, state, start.audio_time)
    begin = start.first if start is not None else 0
    total = sum(n for first, n in chunks if first >= begin)
    starts = {first: (i, n) for i, (first, n) in enumerate(chunks)}
    pending: tuple[int, int, int, dict[str, np.ndarray], dict[str, Any], float] | None = None
    for key in timeline(taped, settings.fps, total, seed, key0):
        if key.frame in starts:
            index, n = starts[key.frame]
            arrays, meta = state_to_arrays(key.state)
            # (copies: the state is stepped in place after this frame)
            arrays = {name: np.array(a, copy=True) for name, a in arrays.items()}
            taping.take()  # inputs up to this frame are in its state
            pending = (index, key.frame, n, arrays, meta, key.audio_time)
        if on_frame is not None:
            on_frame(key.frame)
        assert pending is not None  # (the first frame starts a chunk)
        index, first, n, arrays, meta, audio = pending
        if key.frame == first + n - 1:
            tape = Tape(taping.take())
            ident = _ident(settings, first, n, meta, audio, tape, code)
            yield ChunkJob(index, first, n, settings, arrays, meta, audio, tape, ident)


def render_chunk(
    job: ChunkJob,
    device: int | None = None,
    report: Callable[[int], None] | None = None,
) -> ChunkResult:
    """Render one chunk in this process: its own headless context, encoded to a part.

    Args:
        job: the chunk.
        device: the EGL device to render on (a GPU's index); the default device when None.
        report: told the number of frames done, now and then (a progress bar).

    Raises:
        GLUnavailable: this machine has no usable OpenGL (the message says what to install).
        StateFormatError: the job's state is damaged.
    """
    import socket

    s = job.settings
    clock = _Stopwatch()
    state = state_from_arrays(job.arrays, job.meta)  # checks the hash again
    sketch = Sketch(name="chunk", title=f"chunk {job.index}", score=job.tape)
    start = Keyframe(job.first, state, job.audio_time)
    clock.lap("preroll")
    ctx = create_headless_context(device)
    try:
        tapestry = Tapestry(ctx, s.size, look=s.look)
        clock.lap("startup")
        _remove_orphans()
        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-") as tmp:
            name = "frame-%06d.png" if s.suffix == ".png" else f"part{s.suffix}"
            writer = VideoWriter(Path(tmp) / name, s.size, s.fps, preset=s.preset)
            encoder = FrameEncoder(writer, threaded=True, keep=True)
            pictures = play(sketch, s.size, s.fps, job.count, ctx, tapestry=tapestry, start=start)
            try:
                for done, picture in enumerate(pictures, start=1):
                    assert picture is not None  # (every frame is drawn)
                    if encoder.failure:  # (the writer failed: close() raises why)
                        break
                    encoder.write(picture)
                    if done == 1:
                        clock.lap("first")
                    if report is not None:
                        report(done)
                clock.lap("frames")
            finally:
                encoder.close()
            files = tuple(p.read_bytes() for p in sorted(Path(tmp).iterdir()))
            clock.lap("tail")
        tapestry.release()
    finally:
        ctx.release()
    digests = b"".join(encoder.frames)
    return ChunkResult(job.index, files, digests, socket.gethostname(), clock.laps)


def _remove_orphans() -> None:
    """Remove the scratch folders of chunks whose worker was killed (they cannot clean up).

    A folder is named after its worker's process id; one whose process is gone is an
    orphan (a retried chunk starts in a new folder, perhaps on another machine).
    """
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH}*-*"):
        pid = folder.name[len(SCRATCH) :].split("-")[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)


class _Stopwatch:
    """Seconds between named points (``render_chunk``'s timings)."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.t
        self.t = now


def fold(digests: list[bytes]) -> str:
    """The render's ``frames-hash`` from its chunks' digests, in film order."""
    total = hashlib.sha256()
    for chunk in digests:
        total.update(chunk)
    return total.hexdigest()


__all__ = [
    "ChunkJob",
    "ChunkResult",
    "JobFileError",
    "Settings",
    "Tape",
    "chunk_length",
    "code_version",
    "fingerprint",
    "fold",
    "load_job",
    "plan",
    "render_chunk",
    "save_job",
    "simulate",
]
