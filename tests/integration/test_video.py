"""Offline video read back with an independent decoder (Debian's ffprobe)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import pytest
from canopy_helpers import probe, record_journal, run_canopy, start_canopy

from installation.app.offline import render_video
from installation.app.sketch import load_sketch
from installation.outputs.png import OutputError
from installation.outputs.video import VideoWriter


@pytest.fixture(scope="module")
def sketch():
    return load_sketch("verdantia")


@pytest.fixture(scope="module")
def ctx():
    from installation.render.context import create_headless_context

    context = create_headless_context()
    yield context
    context.release()


def test_h264_mp4_has_codec_size_frames_duration_and_faststart(tmp_path, sketch, ctx):
    out = tmp_path / "story.mp4"
    summary = render_video(sketch, out, size=(320, 180), fps=24, count=36, progress=False, ctx=ctx)
    assert summary.frames == 36 and not summary.interrupted
    info = probe(out)
    (video,) = [s for s in info["streams"] if s["codec_type"] == "video"]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert (video["width"], video["height"]) == (320, 180)
    assert int(video["nb_read_frames"]) == 36
    assert float(info["format"]["duration"]) == pytest.approx(1.5, abs=0.05)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: index first


def test_prores_mov_and_png_sequence(tmp_path, sketch, ctx):
    mov = tmp_path / "story.mov"
    render_video(sketch, mov, size=(160, 90), fps=30, count=10, progress=False, ctx=ctx)
    (video,) = probe(mov)["streams"]
    assert video["codec_name"] == "prores" and int(video["nb_read_frames"]) == 10
    frames = tmp_path / "frames"
    frames.mkdir()
    render_video(
        sketch, frames / "%05d.png", size=(160, 90), fps=30, count=7, progress=False, ctx=ctx
    )
    files = sorted(frames.glob("*.png"))
    assert len(files) == 7
    (still,) = probe(files[-1])["streams"]
    assert still["codec_name"] == "png" and (still["width"], still["height"]) == (160, 90)


def test_sound_is_muxed(tmp_path, sketch, ctx):
    wav = tmp_path / "room.wav"
    subprocess.run(
        ["sox", "-n", "-r", "48000", "-c", "1", str(wav), "synth", "3", "sine", "330"], check=True
    )
    out = tmp_path / "with-sound.mp4"
    render_video(sketch, out, size=(160, 90), fps=30, count=30, audio=wav, progress=False, ctx=ctx)
    kinds = {s["codec_type"]: s for s in probe(out)["streams"]}
    assert kinds["audio"]["codec_name"] == "aac"
    assert float(kinds["audio"]["duration"]) == pytest.approx(1.0, abs=0.1)


def test_identical_renders_give_identical_frame_hashes(tmp_path, sketch, ctx):
    a = render_video(sketch, tmp_path / "a.mp4", size=(160, 90), count=15, progress=False, ctx=ctx)
    b = render_video(sketch, tmp_path / "b.mp4", size=(160, 90), count=15, progress=False, ctx=ctx)
    c = render_video(
        sketch, tmp_path / "c.mp4", size=(160, 90), count=15, seed=99, progress=False, ctx=ctx
    )
    assert a.frames_hash == b.frames_hash != c.frames_hash


def test_full_disk_and_bad_paths_are_clear_errors(tmp_path):
    full = tmp_path / "full.mp4"
    full.symlink_to("/dev/full")  # every write fails with ENOSPC
    with pytest.raises(OutputError, match="disk is full"), VideoWriter(full, (64, 36), 30) as w:
        import numpy as np

        for _ in range(60):
            w.write(np.zeros((36, 64, 3), np.uint8))
    with pytest.raises(OutputError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "x.mp4", (64, 36), 30)
    with pytest.raises(OutputError, match="unknown video type"):
        VideoWriter(tmp_path / "x.avi", (64, 36), 30)
    with pytest.raises(OutputError, match="even"):
        VideoWriter(tmp_path / "x.mp4", (65, 36), 30)


def test_ctrl_c_leaves_a_playable_file(tmp_path):
    out = tmp_path / "interrupted.mp4"
    proc = start_canopy("render", "-o", str(out), "--size", "320x180", "--frames", "3000")
    # Interrupted once the progress line says 150 frames are written (the file's size says
    # nothing: the muxer may hold small frames until the end).
    assert proc.stderr is not None and proc.stdout is not None
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: proc.stderr.read(64), "")))
    reader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        done = [int(n) for n in re.findall(r"(\d+)/3000 frames", "".join(err))]
        if done and max(done) >= 150:
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    stdout, stderr = proc.stdout.read(), "".join(err)
    assert proc.returncode == 130, stderr
    assert "interrupted after" in stdout and "Traceback" not in stderr
    info = probe(out)
    frames = int(info["streams"][0]["nb_read_frames"])
    assert 0 < frames < 3000


def test_render_cli_errors_are_one_line(tmp_path):
    r = run_canopy("render", "-o", str(tmp_path / "x.avi"), "--frames", "2")
    assert r.returncode == 2 and r.stderr.startswith("canopy: ") and "Traceback" not in r.stderr
    r = run_canopy("render", "--sketch", "nope")
    assert r.returncode == 2 and "no sketch 'nope'" in r.stderr
    r = run_canopy("render", "--size", "9000x9000")
    assert r.returncode == 2 and "outside" in r.stderr


def test_render_journal_replays_the_show_with_its_sound(tmp_path):
    folder = record_journal(tmp_path / "journal")
    out = tmp_path / "day.mp4"
    r = run_canopy(
        "render",
        "--journal",
        str(folder),
        "-o",
        str(out),
        "--size",
        "160x90",
        "--quiet",
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    streams = {s["codec_type"]: s for s in probe(out)["streams"]}
    assert int(streams["video"]["nb_read_frames"]) == 60
    assert streams["audio"]["codec_name"] == "aac"
    assert float(streams["audio"]["duration"]) == pytest.approx(2.0, abs=0.15)
