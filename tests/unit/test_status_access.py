"""Who may read the status endpoint.

A listening address the venue chooses and a CIDR allowlist, over real TCP sockets on loopback; and
the venue keys that configure it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import urllib.request

import pytest
from canopy_helpers import serve_while

from installation.app.status import Metric, StatusServer, allows
from installation.config import ConfigError, parse_config


def exchange(port: int, host: str = "127.0.0.1") -> bytes:
    """One raw HTTP request; whatever comes back before the server closes ('' if nothing)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((host, port))
        try:
            s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
            chunks = []
            while chunk := s.recv(4096):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            return b""
        return b"".join(chunks)


def server(allowed, host="127.0.0.1") -> StatusServer:
    s = StatusServer(
        0,
        lambda: {"status": "ok"},
        lambda: [Metric("canopy_ticks_total", "counter", "Ticks.", 3)],
        host=host,
        allowed=allowed,
    )
    s.start()
    return s


def test_an_allowlist_without_loopback_refuses_and_counts_it(caplog):
    s = server(["192.168.1.0/24"])
    try:
        with caplog.at_level(logging.WARNING):
            assert serve_while(s, lambda: exchange(s.port)) == b""
            assert serve_while(s, lambda: exchange(s.port)) == b""
        assert s.refused == 2 and s.requests == 0
        # Logged once per address, with what is allowed; later ones are only counted.
        refusals = [r for r in caplog.records if "refused a connection" in r.getMessage()]
        assert len(refusals) == 1 and "127.0.0.1" in refusals[0].getMessage()
        assert "192.168.1.0/24" in refusals[0].getMessage()
    finally:
        s.close()


def test_an_allowlist_with_loopback_serves_and_metrics_show_the_refusals():
    s = server(["10.0.0.0/8", "127.0.0.0/8"], host="0.0.0.0")  # every interface
    try:
        reply = serve_while(s, lambda: exchange(s.port))
        assert reply.startswith(b"HTTP/1.0 200 OK") and reply.endswith(b'{"status": "ok"}\n')
        s.allowed = s.allowed[:1]  # the same socket, loopback no longer allowed
        assert serve_while(s, lambda: exchange(s.port)) == b""
        s.allowed.append(ipaddress.ip_network("127.0.0.0/8"))  # and back again

        def metrics():
            with urllib.request.urlopen(f"http://127.0.0.1:{s.port}/metrics", timeout=5) as r:
                return r.read().decode()

        text = serve_while(s, metrics)
        assert "canopy_ticks_total 3.0" in text
        assert "# TYPE canopy_status_refused_total counter" in text
        assert "canopy_status_refused_total 1.0" in text
    finally:
        s.close()


def test_the_default_is_loopback_only_and_ipv6_listens_too():
    s = StatusServer(0, dict, list)
    assert s.host == "127.0.0.1"
    assert allows(s.allowed, "127.0.0.1") and allows(s.allowed, "::1")
    assert not allows(s.allowed, "192.168.1.20") and not allows(s.allowed, "junk")
    # An IPv4 client of a dual-stack socket is judged by its IPv4 address.
    assert allows(s.allowed, "::ffff:127.0.0.1")
    try:
        v6 = server(["::1/128"], host="::1")
    except OSError as exc:  # a machine without IPv6 cannot run this half
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        assert serve_while(v6, lambda: exchange(v6.port, "::1")).startswith(b"HTTP/1.0 200")
    finally:
        v6.close()


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
