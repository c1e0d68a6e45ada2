"""Offline renders on a Ray cluster: the simulation pass here, the chunks on the workers.

``render_distributed`` is ``offline.render_video`` spread over many machines:

- the simulation pass (``chunks.simulate``) runs once, here, in order, and hands each
  chunk's job to Ray as soon as the pass is through it, so the workers start while it goes
  on; at most two jobs a worker wait in the object store;
- each chunk renders as a Ray task (``chunks.render_chunk``) in its worker's own headless
  EGL context, on a GPU of its own where the cluster has GPUs (``num_gpus=1``, the EGL
  device of the GPU Ray gave it) and on one CPU with one llvmpipe thread where it has none;
- a worker that dies mid-chunk (killed, out of memory, its machine lost) is retried by
  Ray up to ``RETRIES`` times; the chunk starts again from its job, so the film is the same;
- finished parts are kept in ``<output>.parts/`` as they come back, each named after its
  job's digest, and every job the pass makes is stored there too (``keys/``), so an
  interrupted render run again resumes with the parts already done and reads the jobs
  back instead of simulating again (under the same ``chunks.fingerprint``);
- at the end the parts are joined without re-encoding and the sound is muxed once
  (``outputs.video.join_parts``), and the ``frames-hash`` is folded from the chunks'
  digests: bit for bit the hash of a single-process render with the same GL driver.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from installation.app.chunks import (
    DIGEST,
    ChunkJob,
    ChunkResult,
    JobFileError,
    Settings,
    chunk_length,
    code_version,
    fingerprint,
    fold,
    load_job,
    plan,
    render_chunk,
    save_job,
    simulate,
)
from installation.app.offline import RenderSummary, _Progress
from installation.app.sketch import Sketch
from installation.outputs.files import atomic_write
from installation.outputs.png import OutputError
from installation.outputs.video import PartError, check_output, join_parts
from installation.render.context import GLUnavailable
from installation.render.tapestry import Look

RETRIES = 3  # a chunk whose worker dies is tried this many more times
CONNECT_TIMEOUT_S = 5.0  # Ray itself waits minutes for an address that never answers
INSTALL_HINT = (
    "distributed rendering needs Ray: .venv/bin/pip install -c constraints.txt -e "
    "'.[distributed]' (make setup-test installs it)"
)


class DistributedError(RuntimeError):
    """A distributed render that cannot go on; the message is one line for the operator."""


class ChunkFailed(RuntimeError):
    """A chunk that failed on its worker for a reason a retry will not cure (no OpenGL)."""


@dataclass
class Cluster:
    """A connection to Ray, and what it offers a render.

    Attributes:
        ray: the ``ray`` module, initialised.
        slots: how many chunks render at once.
        gpus: whether each chunk asks for a GPU of its own.
        where: the cluster's address, or ``local`` for one started here.
    """

    ray: Any
    slots: int
    gpus: bool
    where: str

    def close(self) -> None:
        """Disconnect (and stop the local instance, when this process started it)."""
        self.ray.shutdown()


def _reachable(address: str) -> None:
    """Refuse at once an address nothing answers at (Ray would wait for minutes)."""
    if address == "auto":
        return
    text = address.removeprefix("ray://")
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise DistributedError(
            f"--ray-address {address!r}: expected HOST:PORT (the head's GCS port, 6379 "
            "by default), ray://HOST:PORT or auto"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DistributedError(f"--ray-address {address}: cannot reach it ({reason})") from None


def connect(
    workers: int | None, address: str | None = None, env: dict[str, str] | None = None
) -> Cluster:
    """Start a local Ray instance limited to ``workers`` CPUs, or join the cluster at ``address``.

    Args:
        workers: chunks rendered at once; for a cluster, all its GPUs (or CPUs) when None.
        address: a running cluster's head (``HOST:PORT``, ``ray://HOST:PORT``, ``auto``);
            None starts a local instance on this machine.
        env: environment variables for the workers, besides ``LP_NUM_THREADS=1`` (one
            llvmpipe thread a worker: each holds one CPU).

    Raises:
        DistributedError: Ray is not installed, or the address is wrong or unreachable.
    """
    try:
        import ray
    except ImportError:
        raise DistributedError(INSTALL_HINT) from None
    if address is None and workers is None:
        raise DistributedError("a local render on Ray needs --workers N")
    if address is not None:
        _reachable(address)
    runtime = {"env_vars": {"LP_NUM_THREADS": "1", **(env or {})}}
    try:
        if address is None:
            # (A local instance renders on this machine's CPUs, N at once, whatever GPU it
            # has: Ray would otherwise offer the GPU and run one chunk at a time.)
            ray.init(
                num_cpus=workers,
                num_gpus=0,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env=runtime,
                configure_logging=False,
            )
        else:
            ray.init(address=address, log_to_driver=False, runtime_env=runtime)
        resources = ray.cluster_resources()
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError ...
        ray.shutdown()
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DistributedError(f"cannot start {where}: {first}") from None
    gpus = int(resources.get("GPU", 0))
    offered = gpus or int(resources.get("CPU", 1))
    slots = max(1, min(workers, offered) if workers else offered)
    return Cluster(ray, slots, gpus > 0, address or "local")


def _render_task(job: ChunkJob, progress: Any) -> ChunkResult:
    """A chunk on a Ray worker: its GPU's EGL device, progress sent now and then."""
    import ray

    ids = [str(i) for i in ray.get_gpu_ids()]
    # (Ray names a GPU by its index, or by its UUID where the cluster says so: then EGL's
    # default device.)
    device = int(ids[0]) if ids and ids[0].isdigit() else None
    last = [0.0]

    def report(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == job.count:
            last[0] = now
            with contextlib.suppress(Exception):  # (progress must never fail a chunk)
                progress.set.remote(job.index, done)

    try:
        return render_chunk(job, device, report)
    except GLUnavailable as exc:
        raise ChunkFailed(f"worker {socket.gethostname()}: {exc}") from None


class _Tally:
    """A Ray actor that adds up the frames every chunk has rendered (the progress bar)."""

    def __init__(self) -> None:
        """No frames yet."""
        self.done: dict[int, int] = {}

    def set(self, index: int, frames: int) -> None:
        """Chunk ``index`` has rendered ``frames`` (set, not added: a retry starts at 0)."""
        self.done[index] = frames

    def total(self) -> int:
        """Frames rendered by all chunks."""
        return sum(self.done.values())


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all (``atomic_write``); OutputError when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh: fh.write(data))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


class Parts:
    """The finished parts of one render, kept in a folder until the film is joined.

    A part is written whole (``atomic_write``), then its digests; the digests' file marks
    it done. Both are named after the job's digest (``ChunkJob.ident``), so a part of an
    older render with other settings, another seed or an edited sketch is never taken.
    A PNG sequence's frames go straight to their final names; only the digests are kept
    here.
    """

    def __init__(self, output: str | Path, settings: Settings) -> None:
        """The folder beside ``output`` (``<output>.parts``)."""
        out = Path(output)
        self.output = out
        self.settings = settings
        self.folder = out.parent / (out.name.replace("%", "") + ".parts")

    def _digests(self, job: ChunkJob) -> Path:
        return self.folder / f"chunk-{job.index:05d}-{job.ident}.sha256"

    def part(self, job: ChunkJob) -> Path:
        """Where the job's encoded part is kept (video outputs)."""
        return self.folder / f"chunk-{job.index:05d}-{job.ident}{self.settings.suffix}"

    def _frame(self, n: int) -> Path:
        # The image2 muxer numbers a render's files from 1, as FFmpeg does.
        return Path(str(self.output) % (n + 1))

    def done(self, job: ChunkJob) -> bytes | None:
        """The digests of the job's finished part, or None when it must be rendered."""
        path = self._digests(job)
        try:
            digests = path.read_bytes()
        except OSError:
            return None
        if len(digests) != job.count * DIGEST:
            return None
        if self.settings.suffix == ".png":
            frames = (self._frame(job.first + i) for i in range(job.count))
            return digests if all(p.is_file() for p in frames) else None
        part = self.part(job)
        return digests if part.is_file() and part.stat().st_size > 0 else None

    def keep(self, job: ChunkJob, result: ChunkResult) -> None:
        """Write a finished chunk: its part (or frames), then its digests."""
        if self.settings.suffix == ".png":
            for i, data in enumerate(result.files):
                _write(self._frame(job.first + i), data)
        else:
            (data,) = result.files
            _write(self.part(job), data)
        _write(self._digests(job), result.digests)

    def remembered_length(self, count: int) -> int | None:
        """The chunk length an interrupted render of ``count`` frames used, if any."""
        try:
            saved = json.loads((self.folder / "plan.json").read_text())
            if saved.get("frames") == count and int(saved["chunk_frames"]) > 0:
                return int(saved["chunk_frames"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return None

    def remember_length(self, count: int, chunk_frames: int) -> None:
        """Record the chunk length, so a resumed render cuts the film the same way."""
        text = json.dumps({"frames": count, "chunk_frames": chunk_frames})
        _write(self.folder / "plan.json", text.encode())

    def keyframes(self, fp: str) -> dict[int, Path]:
        """The jobs stored by an earlier run of a render with fingerprint ``fp``.

        Each fingerprint has a folder of its own (``keys/<fp>``): a run with another seed
        or cut to the same output leaves the others' keyframes alone, and the whole folder
        goes once the film is joined. Returns chunk index -> file.
        """
        found = {}
        for path in (self.folder / "keys" / fp[:32]).glob("job-*.npz"):
            index = path.stem.removeprefix("job-")
            if index.isdigit():
                found[int(index)] = path
        return found

    def store(self, job: ChunkJob, fp: str) -> bool:
        """Keep ``job`` for a resume; False (nothing kept) when it cannot be stored."""
        path = self.folder / "keys" / fp[:32] / f"job-{job.index:05d}.npz"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return save_job(job, path, fp)
        except OSError:
            return False

    def drop_keyframes(self, fp: str) -> None:
        """Forget the keyframes stored under ``fp`` (they proved not to be this film's)."""
        shutil.rmtree(self.folder / "keys" / fp[:32], ignore_errors=True)

    def forget(self, part: Path) -> None:
        """Take back a part that proved unreadable, so the next run renders it again."""
        part.unlink(missing_ok=True)
        part.with_suffix(".sha256").unlink(missing_ok=True)

    def remove(self) -> None:
        """Remove the folder once the film is whole."""
        shutil.rmtree(self.folder, ignore_errors=True)


def render_distributed(
    sketch: Sketch,
    output: str | Path,
    cluster: Cluster,
    size: tuple[int, int] = (1280, 720),
    fps: float = 30.0,
    count: int | None = None,
    seed: int | None = None,
    audio: str | Path | None = None,
    preset: str = "ultrafast",
    look: Look | None = None,
    chunk_seconds: float | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> RenderSummary:
    """Render ``sketch`` on ``cluster``: the same frames and ``frames-hash`` as ``render_video``.

    The file holds the same frames (with the same GL driver: other drivers round
    differently), encoded chunk by chunk, so its bytes differ. Ctrl-C stops the workers and
    keeps the parts already done; the same call resumes.

    Raises:
        DistributedError: a chunk failed for good (its worker died ``RETRIES`` more times,
            or the chunk itself failed: no OpenGL, a full disk on the worker), or a part
            came back unreadable (it is rendered again next time).
        OutputError: the output or the sound cannot be written or read.
    """
    ray = cluster.ray
    say = log or (lambda text: print(text, file=sys.stderr))
    count = count if count is not None else round(sketch.seconds * fps)
    if count < 1:
        raise OutputError(f"{output}: nothing to render (the film is {count} frames long)")
    check_output(output, size, audio)  # (before any chunk renders)
    settings = Settings.for_output(output, size, fps, look or Look(), preset)
    parts = Parts(output, settings)
    length = chunk_length(count, fps, cluster.slots, chunk_seconds, settings.frame_bytes())
    if chunk_seconds is None:
        length = parts.remembered_length(count) or length
    chunks = plan(count, length)
    parts.remember_length(count, length)
    task = ray.remote(num_cpus=1, num_gpus=1 if cluster.gpus else 0, max_retries=RETRIES)(
        _render_task
    )
    # (The progress bar's tally never fails the render: restarted if its node is lost, and
    # asked with a timeout.)
    tally = ray.remote(num_cpus=0, max_restarts=-1)(_Tally).remote()
    bar = _Progress(count, enabled=progress)
    digests: dict[int, bytes] = {}
    files: dict[int, Path] = {}  # each chunk's part, in film order at the end
    kept = 0  # frames of parts found done
    running: dict[Any, ChunkJob] = {}
    ran: set[int] = set()  # the chunks rendered by this call
    t0 = time.perf_counter()

    def collect(timeout: float) -> None:
        ready, _ = ray.wait(list(running), num_returns=len(running), timeout=timeout)
        with contextlib.suppress(ray.exceptions.RayError, ray.exceptions.GetTimeoutError):
            done = ray.get(tally.total.remote(), timeout=1.0)
            bar.update(kept + done)
        for ref in ready:
            job = running.pop(ref)
            result = _result(ray, ref, job)
            parts.keep(job, result)
            digests[job.index] = result.digests

    def jobs() -> Iterator[ChunkJob]:
        """Every chunk's job in order: read back, or simulated from the last one read.

        Jobs an earlier run stored under this render's fingerprint are read back; the rest
        are simulated from the last one read (and stored in turn). The chunk simulated
        again from that keyframe must come out as the job read back, or the stored
        keyframes are not this film's (a source whose inputs are not a function of the
        tick alone): they are dropped and the render stops with one line (the check has
        moved such a source on, so only a fresh start gives the film).
        """
        code = code_version()
        fp = fingerprint(sketch, seed, fps, chunks, code)
        stored = parts.keyframes(fp) if fp is not None else {}
        last: ChunkJob | None = None
        read: list[ChunkJob] = []
        for index, (first, n) in enumerate(chunks):
            if index not in stored:
                break
            try:
                job = load_job(stored[index], settings, code, fp or "")
            except JobFileError as exc:
                say(f"a stored keyframe cannot be read ({exc}); it is simulated again")
                break
            if (job.index, job.first, job.count) != (index, first, n):
                break
            read.append(job)
        if read:
            last = read[-1]
            check = next(simulate(sketch, settings, chunks, seed, start=last), None)
            if check is None or check.ident != last.ident:
                # (Checking has moved such a source on: only a fresh start is the film.)
                if fp is not None:
                    parts.drop_keyframes(fp)
                raise DistributedError(
                    "the stored keyframes are not this film's (are the piece's inputs not a "
                    "function of the tick alone?): they are dropped; run the same command "
                    "again to simulate it from its start"
                )
        yield from read
        if last is not None and last.index == len(chunks) - 1:
            say("resumed: every chunk's keyframe was read back; nothing to simulate")
            return
        if last is not None:
            say(
                f"resumed: the keyframes of {last.index + 1} chunks were read back; "
                f"simulating from frame {last.first}"
            )
        storing = fp is not None
        for job in simulate(sketch, settings, chunks, seed, start=last):
            if last is not None and job.index <= last.index:
                continue
            if storing and fp is not None and not parts.store(job, fp):
                say(f"cannot store keyframes in {parts.folder}: a resume will simulate again")
                storing = False
            yield job

    interrupted = False
    try:
        for job in jobs():
            files[job.index] = parts.part(job)
            found = parts.done(job)
            if found is not None:
                digests[job.index] = found
                kept += job.count
                continue
            running[task.remote(job, tally)] = job
            ran.add(job.index)
            while len(running) >= 2 * cluster.slots:
                collect(timeout=0.5)
            collect(timeout=0)
        while running:
            collect(timeout=0.5)
    except KeyboardInterrupt:
        interrupted = True
        # (What has finished is kept before the rest is stopped.)
        with contextlib.suppress(Exception, KeyboardInterrupt):
            collect(timeout=0)
    finally:
        for ref in running:
            ray.cancel(ref, force=True)
    if interrupted:
        frames = sum(chunks[i][1] for i in digests)
        if bar.enabled and not bar.finished:
            sys.stderr.write("\n")
        say(
            f"interrupted: {len(digests)} of {len(chunks)} chunks ({frames} frames) are kept "
            f"in {parts.folder}; run the same command again to resume"
        )
        return RenderSummary(str(output), frames, frames / fps, time.perf_counter() - t0, "", True)
    bar.update(count)
    if kept:
        say(
            f"resumed: {len(chunks) - len(ran)} of {len(chunks)} chunks were kept from an "
            "interrupted render"
        )
    if settings.suffix != ".png":
        try:
            joined = join_parts([files[i] for i in range(len(chunks))], output, fps, audio)
        except PartError as exc:
            parts.forget(exc.part)
            raise DistributedError(
                f"{exc}; it will be rendered again when you run the same command"
            ) from None
        except KeyboardInterrupt:
            say(
                f"interrupted while joining; every chunk is kept in {parts.folder}: run the "
                "same command again"
            )
            return RenderSummary(str(output), 0, 0.0, time.perf_counter() - t0, "", True)
        if joined != count:
            raise DistributedError(
                f"the parts joined into {joined} frames, not {count}: {parts.folder} is kept"
            )
    parts.remove()
    return RenderSummary(
        str(output),
        count,
        count / fps,
        time.perf_counter() - t0,
        fold([digests[i] for i in range(len(chunks))]),
        False,
    )


def _result(ray: Any, ref: Any, job: ChunkJob) -> ChunkResult:
    """A finished task's chunk, or the one line that says why it has none."""
    frames = f"chunk {job.index} (frames {job.first}-{job.first + job.count - 1})"
    try:
        return cast(ChunkResult, ray.get(ref))
    except ray.exceptions.RayTaskError as exc:
        # The chunk's own code failed (Ray does not retry that): say what, not Ray's
        # traceback with its colour codes.
        cause = getattr(exc, "cause", None) or exc
        if isinstance(cause, ChunkFailed):
            raise DistributedError(str(cause)) from None
        raise DistributedError(f"{frames} failed: {type(cause).__name__}: {cause}") from None
    except ray.exceptions.RayError as exc:
        # Its worker or machine died each time it was tried.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DistributedError(
            f"{frames}: its worker died {RETRIES + 1} times ({type(exc).__name__}: {first})"
        ) from None
