"""The microphone's stall watchdog (``MicInput``), with real spawned capture processes.

A capture that says it listens but sends nothing, or whose attempt to open the device does not
end within the open grace, is called "stalled", killed, and restarted by ``ensure_running``: at
once if it had served a good while, else after a wait that grows while it keeps stalling (one
warning for the run, not one a stall); the restart's stream is a reopen. Nothing else counts: a
capture that has no device, or blocks that wait in the pipe while the show was busy.

No audio server is needed: the capture processes here stand in for ``audio.capture`` (see each),
everything else (the process, its pipes, the kill, the restart and its backoff) is the real thing.
The watchdog's clock is the test's, so no test depends on how fast this machine is.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from installation.config import AudioConfig
from installation.inputs.audio import BLOCK, MicInput
from installation.inputs.processes import ChildProcess, stop_requested

CONFIG = AudioConfig(device="stand-in", samplerate=48000, channels=1)


def _block() -> np.ndarray:
    return np.zeros((BLOCK, CONFIG.channels), np.float32)


def stuck_capture(conn, lifeline, ready, config) -> None:
    """A stream whose read never returns, as when the audio server died under load.

    No device or server makes PortAudio's read block on demand, so this stands in for
    ``audio.capture``: it opens ("ok"), sends three blocks, then blocks without looking at its
    lifeline, as a process stuck in ``stream.read`` would.
    """
    ready.value = 1
    conn.send(("state", "ok", "listening on 'stand-in'"))
    for _ in range(3):
        conn.send(("audio", _block()))
    while True:
        time.sleep(1.0)


def never_opens(conn, lifeline, ready, config) -> None:
    """Hangs before the stream opens, as PortAudio's open does while the audio server hangs."""
    ready.value = 1
    conn.send(("state", "opening", "looking for the input device and opening it"))
    while True:
        time.sleep(1.0)


def hangs_reopening(conn, lifeline, ready, config) -> None:
    """Finds no device, then hangs in its own next attempt (the server hung meanwhile)."""
    ready.value = 1
    conn.send(("state", "no device", "no input device matching 'stand-in'; retrying in 1 s"))
    conn.send(("state", "opening", "looking for the input device and opening it"))
    while True:
        time.sleep(1.0)


def serves_until_told(conn, lifeline, ready, config) -> None:
    """A healthy stream until the file named in CANOPY_TEST_STALL exists, then stuck for good."""
    flag = Path(os.environ["CANOPY_TEST_STALL"])
    ready.value = 1
    conn.send(("state", "ok", "listening on 'stand-in'"))
    while not flag.exists():
        conn.send(("audio", _block()))
        time.sleep(BLOCK / config.samplerate)
    while True:
        time.sleep(1.0)


def opens_silently(conn, lifeline, ready, config) -> None:
    """Opens ("ok") and then sends nothing yet: the start-up before a device's first block."""
    ready.value = 1
    conn.send(("state", "ok", "listening on 'stand-in'"))
    while not stop_requested(lifeline, 0.05):
        pass


def no_device(conn, lifeline, ready, config) -> None:
    """Finds no device and waits to retry (``audio.capture`` between tries): nothing to send."""
    ready.value = 1
    conn.send(("state", "no device", "no input device matching 'stand-in'; retrying in 1 s"))
    while not stop_requested(lifeline, 0.05):
        pass


def steady(conn, lifeline, ready, config) -> None:
    """A healthy stream: a block every ~21 ms."""
    ready.value = 1
    conn.send(("state", "ok", "listening on 'stand-in'"))
    while not stop_requested(lifeline, BLOCK / config.samplerate):
        conn.send(("audio", _block()))


class Clock:
    """The watchdog's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def started(target, clock: Clock) -> Iterator[MicInput]:
    """A started microphone whose capture process runs ``target``; stopped on the way out."""
    mic = MicInput(CONFIG, tick_hz=30.0, watchdog_s=3.0, clock=clock)
    # The one stand-in: the capture function the real process runs (see the module's docstring).
    mic.child = ChildProcess("canopy-mic", "microphone capture", target, (CONFIG,), 0.5)
    mic.start()
    try:
        yield mic
    finally:
        mic.stop()


def wait_for_blocks(mic: MicInput, frames: int) -> None:
    deadline = time.monotonic() + 20
    while mic.ring.written < frames:
        assert time.monotonic() < deadline, f"only {mic.ring.written} frames arrived"
        mic.poll()
        time.sleep(0.02)


def gone(pid: int | None) -> bool:
    return pid is not None and not Path(f"/proc/{pid}").exists()


def settle(mic: MicInput) -> None:
    """Wait until the capture runs and what it said on starting is read, the clock standing.

    (The show reads it within a tick; a test that moved its clock before reading it would
    time the capture's attempt from the reading.)
    """
    deadline = time.monotonic() + 20
    while not mic.child.ready():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    mic.poll()


def stalls_after(mic: MicInput, clock: Clock, seconds: float, state: str, why: str) -> None:
    """Just short of ``seconds`` more the capture keeps ``state``; just past, it has stalled."""
    clock.now += seconds - 0.1
    assert not mic.ensure_running() and mic.state == state and mic.child.alive()
    clock.now += 0.2
    assert not mic.ensure_running() and mic.state == "stalled" and why in mic.message, mic.message


def warnings_said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_capture_that_keeps_stalling_is_restarted_after_a_growing_wait(caplog):
    clock = Clock()
    with started(stuck_capture, clock) as mic:
        assert mic.wait_ready() == "ok", mic.message
        wait_for_blocks(mic, 3 * BLOCK)
        stuck = mic.child.pid
        clock.now += 2.9
        assert not mic.ensure_running() and mic.state == "ok" and mic.child.alive()
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            clock.now += 0.2
            # Killed; it served for less than STABLE_S, so its restart waits (1 s), and
            # meanwhile the state says why.
            assert not mic.ensure_running()
            assert not mic.ensure_running()  # (a single line)
            assert gone(stuck) and mic.state == "stalled" and "no audio" in mic.message
            mic.poll()  # (the blocks that came before it stuck)
            assert mic.poll()[0] is None  # not listening: no features, as for a lost device
            said = warnings_said(caplog)
            assert len(said) == 1 and "for 3.1 s" in said[0] and "in 1 s" in said[0], said
            clock.now += 1.0
            assert mic.ensure_running() and mic.state == "starting"
            assert mic.wait_ready() == "ok" and mic.reopens == 1 and mic.restarts == 1
            wait_for_blocks(mic, 6 * BLOCK)
            assert mic.poll()[0] is not None
            # Stuck again soon: the wait doubles, and the run of stalls is not logged again
            # as a warning (a server hung for a week would log every half minute).
            stuck = mic.child.pid
            clock.now += 3.5
            assert not mic.ensure_running() and mic.state == "stalled" and gone(stuck)
            assert "in 2 s" in mic.message and len(warnings_said(caplog)) == 1
            clock.now += 1.5
            assert not mic.ensure_running()
            clock.now += 0.6
            assert mic.ensure_running() and mic.wait_ready() == "ok"
        assert mic.reopens == 2 and mic.restarts == 2
    assert gone(mic.child.pid) and mic.state == "stopped"


def test_a_capture_that_served_a_good_while_is_restarted_at_once(caplog, tmp_path, monkeypatch):
    flag = tmp_path / "stall"
    monkeypatch.setenv("CANOPY_TEST_STALL", str(flag))  # (the spawned capture inherits it)
    clock = Clock()
    with started(serves_until_told, clock) as mic:
        assert mic.wait_ready() == "ok", mic.message
        wait_for_blocks(mic, BLOCK)
        for _ in range(6):  # eleven seconds of the show's clock, blocks flowing all along
            clock.now += 2.0
            frames = mic.ring.written
            wait_for_blocks(mic, frames + BLOCK)
            assert not mic.ensure_running() and mic.state == "ok"
        flag.touch()
        deadline = time.monotonic() + 20
        frames = -1
        while frames != mic.ring.written:  # (until the blocks stop)
            assert time.monotonic() < deadline
            frames = mic.ring.written
            time.sleep(0.3)
            mic.poll()
        flag.unlink()
        stuck = mic.child.pid
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            clock.now += 3.1
            assert mic.ensure_running()  # killed and restarted in one call: a one-off
        assert gone(stuck) and mic.child.pid != stuck and mic.state == "starting"
        said = warnings_said(caplog)
        assert len(said) == 1 and "restarting the capture process now" in said[0], said
        assert mic.wait_ready() == "ok" and mic.reopens == 1


def test_a_capture_that_never_opens_is_restarted_after_the_open_grace(caplog):
    clock = Clock()
    with started(never_opens, clock) as mic:
        settle(mic)
        hung = mic.child.pid
        clock.now += 19.5
        assert not mic.ensure_running() and mic.state == "starting" and mic.child.pid == hung
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            clock.now += 0.6
            # Killed; it never served, so the next start waits (1 s) and meanwhile the state
            # says why: a hung open is no hot loop of restarts.
            assert not mic.ensure_running()
            assert not mic.ensure_running()
        assert gone(hung) and mic.state == "stalled" and "has not opened in 20 s" in mic.message
        said = warnings_said(caplog)
        assert len(said) == 1 and "in 1 s" in said[0], said
        clock.now += 1.0
        assert mic.ensure_running() and mic.child.alive() and mic.child.pid != hung
        assert mic.state == "starting" and mic.restarts == 1 and mic.reopens == 0
        # Still hung: the next wait is 2 s.
        settle(mic)
        clock.now += 20.1
        assert not mic.ensure_running() and mic.state == "stalled" and "in 2 s" in mic.message


def test_an_attempt_to_reopen_that_hangs_is_a_stall():
    # After "no device" (or "error", "lost") the capture retries by itself; a server that hangs
    # meanwhile holds that attempt, while the state still says it is retrying.
    clock = Clock()
    with started(hangs_reopening, clock) as mic:
        assert mic.wait_ready() == "no device"
        settle(mic)  # (its next attempt's message read too)
        stalls_after(mic, clock, 20.0, "no device", "has not opened in 20 s")


def test_the_first_block_gets_the_same_grace_from_the_opening():
    clock = Clock()
    with started(opens_silently, clock) as mic:
        clock.now += 60.0  # a slow start: the watchdog only counts from the opening
        assert mic.wait_ready() == "ok", mic.message
        stalls_after(mic, clock, 3.0, "ok", "no audio")


def test_no_device_is_not_a_stall():
    clock = Clock()
    with started(no_device, clock) as mic:
        assert mic.wait_ready() == "no device"
        pid = mic.child.pid
        clock.now += 600.0
        assert not mic.ensure_running() and mic.state == "no device" and mic.child.pid == pid
        assert mic.child.alive() and mic.restarts == 0


def test_blocks_waiting_while_the_show_was_busy_are_not_a_stall():
    clock = Clock()
    with started(steady, clock) as mic:
        assert mic.wait_ready() == "ok", mic.message
        wait_for_blocks(mic, BLOCK)
        pid = mic.child.pid
        # The show's loop stops for a while (nothing drains the pipe), then its housekeeping
        # comes first: the blocks the capture sent meanwhile are read before any verdict.
        mic.poll()
        deadline = time.monotonic() + 20
        while not (mic.child.conn is not None and mic.child.conn.poll(0.05)):
            assert time.monotonic() < deadline
        clock.now += 10.0
        assert not mic.ensure_running() and mic.state == "ok" and mic.child.pid == pid
        assert mic.restarts == 0 and mic.reopens == 0
