"""Who may use the web process (``/health``, ``/metrics``, OSCQuery).

A listening address the venue chooses and a CIDR allowlist, over real TCP sockets on loopback; and
the venue keys that configure it.
"""

from __future__ import annotations

import logging
import socket
import time
import urllib.error
import urllib.request

import pytest
from canopy_helpers import WebThread

from installation.config import ConfigError, parse_config
from installation.inputs.status import Metric


def exchange(port: int, host: str = "127.0.0.1") -> bytes:
    """One raw HTTP request; whatever comes back before the server closes ('' if nothing)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        chunks = []
        while chunk := s.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks)


def web(allowed, host="127.0.0.1") -> WebThread:
    w = WebThread(host=host, allowed=allowed)
    w.service.health = {"status": "ok"}
    w.service.metrics = [Metric("canopy_ticks_total", "counter", "Ticks.", 3)]
    w.service.heartbeat = time.monotonic() + 3600  # (fresh for the whole test)
    return w


def test_an_allowlist_without_loopback_refuses_and_counts_it(caplog):
    w = web(["192.168.1.0/24"])
    try:
        with caplog.at_level(logging.WARNING):
            assert exchange(w.port).startswith(b"HTTP/1.0 403")
            assert exchange(w.port).startswith(b"HTTP/1.0 403")
        assert w.service.refused == 2
        # Logged once per address, with what is allowed; later ones are only counted.
        refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
        assert len(refusals) == 1 and "127.0.0.1" in refusals[0].getMessage()
        assert "192.168.1.0/24" in refusals[0].getMessage()
    finally:
        w.close()


def test_an_allowlist_with_loopback_serves_and_metrics_show_the_refusals():
    w = web(["10.0.0.0/8", "127.0.0.0/8"], host="0.0.0.0")  # every interface
    try:
        reply = exchange(w.port)
        assert reply.startswith(b"HTTP/1.0 200 OK") and reply.endswith(b'{"status": "ok"}\n')
        both = w.service.networks
        w.service.networks = both[:1]  # loopback no longer allowed
        assert exchange(w.port).startswith(b"HTTP/1.0 403")
        w.service.networks = both
        with urllib.request.urlopen(f"http://127.0.0.1:{w.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        assert "canopy_ticks_total 3.0" in text
        assert "# TYPE canopy_web_refused_total counter" in text
        assert "canopy_web_refused_total 1.0" in text
    finally:
        w.close()


def test_the_default_is_loopback_only_and_ipv6_listens_too():
    w = web(("127.0.0.0/8", "::1/128"))
    try:
        allowed = w.service.allowed
        assert allowed("127.0.0.1") and allowed("::1")
        assert not allowed("192.168.1.20") and not allowed("junk") and not allowed(None)
        # An IPv4 client of a dual-stack socket is judged by its IPv4 address.
        assert allowed("::ffff:127.0.0.1")
    finally:
        w.close()
    try:
        v6 = web(["::1/128"], host="::1")
    except OSError as exc:  # a machine without IPv6 cannot run this half
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        assert exchange(v6.port, "::1").startswith(b"HTTP/1.0 200")
    finally:
        v6.close()


def test_web_keys_in_a_venue_file_are_checked():
    web_ = parse_config({"web": {"port": 8080, "host": "0.0.0.0", "name": "Wall"}}).web
    assert (web_.port, web_.host, web_.name, web_.zeroconf) == (8080, "0.0.0.0", "Wall", True)
    with pytest.raises(ConfigError, match=r"venue.toml: web.host: 'gallery' is not an IP"):
        parse_config({"web": {"host": "gallery"}}, "venue.toml")
    with pytest.raises(ConfigError, match=r"web.allowed: '10.0.0/33' is not a CIDR"):
        parse_config({"web": {"allowed": ["10.0.0/33"]}}, "venue.toml")


def test_status_keys_in_a_venue_file_are_checked():
    show = parse_config(
        {"show": {"status_host": "0.0.0.0", "status_allowed": ["192.168.1.0/24"]}}
    ).show
    assert show.status_host == "0.0.0.0" and show.status_allowed == ("192.168.1.0/24",)
    assert parse_config({}).show.status_allowed == ("127.0.0.0/8", "::1/128")
    with pytest.raises(ConfigError, match=r"venue.toml: show.status_host: 'gallery' is not an IP"):
        parse_config({"show": {"status_host": "gallery"}}, "venue.toml")
    with pytest.raises(ConfigError, match=r"show.status_allowed: '192.168.1/33' is not a CIDR"):
        parse_config({"show": {"status_allowed": ["192.168.1/33"]}}, "venue.toml")


def test_window_position_and_shader_dir_keys():
    d = parse_config({"displays": [{"position": [100, 40]}]}).displays[0]
    assert d.position == (100, 40)
    with pytest.raises(ConfigError, match=r"displays\[0\].position: needs exactly two"):
        parse_config({"displays": [{"position": [100]}]}, "venue.toml")
    assert parse_config({"show": {"shader_dir": "venue-shaders"}}).show.shader_dir == (
        "venue-shaders"
    )


def test_guessing_the_token_is_slow():
    import json

    w = web(["127.0.0.0/8"])
    w.service.config = w.service.config.__class__(**{**w.service.config.__dict__, "token": "7391"})
    body = json.dumps({"address": "/canopy/repair", "args": []}).encode()

    def post(token: str) -> int:
        req = urllib.request.Request(f"http://127.0.0.1:{w.port}/ui/api/input", data=body,
                                     headers={"X-Canopy-Token": token}, method="POST")  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    try:
        assert [post(f"{n:04d}") for n in range(5)] == [401] * 5
        assert post("7391") == 429  # even the right one, for a minute
        w.service.locked_until.clear()
        assert post("7391") == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{w.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        assert "canopy_web_unauthorised_total 5.0" in text
        assert "canopy_web_inputs_total 1.0" in text
    finally:
        w.close()
