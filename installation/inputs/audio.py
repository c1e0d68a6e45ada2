"""The microphone: a capture thread that only copies PortAudio's blocks into a ring buffer.

Blocking reads on a dedicated thread rather than PortAudio's callback: with the ALSA plugin
that routes PortAudio to PulseAudio, callback streams sometimes never started delivering on
the development machine, while blocking reads always did; either way the capture side does
nothing but copy, and everything else happens on the show's thread once per tick.

The device is chosen by a substring of its name (indices change between boots). Each tick
the show drains what arrived, computes the features (``audio_features``) and, when
journaling, hands the raw samples to the WAV journal. A missing PortAudio library, no input
device, or a device lost mid-show never stops the show: the state says so in one log line,
a supervisor thread retries with backoff (1 s doubling to 30 s), and the level comes back
when the device does.
"""

from __future__ import annotations

import logging
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np

from installation.config import AudioConfig
from installation.inputs.audio_features import FeatureTracker
from installation.inputs.frame import RoomSound

log = logging.getLogger(__name__)

BLOCK = 1024  # frames per read: ~21 ms at 48 kHz, under one 30 Hz tick


class RingBuffer:
    """Single-producer, single-consumer float32 ring (the audio callback writes)."""

    def __init__(self, capacity: int, channels: int) -> None:
        self.data = np.zeros((capacity, channels), dtype=np.float32)
        self.capacity = capacity
        self.written = 0  # total frames written (only the producer changes it)
        self.read_pos = 0  # total frames read (only the consumer changes it)
        self.overruns = 0

    def write(self, block: np.ndarray) -> None:
        n = len(block)
        if n > self.capacity:  # only the newest samples fit
            self.written += n - self.capacity
            block = block[-self.capacity :]
            n = self.capacity
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self.data[start : start + first] = block[:first]
        if n > first:
            self.data[: n - first] = block[first:]
        self.written += n  # publish after the copy

    def read(self) -> np.ndarray:
        """Everything written since the last read (the newest ``capacity`` at most)."""
        end = self.written
        n = end - self.read_pos
        if n > self.capacity:
            self.overruns += 1
            self.read_pos = end - self.capacity
            n = self.capacity
        idx = np.arange(self.read_pos, end) % self.capacity
        self.read_pos = end
        return self.data[idx] if n else self.data[:0]


def list_input_devices() -> list[dict[str, Any]] | str:
    """Audio input devices as PortAudio reports them, or why none can be listed."""
    try:
        import sounddevice as sd
    except OSError as exc:
        return f"PortAudio is missing ({exc}); install libportaudio2"
    return [
        {
            "index": i,
            "name": d["name"],
            "channels": d["max_input_channels"],
            "samplerate": d["default_samplerate"],
        }
        for i, d in enumerate(sd.query_devices())
        if d["max_input_channels"] > 0
    ]


class MicInput:
    """The room microphone with automatic recovery.

    Args:
        config: the venue's audio section.
        tick_hz: the simulation rate (how often ``poll`` is called).
    """

    BACKOFF_MAX_S = 30.0

    def __init__(self, config: AudioConfig, tick_hz: float) -> None:
        self.config = config
        self.dt = 1.0 / tick_hz
        self.ring = RingBuffer(config.samplerate * 4, config.channels)
        self.features = FeatureTracker(config.samplerate, config.gain_db)
        self.state = "stopped"
        self.device_name = ""
        self.reopens = 0
        self._stream: Any = None
        self._sd: Any = None
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_state = ""
        self._last: RoomSound | None = None

    # ------------------------------------------------------------------ device

    def _report(self, state: str, message: str) -> None:
        self.state = state
        if message != self._last_state:
            (log.info if state == "ok" else log.warning)("microphone: %s", message)
            self._last_state = message

    def _open(self) -> bool:
        if self._sd is None:
            try:
                import sounddevice as sd
            except OSError as exc:
                self._report(
                    "no portaudio",
                    f"PortAudio is missing ({exc}); install "
                    "libportaudio2; the show goes on without sound",
                )
                return False
            self._sd = sd
        sd = self._sd
        try:
            # PortAudio lists devices once, at initialisation. Re-initialising it to see a
            # newly plugged device crashed the PulseAudio client library here (an assertion
            # in libpulse), so a device that did not exist at start-up needs a restart; the
            # 'pulse' and 'default' devices persist across audio-server restarts.
            devices = [
                (i, d)
                for i, d in enumerate(sd.query_devices())
                if d["max_input_channels"] >= self.config.channels
            ]
        except Exception as exc:
            self._report("error", f"cannot list devices ({exc})")
            return False
        want = self.config.device.lower()
        match = [(i, d) for i, d in devices if want in d["name"].lower()] if want else []
        if want and not match:
            self._report("no device", f"no input device matching {self.config.device!r}; retrying")
            return False
        if not want:
            try:
                default = sd.default.device[0]
            except Exception:
                default = -1
            match = [(i, d) for i, d in devices if i == default] or devices[:1]
            if not match:
                self._report("no device", "no input device at all; retrying")
                return False
        index, info = match[0]
        try:
            stream = sd.InputStream(
                device=info["name"],
                channels=self.config.channels,
                samplerate=self.config.samplerate,
                dtype="float32",
                blocksize=BLOCK,
            )
            stream.start()
        except Exception as exc:
            self._report("error", f"cannot open {info['name']!r} ({exc}); retrying")
            return False
        self._stream = stream
        self.device_name = info["name"]
        self._report("ok", f"listening on {info['name']!r}")
        return True

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close(ignore_errors=True)
            except Exception:
                pass

    def _capture(self) -> None:
        """The capture thread: read blocks into the ring; reopen with backoff on loss."""
        backoff = 1.0
        while not self._halt.is_set():
            if self._stream is None:
                if self._open():
                    self.reopens += 1
                    backoff = 1.0
                    continue
                self._halt.wait(backoff)
                backoff = min(backoff * 2.0, self.BACKOFF_MAX_S)
                continue
            try:
                block, _overflowed = self._stream.read(BLOCK)
            except Exception as exc:
                self._report("lost", f"the input device stopped ({exc}); retrying")
                self._close()
                continue
            self.ring.write(block)
        self._close()

    def start(self) -> None:
        """Start listening (or trying to) in the background; never raises."""
        if not self.config.enabled:
            self.state = "disabled"
            return
        self._open()
        self._thread = threading.Thread(target=self._capture, name="mic-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        else:
            self._close()
        self.state = "stopped"

    # ------------------------------------------------------------------ per tick

    def poll(self) -> tuple[RoomSound | None, np.ndarray]:
        """This tick's features (None when not listening) and the raw samples (frames x
        channels, float32) that arrived since the last poll."""
        raw = self.ring.read()
        if raw.size == 0:
            # Blocks arrive every few milliseconds; a tick that got none (catch-up ticks
            # run back to back) holds the last features, or reports silence if not listening.
            return (self._last if self.state == "ok" else None), raw
        self._last = self.features.update(raw.mean(axis=1), self.dt)
        return self._last, raw


class WavJournal:
    """Raw microphone audio as 16-bit WAV files beside the input journal, rotated by size."""

    def __init__(
        self, folder: str | Path, samplerate: int, channels: int, max_bytes: int = 512 << 20
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.samplerate, self.channels, self.max_bytes = samplerate, channels, max_bytes
        existing = sorted(self.folder.glob("audio-*.wav"))
        self.seq = int(existing[-1].stem.split("-")[1]) if existing else 0
        self._w: wave.Wave_write | None = None
        self._bytes = 0
        self.start_tick: int | None = None

    def _open(self, tick: int) -> None:
        self.close()
        self.seq += 1
        path = self.folder / f"audio-{self.seq:05d}-tick{tick:09d}.wav"
        self._w = wave.open(str(path), "wb")
        self._w.setnchannels(self.channels)
        self._w.setsampwidth(2)
        self._w.setframerate(self.samplerate)
        self._bytes = 0

    def write(self, tick: int, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        if self._w is None or self._bytes >= self.max_bytes:
            self._open(tick)
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
        self._w.writeframes(pcm.tobytes())
        self._bytes += pcm.nbytes

    def close(self) -> None:
        if self._w is not None:
            self._w.close()
            self._w = None
