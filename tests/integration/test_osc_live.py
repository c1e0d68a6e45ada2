"""OSC with real UDP sockets on loopback.

An independent client (liblo's oscsend) and the headless show as a real process; the journal replays
to the same state hash.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from canopy_helpers import free_port, journal_lines, run_canopy, start_canopy
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscConfig
from installation.inputs.frame import Touch
from installation.inputs.osc_server import OscInput


def built(address: str, *args) -> OscMessage:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build()


def msg(address: str, *args) -> bytes:
    return built(address, *args).dgram


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def server():
    osc = OscInput(OscConfig(port=free_port(), rate_limit=200.0, burst=100), communities=6)
    osc.start()
    yield osc
    osc.stop()


def test_oscsend_bad_input_pong_and_counters(server):
    port = str(server.config.port)
    subprocess.run(["oscsend", "127.0.0.1", port, "/canopy/touch", "ff", "0.5", "0.25"], check=True)
    subprocess.run(["oscsend", "127.0.0.1", port, "/canopy/touch", "ff", "1.5", "0.2"], check=True)
    subprocess.run(["oscsend", "127.0.0.1", port, "/canopy/nowhere"], check=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"\xff\xfe not osc at all", ("127.0.0.1", server.config.port))
        s.sendto(msg("/canopy/touch", "text", 0.5), ("127.0.0.1", server.config.port))
        s.sendto(msg("/canopy/ping"), ("127.0.0.1", server.config.port))
        reply, _ = s.recvfrom(1024)
        assert OscMessage(reply).address == "/canopy/pong"
    wait_for(lambda: server.counts()["received"] >= 6)
    got = []
    wait_for(lambda: got.extend(server.poll()) or len(got) >= 2)
    assert got[0].item == Touch(0.5, 0.25) and got[0].address == "/canopy/touch"
    c = server.counts()
    assert c["out_of_range"] == 1 and c["unknown_address"] == 1
    assert c["malformed"] == 1 and c["wrong_type"] == 1 and c["accepted"] == 2


def test_flood_is_rate_limited_and_server_survives(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(1000):
            s.sendto(msg("/canopy/touch", 0.5, (i % 100) / 100), ("127.0.0.1", server.config.port))
    wait_for(lambda: server.counts()["received"] >= 1000)
    c = server.counts()
    assert c["rate_limited"] > 500 and c["accepted"] >= 100
    assert server.alive()


def test_refused_source_network():
    osc = OscInput(OscConfig(port=free_port(), allowed_networks=("10.0.0.0/8",)), 6)
    osc.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(5):
                s.sendto(msg("/canopy/ping"), ("127.0.0.1", osc.config.port))
        wait_for(lambda: osc.counts()["refused_source"] == 5)
        assert osc.counts()["accepted"] == 0 and osc.poll() == []
    finally:
        osc.stop()


def test_future_bundle_waits_for_its_time_without_sleeping(server):
    bundle = OscBundleBuilder(time.time() + 0.5)
    bundle.add_content(OscMessageBuilder("/canopy/repair").build())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(bundle.build().dgram, ("127.0.0.1", server.config.port))
    wait_for(lambda: server.counts()["accepted"] == 1)
    time.sleep(0.05)
    assert server.poll() == []  # not yet due
    t0 = time.monotonic()
    got = []
    wait_for(lambda: got.extend(server.poll()) or got)
    assert time.monotonic() - t0 > 0.2 and got[0].address == "/canopy/repair"


def test_far_future_bundles_are_refused_and_the_hold_is_bounded(server, monkeypatch):
    import installation.inputs.osc_server as osc_server

    monkeypatch.setattr(osc_server, "QUEUE_LIMIT", 3)  # the show's side of the hold only
    port = server.config.port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for ahead in (3600.0, 30.0, 30.0, 30.0, 30.0, 30.0):
            bundle = OscBundleBuilder(time.time() + ahead)
            bundle.add_content(OscMessageBuilder("/canopy/repair").build())
            s.sendto(bundle.build().dgram, ("127.0.0.1", port))
    wait_for(lambda: server.counts()["received"] == 6)
    wait_for(lambda: server.poll() == [] and server.counts()["queue_full"] == 2)
    c = server.counts()
    assert c["too_far_ahead"] == 1 and c["accepted"] == 5
    assert server.waiting() == 3  # held until due; nothing else kept
    assert server.rejected() == 3


def test_dead_server_process_is_restarted(server):
    os.kill(server.child.pid, signal.SIGKILL)
    wait_for(lambda: not server.child.alive())
    # The restart is launched without waiting (the show's loop must not freeze for the
    # new process's start-up); it listens a moment later.
    assert server.ensure_running() and server.restarts == 1
    wait_for(server.alive)
    assert not server.ensure_running() and server.restarts == 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(msg("/canopy/touch", 0.5, 0.25), ("127.0.0.1", server.config.port))
    got = []
    wait_for(lambda: got.extend(server.poll()) or got)
    assert got[0].item == Touch(0.5, 0.25)  # OSC floats are 32-bit: exact binary fractions


def test_headless_show_records_a_journal_that_replays_to_the_same_hash(tmp_path):
    port = free_port()
    journal = tmp_path / "journal"
    feedback = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    feedback.bind(("127.0.0.1", 0))
    feedback.settimeout(10)
    show = start_canopy(
        "run",
        "--headless",
        "--duration",
        "8",
        "--journal",
        str(journal),
        "--osc-port",
        str(port),
        "--size",
        "320x180",
    )
    try:
        line = show.stdout.readline()
        assert line.startswith("# ready: OSC on 127.0.0.1:"), line + show.stderr.read()
        target = ("127.0.0.1", port)
        feedback.sendto(msg("/canopy/subscribe"), target)
        for i in range(40):
            subprocess.run(
                ["oscsend", "127.0.0.1", str(port), "/canopy/push/empathy", "f", "0.95"], check=True
            )
            feedback.sendto(msg("/canopy/touch", (i % 10) / 10, 0.5), target)
            time.sleep(0.02)
        feedback.sendto(msg("/canopy/community/1/push/anger", 1.0), target)
        feedback.sendto(msg("/canopy/param/glitch_rate", 0.002), target)
        # Feedback arrives at the subscriber.
        seen = set()
        while "/canopy/indices" not in seen:
            data, _ = feedback.recvfrom(4096)
            if data.startswith(b"#bundle"):
                continue
            seen.add(OscMessage(data).address)
        stdout, stderr = show.communicate(timeout=60)
    finally:
        if show.poll() is None:
            show.kill()
        feedback.close()
    assert show.returncode == 0, stderr
    run_hash = stdout.strip().splitlines()[-1]
    assert run_hash.startswith("state-hash: ")
    assert "accepted 83" in stdout  # 82 inputs and the subscription
    lines = journal_lines(journal)
    inputs = [x for x in lines if "event" in x]
    assert len(inputs) == 82  # 40 pushes + 40 touches + community push + parameter
    assert all({"tick", "source", "address", "args"} <= set(x) for x in inputs)
    assert {x["address"] for x in inputs} >= {
        "/canopy/push/empathy",
        "/canopy/touch",
        "/canopy/param/glitch_rate",
    }
    assert lines[-1].keys() == {"end"}
    replay = run_canopy("replay", str(journal), timeout=300)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip().splitlines()[-1] == run_hash


def test_a_burst_is_applied_in_bounded_batches_and_replays(tmp_path):
    """600 inputs at once (a controller dumping its state).

    The show applies them in batches of at most 32, none lost, and the journal replays to the same
    hash.
    """
    from pythonosc.osc_bundle_builder import IMMEDIATELY

    from installation.app.inbox import MAX_BATCH

    port = free_port()
    journal = tmp_path / "journal"
    show = start_canopy(
        "run", "--headless", "--no-render", "--duration", "6", "--journal", str(journal),
        "--osc-port", str(port),
    )  # fmt: skip
    try:
        assert show.stdout.readline().startswith("# ready: OSC"), show.stderr.read()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for b in range(6):  # six bundles back to back (a datagram stays under 8 KiB)
                bundle = OscBundleBuilder(IMMEDIATELY)
                for i in range(b * 50, b * 50 + 50):
                    bundle.add_content(built("/canopy/push/trust", i / 300))
                    bundle.add_content(built("/canopy/touch", i / 300, 0.5))
                s.sendto(bundle.build().dgram, ("127.0.0.1", port))
        stdout, stderr = show.communicate(timeout=60)
    finally:
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    lines = journal_lines(journal)
    sizes: dict[tuple[int, int], int] = {}
    for x in lines:
        if "event" in x:
            key = (x["tick"], x["batch"])
            sizes[key] = sizes.get(key, 0) + 1
    assert sum(sizes.values()) == 600
    assert max(sizes.values()) <= MAX_BATCH and len(sizes) >= 600 // MAX_BATCH
    replay = run_canopy("replay", str(journal), timeout=300)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip().splitlines()[-1] == stdout.strip().splitlines()[-1]


def test_sigterm_stops_the_show_cleanly(tmp_path):
    show = start_canopy(
        "run",
        "--headless",
        "--osc-port",
        str(free_port()),
        "--size",
        "320x180",
        "--journal",
        str(tmp_path / "j"),
    )
    assert show.stdout.readline().startswith("# ready")
    time.sleep(1.0)
    t0 = time.monotonic()
    show.send_signal(signal.SIGTERM)
    stdout, stderr = show.communicate(timeout=30)
    assert time.monotonic() - t0 < 5.0
    assert show.returncode == 0, stderr
    assert "stopped by SIGTERM" in stdout and "state-hash: " in stdout
    last = (sorted((tmp_path / "j").glob("*.jsonl"))[-1]).read_text().splitlines()[-1]
    assert json.loads(last).keys() == {"end"}


def test_bad_run_arguments(tmp_path):
    r = run_canopy("run", "--headless", "--status-port", "0")
    assert r.returncode == 2 and "1 to 65535" in r.stderr
    r = run_canopy("replay", str(tmp_path))
    assert r.returncode == 2 and "no journal files" in r.stderr
    r = run_canopy("run", "--headless", "--osc-port", "70000")
    assert r.returncode == 2 and "1 to 65535" in r.stderr


def feedback_arrives(sock: socket.socket, seconds: float) -> bool:
    """Whether any feedback reaches ``sock`` within ``seconds`` (after emptying it)."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65536)
    except BlockingIOError:
        pass
    sock.settimeout(seconds)
    try:
        sock.recv(65536)
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("unsubscribe", [(), ("i", "{port}")], ids=["no-port", "port"])
def test_oscsend_unsubscribe_stops_what_subscribe_started(tmp_path, unsubscribe):
    """Exactly as docs/osc.md shows.

    Each ``oscsend`` sends from a new source port, so unsubscribe must stop the subscription by host
    (and port, when given), not by socket.
    """
    port = free_port()
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    mine = str(listener.getsockname()[1])
    show = start_canopy("run", "--no-render", "--duration", "30", "--osc-port", str(port))
    try:
        assert show.stdout.readline().startswith("# ready"), show.stderr.read()
        osc = ["oscsend", "127.0.0.1", str(port)]
        subprocess.run([*osc, "/canopy/subscribe", "i", mine], check=True)
        assert feedback_arrives(listener, 5.0), "subscribe sent no feedback"
        args = [a.format(port=mine) for a in unsubscribe]
        subprocess.run([*osc, "/canopy/unsubscribe", *args], check=True)
        time.sleep(0.5)  # what was sent before the unsubscribe was applied
        assert not feedback_arrives(listener, 1.0), "feedback goes on after unsubscribe"
    finally:
        show.send_signal(signal.SIGTERM)
        show.communicate(timeout=30)
        listener.close()
