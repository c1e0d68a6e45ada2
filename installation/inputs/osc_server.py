"""The OSC server, in its own process, and its handle in the show's process.

Measured (docs/design.md): moderngl holds the GIL while a frame renders, and an OSC thread in the
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
import contextlib
import heapq
import ipaddress
import logging
import multiprocessing as mp
import select
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscConfig, OscMapping
from installation.inputs.frame import Event
from installation.inputs.osc_protocol import (
    REASONS,
    Calibrate,
    Control,
    MidiLearn,
    Pause,
    Ping,
    Reject,
    decode_datagram,
    interpret,
    map_controller,
)
from installation.inputs.processes import ChildProcess, stop_requested

log = logging.getLogger(__name__)

COUNTERS = ("received", "accepted", *REASONS)
BATCH_INTERVAL_S = 0.001
QUEUE_LIMIT = 65_536  # accepted messages waiting for the show; oldest dropped beyond
# A bundle may be scheduled at most this far ahead. The show holds scheduled messages until
# they fall due, so without a horizon a sender (or a controller with a wrong clock) stamping
# bundles with a far-future timetag would fill the show's memory for the length of a run.
MAX_AHEAD_S = 60.0
BIND_FAILED = 3  # the server process's exit status when its address cannot be bound
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


def _bind(config: OscConfig) -> socket.socket:
    """The non-blocking UDP socket on the configured address; exits when it cannot bind."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    try:
        sock.bind((config.host, config.port))
    except OSError:
        # The show says so itself, once per change (and retries with backoff): a traceback
        # from here on every retry would only bury its message.
        sys.exit(BIND_FAILED)
    sock.setblocking(False)
    return sock


def _within(host: str, networks: list[Any]) -> bool:
    """Whether the address ``host`` lies in one of ``networks`` (False if not an address)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in n for n in networks if n.version == ip.version)


OPERATOR_CONTROLS = (Calibrate, Pause, MidiLearn)
"""The operator's controls: only from ``[osc] operator_networks``."""


class _Server:
    """The OSC process's state: source checks, rate limits, mappings, the accepted queue."""

    def __init__(
        self, sock: socket.socket, config: OscConfig, communities: int, counters: Any
    ) -> None:
        self.sock = sock
        self.networks = [ipaddress.ip_network(n, strict=False) for n in config.allowed_networks]
        self.operators = [ipaddress.ip_network(n, strict=False) for n in config.operator_networks]
        self.allowed_cache: dict[str, bool] = {}
        self.mappings: dict[str, OscMapping] = {m.source: m for m in config.mappings}
        self.buckets = _Buckets(config.rate_limit, config.burst)
        self.communities = communities
        self.counters = counters
        self.pending: collections.deque[Received] = collections.deque()

    def count(self, name: str, n: int = 1) -> None:
        self.counters[COUNTERS.index(name)] += n

    def allowed(self, host: str) -> bool:
        ok = self.allowed_cache.get(host)
        if ok is None:
            ok = _within(host, self.networks)
            if len(self.allowed_cache) < 10_000:
                self.allowed_cache[host] = ok
        return ok

    def operator(self, host: str) -> bool:
        """Whether ``host`` may use the operator's controls (``[osc] operator_networks``)."""
        return _within(host, self.operators)

    def receive(self) -> None:
        """Take what the socket holds (at most 4096 datagrams a call)."""
        for _ in range(4096):
            try:
                data, addr = self.sock.recvfrom(65_536)
            except OSError:  # BlockingIOError, InterruptedError: nothing more now
                return
            self.datagram(data, addr, time.time())

    def datagram(self, data: bytes, addr: Any, now: float) -> None:
        """Check, decode and queue one datagram's messages."""
        host = addr[0]
        self.count("received")
        if not self.allowed(host):
            self.count("refused_source")
            return
        messages, reason = decode_datagram(data)
        if reason is not None:
            self.count(reason)
            return
        for due, address, args in messages:
            if not self.buckets.allow(host, now):
                self.count("rate_limited")
            elif due - now > MAX_AHEAD_S:
                self.count("too_far_ahead")
            else:
                self.message(due, now, addr, address, args)

    def message(self, due: float, now: float, addr: Any, address: str, args: Any) -> None:
        """Map, interpret and queue one message (a ping is answered at once)."""
        mapped = map_controller(address, args, self.mappings)
        if isinstance(mapped, Reject):
            self.count(mapped.reason)
            return
        address, args = mapped
        item = interpret(address, args, self.communities)
        if isinstance(item, Reject):
            self.count(item.reason)
            return
        if isinstance(item, OPERATOR_CONTROLS) and not self.operator(addr[0]):
            self.count("refused_source")  # (visitors' controllers cannot pause or re-aim)
            return
        if isinstance(item, Ping):
            with contextlib.suppress(OSError):
                self.sock.sendto(_pong("/canopy/pong"), addr)
        if len(self.pending) >= QUEUE_LIMIT:
            self.pending.popleft()
            self.count("queue_full")
        self.pending.append(Received(due, now, addr[0], addr[1], address, args, item))
        self.count("accepted")


def serve(
    conn: Connection,
    lifeline: Connection,
    ready: Any,
    config: OscConfig,
    communities: int,
    counters: Any,
) -> None:
    """The server loop, run in the child process (see ``processes.ChildProcess``).

    It runs until the show closes ``lifeline`` or dies; ``ready`` is set once the socket is bound.
    """
    sock = _bind(config)
    ready.value = 1
    server = _Server(sock, config, communities, counters)
    pending = server.pending
    last_flush = time.monotonic()
    watched: list[socket.socket | Connection] = [sock, lifeline]
    while True:
        readable, _, _ = select.select(watched, [], [], 0.002)
        if lifeline in readable and stop_requested(lifeline):
            break
        if sock in readable:
            server.receive()
        now_m = time.monotonic()
        if pending and now_m - last_flush >= BATCH_INTERVAL_S:
            # Only send when the pipe can take it; otherwise keep (bounded) and retry.
            _, writable, _ = select.select([], [conn], [], 0)
            if writable:
                batch = list(pending)
                pending.clear()
                try:
                    conn.send(batch)
                except OSError:  # the show is gone: nothing left to serve
                    break
                last_flush = now_m
    sock.close()
    if pending:  # accepted before the stop: the show drains the pipe while it waits for us
        with contextlib.suppress(OSError):
            conn.send(list(pending))


class OscInput:
    """The show's side of the OSC server: start it, drain it, restart it.

    Args:
        config: the venue's OSC section.
        communities: how many communities the world has (to validate addresses).
    """

    def __init__(self, config: OscConfig, communities: int) -> None:
        """Prepare the server process and its shared counters; ``start`` launches it."""
        self.config = config
        self.communities = communities
        self.counters = mp.get_context("spawn").Array("q", len(COUNTERS), lock=False)
        self.child = ChildProcess(
            "canopy-osc",
            "OSC server",
            serve,
            (config, communities, self.counters),
            grace=2.0,
            start_timeout=START_TIMEOUT_S,
            why={BIND_FAILED: self._cannot_listen()},
        )
        self._heap: list[tuple[float, int, Received]] = []
        self._seq = 0
        self.held_dropped = 0  # scheduled messages dropped because the hold was full
        self.dropped_at_stop = 0  # bundles still held for a future timetag when the show stopped

    @property
    def restarts(self) -> int:
        """How often the server process was restarted."""
        return self.child.restarts

    def start(self) -> None:
        """Start the server process and wait until its socket is bound (the show's start).

        Raises:
            OSError: the address cannot be bound (in use, not an address of this machine);
                ``ensure_running`` keeps trying.
        """
        self.child.launch()
        if not self.child.wait_ready():
            raise OSError(self._cannot_listen())

    def _cannot_listen(self) -> str:
        return (
            f"cannot listen for OSC on {self.config.host}:{self.config.port} "
            "(address in use or not on this machine)"
        )

    def alive(self) -> bool:
        """The server process runs and listens."""
        return self.child.ready()

    def ensure_running(self) -> bool:
        """Restart a dead server process without waiting for it.

        See ``ChildProcess.ensure_running``; until it listens, ``alive`` is False and the show says
        so.
        """
        if not self.child.alive() and self.child.conn is not None:
            self._receive()  # what it accepted before it died still applies
            self.child.close_conn()
        return self.child.ensure_running()

    def poll(self, now: float | None = None) -> list[Received]:
        """Everything due by ``now`` (Unix time), in arrival order within the tick."""
        now = time.time() if now is None else now
        self._receive()
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def _receive(self, timeout: float = 0.0) -> None:
        """Move the batches waiting in the pipe into the hold.

        Waiting up to ``timeout`` s for the first.
        """
        conn = self.child.conn
        while conn is not None:
            try:
                if not conn.poll(timeout):
                    break
                batch = conn.recv()
            except (EOFError, OSError):
                break
            timeout = 0.0
            for r in batch:
                if r.due > r.arrived and len(self._heap) >= QUEUE_LIMIT:
                    self.held_dropped += 1  # scheduled ahead with the hold full: like queue_full
                    continue
                self._seq += 1
                heapq.heappush(self._heap, (max(r.due, r.arrived), self._seq, r))

    def wait(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds.

        Wakes as soon as messages arrive or a scheduled bundle falls due (so the show applies
        inputs within a millisecond or two of their arrival instead of sleeping through them).
        """
        if self._heap:
            timeout = min(timeout, max(self._heap[0][0] - time.time(), 0.0))
        conn = self.child.conn
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
        counts["dropped_at_stop"] = self.dropped_at_stop
        return counts

    def rejected(self) -> int:
        """Messages the server rejected so far, all reasons together."""
        c = self.counts()
        return sum(c[r] for r in REASONS)

    def waiting(self) -> int:
        """Accepted messages held in the show for a bundle's future timetag."""
        return len(self._heap)

    def stop(self) -> list[Received]:
        """Stop the server process and return every accepted message that is due.

        The process notices within a few milliseconds and sends what it accepted last; the show
        applies what comes back before its final snapshot. Bundles still held for a future timetag
        would never apply: they are counted as ``dropped_at_stop``. Returns within about 2 s
        whatever the child's state (dead, stuck or never started).
        """
        self.child.request_stop()
        deadline = time.monotonic() + self.child.grace
        while self.child.alive() and time.monotonic() < deadline:
            self._receive(timeout=0.02)  # drained while it leaves, so its last send never blocks
        self._receive()
        self.child.stop(grace=0.0)  # it had its grace above; one that still lingers is killed
        due = self.poll()
        self.dropped_at_stop += len(self._heap)
        self._heap.clear()
        return due
