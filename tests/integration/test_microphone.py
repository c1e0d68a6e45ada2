"""The microphone: room-sound features, the ring buffer, and the real thing.

The features are the same code live and offline. The real thing: PulseAudio started by the test with
a null sink whose monitor is the input, tones played into it with paplay, the server hung (the
capture's stall watchdog), killed and started again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from canopy_helpers import Pulse, free_port, run_canopy, start_canopy

from installation.app.live import HOUSEKEEPING_S
from installation.config import AudioConfig
from installation.inputs.audio import MicInput, RingBuffer
from installation.inputs.audio_features import FeatureTracker, features_from_wav


@pytest.fixture
def tone(tmp_path) -> Path:
    """A 1.5 s, 0.5-amplitude 440 Hz sine made by sox (an independent generator)."""
    path = tmp_path / "tone.wav"
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "48000",
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "synth",
            "1.5",
            "sine",
            "440",
            "vol",
            "0.5",
        ],
        check=True,
    )
    return path


def test_features_live_and_offline_are_the_same_code(tone):
    sounds = list(features_from_wav(tone, tick_hz=30.0))
    assert len(sounds) == 45
    middle = sounds[20]
    assert -12 < middle.level_db < -6 and middle.flatness < 0.05  # a pure tone
    assert 300 < middle.centroid_hz < 600
    assert middle.bands[1] > middle.bands[3] + 20  # 440 Hz sits in the 250-1000 Hz band
    assert sounds[0].onset or sounds[1].onset
    noise = FeatureTracker(48000).update(
        np.random.default_rng(0).uniform(-0.5, 0.5, 1600).astype(np.float32), 1 / 30
    )
    assert noise.flatness > 0.5


def test_ring_buffer_keeps_order_and_counts_overruns():
    ring = RingBuffer(8, 1)
    ring.write(np.arange(5, dtype=np.float32)[:, None])
    assert ring.read()[:, 0].tolist() == [0, 1, 2, 3, 4]
    ring.write(np.arange(5, 11, dtype=np.float32)[:, None])
    assert ring.read()[:, 0].tolist() == [5, 6, 7, 8, 9, 10]
    ring.write(np.arange(20, dtype=np.float32)[:, None])
    assert ring.read()[:, 0].tolist() == list(range(12, 20)) and ring.overruns == 1


def levels(mic: MicInput, seconds: float) -> list[float]:
    """The level each tick for ``seconds``, read the way the show reads it.

    ``poll`` every tick, and ``ensure_running`` (restarts, the stall watchdog) as often as the
    show's housekeeping calls it.
    """
    out = []
    deadline = time.monotonic() + seconds
    next_house = 0.0
    while time.monotonic() < deadline:
        time.sleep(mic.dt)
        if time.monotonic() >= next_house:
            mic.ensure_running()
            next_house = time.monotonic() + HOUSEKEEPING_S
        sound, _ = mic.poll()
        out.append(sound.level_db if sound is not None else -120.0)
    return out


def wait_listening(mic: MicInput) -> None:
    deadline = time.monotonic() + 30
    while mic.state != "ok" and time.monotonic() < deadline:
        levels(mic, 0.2)
    assert mic.state == "ok", (mic.state, mic.message)


@pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="installed by make test set-up")
def show_with_a_microphone_records_replays_and_renders_its_sound(pulse, tone, tmp_path):
    """The headless show hears the tone, journals it (JSON lines and WAV).

    Replays to the same state hash, and renders with the recorded sound.
    """
    config = tmp_path / "venue.toml"
    config.write_text(f'[audio]\ndevice = "pulse"\n[osc]\nport = {free_port()}\n')
    journal = tmp_path / "journal"
    show = start_canopy(
        "run",
        "--headless",
        "--config",
        str(config),
        "--duration",
        "7",
        "--journal",
        str(journal),
        "--size",
        "320x180",
    )
    assert show.stdout.readline().startswith("# ready")
    time.sleep(3.0)
    pulse.play(tone).wait(timeout=10)
    stdout, stderr = show.communicate(timeout=60)
    assert show.returncode == 0, stderr
    assert "microphone ok" in stdout
    lines = [json.loads(x) for x in next(journal.glob("journal-*.jsonl")).read_text().split()]
    heard = [x["sound"]["level_db"] for x in lines if "sound" in x]
    assert max(heard) > -12.0
    assert list(journal.glob("audio-*.wav"))
    replay = run_canopy("replay", str(journal))
    assert replay.stdout.strip().splitlines()[-1] == stdout.strip().splitlines()[-1]
    film = tmp_path / "day.mp4"
    rendered = run_canopy(
        "render", "--journal", str(journal), "-o", str(film), "--size", "160x90", "--quiet"
    )
    assert rendered.returncode == 0, rendered.stderr
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,duration",
            "-of",
            "json",
            str(film),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    streams = {st["codec_type"]: st for st in json.loads(probe)["streams"]}
    assert float(streams["audio"]["duration"]) > 5.0


def test_real_audio_server_tone_restart_and_missing_device(tone, tmp_path):
    pulse = Pulse()
    pulse.stop()  # a server left over from an interrupted run
    pulse.start()
    mic = MicInput(AudioConfig(device="pulse", samplerate=48000, channels=1), tick_hz=30.0)
    mic.start()
    try:
        assert mic.wait_ready() == "ok", mic.message
        # A newly opened capture of the null sink's monitor needs a moment before a new
        # playback reaches it (measured ~1-2 s here); a microphone has no such delay.
        quiet = levels(mic, 2.0)
        player = pulse.play(tone)
        loud = levels(mic, 1.2)
        player.wait(timeout=10)
        after = levels(mic, 1.0)
        assert max(quiet) < -60.0
        assert max(loud) > -12.0  # a 0.5-amplitude sine is about -9 dBFS
        assert np.median(after[-10:]) < -60.0
        # The audio server hangs (stopped, as a deadlocked server would be): PortAudio's read
        # blocks and never fails; the watchdog finds no blocks for 3 s, and the capture is
        # killed and restarted...
        server = pulse.pid()
        os.kill(server, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 15
            while mic.restarts == 0 and time.monotonic() < deadline:
                levels(mic, 0.2)
            assert mic.restarts == 1 and mic.state != "ok", (mic.state, mic.message)
            assert "no audio" in mic.message
        finally:
            os.kill(server, signal.SIGCONT)
        # ...and the restarted capture listens once the server answers again.
        wait_listening(mic)
        assert mic.reopens >= 1
        # The audio server dies mid-stream: the show goes on and the state says so, when
        # PortAudio's read fails ("lost"), or, when the read just blocks (seen under load),
        # when the watchdog finds no blocks ("stalled").
        pulse.stop()
        pulse.play(tone)  # fails: no server
        deadline = time.monotonic() + 15
        while mic.state == "ok" and time.monotonic() < deadline:
            levels(mic, 0.2)
        assert mic.state != "ok"
        print(f"audio server gone: microphone {mic.state} ({mic.message})")
        # ...and when it comes back, so does the level.
        pulse.start()
        wait_listening(mic)
        assert mic.reopens >= 2
        levels(mic, 2.0)
        player = pulse.play(tone)
        loud_again = levels(mic, 1.2)
        player.wait(timeout=10)
        assert max(loud_again) > -12.0
        mic.stop()
        show_with_a_microphone_records_replays_and_renders_its_sound(pulse, tone, tmp_path)
    finally:
        mic.stop()
        missing = MicInput(AudioConfig(device="no such microphone", channels=1), tick_hz=30.0)
        missing.start()
        try:
            assert missing.wait_ready() == "no device"
            assert missing.poll()[0] is None  # silence, not a crash
        finally:
            missing.stop()
            pulse.stop()
