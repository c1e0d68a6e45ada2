"""The microphone: a capture process that only copies PortAudio's blocks to the show.

The capture runs in its own spawned process (like the OSC server), reading the device with
blocking reads on that process's main thread and passing each block through a pipe; the
show drains the pipe into a ring buffer once per tick and computes the features there. On
the development machine PortAudio's ALSA route to PulseAudio delivered nothing to callback
streams or to capture threads inside the show's process, but delivered reliably to a
dedicated process reading on its main thread; a separate process also keeps capture
independent of the render thread's hold on the GIL, and the show can restart it.

A missing PortAudio library, no input device, or a device lost mid-show never stops the
show: the capture process reports its state (one log line per change), retries with backoff
(1 s doubling to 30 s), and the level comes back when the device does. When no samples
arrive for a quarter of a second the room counts as silent.

A capture that says it listens but sends nothing for ``WATCHDOG_S`` (3 s) is stuck: PortAudio's
blocking read does not always fail when the audio server dies (under load it once stayed
blocked for over 15 s), nor at all while the server hangs, and a read blocked for ever would
leave the show "ok" and deaf for weeks; a hung server holds the device query and the open
too, so an attempt to open that has not ended after ``OPEN_GRACE_S`` (20 s) is stuck as well.
The show's side watches for both (``MicInput.ensure_running``): the state becomes "stalled",
the capture process is killed and restarted (after a growing wait while it keeps stalling,
logged once for the run), and its new stream counts as a reopen.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
import wave
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from installation.config import AudioConfig
from installation.inputs.audio_features import FeatureTracker
from installation.inputs.frame import RoomSound
from installation.inputs.processes import BACKOFF_MIN_S, STABLE_S, ChildProcess, stop_requested

log = logging.getLogger(__name__)

BLOCK = 1024  # frames per read: ~21 ms at 48 kHz, under one 30 Hz tick
STALL_S = 0.25
BACKOFF_MAX_S = 30.0
# Listening, yet no block for this long (counted from the last block, or from the opening for
# the first): the capture is stuck, and is killed and restarted. Blocks come every ~21 ms at
# 48 kHz (128 ms at the lowest allowed 8 kHz), so this is 140 blocks missed (23 at 8 kHz): no
# scheduling hiccup of the capture process; a hiccup of the show's own loop never counts, as
# the blocks waiting in the pipe are read first. A false alarm costs about a second of silence.
WATCHDOG_S = 3.0
# An attempt to find and open the device (at start, or the capture's own retry after "no
# device", "error" or "lost") not done after this long: a hung audio server can hold
# PortAudio's device query and open as it holds a read, and the show would be deaf with a
# state that says it is retrying. (An attempt takes well under a second; a missing device
# says so at once, "no device".)
OPEN_GRACE_S = 20.0


class RingBuffer:
    """Single-producer, single-consumer float32 ring (the audio callback writes)."""

    def __init__(self, capacity: int, channels: int) -> None:
        """An empty ring of ``capacity`` frames of ``channels`` channels."""
        self.data = np.zeros((capacity, channels), dtype=np.float32)
        self.capacity = capacity
        self.written = 0  # total frames written (only the producer changes it)
        self.read_pos = 0  # total frames read (only the consumer changes it)
        self.overruns = 0

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (frames x channels), overwriting the oldest frames when full.

        A block longer than the ring keeps only its newest frames; ``read`` counts frames it
        lost to overwriting in ``overruns``.
        """
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


def _find_device(sd: Any, config: AudioConfig) -> tuple[str | None, str]:
    """(device name, '') for the configured device, or (None, why not)."""
    devices = [d for d in sd.query_devices() if d["max_input_channels"] >= config.channels]
    want = config.device.lower()
    if want:
        match = [d for d in devices if want in d["name"].lower()]
        if not match:
            return None, f"no input device matching {config.device!r}"
        return match[0]["name"], ""
    try:
        default = sd.query_devices(kind="input")
        if default["max_input_channels"] >= config.channels:
            return default["name"], ""
    except Exception:
        pass
    return (devices[0]["name"], "") if devices else (None, "no input device at all")


def capture(conn: Connection, lifeline: Connection, ready: Any, config: AudioConfig) -> None:
    """The capture process (see ``processes.ChildProcess``).

    Open the device, read blocks, send them; retry on loss; leave when the show closes ``lifeline``
    or dies. It is ready at once (it keeps trying devices by itself); without PortAudio it says so
    and ends, which is final.
    """
    ready.value = 1

    def report(state: str, message: str) -> None:
        conn.send(("state", state, message))

    try:
        import sounddevice as sd
    except OSError as exc:
        report(
            "no portaudio",
            f"PortAudio is missing ({exc}); install libportaudio2; the show goes on without sound",
        )
        return
    backoff = 1.0
    while not stop_requested(lifeline):
        # (An attempt under way: the show times it, as PortAudio's device query and open hang
        # with a hung audio server; it is not a state of its own.)
        report("opening", "looking for the input device and opening it")
        name, why = _find_device(sd, config)
        if name is None:
            report("no device", f"{why}; retrying in {backoff:g} s")
            stop_requested(lifeline, backoff)
            backoff = min(backoff * 2.0, BACKOFF_MAX_S)
            continue
        try:
            stream = sd.InputStream(
                device=name,
                channels=config.channels,
                samplerate=config.samplerate,
                dtype="float32",
                blocksize=BLOCK,
            )
            stream.start()
        except Exception as exc:
            report("error", f"cannot open {name!r} ({exc}); retrying in {backoff:g} s")
            stop_requested(lifeline, backoff)
            backoff = min(backoff * 2.0, BACKOFF_MAX_S)
            continue
        report("ok", f"listening on {name!r}")
        backoff = 1.0
        try:
            while not stop_requested(lifeline):
                block, _overflowed = stream.read(BLOCK)
                conn.send(("audio", block.copy()))
        except OSError as exc:
            if isinstance(exc, BrokenPipeError | ConnectionResetError):
                raise  # the show is gone
            report("lost", f"the input device stopped ({exc}); retrying")
        except Exception as exc:  # the device or the audio server went away
            report("lost", f"the input device stopped ({exc}); retrying")
        finally:
            with contextlib.suppress(Exception):
                stream.close(ignore_errors=True)


class MicInput:
    """The show's side of the capture process: start it, drain it per tick, restart it.

    Args:
        config: the venue's audio section.
        tick_hz: the simulation rate (how often ``poll`` is called).
        watchdog_s: seconds without a block, while the capture says it listens, after which
            ``ensure_running`` calls it "stalled" and restarts it (see ``WATCHDOG_S``).
        open_grace_s: seconds an attempt to find and open the device may take before
            ``ensure_running`` calls the capture "stalled" and restarts it (``OPEN_GRACE_S``).
        clock: the monotonic clock the blocks, the watchdog and its backoff are timed by.

    A capture that stalls again before it has served audio for ``STABLE_S`` is failing: its
    restarts wait 1 s, doubling to ``BACKOFF_MAX_S``, and only the first stall of such a run
    is logged as a warning (a server hung for a week would otherwise log every half minute).
    """

    def __init__(
        self,
        config: AudioConfig,
        tick_hz: float,
        watchdog_s: float = WATCHDOG_S,
        open_grace_s: float = OPEN_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set up the ring and the features; the capture process starts with ``start``."""
        self.config = config
        self.watchdog_s = watchdog_s
        self.open_grace_s = open_grace_s
        self.clock = clock
        self.dt = 1.0 / tick_hz
        self.ring = RingBuffer(config.samplerate * 4, config.channels)
        self.features = FeatureTracker(config.samplerate, config.gain_db)
        self.state = "stopped"
        self.message = ""
        self.reopens = 0
        self.child = ChildProcess(
            "canopy-mic",
            "microphone capture",
            capture,
            (config,),
            0.5,
            why={-signal.SIGKILL.value: "killed: it stalled, or by hand"},
        )
        self._last: RoomSound | None = None
        self._last_audio = 0.0
        self._heard_at = 0.0  # the last block, or the "ok" before the first (the watchdog's)
        self._relaunched = False  # a restart is starting: its "ok" is a reopen
        self._opening_since: float | None = None  # an attempt to open is under way since
        self._served_since: float | None = None  # blocks have flowed since (None: they do not)
        self._stall_backoff = 0.0  # the wait before restarting a stalled capture (0: at once)
        self._stall_retry_at = 0.0

    def start(self) -> None:
        """Start the capture process (it keeps trying on its own); never raises."""
        if not self.config.enabled:
            self.state = "disabled"
            return
        self.child.launch()
        self.state = "starting"
        self._relaunched = False
        self._opening_since = self.clock()

    def wait_ready(self, timeout: float = 10.0) -> str:
        """Drain until the capture process has said how it is (for tests and start-up)."""
        deadline = time.monotonic() + timeout
        while self.state == "starting" and time.monotonic() < deadline:
            self._drain()
            time.sleep(0.02)
        return self.state

    @property
    def restarts(self) -> int:
        """How often the capture process was restarted."""
        return self.child.restarts

    def _drain(self) -> None:
        conn = self.child.conn
        while conn is not None:
            try:
                if not conn.poll(0):
                    return
                msg = conn.recv()
            except (EOFError, OSError):
                return
            if msg[0] == "audio":
                self.ring.write(msg[1])
                self._last_audio = self._heard_at = self.clock()
                if self._served_since is None:
                    self._served_since = self._heard_at
            else:
                _, state, message = msg
                if state == "opening":  # (timed by the watchdog; the state keeps the last outcome)
                    self._opening_since = self.clock()
                    continue
                self._opening_since = None
                if state != "ok":
                    self._served_since = None
                if state == "ok" and self.state != "ok":
                    self._heard_at = self.clock()  # the first block has the watchdog's time
                    if self.state != "starting" or self._relaunched:
                        self.reopens += 1
                self._relaunched = False
                if state != self.state:  # one line per change, not one per retry
                    (log.info if state == "ok" else log.warning)("microphone: %s", message)
                self.state, self.message = state, message

    def _watchdog(self) -> None:
        """Kill a stuck capture: silent while open, or an attempt to open that never ends.

        Listening with no block for ``watchdog_s``, or finding and opening the device for
        ``open_grace_s``. A stall before the capture has served audio for ``STABLE_S`` since
        its last is failing, and sets a growing wait before the restart (see the class).
        """
        if self.state in ("stalled", "disabled", "stopped") or not self.child.alive():
            return
        self._drain()  # blocks waiting in the pipe (the show's loop was slow) are not a stall
        now = self.clock()
        if self._served_since is not None and now - self._served_since >= STABLE_S:
            self._stall_backoff = 0.0  # it served a good while: the next stall is news
        if (
            self.state == "ok"
            and self._opening_since is None
            and now - self._heard_at >= self.watchdog_s
        ):
            message = (
                f"no audio from the input device for {now - self._heard_at:.1f} s although it "
                "is open (its read is stuck)"
            )
        elif self._opening_since is not None and now - self._opening_since >= self.open_grace_s:
            message = (
                f"the input device has not opened in {now - self._opening_since:.0f} s (the "
                "audio server may be hung)"
            )
        else:
            return
        repeat = self._stall_backoff > 0.0
        if self._served_since is None or now - self._served_since < STABLE_S:
            self._stall_backoff = min(max(self._stall_backoff * 2.0, BACKOFF_MIN_S), BACKOFF_MAX_S)
        self._stall_retry_at = now + self._stall_backoff
        after = f"in {self._stall_backoff:g} s" if self._stall_backoff else "now"
        self.state, self.message = "stalled", f"{message}; restarting the capture process {after}"
        (log.debug if repeat else log.warning)("microphone: %s", self.message)
        self._served_since = self._opening_since = None
        self.child.kill()

    def ensure_running(self) -> bool:
        """Restart a dead capture process (not one that ended for want of PortAudio).

        Called every few ticks (the show's housekeeping). A capture that stalled (listening
        with no block for ``watchdog_s``, or opening for ``open_grace_s``) is killed first and
        restarted, at once or, when it keeps stalling, after its wait.

        True when a restart was launched.
        """
        self._watchdog()
        if not self.child.alive() and not self.child.finished():
            if self.child.conn is not None:
                self._drain()  # what it said before it died
                self.child.close_conn()
            if self.state not in ("down", "stalled", "disabled"):  # (a stall said why itself)
                self.state, self.message = "down", "the capture process died; restarting"
                log.warning("microphone: %s", self.message)
        if self.state == "stalled" and self.clock() < self._stall_retry_at:
            return False
        if not self.child.ensure_running():
            return False
        self.state = "starting"
        self._relaunched = True
        self._opening_since = self.clock()
        return True

    def poll(self) -> tuple[RoomSound | None, np.ndarray]:
        """This tick's features and the raw samples that arrived since the last poll.

        The features are None when not listening; the samples are frames x channels, float32.
        """
        self._drain()
        raw = self.ring.read()
        if self.state != "ok" and raw.size == 0:
            return None, raw
        if raw.size == 0:
            # Blocks arrive every ~20 ms, so a tick may get none: hold the last features,
            # unless the stream has stalled, which counts as silence.
            if self._last is not None and self.clock() - self._last_audio < STALL_S:
                return self._last, raw
            self._last = self.features.update(np.zeros(0, np.float32), self.dt)
            return self._last, raw
        self._last = self.features.update(raw.mean(axis=1), self.dt)
        return self._last, raw

    def stop(self) -> None:
        """Stop the capture process.

        A blocking read may never return on a silent source, and there is nothing to flush, so it
        gets half a second.
        """
        self.child.stop()
        if self.state != "disabled":
            self.state = "stopped"


class WavJournal:
    """Raw microphone audio as 16-bit WAV files beside the input journal, rotated by size."""

    def __init__(
        self, folder: str | Path, samplerate: int, channels: int, max_bytes: int = 512 << 20
    ) -> None:
        """Continue the numbering of the WAV files already in ``folder`` (created if missing)."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.samplerate, self.channels, self.max_bytes = samplerate, channels, max_bytes
        existing = sorted(self.folder.glob("audio-*.wav"))
        self.seq = int(existing[-1].stem.split("-")[1]) if existing else 0
        self._w: wave.Wave_write | None = None
        self._bytes = 0
        self.start_tick: int | None = None

    def _open(self, tick: int) -> wave.Wave_write:
        self.close()
        self.seq += 1
        path = self.folder / f"audio-{self.seq:05d}-tick{tick:09d}.wav"
        self._w = wave.open(str(path), "wb")  # noqa: SIM115 - kept open across ticks
        self._w.setnchannels(self.channels)
        self._w.setsampwidth(2)
        self._w.setframerate(self.samplerate)
        self._bytes = 0
        return self._w

    def write(self, tick: int, samples: np.ndarray) -> None:
        """Append ``samples`` (frames x channels, float in [-1, 1]) as 16-bit PCM.

        A new file, named for ``tick``, starts when there is none yet or the current one is
        full.
        """
        if samples.size == 0:
            return
        w = self._w
        if w is None or self._bytes >= self.max_bytes:
            w = self._open(tick)
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
        w.writeframes(pcm.tobytes())
        self._bytes += pcm.nbytes

    def close(self) -> None:
        """Close the current WAV file (its header then holds the length)."""
        if self._w is not None:
            self._w.close()
            self._w = None
