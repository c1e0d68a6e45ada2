"""Room sound features, computed once per tick from the samples of that tick.

The same code runs live (on the microphone's ring buffer) and offline (on a WAV), so a
recorded day renders exactly as it sounded: RMS level in dBFS and its smoothed value, energy
in four bands, onsets, spectral centroid and flatness.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np

from installation.inputs.frame import RoomSound

SILENCE_DB = -120.0
BANDS_HZ = ((20.0, 250.0), (250.0, 1000.0), (1000.0, 4000.0), (4000.0, 16000.0))
SMOOTHING_S = 1.0
ONSET_JUMP_DB = 9.0


def db(power: float) -> float:
    """Power (mean square, full scale = 1) in dBFS, floored at -120."""
    return 10.0 * math.log10(power) if power > 1e-12 else SILENCE_DB


class FeatureTracker:
    """Turns each tick's samples into a ``RoomSound``, keeping the smoothing state.

    Args:
        samplerate: samples per second.
        gain_db: gain applied before measuring.
    """

    def __init__(self, samplerate: int, gain_db: float = 0.0) -> None:
        """Start from silence."""
        self.samplerate = samplerate
        self.gain = 10.0 ** (gain_db / 20.0)
        self.smoothed = SILENCE_DB
        self._last = 0.0

    def update(self, samples: np.ndarray, dt: float) -> RoomSound:
        """Features of ``samples`` (mono float32 in [-1, 1]) covering ``dt`` seconds."""
        x = np.asarray(samples, dtype=np.float32) * np.float32(self.gain)
        if x.size == 0:
            level = SILENCE_DB
            bands: tuple[float, ...] = (SILENCE_DB,) * 4
            centroid, flatness = 0.0, 1.0
        else:
            level = db(float(np.mean(x.astype(np.float64) ** 2)))
            spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size).astype(np.float32))) ** 2
            freqs = np.fft.rfftfreq(x.size, 1.0 / self.samplerate)
            total = float(spectrum.sum())
            norm = max(x.size, 1) ** 2
            bands = tuple(
                db(float(spectrum[(freqs >= lo) & (freqs < hi)].sum()) * 4.0 / norm)
                for lo, hi in BANDS_HZ
            )
            centroid = float((freqs * spectrum).sum() / total) if total > 1e-20 else 0.0
            p = spectrum[1:] + 1e-20
            flatness = float(np.exp(np.mean(np.log(p))) / np.mean(p)) if total > 1e-20 else 1.0
        a = 1.0 - math.exp(-dt / SMOOTHING_S)
        onset = level - self.smoothed > ONSET_JUMP_DB and level > -60.0
        self.smoothed += a * (level - self.smoothed)
        # Rounded to what matters: the journal stores short, exact decimals and a replay
        # sees exactly the values the live show saw.
        return RoomSound(
            level_db=round(level, 2),
            smoothed_db=round(self.smoothed, 2),
            # Four by construction: one per band of BANDS_HZ.
            bands=cast("tuple[float, float, float, float]", tuple(round(b, 2) for b in bands)),
            onset=bool(onset),
            centroid_hz=round(centroid, 1),
            flatness=round(min(max(flatness, 0.0), 1.0), 4),
        )


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as mono float32 samples and its sample rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    x = data.reshape(-1, channels).astype(np.float32).mean(axis=1) / 32768.0
    return x, rate


def features_from_wav(
    path: str | Path, tick_hz: float, gain_db: float = 0.0
) -> Iterator[RoomSound]:
    """One ``RoomSound`` per tick of a WAV file, exactly as the live show computes them."""
    x, rate = read_wav(path)
    tracker = FeatureTracker(rate, gain_db)
    dt = 1.0 / tick_hz
    tick = 0
    while True:
        lo = round(tick * rate * dt)
        hi = round((tick + 1) * rate * dt)
        if hi > len(x):
            return
        yield tracker.update(x[lo:hi], dt)
        tick += 1
