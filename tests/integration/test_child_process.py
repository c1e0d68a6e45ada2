"""The input processes' one lifecycle (``processes.ChildProcess``) with real spawned children.

A child that finishes on purpose stays finished, one that crashes is restarted at once and then with
backoff, one that never becomes ready is retried with backoff, and one that ignores the request to
stop is killed within the deadline.
"""

from __future__ import annotations

import time

from installation.inputs.processes import ChildProcess, stop_requested


def finishes(conn, lifeline, ready) -> None:
    ready.value = 1  # and ends with status 0: on purpose, e.g. no PortAudio


def crashes(conn, lifeline, ready) -> None:
    ready.value = 1
    raise SystemExit(1)


def never_ready(conn, lifeline, ready) -> None:
    raise SystemExit(3)


def deaf(conn, lifeline, ready) -> None:
    ready.value = 1
    while True:  # never looks at its lifeline, like a read that never returns
        time.sleep(0.05)


def serves(conn, lifeline, ready) -> None:
    ready.value = 1
    while not stop_requested(lifeline, 0.05):
        pass
    conn.send("bye")


def child(target) -> ChildProcess:
    return ChildProcess("canopy-test", "test child", target, (), grace=0.5)


def wait_dead(c: ChildProcess) -> None:
    deadline = time.monotonic() + 10
    while c.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not c.alive()


def test_a_child_that_finishes_on_purpose_is_not_restarted():
    c = child(finishes)
    c.launch()
    wait_dead(c)
    assert c.finished() and not c.ensure_running() and c.restarts == 0


def test_a_crash_restarts_at_once_then_a_crash_loop_backs_off():
    c = child(crashes)
    c.launch()
    assert c.wait_ready() or not c.alive()
    wait_dead(c)
    assert c.ensure_running() and c.restarts == 1  # it served: at once
    wait_dead(c)
    assert not c.ensure_running()  # died again soon after a restart: wait 1 s
    time.sleep(1.1)
    assert c.ensure_running() and c.restarts == 2
    c.stop()


def test_a_child_that_never_gets_ready_is_retried_with_backoff():
    c = child(never_ready)
    c.launch()
    assert not c.wait_ready()
    assert not c.ensure_running()
    time.sleep(1.1)
    assert c.ensure_running() and c.restarts == 1
    assert not c.wait_ready() and not c.ensure_running()  # now 2 s
    time.sleep(1.1)
    assert not c.ensure_running()
    c.stop()


def test_stop_asks_then_kills_within_its_deadline():
    polite = child(serves)
    polite.launch()
    assert polite.wait_ready()
    polite.request_stop()
    assert polite.conn.poll(5) and polite.conn.recv() == "bye"  # it finished its send
    polite.stop()
    assert not polite.alive()

    c = child(deaf)
    c.launch()
    assert c.wait_ready()
    t0 = time.monotonic()
    c.stop()
    assert time.monotonic() - t0 < 0.5 + 2.0 and not c.alive()
