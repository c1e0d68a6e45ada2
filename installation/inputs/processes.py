"""Stopping the input processes (OSC server, microphone capture) the same way."""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any


def stop_process(proc: Any, stop: Any, conn: Connection | None, grace: float) -> None:
    """Ask a child process to stop, give it ``grace`` seconds, then kill it; close its pipe.

    Args:
        proc: the ``multiprocessing`` process (or None if never started).
        stop: the event it watches (or None).
        conn: the show's end of its pipe (or None).
        grace: seconds to wait before killing it.
    """
    if stop is not None:
        stop.set()
    if proc is not None:
        proc.join(timeout=grace)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=2)
    if conn is not None:
        conn.close()
