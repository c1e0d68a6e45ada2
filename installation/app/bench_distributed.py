"""``canopy bench distributed``: what a distributed render costs and how it would scale.

Measured here:

- the simulation pass (``chunks.simulate``: stepping the story and making each chunk's
  job), per frame, and storing a chunk's job for a resume;
- a chunk's own overheads (``ChunkResult.timings``): start-up (context, tapestry and its
  shaders), pre-roll (the state restored and its hash checked), the encoder's tail; the
  join's cost per part; the Ray task's round trip with a job's payload;
- the frame cost at 1920x1080 (full look) in one process;
- the parallel efficiency of a short film with 1 and 2 workers on this machine (one
  llvmpipe thread each), against the same film in one process.

From these it works out the serial fraction of a 10-minute film at 1920x1080 (the
simulation pass, Ray's start and the join, over the whole work) and the speed-up Amdahl's
law then predicts for 8, 32 and 128 machines. The pass runs while the first chunks render
(``app.distributed``), so counting all of it as serial is the pessimistic bound.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installation.app import chunks
from installation.app.sketch import load_sketch
from installation.render.tapestry import Look

FILM_S = 600.0  # the target's film: 10 minutes
FILM_SIZE = (1920, 1080)
FPS = 30.0
TARGETS = {"serial_fraction_10min_1080p": ("<=", 0.05)}


def _amdahl(serial: float, machines: int) -> float:
    return 1.0 / (serial + (1.0 - serial) / machines)


def bench_distributed(quick: bool = False) -> dict[str, float | str]:
    """The figures above (``--quick``: shorter films, rougher figures)."""
    from installation.app.distributed import connect, render_distributed
    from installation.outputs.video import join_parts

    story = load_sketch(None)
    out: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory(prefix="canopy-bench-") as tmp:
        folder = Path(tmp)
        # The simulation pass alone (no drawing), at the film's frame rate.
        frames = 150 if quick else 900
        settings = chunks.Settings.for_output(folder / "x.mp4", FILM_SIZE, FPS, Look(), "ultrafast")
        t0 = time.perf_counter()
        jobs = list(chunks.simulate(story, settings, chunks.plan(frames, round(10 * FPS))))
        sim_ms = (time.perf_counter() - t0) * 1e3 / frames
        out["sim_pass_ms_per_frame"] = round(sim_ms, 3)
        # Storing a chunk's keyframe for a resume (on the driver, so serial too).
        t0 = time.perf_counter()
        for job in jobs:
            chunks.save_job(job, folder / f"job-{job.index}.npz", "bench")
        store_s = (time.perf_counter() - t0) / len(jobs)
        out["keyframe_store_s"] = round(store_s, 4)

        # One chunk at 1920x1080: its overheads, and the frame cost.
        n = 8 if quick else 30
        job = dataclasses.replace(jobs[0], count=n)
        chunks.render_chunk(job)  # (warm: the shader cache, the file system)
        result = chunks.render_chunk(job)
        t = result.timings
        frame_ms = t["frames"] * 1e3 / (n - 1)
        out["frame_ms_1080p"] = round(frame_ms, 1)
        # Start-up: the context, the tapestry and what the first frame costs over the others
        # (compiling the shaders).
        startup = t["startup"] + max(t["first"] - frame_ms / 1e3, 0.0)
        out["chunk_startup_s"] = round(startup, 3)
        out["chunk_preroll_s"] = round(t["preroll"], 3)
        out["chunk_encode_tail_s"] = round(t["tail"], 3)
        part = folder / "part.mp4"
        part.write_bytes(result.files[0])
        t0 = time.perf_counter()
        join_parts([part] * 4, folder / "joined.mp4", FPS)
        join_s_per_frame = (time.perf_counter() - t0) / (4 * n)
        out["join_ms_per_frame_1080p"] = round(join_s_per_frame * 1e3, 3)

        # Parallel efficiency on this machine: 1 and 2 workers against one process.
        size = (640, 360)
        count = 96 if quick else 240
        single_s = _single_process_s(folder / "one.mp4", size, count)
        out["film_frames"] = f"{count} at {size[0]}x{size[1]}"
        out["single_process_s"] = round(single_s, 2)
        for workers in (1, 2):
            t0 = time.perf_counter()
            cluster = connect(workers)
            start_s = time.perf_counter() - t0
            try:
                # A round trip with a job's payload, on a warm worker.
                ping = cluster.ray.remote(num_cpus=1)(_echo)
                cluster.ray.get(ping.remote(jobs[0]))
                t0 = time.perf_counter()
                cluster.ray.get(ping.remote(jobs[0]))
                out["ray_task_roundtrip_ms"] = round((time.perf_counter() - t0) * 1e3, 2)
                t0 = time.perf_counter()
                render_distributed(
                    story,
                    folder / f"many{workers}.mp4",
                    cluster,
                    size=size,
                    fps=FPS,
                    count=count,
                    chunk_seconds=count / FPS / (4 * workers),
                    progress=False,
                    look=Look(),
                )
                wall = time.perf_counter() - t0
            finally:
                cluster.close()
            out.setdefault("ray_start_s", round(start_s, 2))
            out[f"wall_s_{workers}_worker{'s' if workers > 1 else ''}"] = round(wall, 2)
            out[f"efficiency_{workers}"] = round(single_s / (workers * wall), 3)

    # A 10-minute film at 1920x1080, chunks of 10 s: what is serial, what spreads.
    frames_10 = FILM_S * FPS
    chunk_count = FILM_S / 10.0
    serial = float(out["ray_start_s"]) + frames_10 * (sim_ms + join_s_per_frame * 1e3) / 1e3
    serial += chunk_count * store_s
    per_chunk = startup + t["preroll"] + t["tail"]
    parallel = frames_10 * frame_ms / 1e3 + chunk_count * per_chunk
    fraction = serial / (serial + parallel)
    out["serial_s_10min_1080p"] = round(serial, 1)
    out["parallel_s_10min_1080p"] = round(parallel, 1)
    out["serial_fraction_10min_1080p"] = round(fraction, 4)
    for machines in (8, 32, 128):
        out[f"predicted_speedup_{machines}"] = round(_amdahl(fraction, machines), 1)
    return out


def _single_process_s(path: Path, size: tuple[int, int], count: int) -> float:
    """Seconds ``render_video`` takes in a process of its own with one llvmpipe thread.

    Like one worker (``LP_NUM_THREADS=1``), so efficiency compares like with like; Mesa reads
    the variable once a process, hence the child.
    """
    code = (
        "import sys; from installation.app.offline import render_video;"
        "from installation.app.sketch import load_sketch;"
        f"s = render_video(load_sketch(None), {str(path)!r}, size={size!r}, fps={FPS!r}, "
        f"count={count}, progress=False); print(s.wall_s)"
    )
    env = {**os.environ, "LP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the single-process render failed: {done.stderr.strip()[-300:]}")
    return float(done.stdout.split()[-1])


def _echo(job: chunks.ChunkJob) -> int:
    """A task that only receives a job (the Ray round trip's cost)."""
    return job.index
