"""Every stop stops, every crash recovers.

The show as a real process in its own process group, stopped by PID or by group (systemd's
``KillMode=control-group`` signals the whole group, children included), with SIGTERM or Ctrl-C's
SIGINT, headless or in a window on a real X server (Xvfb), with a real microphone (a PulseAudio
server of the test's own, null sink) or with none; a capture child killed under a running show; the
show killed with ``kill -9``, whose children must free the OSC port at once for the restarted show;
and OSC bundles still held for a future timetag when the show stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from canopy_helpers import ROOT, Pulse, Xvfb, free_port, free_tcp_port, get_json, wait_health
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscConfig
from installation.inputs.osc_server import OscInput

STOP_LIMIT_S = 5.0  # what the issue allows for any stop, with the final snapshot
needs_pulse = pytest.mark.skipif(
    shutil.which("pulseaudio") is None, reason="installed by make test set-up"
)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    p = Pulse(tmp_path_factory.mktemp("pulse-runtime"))
    p.start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def xserver():
    x = Xvfb()
    yield x
    x.stop()


def no_microphone_env(tmp_path: Path) -> dict[str, str]:
    """The issue's reproduction: no audio server at all (a microphone is configured)."""
    return {**os.environ, "HOME": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}


class Show:
    """``canopy run`` in its own process group (as under systemd or a terminal)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *extra: str, headless=True):
        self.data = tmp_path / "data"
        self.journal = tmp_path / "journal"
        self.osc_port = free_port()
        self.status_port = free_tcp_port()
        args = ["run", "--duration", "300", "--data-dir", str(self.data), "--journal",
                str(self.journal), "--osc-port", str(self.osc_port), "--status-port",
                str(self.status_port), "--size", "160x90", *extra]  # fmt: skip
        if headless:
            args.append("--headless")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "installation", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        self.ready = self.proc.stdout.readline()
        assert "ready" in self.ready, self.proc.stderr.read()

    def stop(self, how: str, sig: int = signal.SIGTERM) -> tuple[float, str, str]:
        """Signal the show (its PID, or its whole group) and wait for it: (seconds, out, err)."""
        t0 = time.monotonic()
        if how == "group":
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=60)
        return time.monotonic() - t0, out, err

    def group_gone(self, timeout: float = 2.0) -> bool:
        """Whether every process of the show's group (its children) has gone.

        Zombies count as gone: a child that outlived the show by a moment is the container's init's
        to reap, and this one does not.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not living_in_group(self.proc.pid):
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def living_in_group(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that are not zombies (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def assert_clean_stop(show: Show, seconds: float, out: str, err: str, reason: str) -> None:
    assert show.proc.returncode == 0, err
    assert seconds < STOP_LIMIT_S, f"the stop took {seconds:.1f} s"
    assert f"stopped by {reason}" in out and "state-hash: " in out, out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert list((show.data / "snapshots").glob("snapshot-*.npz")), "no final snapshot"
    last = sorted(show.journal.glob("*.jsonl"))[-1].read_text().splitlines()[-1]
    assert json.loads(last).keys() == {"end"}, "the journal has no end line"
    assert show.group_gone(), "a child outlived the show"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["pid", "group"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_headless_stop_without_a_microphone(tmp_path, how, sig):
    """The issue's reproduction: stopping by group hung for ever when there was no microphone.

    The capture child died holding a shared Event the show then waited on.
    """
    show = Show(tmp_path, no_microphone_env(tmp_path))
    try:
        wait_health(show.status_port, lambda h: h["tick"] > 20)
        seconds, out, err = show.stop(how, sig)
    finally:
        show.kill()
    assert_clean_stop(show, seconds, out, err, signal.Signals(sig).name)
    print(f"stop by {how} with {signal.Signals(sig).name}, no microphone: {seconds:.2f} s")


@needs_pulse
@pytest.mark.slow
@pytest.mark.parametrize("how", ["pid", "group"])
def test_headless_stop_with_a_microphone(tmp_path, pulse, how):
    show = Show(tmp_path, pulse.env)
    try:
        wait_health(show.status_port, lambda h: h["audio"]["state"] == "ok" and h["tick"] > 20)
        seconds, out, err = show.stop(how)
    finally:
        show.kill()
    assert_clean_stop(show, seconds, out, err, "SIGTERM")
    assert "microphone ok" in out
    print(f"stop by {how}, with a microphone: {seconds:.2f} s")


@needs_pulse
@pytest.mark.slow
@pytest.mark.parametrize("how,microphone", [("group", True), ("pid", False)])
def test_windowed_stop(tmp_path, pulse, xserver, how, microphone):
    env = pulse.env if microphone else no_microphone_env(tmp_path)
    show = Show(tmp_path, {**env, "DISPLAY": xserver.display}, headless=False)
    try:
        wait_health(
            show.status_port,
            lambda h: h["fps"] > 0 and (h["audio"]["state"] == "ok" or not microphone),
        )
        seconds, out, err = show.stop(how)
    finally:
        show.kill()
    assert_clean_stop(show, seconds, out, err, "SIGTERM")
    mic = "with" if microphone else "without"
    print(f"windowed stop by {how}, {mic} a microphone: {seconds:.2f} s")


@needs_pulse
@pytest.mark.slow
def test_a_killed_capture_child_never_freezes_the_show(tmp_path, pulse):
    """The capture child killed under a running show.

    The show keeps drawing and answering, restarts the capture (which listens again), and still
    stops cleanly.
    """
    venue = tmp_path / "venue.toml"
    venue.write_text('[osc]\nenabled = false\n[audio]\ndevice = ""\n')
    show = Show(tmp_path, pulse.env, "--config", str(venue))
    try:
        wait_health(show.status_port, lambda h: h["audio"]["state"] == "ok")
        # The capture process names itself canopy-mic (the others: the web process, and
        # multiprocessing's resource tracker).
        children = Path(f"/proc/{show.proc.pid}/task/{show.proc.pid}/children").read_text()
        capture = [
            int(pid)
            for pid in children.split()
            if Path(f"/proc/{pid}/comm").read_text().strip() == "canopy-mic"
        ]
        assert len(capture) == 1, children
        os.kill(capture[0], signal.SIGKILL)
        before = get_json(show.status_port)["tick"]
        health = wait_health(
            show.status_port,
            lambda h: (
                h["audio"]["restarts"] >= 1
                and h["audio"]["state"] == "ok"
                and h["tick"] > before + 30
            ),
        )
        assert health["fps"] > 0
        seconds, out, err = show.stop("pid")
    finally:
        show.kill()
    assert_clean_stop(show, seconds, out, err, "SIGTERM")


@pytest.mark.slow
def test_after_kill_9_children_die_and_the_resumed_show_listens_at_once(tmp_path):
    """``kill -9`` of the show: its OSC child frees the port at once (it dies with its parent).

    The show restarted with ``--resume`` listens for OSC within 2 s.
    """
    env = no_microphone_env(tmp_path)
    venue = tmp_path / "venue.toml"
    venue.write_text("[show]\nsnapshot_minutes = 0.1\n")
    show = Show(tmp_path, env, "--config", str(venue))
    wait_health(show.status_port, lambda h: h["snapshots"] >= 1)
    os.kill(show.proc.pid, signal.SIGKILL)
    show.proc.wait(timeout=10)
    assert show.group_gone(timeout=2.0), "children outlived the killed show"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", show.osc_port))  # free again

    args = ["run", "--headless", "--resume", "--duration", "20", "--data-dir",
            str(show.data), "--osc-port", str(show.osc_port), "--size", "160x90", "--config",
            str(venue)]  # fmt: skip
    t0 = time.monotonic()
    again = subprocess.Popen(
        [sys.executable, "-m", "installation", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        lines = [again.stdout.readline(), again.stdout.readline()]
        assert lines[0].startswith("# resumed: "), lines
        assert lines[1].startswith("# ready"), lines
        ready_at = time.monotonic()
        pong = ping(show.osc_port, timeout=2.0)
        assert pong is not None, "OSC does not answer within 2 s of the restart"
        print(
            f"after kill -9: resumed show ready in {ready_at - t0:.1f} s, pong {pong:.2f} s later"
        )
        again.send_signal(signal.SIGTERM)
        _out, err = again.communicate(timeout=30)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 0, err
    assert "cannot listen" not in err and "Traceback" not in err, err


def ping(port: int, timeout: float) -> float | None:
    """Seconds until the show answers ``/canopy/ping`` with a pong (None: no answer)."""
    t0 = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.1)
        while time.monotonic() - t0 < timeout:
            s.sendto(OscMessageBuilder("/canopy/ping").build().dgram, ("127.0.0.1", port))
            try:
                data = s.recv(1024)
            except TimeoutError:
                continue
            if b"/canopy/pong" in data:
                return time.monotonic() - t0
    return None


def test_held_future_bundles_are_counted_at_the_stop():
    """A bundle stamped for later that has not fallen due when the show stops never applies.

    It is counted as dropped, not left among the accepted; what is due comes back to be applied
    before the final snapshot.
    """
    port = free_port()
    osc = OscInput(OscConfig(host="127.0.0.1", port=port), communities=6)
    osc.start()
    try:
        later = OscBundleBuilder(time.time() + 30)
        later.add_content(OscMessageBuilder("/canopy/repair").build())  # type: ignore[arg-type]
        now = OscMessageBuilder("/canopy/repair")
        now.add_arg(0.5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(later.build().dgram, ("127.0.0.1", port))
            s.sendto(now.build().dgram, ("127.0.0.1", port))
        deadline = time.monotonic() + 5
        due = []
        while osc.counts()["accepted"] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert osc.counts()["accepted"] == 2
        osc.wait(0.05)
        due = osc.poll()
        assert osc.waiting() == 1  # the future bundle is held in the show
    finally:
        due += osc.stop()
    assert [r.address for r in due] == ["/canopy/repair"]
    assert osc.counts()["dropped_at_stop"] == 1 and osc.waiting() == 0


@pytest.mark.slow
def test_a_show_counts_held_bundles_as_waiting_and_their_drop_at_the_stop(tmp_path):
    show = Show(tmp_path, no_microphone_env(tmp_path))
    try:
        later = OscBundleBuilder(time.time() + 50)
        later.add_content(OscMessageBuilder("/canopy/repair").build())  # type: ignore[arg-type]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(later.build().dgram, ("127.0.0.1", show.osc_port))
        health = wait_health(show.status_port, lambda h: h["inputs_waiting"] == 1)
        assert health["osc"]["accepted"] == 1 and health["inputs"] == 0
        seconds, out, err = show.stop("pid")
    finally:
        show.kill()
    assert_clean_stop(show, seconds, out, err, "SIGTERM")
    assert "dropped_at_stop 1" in out, out
