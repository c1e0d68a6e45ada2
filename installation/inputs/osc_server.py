"""The OSC server, in its own process, and its handle in the show's process.

Measured (DESIGN.md): moderngl holds the GIL while a frame renders, and an OSC thread in the
render process lost a quarter of 1,000 msg/s. So the socket lives in a separate process that
never waits on the renderer: it receives, checks the source network and the per-source rate
(token bucket), decodes and validates, answers pings itself, and passes accepted messages
to the show in batches over a pipe (every millisecond). The show drains the pipe as batches
arrive (``OscInput.wait`` wakes it, ``OscInput.poll`` drains); bundles with a future timetag
wait in a heap and are released when they fall due, never by sleeping in a handler. If the
process dies, ``OscInput`` restarts it and counts it.
"""

from __future__ import annotations

import collections
import heapq
import ipaddress
import logging
import multiprocessing as mp
import select
import socket
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscConfig, OscMapping
from installation.inputs.frame import Event
from installation.inputs.osc_protocol import (
    REASONS,
    Control,
    Ping,
    Reject,
    decode_datagram,
    interpret,
    map_controller,
)
from installation.inputs.processes import stop_process

log = logging.getLogger(__name__)

COUNTERS = ("received", "accepted", *REASONS)
BATCH_INTERVAL_S = 0.001
QUEUE_LIMIT = 65_536  # accepted messages waiting for the show; oldest dropped beyond
# A bundle may be scheduled at most this far ahead. The show holds scheduled messages until
# they fall due, so without a horizon a sender (or a controller with a wrong clock) stamping
# bundles with a far-future timetag would fill the show's memory for the length of a run.
MAX_AHEAD_S = 60.0
START_TIMEOUT_S = 20.0  # a server process that has not bound its socket by then is given up


@dataclass(frozen=True)
class Received:
    """An accepted message as the show sees it.

    Attributes:
        due: Unix time at which it applies (arrival, or a bundle's future timetag).
        arrived: Unix time it arrived at the server.
        host, port: the sender.
        address, args: what was sent (after controller mapping).
        item: the event or control request it means.
    """

    due: float
    arrived: float
    host: str
    port: int
    address: str
    args: tuple[Any, ...]
    item: Event | Control


def _pong(address: str) -> bytes:
    return OscMessageBuilder(address).build().dgram


class _Buckets:
    """Per-source token buckets: ``rate`` messages/s with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.state: dict[str, tuple[float, float]] = {}

    def allow(self, host: str, now: float) -> bool:
        tokens, last = self.state.get(host, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self.state[host] = (tokens, now)
            return False
        self.state[host] = (tokens - 1.0, now)
        if len(self.state) > 10_000:  # forget the oldest sources rather than grow forever
            self.state.pop(next(iter(self.state)))
        return True


def serve(
    config: OscConfig, communities: int, conn: Connection, counters: Any, ready: Any, stop: Any
) -> None:
    """The server loop (runs in the child process until ``stop`` is set)."""
    networks = [ipaddress.ip_network(n, strict=False) for n in config.allowed_networks]
    allowed_cache: dict[str, bool] = {}
    mappings: dict[str, OscMapping] = {m.source: m for m in config.mappings}
    buckets = _Buckets(config.rate_limit, config.burst)
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((config.host, config.port))
    sock.setblocking(False)
    ready.set()
    pending: collections.deque[Received] = collections.deque()
    last_flush = time.monotonic()

    def count(name: str, n: int = 1) -> None:
        counters[COUNTERS.index(name)] += n

    while not stop.is_set():
        readable, _, _ = select.select([sock], [], [], 0.002)
        if readable:
            for _ in range(4096):
                try:
                    data, addr = sock.recvfrom(65_536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                now = time.time()
                host, port = addr[0], addr[1]
                count("received")
                ok = allowed_cache.get(host)
                if ok is None:
                    try:
                        ip = ipaddress.ip_address(host)
                        ok = any(ip in n for n in networks if n.version == ip.version)
                    except ValueError:
                        ok = False
                    if len(allowed_cache) < 10_000:
                        allowed_cache[host] = ok
                if not ok:
                    count("refused_source")
                    continue
                messages, reason = decode_datagram(data)
                if reason is not None:
                    count(reason)
                    continue
                for due, address, args in messages:
                    if not buckets.allow(host, now):
                        count("rate_limited")
                        continue
                    if due - now > MAX_AHEAD_S:
                        count("too_far_ahead")
                        continue
                    address, args = map_controller(address, args, mappings)
                    item = interpret(address, args, communities)
                    if isinstance(item, Reject):
                        count(item.reason)
                        continue
                    if isinstance(item, Ping):
                        try:
                            sock.sendto(_pong("/canopy/pong"), addr)
                        except OSError:
                            pass
                    if len(pending) >= QUEUE_LIMIT:
                        pending.popleft()
                        count("queue_full")
                    pending.append(Received(due, now, host, port, address, args, item))
                    count("accepted")
        now_m = time.monotonic()
        if pending and now_m - last_flush >= BATCH_INTERVAL_S:
            # Only send when the pipe can take it; otherwise keep (bounded) and retry.
            _, writable, _ = select.select([], [conn], [], 0)
            if writable:
                batch = list(pending)
                pending.clear()
                conn.send(batch)
                last_flush = now_m
    sock.close()


class OscInput:
    """The show's side of the OSC server: start it, drain it, restart it.

    Args:
        config: the venue's OSC section.
        communities: how many communities the world has (to validate addresses).
    """

    def __init__(self, config: OscConfig, communities: int) -> None:
        self.config = config
        self.communities = communities
        self._ctx = mp.get_context("spawn")  # no GL context or threads leak into the child
        self.counters = self._ctx.Array("q", len(COUNTERS), lock=False)
        self.restarts = 0
        self._proc: Any = None
        self._conn: Connection | None = None
        self._stop: Any = None
        self._heap: list[tuple[float, int, Received]] = []
        self._seq = 0
        self.held_dropped = 0  # scheduled messages dropped because the hold was full
        self._retry_at = 0.0
        self._backoff = 1.0
        self._ready: Any = None
        self._starting = False  # a restart was launched and has not bound its socket yet
        self._deadline = 0.0

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the server process and wait until its socket is bound (the show's start).

        Raises:
            OSError: the address cannot be bound (in use, not an address of this machine).
        """
        self._launch(timeout)
        while not self._ready.wait(0.05):
            if not self._proc.is_alive() or time.monotonic() > self._deadline:
                self._abandon()
                raise OSError(self._cannot_listen())

    def _launch(self, timeout: float) -> None:
        parent, child = self._ctx.Pipe(duplex=False)
        self._ready = self._ctx.Event()
        self._stop = self._ctx.Event()
        self._proc = self._ctx.Process(
            target=serve,
            name="canopy-osc",
            daemon=True,
            args=(self.config, self.communities, child, self.counters, self._ready, self._stop),
        )
        self._proc.start()
        child.close()
        self._conn = parent
        self._deadline = time.monotonic() + timeout

    def _abandon(self) -> None:
        """Give up on a start that failed or hangs."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(timeout=1)
        self._close_conn()

    def _cannot_listen(self) -> str:
        return (
            f"cannot listen for OSC on {self.config.host}:{self.config.port} "
            "(address in use or not on this machine)"
        )

    def alive(self) -> bool:
        """The server process runs and listens."""
        return (
            self._proc is not None
            and self._proc.is_alive()
            and self._ready is not None
            and self._ready.is_set()
        )

    def ensure_running(self) -> bool:
        """Restart a dead server process (after a failed start, with backoff from 1 s to
        30 s); True when a restart was launched.

        Never waits: a fresh process takes about a second to import and bind, which would
        freeze the picture if the show's loop waited for it. A launched restart is checked
        on the next calls; until it listens, ``alive`` is False and the show says so.
        """
        if self._proc is None:
            return False
        now = time.monotonic()
        if self._starting:
            if self._ready.is_set():
                self._starting = False
                self._backoff = 1.0
                log.warning(
                    "OSC server listening again on %s:%d", self.config.host, self.config.port
                )
            elif not self._proc.is_alive() or now > self._deadline:
                self._starting = False
                self._abandon()
                log.error(
                    "OSC server could not restart, next try in %g s: %s",
                    self._backoff,
                    self._cannot_listen(),
                )
                self._retry_at = now + self._backoff
                self._backoff = min(self._backoff * 2.0, 30.0)
            return False
        if self._proc.is_alive() or now < self._retry_at:
            return False
        log.warning("OSC server process is down (exit code %s); restarting", self._proc.exitcode)
        self.restarts += 1
        self._close_conn()
        self._launch(START_TIMEOUT_S)
        self._starting = True
        return True

    def poll(self, now: float | None = None) -> list[Received]:
        """Everything due by ``now`` (Unix time), in arrival order within the tick."""
        now = time.time() if now is None else now
        conn = self._conn
        while conn is not None:
            try:
                if not conn.poll(0):
                    break
                batch = conn.recv()
            except (EOFError, OSError):
                break
            for r in batch:
                if r.due > r.arrived and len(self._heap) >= QUEUE_LIMIT:
                    self.held_dropped += 1  # scheduled ahead with the hold full: like queue_full
                    continue
                self._seq += 1
                heapq.heappush(self._heap, (max(r.due, r.arrived), self._seq, r))
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def wait(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds, waking as soon as messages arrive or a
        scheduled bundle falls due (so the show applies inputs within a millisecond or two
        of their arrival instead of sleeping through them)."""
        if self._heap:
            timeout = min(timeout, max(self._heap[0][0] - time.time(), 0.0))
        conn = self._conn
        if conn is None:
            time.sleep(timeout)
            return
        try:
            conn.poll(timeout)
        except (EOFError, OSError):
            time.sleep(timeout)

    def counts(self) -> dict[str, int]:
        """Received, accepted and rejected-by-reason counters."""
        counts = {name: int(self.counters[i]) for i, name in enumerate(COUNTERS)}
        counts["queue_full"] += self.held_dropped
        return counts

    def rejected(self) -> int:
        c = self.counts()
        return sum(c[r] for r in REASONS)

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        """Stop the server process (it notices within a few milliseconds)."""
        stop_process(self._proc, self._stop, self._conn, grace=2.0)
        self._conn = None
