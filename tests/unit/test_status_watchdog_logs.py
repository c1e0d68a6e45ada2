"""/health and /metrics (as the web process serves them), systemd notifications, the JSON log.

The endpoint is served over a real TCP socket, the notifications over a real datagram socket.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request

from canopy_helpers import WebThread

from installation.app.logs import setup_logging, stop_logging
from installation.app.watchdog import Notifier
from installation.inputs.status import Metric, metrics_text


def test_health_metrics_and_errors_over_http():
    w = WebThread()
    base = f"http://127.0.0.1:{w.port}"

    def get(path):
        try:
            with urllib.request.urlopen(base + path, timeout=5) as r:
                return r.status, r.headers["Content-Type"], r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers["Content-Type"], e.read().decode()

    try:
        # Before the show's first heartbeat: down.
        code, _, body = get("/health")
        assert code == 503 and "no heartbeat" in body
        w.service.health = {"status": "ok", "tick": 7}
        w.service.metrics = [Metric("canopy_ticks_total", "counter", "Ticks.", 7)]
        w.service.heartbeat = time.monotonic()
        assert get("/health") == (200, "application/json; charset=utf-8",
                                  '{"status": "ok", "tick": 7}\n')  # fmt: skip
        code, kind, body = get("/metrics")
        assert code == 200 and kind.startswith("text/plain; version=")
        assert "# TYPE canopy_ticks_total counter\ncanopy_ticks_total 7.0\n" in body
        assert "canopy_heartbeat_age_seconds" in body
        assert get("/nothing")[0] == 404

        # A frozen show: its web process still answers, but says it is down.
        w.service.heartbeat = time.monotonic() - 5.0
        code, _, body = get("/health")
        assert code == 503 and "has not answered for 5." in body

        silent = socket.create_connection(("127.0.0.1", w.port))  # never sends a thing
        time.sleep(0.3)
        w.service.heartbeat = time.monotonic()
        assert get("/health")[0] == 200  # others are served meanwhile
        silent.close()
    finally:
        w.close()


def test_prometheus_labels_are_escaped_and_grouped():
    text = metrics_text(
        [
            Metric("m", "gauge", "Help.", 1, (("reason", 'a"b'),)),
            Metric("m", "gauge", "Help.", 2, (("reason", "c"),)),
        ]
    )[0].decode()
    assert text.count("# TYPE m gauge") == 1
    assert 'm{reason="a\\"b"} 1.0' in text and 'm{reason="c"} 2.0' in text


def test_systemd_notifications_reach_the_socket(tmp_path):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    try:
        n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
        assert n.enabled and n.interval == 0.1
        n.notify("READY=1")
        n.ping("tick 1")
        n.ping("tick 2")  # within the interval: not sent
        time.sleep(0.12)
        n.ping("tick 3")
        got = [sock.recv(256).decode() for _ in range(3)]
        assert got == ["READY=1", "WATCHDOG=1\nSTATUS=tick 1", "WATCHDOG=1\nSTATUS=tick 3"]
        n.close()
    finally:
        sock.close()
    quiet = Notifier({})
    assert not quiet.enabled and not quiet.notify("READY=1")


def test_log_lines_are_json_and_rotate(tmp_path):
    handlers = setup_logging(tmp_path, max_mb=0.001)
    try:
        log = logging.getLogger("installation.test")
        for i in range(40):
            log.warning("event %d", i, extra={"tick": i})
    finally:
        stop_logging(handlers)
    files = sorted(tmp_path.glob("canopy.log*"))
    assert len(files) > 1  # rotated
    line = json.loads((tmp_path / "canopy.log").read_text().splitlines()[-1])
    assert line["message"] == "event 39" and line["tick"] == 39 and line["level"] == "warning"
