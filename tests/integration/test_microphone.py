"""Room-sound features (the same code live and offline) and the capture ring buffer.

Not yet here: the live check against a real PulseAudio server (null sink, tone, server
restart). On the development machine PortAudio's ALSA route to PulseAudio delivered no
samples to a capture thread (and crashed libpulse when PortAudio was re-initialised), so
that test is left for the next session with a different capture path; see the issue note.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from installation.inputs.audio import RingBuffer
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
