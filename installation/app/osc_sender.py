"""A paced OSC sender for ``canopy bench osc``: a module with light imports, because each
concurrent sender is a spawned process that imports it."""

from __future__ import annotations

import socket
import time
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder


def send_paced(port: int, rate: float, seconds: float, ready: Any, go: Any, sent: Any) -> None:
    """Send /canopy/touch at ``rate`` msg/s for ``seconds`` once ``go`` holds a start time."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    packets = []
    for i in range(64):
        b = OscMessageBuilder("/canopy/touch")
        b.add_arg((i % 8) / 8.0)
        b.add_arg((i // 8) / 8.0)
        packets.append(b.build().dgram)
    with ready.get_lock():
        ready.value += 1
    while go.value == 0.0:
        time.sleep(0.005)
    while time.time() < go.value:
        time.sleep(0.001)
    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        wait = t0 + i / rate - time.perf_counter()
        if wait > 0.0005:  # sleep rather than spin: senders share two cores with the show
            time.sleep(wait)
        sock.sendto(packets[i % 64], ("127.0.0.1", port))
    sent.value = n
