"""Distributed renders on a real local Ray instance (two CPUs: this machine's cores).

Each check compares with the same render in one process (``render_video``): the
``frames-hash`` must be equal bit for bit, and Debian's ffprobe reads the joined file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from canopy_helpers import ROOT, probe, probe_video, record_journal, run_canopy

from installation.app import chunks
from installation.app.distributed import (
    DistributedError,
    Parts,
    connect,
    render_distributed,
)
from installation.app.offline import render_video
from installation.app.sketch import load_sketch
from installation.render.tapestry import Look

pytestmark = pytest.mark.slow

SIZE = (320, 180)
FPS = 24.0


def key_frames(path: Path) -> list[int]:
    """The numbers of the frames ffprobe decodes as key frames."""
    flags = probe_video(path, "frame=key_frame")
    return [i for i, k in enumerate(flags) if k.startswith("1")]


@pytest.fixture(scope="module")
def cluster():
    c = connect(2)
    yield c
    c.close()


@pytest.fixture(scope="module")
def story():
    return load_sketch(None)


@pytest.fixture(scope="module")
def single(story, tmp_path_factory):
    """The reference: 45 frames of the story rendered in one process."""
    out = tmp_path_factory.mktemp("single") / "film.mp4"
    return render_video(story, out, size=SIZE, fps=FPS, count=45, progress=False)


def _film(cluster, story, out: Path, count: int, chunk: int):
    """``count`` frames of the story at SIZE and FPS, in chunks of ``chunk`` frames."""
    return render_distributed(
        story,
        out,
        cluster,
        size=SIZE,
        fps=FPS,
        count=count,
        chunk_seconds=chunk / FPS,
        progress=False,
    )


def test_three_chunks_make_the_single_process_film(cluster, story, single, tmp_path):
    out = tmp_path / "film.mp4"
    summary = _film(cluster, story, out, 45, 15)
    assert not summary.interrupted
    assert summary.frames_hash == single.frames_hash
    streams = probe(out)["streams"]
    assert [s["codec_type"] for s in streams] == ["video"]
    assert int(streams[0]["nb_read_frames"]) == 45
    assert float(streams[0]["duration"]) == pytest.approx(45 / FPS, abs=0.05)
    # Each chunk is a closed group of pictures starting on a key frame, joined as it was.
    assert key_frames(out) == [0, 15, 30]
    assert not (tmp_path / "film.mp4.parts").exists()


def test_a_png_sequence_renders_the_same_files(cluster, story, tmp_path):
    one = tmp_path / "one"
    many = tmp_path / "many"
    one.mkdir()
    many.mkdir()
    a = render_video(
        story,
        one / "f%04d.png",
        size=SIZE,
        fps=FPS,
        count=7,
        progress=False,
        look=Look.tier("draft"),
    )
    b = render_distributed(
        story,
        many / "f%04d.png",
        cluster,
        size=SIZE,
        fps=FPS,
        count=7,
        look=Look.tier("draft"),
        chunk_seconds=3 / FPS,
        progress=False,
    )
    assert a.frames_hash == b.frames_hash
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in many.iterdir()) == [f"f{n:04d}.png" for n in range(1, 8)]
    for name in names:
        assert (one / name).read_bytes() == (many / name).read_bytes()


def _chunk_processes() -> list[int]:
    """The Ray workers running a chunk now (Ray titles a busy worker after its task)."""
    out = subprocess.run(["pgrep", "-f", "ray::_render_task"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_a_worker_killed_mid_chunk_is_retried_and_the_film_is_the_same(cluster, story, tmp_path):
    # Chunks of 40 frames: over a second each here, time to kill one in the middle.
    single = render_video(
        story, tmp_path / "one.mp4", size=SIZE, fps=FPS, count=120, progress=False
    )
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = _chunk_processes()
            if busy:
                time.sleep(0.3)  # into its chunk: context made, frames rendered
                if busy[0] in _chunk_processes():
                    os.kill(busy[0], signal.SIGKILL)
                    killed.append(busy[0])
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    out = tmp_path / "film.mp4"
    summary = _film(cluster, story, out, 120, 40)
    thread.join(timeout=5)
    assert killed, "no chunk was seen running, so none was killed"
    # The killed worker's scratch folder was removed by a later chunk.
    assert not list(Path(tempfile.gettempdir()).glob(f"canopy-chunk-{killed[0]}-*"))
    assert summary.frames_hash == single.frames_hash
    assert int(probe(out)["streams"][0]["nb_read_frames"]) == 120
    assert key_frames(out) == [0, 40, 80]


def test_an_interrupted_render_resumes_with_the_chunks_it_kept(cluster, story, single, tmp_path):
    out = tmp_path / "film.mp4"
    settings = chunks.Settings.for_output(out, SIZE, FPS, Look(), "ultrafast")
    parts = Parts(out, settings)
    parts.remember_length(45, 15)
    # What an interrupted render leaves: chunks 0 and 2 done, chunk 1 not.
    kept = {}
    for job in chunks.simulate(story, settings, chunks.plan(45, 15)):
        if job.index != 1:
            parts.keep(job, chunks.render_chunk(job))
            kept[job.index] = parts.part(job).stat().st_mtime_ns
    tally_before = len(list(parts.folder.iterdir()))
    assert tally_before == 5  # plan.json, two parts, two digests
    logs: list[str] = []
    summary = render_distributed(
        story, out, cluster, size=SIZE, fps=FPS, count=45, progress=False, log=logs.append
    )
    assert summary.frames_hash == single.frames_hash
    assert any("2 of 3 chunks" in line for line in logs), logs
    assert key_frames(out) == [0, 15, 30]


def test_ctrl_c_keeps_the_parts_and_the_same_command_resumes(tmp_path):
    out = tmp_path / "film.mp4"
    parts = tmp_path / "film.mp4.parts"
    common = ["render", "--frames", "120", "--size", "160x90", "--quiet", "-o", str(out)]
    driver = subprocess.Popen(
        [sys.executable, "-m", "installation", *common, "--workers", "2", "--chunk-seconds", "0.5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("*.sha256"))) < 2:
        time.sleep(0.05)
    driver.send_signal(signal.SIGINT)
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    kept = sorted(p.name for p in parts.glob("*.sha256"))
    assert 2 <= len(kept) < 8 and not out.exists()
    again = run_canopy(*common, "--workers", "2", "--chunk-seconds", "0.5")
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} of 8 chunks were kept" in again.stderr
    # The keyframes the first run stored were read back, not simulated again.
    assert "were read back" in again.stderr or "every chunk's keyframe" in again.stderr
    single = run_canopy(*common)
    hashes = [r.stdout.split("frames-hash: ")[1].split()[0] for r in (again, single)]
    assert hashes[0] == hashes[1]
    assert not parts.exists()


def _rendered_parts(story, out: Path) -> Parts:
    """What a render of 45 frames in chunks of 15 keeps once every chunk is done."""
    settings = chunks.Settings.for_output(out, SIZE, FPS, Look(), "ultrafast")
    parts = Parts(out, settings)
    parts.remember_length(45, 15)
    for job in chunks.simulate(story, settings, chunks.plan(45, 15)):
        parts.keep(job, chunks.render_chunk(job))
    return parts


def test_a_damaged_part_is_rendered_again(cluster, story, single, tmp_path):
    out = tmp_path / "film.mp4"
    parts = _rendered_parts(story, out)
    digests = next(parts.folder.glob("chunk-00001-*.sha256"))
    digests.write_bytes(digests.read_bytes()[:40])  # cut short, as by a full disk
    logs: list[str] = []
    summary = render_distributed(
        story, out, cluster, size=SIZE, fps=FPS, count=45, progress=False, log=logs.append
    )
    assert summary.frames_hash == single.frames_hash
    assert any("2 of 3 chunks" in line for line in logs), logs


def test_an_unreadable_part_is_named_and_rendered_again(cluster, story, single, tmp_path):
    out = tmp_path / "film.mp4"
    parts = _rendered_parts(story, out)
    bad = next(parts.folder.glob("chunk-00002-*.mp4"))
    bad.write_bytes(b"garbage" * 1000)  # its digests still say it is done
    with pytest.raises(DistributedError, match="rendered again") as info:
        _film(cluster, story, out, 45, 15)
    assert str(bad) in str(info.value) and not out.exists()
    summary = _film(cluster, story, out, 45, 15)
    assert summary.frames_hash == single.frames_hash


def test_what_cannot_be_rendered_is_refused_before_any_chunk(cluster, story, tmp_path):
    from installation.outputs.png import OutputError

    sound = tmp_path / "sound.wav"  # (refused before it is even opened)
    with pytest.raises(OutputError, match="cannot carry sound"):
        render_distributed(story, tmp_path / "f%03d.png", cluster, count=3, audio=sound)
    with pytest.raises(OutputError, match="nothing to render"):
        render_distributed(story, tmp_path / "x.mp4", cluster, count=0)
    with pytest.raises(OutputError, match="must be even"):
        render_distributed(story, tmp_path / "x.mp4", cluster, size=(161, 90), count=3)
    assert not list(tmp_path.glob("*.parts"))


RESTLESS = """
import random
from installation.app.sketch import Sketch
from installation.config import WorldConfig
from installation.inputs.frame import Touch
from installation.inputs.score import Cue, Score

rng = random.Random(7)  # (a cue with a generator of its own: not a function of the tick)


def touches(t, n):
    return (Touch(rng.random(), rng.random()),)


SKETCH = Sketch(
    name="restless",
    title="restless",
    world=WorldConfig(seed=3, height=64, width=64, citizens=3000, nodes=32, growth_resolution=32),
    seconds=2.0,
    score=Score(cues=(Cue(0.0, 10.0, 0.1, touches),)),
)
"""


def test_keyframes_that_are_not_this_films_are_dropped(cluster, tmp_path):
    from installation.app.sketch import load_sketch as load

    path = tmp_path / "restless.py"
    path.write_text(RESTLESS)
    out = tmp_path / "film.mp4"
    settings = chunks.Settings.for_output(out, SIZE, FPS, Look(), "ultrafast")
    cut = chunks.plan(48, 16)
    parts = Parts(out, settings)
    parts.remember_length(48, 16)
    earlier = load(str(path))
    fp = chunks.fingerprint(earlier, None, FPS, cut, chunks.code_version())
    assert fp is not None
    for job in chunks.simulate(earlier, settings, cut):
        if job.index < 2:  # what an interrupted run left: its generator had moved on
            assert parts.store(job, fp)
    with pytest.raises(DistributedError, match="not this film's"):
        render_distributed(
            load(str(path)), out, cluster, size=SIZE, fps=FPS, count=48, progress=False
        )
    # Run again (a fresh load, as the command line does): simulated from the start.
    summary = render_distributed(
        load(str(path)), out, cluster, size=SIZE, fps=FPS, count=48, progress=False
    )
    single = render_video(
        load(str(path)), tmp_path / "one.mp4", size=SIZE, fps=FPS, count=48, progress=False
    )
    assert summary.frames_hash == single.frames_hash


def test_a_worker_without_opengl_is_one_clear_line(tmp_path):
    # A machine whose EGL finds no driver (its vendor folder points nowhere): the driver's
    # simulation pass needs no OpenGL, the workers (started from its environment) do.
    env = {**os.environ, "__EGL_VENDOR_LIBRARY_DIRS": str(tmp_path / "none")}
    out = tmp_path / "x.mp4"
    r = run_canopy(
        "render",
        "--frames",
        "4",
        "--size",
        "160x90",
        "--workers",
        "1",
        "--quiet",
        "-o",
        str(out),
        env=env,
    )
    assert r.returncode == 2, r.stderr
    # (Ray itself may say first that its cluster uses token authentication)
    line = r.stderr.strip().splitlines()[-1]
    assert "Traceback" not in r.stderr and "File " not in r.stderr
    assert line.startswith("canopy: worker ") and "OpenGL" in line
    assert not out.exists()


def test_bad_ray_addresses_are_one_line_at_once():
    t0 = time.monotonic()
    with pytest.raises(DistributedError, match="cannot reach it"):
        connect(2, "127.0.0.1:1")
    with pytest.raises(DistributedError, match="expected HOST:PORT"):
        connect(2, "no port here")
    assert time.monotonic() - t0 < 15
    r = run_canopy("render", "--frames", "2", "--ray-address", "127.0.0.1:1", "-o", "x.mp4")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "cannot reach it" in r.stderr
    r = run_canopy("render", "--frames", "2", "--ray-address", "127.0.0.1", "-o", "x.mp4")
    assert r.returncode == 2 and "expected HOST:PORT" in r.stderr


def test_a_recorded_show_with_its_sound_renders_distributed(tmp_path):
    folder = record_journal(tmp_path / "journal", seed=3, room_sound=True)
    one, many = tmp_path / "one.mp4", tmp_path / "many.mp4"
    common = ["render", "--journal", str(folder), "--size", "160x90", "--quiet"]
    a = run_canopy(*common, "-o", str(one), timeout=300)
    b = run_canopy(
        *common, "-o", str(many), "--workers", "2", "--chunk-seconds", "0.5", timeout=300
    )
    assert a.returncode == 0, a.stderr
    assert b.returncode == 0, b.stderr
    hashes = [r.stdout.split("frames-hash: ")[1].split()[0] for r in (a, b)]
    assert hashes[0] == hashes[1]
    streams = {s["codec_type"]: s for s in probe(many)["streams"]}
    assert int(streams["video"]["nb_read_frames"]) == 60
    assert streams["audio"]["codec_name"] == "aac"
    assert float(streams["audio"]["duration"]) == pytest.approx(2.0, abs=0.15)
    assert key_frames(many) == [0, 15, 30, 45]
