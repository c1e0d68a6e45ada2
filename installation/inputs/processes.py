"""The input processes' one lifecycle.

How the show spawns a child (the OSC server, the microphone capture), knows it is alive, restarts it
with backoff, stops it with a deadline, and how a child dies with the show.

No shared ``multiprocessing`` primitives: an ``Event`` keeps a lock and counters in shared
memory, and a child killed while waiting on one (a stop sent to the whole process group, as
systemd's default ``KillMode`` and a terminal's Ctrl-C do; a crash; ``kill``) leaves them
held, so the show's ``set()`` then waits for ever.
Instead each child holds the read end of a *lifeline* pipe whose write end only the show
has. The show closes it to ask the child to stop, and the kernel closes it when the show
dies, however it dies: either way the child reads end-of-file and leaves. A child stuck in a
blocking call (a silent audio device) cannot read it, so children also ask the kernel to kill
them when their parent dies (``PR_SET_PDEATHSIG``, Linux). Readiness is one lock-free shared
byte the child sets. The show never waits on a child without a deadline, and a child that
does not leave in time is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
BACKOFF_MIN_S, BACKOFF_MAX_S = 1.0, 30.0
# A child that never became ready, or a restarted one that dies again sooner than this, is
# failing, not unlucky: the next start waits (1 s, doubling to 30 s) instead of spinning.
# One that ran this long resets the backoff.
STABLE_S = 10.0


PR_SET_NAME = 15  # <linux/prctl.h>


def become_child(parent_pid: int, name: str = "") -> None:
    """Called first thing in a child.

    Take ``name`` as the process's name (``ps``, ``top`` and ``/proc/<pid>/comm`` show
    ``canopy-osc``, ``canopy-web``, ... instead of ``python3``). Leave Ctrl-C to the show
    (which stops the child itself, cleanly, so no child prints a ``KeyboardInterrupt``
    traceback) and die with the show (``SIGKILL`` when it dies, even by ``kill -9``, so a port
    or device is freed at once for the restarted show).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the lifeline still holds
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if name:
            libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)
    if os.getppid() != parent_pid:  # the show died before the request took effect
        os._exit(0)


def stop_requested(lifeline: Connection, timeout: float = 0.0) -> bool:
    """Whether the show asked this child to stop, or died (waits up to ``timeout`` s for it).

    The show never writes on the lifeline; any readiness, normally end-of-file, means stop.
    """
    try:
        return lifeline.poll(timeout)
    except (EOFError, OSError):
        return True


def _child_main(
    target: Callable[..., None],
    conn: Connection,
    lifeline: Connection,
    ready: Any,
    parent_pid: int,
    args: tuple[Any, ...],
    name: str = "",
) -> None:
    """Every child's entry point.

    ``target(conn, lifeline, ready, *args)`` once it is a proper child (``become_child``); a show
    that went away mid-send ends it quietly.
    """
    become_child(parent_pid, name)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        target(conn, lifeline, ready, *args)


def stop_process(
    proc: Any, lifeline: Connection | None, conn: Connection | None, grace: float
) -> None:
    """Ask a child to stop (close its lifeline), give it ``grace`` seconds, then kill it.

    Close the show's end of its data pipe. Never blocks for longer than ``grace`` + 2 s, whatever
    state the child is in (dead, stuck, never started).

    Args:
        proc: the ``multiprocessing`` process (or None if never started).
        lifeline: the show's (write) end of the child's lifeline (or None).
        conn: the show's end of its data pipe (or None).
        grace: seconds to wait before killing it.
    """
    if lifeline is not None:
        with contextlib.suppress(OSError):
            lifeline.close()
    if proc is not None:
        proc.join(timeout=grace)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=2)
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


class ChildProcess:
    """One input process and its whole life, seen from the show.

    The child runs ``target(conn, lifeline, ready, *args)`` in a spawned interpreter (no GL
    context or threads leak into it): it sends to the show on ``conn``, leaves when
    ``stop_requested(lifeline)``, and sets ``ready.value = 1`` once it serves. A child that
    ends on its own with exit status 0 has finished on purpose (e.g. no PortAudio: nothing
    a restart would change); any other end is restarted, with backoff when it keeps failing.

    Args:
        name: the process's name (``canopy-osc``).
        label: what the log calls it ("OSC server").
        target: the child's function (module level, so it can be pickled).
        args: its arguments after ``conn, lifeline, ready``.
        grace: seconds a stop waits before killing it.
        start_timeout: seconds a start may take to become ready.
        why: what the child's exit statuses mean, for the log ({3: "cannot listen ..."}).
        duplex: the data pipe carries the show's messages to the child too.
    """

    def __init__(
        self,
        name: str,
        label: str,
        target: Callable[..., None],
        args: tuple[Any, ...],
        grace: float,
        start_timeout: float = 20.0,
        why: dict[int, str] | None = None,
        duplex: bool = False,
    ) -> None:
        """Prepare the child; nothing runs until ``launch``."""
        self.duplex = duplex
        self.name, self.label, self.why = name, label, why or {}
        self.target, self.args = target, args
        self.grace, self.start_timeout = grace, start_timeout
        self.restarts = 0
        self.conn: Connection | None = None  # the show's end of the data pipe
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._lifeline: Connection | None = None
        self._ready: Any = None
        self._started_at = 0.0
        self._retry_at = 0.0
        self._backoff = BACKOFF_MIN_S
        self._last_failure: str | None = None  # why the last failing start failed (logged once)
        self._restarting = False  # a restart was launched and is not ready yet
        self._killed = False  # its last end was the show's ``kill`` (whose caller said why)
        self._quiet_restart = False  # the restart after a kill: no "running again" line

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the first start)."""
        return None if self._proc is None else self._proc.pid

    def launch(self) -> bool:
        """Spawn the child; returns at once (see ``wait_ready``).

        Returns:
            False when the system refused (no memory, no file descriptors): logged, and
            ``ensure_running`` tries again with backoff, like a child that died at start.
        """
        self._started_at = time.monotonic()
        self._ready = self._ctx.RawValue("b", 0)
        pipes: list[Connection] = []
        try:
            conn, child_conn = self._ctx.Pipe(duplex=self.duplex)
            pipes += [conn, child_conn]
            life_r, life_w = self._ctx.Pipe(duplex=False)
            pipes += [life_r, life_w]
            self._proc = self._ctx.Process(
                target=_child_main,
                name=self.name,
                daemon=True,
                args=(
                    self.target,
                    child_conn,
                    life_r,
                    self._ready,
                    os.getpid(),
                    self.args,
                    self.name,
                ),
            )
            self._proc.start()
        except OSError as exc:
            log.error("%s could not be started: %s", self.label, exc)
            for end in pipes:
                end.close()
            self._proc = _NeverStarted()
            return False
        child_conn.close()  # the child's ends live in the child only: EOF means it is gone
        life_r.close()
        self.conn, self._lifeline = conn, life_w
        return True

    def wait_ready(self) -> bool:
        """Wait until the child serves (True), dies or overruns ``start_timeout`` (False).

        A child that hangs past ``start_timeout`` is killed.
        """
        deadline = self._started_at + self.start_timeout
        while not self.ready():
            if not self._proc.is_alive():
                return False
            if time.monotonic() > deadline:
                self._end()
                return False
            time.sleep(0.02)
        return True

    def ready(self) -> bool:
        """The child runs and serves."""
        return self._proc is not None and self._proc.is_alive() and bool(self._ready.value)

    def finished(self) -> bool:
        """The child ended on its own, on purpose (exit status 0): not to be restarted."""
        return self._proc is not None and self._proc.exitcode == 0

    def ensure_running(self) -> bool:
        """Restart a dead child (with backoff when it keeps failing).

        True when a restart was launched. Never waits: a fresh child takes about a second to import
        and start, which would freeze the picture; a launched restart is checked on the next calls.
        """
        if self._proc is None:
            return False
        now = time.monotonic()
        if self._restarting:
            if self.ready():
                self._restarting = False
                (log.debug if self._quiet_restart else log.warning)(
                    "%s is running again", self.label
                )
                self._quiet_restart = False
            elif self._proc.is_alive() and now > self._started_at + self.start_timeout:
                self._end()  # hangs in its start: counts as a failed start below
        if self._proc.is_alive() or self.finished():
            if self.ready() and now - self._started_at >= STABLE_S:
                self._backoff = BACKOFF_MIN_S  # served a good while: the next death is news
                self._last_failure = None
            return False
        if self._retry_at == 0.0:  # just found dead
            lived = now - self._started_at
            # Failing: it never served, or a restart died again soon. A child that served
            # and was killed (by a person, the OOM killer) restarts at once; so does one the
            # show killed itself (``kill``): its caller decides when to restart it.
            failing = not self._killed and (
                not self._ready.value or (self.restarts > 0 and lived < STABLE_S)
            )
            self._retry_at = now + (self._backoff if failing else 0.0)
            if failing:
                code = self._proc.exitcode
                why = self.why.get(code, f"exit code {code}")
                # One line per change of reason, not one per retry: a port held for a week
                # would otherwise log every 30 s.
                (log.error if why != self._last_failure else log.debug)(
                    "%s stopped after %.1f s (%s); next try in %g s (retrying with backoff "
                    "up to %g s)", self.label, lived, why, self._backoff, BACKOFF_MAX_S,
                )  # fmt: skip
                self._last_failure = why
                self._backoff = min(self._backoff * 2.0, BACKOFF_MAX_S)
        if now < self._retry_at:
            return False
        (log.warning if self._last_failure is None and not self._killed else log.debug)(
            "%s process is down (exit code %s); restarting", self.label, self._proc.exitcode
        )
        self._quiet_restart, self._killed = self._killed, False
        self._retry_at = 0.0
        self.restarts += 1
        self._end()
        self._restarting = self.launch()
        return True

    def restart_if_dead(self) -> bool:
        """``ensure_running`` for a child whose messages need no draining when it dies."""
        if not self.alive() and self.conn is not None:
            self.close_conn()
        return self.ensure_running()

    def drain(self) -> list[Any]:
        """Everything the child sent since the last call (its lists, joined); never blocks."""
        out: list[Any] = []
        conn = self.conn
        if conn is None:
            return out
        with contextlib.suppress(OSError, EOFError):
            while conn.poll():
                out += conn.recv()
        return out

    def send_nowait(self, message: Any) -> bool:
        """Send ``message`` to a ready duplex child unless its pipe is full; whether it went."""
        import select

        conn = self.conn
        if conn is None or not self.ready():
            return False
        with contextlib.suppress(OSError, ValueError):
            _, writable, _ = select.select([], [conn], [], 0)
            if writable:
                conn.send(message)
                return True
        return False

    def close_conn(self) -> None:
        """Close the show's end of a dead child's data pipe (after draining it).

        At its end-of-file a poll would return at once, every time, until the restart.
        """
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None

    def _end(self) -> None:
        """Stop the child at once and close the show's ends (before a restart)."""
        stop_process(self._proc, self._lifeline, self.conn, grace=0.0)
        self.conn = self._lifeline = None

    def kill(self) -> None:
        """Kill a stuck child at once and close the show's ends; ``ensure_running`` restarts it.

        No request to stop first: a child that could still answer one might end with status 0
        in between, which would read as finished on purpose, never to be restarted. The caller
        logs why and decides when to restart it (the next ``ensure_running`` does so at once,
        with no line of its own). Waits at most half a second: a child stuck in a driver call
        dies when the call returns, and the next ``ensure_running`` finds it dead then.
        """
        self._killed = True
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=0.5)
        stop_process(None, self._lifeline, self.conn, grace=0.0)  # (the ends only: it is killed)
        self.conn = self._lifeline = None

    def request_stop(self) -> None:
        """Ask the child to leave (it finishes what it was sending); see ``join``."""
        if self._lifeline is not None:
            with contextlib.suppress(OSError):
                self._lifeline.close()
            self._lifeline = None

    def alive(self) -> bool:
        """The child process exists and has not ended."""
        return self._proc is not None and self._proc.is_alive()

    def stop(self, grace: float | None = None) -> None:
        """Stop the child: ask, wait up to ``grace`` s, then kill; close the data pipe.

        Args:
            grace: seconds to wait (None: the child's own).
        """
        stop_process(self._proc, self._lifeline, self.conn, self.grace if grace is None else grace)
        self.conn = self._lifeline = None


class _NeverStarted:
    """Stands for a child whose start the system refused: dead, failed, never ready."""

    pid = None
    exitcode = -1

    @staticmethod
    def is_alive() -> bool:
        return False

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""

    def kill(self) -> None:
        """Nothing to kill."""
