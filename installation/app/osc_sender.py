"""A paced OSC sender for ``canopy bench osc``.

A module with light imports, because each concurrent sender is a spawned process that imports it.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import Config

NTP_EPOCH = 2_208_988_800  # seconds from 1900 (OSC timetags) to 1970 (Unix)


def stamped(message: bytes, unix_time: float) -> bytes:
    """``message`` in an OSC bundle whose timetag is ``unix_time``.

    A time in the past means 'apply now', and tells the receiver when the message was sent.
    """
    seconds = int(unix_time) + NTP_EPOCH
    fraction = int((unix_time % 1.0) * 2**32) & 0xFFFFFFFF
    return (
        b"#bundle\0"
        + seconds.to_bytes(4, "big")
        + fraction.to_bytes(4, "big")
        + len(message).to_bytes(4, "big")
        + message
    )


def send_paced(port: int, rate: float, seconds: float, ready: Any, go: Any, sent: Any) -> None:
    """Send /canopy/touch at ``rate`` msg/s for ``seconds`` once ``go`` holds a start time.

    Each message travels in a bundle stamped with its send time, so latency can be measured from the
    send.
    """
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
        sock.sendto(stamped(packets[i % 64], time.time()), ("127.0.0.1", port))
    sent.value = n


def random_packets(seed: int, count: int = 512) -> list[bytes]:
    """A mix of the whole address space, mostly valid.

    Some wrong (types, ranges, addresses, NaN, garbage bytes): what a busy gallery network throws at
    the show.
    """
    import random

    rng = random.Random(seed)
    sentiments = ("hope", "anger", "empathy", "trust")
    out = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.45:
            b = OscMessageBuilder("/canopy/touch")
            b.add_arg(rng.random())
            b.add_arg(rng.random())
            if rng.random() < 0.5:
                b.add_arg(rng.random())
        elif kind < 0.65:
            b = OscMessageBuilder(f"/canopy/push/{rng.choice(sentiments)}")
            b.add_arg(rng.random())
            if rng.random() < 0.5:
                b.add_arg(rng.random())
                b.add_arg(rng.random())
        elif kind < 0.75:
            b = OscMessageBuilder(
                f"/canopy/community/{rng.randrange(6)}/push/{rng.choice(sentiments)}"
            )
            b.add_arg(rng.random())
        elif kind < 0.82:
            b = OscMessageBuilder("/canopy/repair")
            b.add_arg(rng.random())
            b.add_arg(rng.random())
        elif kind < 0.86:
            b = OscMessageBuilder("/canopy/param/noise")
            b.add_arg(rng.uniform(0.0, 0.2))
        elif kind < 0.90:
            b = OscMessageBuilder("/canopy/touch")
            b.add_arg(float("nan") if rng.random() < 0.5 else 7.5)
            b.add_arg(0.5)
        elif kind < 0.94:
            b = OscMessageBuilder("/canopy/nowhere")
            b.add_arg("text")
        else:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
            continue
        out.append(b.build().dgram)
    return out


def send_random(
    port: int, rate: float, lifeline: Any, sent: Any, parent_pid: int, seed: int = 0
) -> None:
    """Send ``random_packets`` at ``rate`` per second until the parent closes ``lifeline``.

    Also stops when the parent dies (soak input; see ``inputs.processes``); ``sent`` is a lock-free
    shared count.

    In a gallery the controllers are other machines; here the sender shares the show's two cores, so
    it yields to everything else (nice 19) and the soak measures the show.
    """
    import os

    from installation.inputs.processes import become_child, stop_requested

    become_child(parent_pid)
    os.nice(19)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    packets = random_packets(seed)
    t0 = time.perf_counter()
    i = 0
    while not (i % 64 == 0 and stop_requested(lifeline)):
        wait = t0 + i / rate - time.perf_counter()
        if wait > 0.0005:
            time.sleep(min(wait, 0.05))
            continue
        # Per packet in a paced loop: try/except costs nothing until it raises, unlike a
        # suppress() context manager entered for every packet.
        try:  # noqa: SIM105
            sock.sendto(packets[i % len(packets)], ("127.0.0.1", port))
        except OSError:
            pass
        i += 1
        sent.value = i
    sock.close()


def loopback_venue(base: Config, **osc: Any) -> Config:
    """``base`` with OSC on a free loopback port (plus ``osc`` changes) and no microphone.

    The venue the benchmarks and the soak drive with their own senders.
    """
    import dataclasses

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return dataclasses.replace(
        base,
        osc=dataclasses.replace(base.osc, enabled=True, host="127.0.0.1", port=port, **osc),
        audio=dataclasses.replace(base.audio, enabled=False),
    )
