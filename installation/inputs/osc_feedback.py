"""OSC feedback: the headline indices sent to configured targets and to subscribers.

Sent from the show's process, non-blocking, at the configured rate. Each target receives
``/canopy/indices unity disparity outage hope anger participation act rejected`` and, for
controllers that map single values, one message per index (``/canopy/index/unity 0.73``).
"""

from __future__ import annotations

import socket
from collections import OrderedDict

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscConfig

MAX_SUBSCRIBERS = 64


def _message(address: str, *args: float | int) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


class Feedback:
    """Sends indices to fixed targets and subscribers at ``feedback_hz``."""

    def __init__(self, config: OscConfig) -> None:
        """Parse the fixed targets ('host:port') and open the sending sockets."""
        self.period = 1.0 / config.feedback_hz if config.feedback_hz > 0 else None
        self.fixed = []
        for target in config.feedback_targets:
            host, _, port = target.rpartition(":")
            self.fixed.append((host, int(port)))
        self.subscribers: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._sock4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock4.setblocking(False)
        self._next = 0.0
        self.sent = 0
        self.send_errors = 0

    def subscribe(self, host: str, port: int) -> None:
        """Send feedback to ``host``:``port`` too; beyond ``MAX_SUBSCRIBERS`` the oldest goes."""
        self.subscribers[(host, port)] = None
        self.subscribers.move_to_end((host, port))
        while len(self.subscribers) > MAX_SUBSCRIBERS:
            self.subscribers.popitem(last=False)

    def unsubscribe(self, host: str, port: int | None) -> None:
        """Stop feedback to ``host`` at ``port``, or at every port of ``host`` when None.

        ``oscsend`` and many tools send each message from a new source port, so the sender's own
        port says nothing about which subscription it means.
        """
        for key in [k for k in self.subscribers if k[0] == host and port in (None, k[1])]:
            del self.subscribers[key]

    def due(self, now: float) -> bool:
        """Whether a round of feedback is due at monotonic time ``now``."""
        return self.period is not None and now >= self._next

    def send(self, now: float, values: dict[str, float], act: int, rejected: int) -> None:
        """Send one round of feedback if it is due."""
        if self.period is None or not self.due(now):
            return
        self._next = now + self.period
        names = ("unity", "disparity", "outage", "hope", "anger", "participation")
        packets = [
            _message("/canopy/indices", *(float(values[n]) for n in names), int(act), int(rejected))
        ]
        packets += [_message(f"/canopy/index/{n}", float(values[n])) for n in names]
        packets.append(_message("/canopy/index/act", int(act)))
        for target in [*self.fixed, *self.subscribers]:
            for p in packets:
                try:
                    self._sock4.sendto(p, target)
                    self.sent += 1
                except OSError:
                    self.send_errors += 1  # a full buffer or unreachable target: skip

    def close(self) -> None:
        """Close the sending sockets."""
        self._sock4.close()
