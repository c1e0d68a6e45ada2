"""systemd's notify protocol: READY at start, WATCHDOG pings while frames are drawn, STOPPING.

Written to the datagram socket named by ``$NOTIFY_SOCKET`` (no library needed); without it
(not started by systemd) every call does nothing. The show pings from its frame loop only,
so if frames stop, the pings stop and systemd restarts the unit (``WatchdogSec=``).
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages, rate-limiting the watchdog pings.

    Args:
        environ: the environment to read ``NOTIFY_SOCKET`` and ``WATCHDOG_USEC`` from.
    """

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        """Read the environment; open a datagram socket when ``NOTIFY_SOCKET`` is set."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        self.address = address
        usec = env.get("WATCHDOG_USEC", "")
        # Ping at twice the rate systemd requires; once a second when it does not say.
        self.interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else 1.0
        self.sent = 0
        self._last_ping = -1e9
        self._sock: socket.socket | None = None
        if address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.setblocking(False)

    @property
    def enabled(self) -> bool:
        """Whether systemd is listening (a notify socket is open)."""
        return self._sock is not None

    def notify(self, message: str) -> bool:
        """Send one message ('READY=1', 'STATUS=...'); False when not sent."""
        if self._sock is None:
            return False
        try:
            self._sock.sendto(message.encode(), self.address)
        except OSError as exc:
            log.warning("systemd notify failed: %s", exc)
            return False
        self.sent += 1
        return True

    def ping(self, status: str | None = None) -> None:
        """A watchdog keep-alive, at most every ``interval`` seconds."""
        now = time.monotonic()
        if self._sock is None or now - self._last_ping < self.interval:
            return
        self._last_ping = now
        self.notify("WATCHDOG=1" + (f"\nSTATUS={status}" if status else ""))

    def close(self) -> None:
        """Close the notify socket; later messages are not sent."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
