"""The status endpoint: ``GET /health`` (JSON) and ``GET /metrics`` (Prometheus text).

A tiny HTTP/1.0 server, polled by the show's loop (non-blocking sockets, no thread): it
answers with the loop's own figures, so a show whose loop has frozen stops answering, which
is what a monitor should see. Slow or broken clients are cut off after a short timeout and
can never stall the show.

It listens on 127.0.0.1 unless the venue names another address (``[show] status_host``, e.g.
``0.0.0.0`` so that the venue's Prometheus can scrape it). It is read-only, but a show's
figures are still nobody else's business: a connection from outside the allowed networks
(``[show] status_allowed``, loopback by default) is closed at once, unread, and counted
(``canopy_status_refused_total`` in ``/metrics``; the first refusal from each address is
logged).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from installation.config import ShowConfig

log = logging.getLogger(__name__)

MAX_CLIENTS = 32
MAX_REQUEST = 8192
CLIENT_TIMEOUT_S = 2.0
LOOPBACK = ("127.0.0.0/8", "::1/128")
# Refusals are logged once per address; this many addresses are remembered (a scan from
# many addresses must not grow the show's memory or flood its log).
MAX_REFUSED_LOGGED = 256


@dataclass(frozen=True)
class Metric:
    """One Prometheus sample family with a single value (and optional labels)."""

    name: str
    kind: str  # "counter" or "gauge"
    help: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


def prometheus_text(metrics: list[Metric]) -> str:
    """The Prometheus text exposition format (version 0.0.4) for ``metrics``."""
    lines: list[str] = []
    seen: set[str] = set()
    for m in metrics:
        if m.name not in seen:
            seen.add(m.name)
            lines.append(f"# HELP {m.name} {m.help}")
            lines.append(f"# TYPE {m.name} {m.kind}")
        label = ""
        if m.labels:
            inner = ",".join(
                f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                for k, v in m.labels
            )
            label = "{" + inner + "}"
        value = m.value
        text = "NaN" if math.isnan(value) else repr(float(value))
        lines.append(f"{m.name}{label} {text}")
    return "\n".join(lines) + "\n"


class _Client:
    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.started = now
        self.inbox = b""
        self.outbox = b""


def allows(networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network], peer: str) -> bool:
    """Whether the address ``peer`` is in one of ``networks``.

    An IPv4 client of an IPv6 socket, ``::ffff:a.b.c.d``, is judged by its IPv4 address.
    """
    try:
        addr = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr.version == net.version and addr in net for net in networks)


class StatusServer:
    """Serves ``/health`` and ``/metrics`` from callbacks, one ``poll`` per loop iteration.

    Args:
        port: the TCP port (0: any free one; ``port`` says which after ``start``).
        health: returns the JSON-ready health dict.
        metrics: returns the metrics.
        host: the address to listen on (IPv4 or IPv6; '0.0.0.0' or '::' for every
            interface).
        allowed: CIDR networks whose connections are served; others are closed unread and
            counted in ``refused``.

    Raises:
        ValueError: ``allowed`` holds something that is not a CIDR network.
    """

    def __init__(
        self,
        port: int,
        health: Callable[[], dict],
        metrics: Callable[[], list[Metric]],
        host: str = "127.0.0.1",
        allowed: Sequence[str] = LOOPBACK,
    ) -> None:
        """Set the server up; nothing listens until ``start``."""
        self.host, self.port = host, port
        self.health, self.metrics = health, metrics
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed]
        self.requests = 0
        self.refused = 0
        self._refused_from: set[str] = set()
        self._listener: socket.socket | None = None
        self._clients: list[_Client] = []

    def start(self) -> None:
        """Bind and listen.

        Raises:
            OSError: the port is in use or not allowed.
        """
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:  # e.g. IPv6 disabled on this machine
            raise OSError(
                f"cannot serve status on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            if family == socket.AF_INET6:
                # '::' takes IPv4 clients too (as ::ffff:a.b.c.d, judged by their IPv4).
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind((self.host, self.port))
            s.listen(16)
        except OSError as exc:
            s.close()
            raise OSError(
                f"cannot serve status on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        s.setblocking(False)
        self._listener = s
        self.port = s.getsockname()[1]

    def poll(self) -> None:
        """Accept, read, answer and close whatever is ready; never blocks."""
        if self._listener is None:
            return
        now = time.monotonic()
        # At most MAX_CLIENTS accepts a call, refused ones included: a flood of connections
        # from outside the allowlist cannot keep the show's loop here.
        for _ in range(MAX_CLIENTS):
            if len(self._clients) >= MAX_CLIENTS:
                break
            try:
                conn, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not allows(self.allowed, peer[0]):
                self._refuse(conn, peer[0])
                continue
            conn.setblocking(False)
            self._clients.append(_Client(conn, now))
        for c in list(self._clients):
            if not self._serve(c) or now - c.started > CLIENT_TIMEOUT_S:
                c.sock.close()
                self._clients.remove(c)

    def _refuse(self, conn: socket.socket, peer: str) -> None:
        """Close a connection from outside the allowed networks, unread; count it."""
        self.refused += 1
        conn.close()
        if peer not in self._refused_from and len(self._refused_from) < MAX_REFUSED_LOGGED:
            self._refused_from.add(peer)
            allowed = ", ".join(str(n) for n in self.allowed)
            log.warning(
                "status endpoint: refused a connection from %s (not in show.status_allowed: "
                "%s); further ones from it are only counted",
                peer,
                allowed,
            )

    def _serve(self, c: _Client) -> bool:
        """Advance one client; False when it is finished."""
        try:
            if not c.outbox:
                chunk = c.sock.recv(4096)
                if not chunk:
                    return False
                c.inbox += chunk
                if b"\r\n\r\n" not in c.inbox and b"\n\n" not in c.inbox:
                    if len(c.inbox) > MAX_REQUEST:
                        c.outbox = self._response(431, "text/plain", "request too large\n")
                    else:
                        return True
                else:
                    c.outbox = self._answer(c.inbox)
            sent = c.sock.send(c.outbox)
            c.outbox = c.outbox[sent:]
            return bool(c.outbox)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    def _answer(self, request: bytes) -> bytes:
        self.requests += 1
        line = request.split(b"\n", 1)[0].decode("latin-1").strip().split()
        if len(line) < 2:
            return self._response(400, "text/plain", "bad request\n")
        method, target = line[0], line[1].split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return self._response(405, "text/plain", "only GET\n")
        if target == "/health":
            body = json.dumps(self.health(), allow_nan=False, default=str) + "\n"
            return self._response(200, "application/json", body, head=method == "HEAD")
        if target == "/metrics":
            own = Metric(
                "canopy_status_refused_total",
                "counter",
                "Connections to the status endpoint from outside show.status_allowed, closed.",
                self.refused,
            )
            return self._response(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                prometheus_text([*self.metrics(), own]),
                head=method == "HEAD",
            )
        return self._response(404, "text/plain", "try /health or /metrics\n")

    @staticmethod
    def _response(code: int, kind: str, body: str, head: bool = False) -> bytes:
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  431: "Request Header Fields Too Large"}[code]  # fmt: skip
        data = body.encode()
        header = (
            f"HTTP/1.0 {code} {reason}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        ).encode()
        return header + (b"" if head else data)

    def close(self) -> None:
        """Close every client connection and the listening socket."""
        for c in self._clients:
            c.sock.close()
        self._clients.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def start_status(
    show: ShowConfig,
    port: int,
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], list[Metric]],
) -> StatusServer | None:
    """The live show's status endpoint on ``port``, started; None when off or it cannot start.

    A port it cannot bind is logged, and the show goes on without the endpoint.
    """
    if not port:
        return None
    server = StatusServer(port, health, metrics, host=show.status_host, allowed=show.status_allowed)
    try:
        server.start()
    except OSError as exc:
        log.error("%s; the show goes on without it", exc)
        return None
    return server
