"""Canopy's OSC address space: decoding datagrams and turning messages into events.

Pure functions, no sockets: the server process calls them, the tests fuzz them. Every way a
datagram can be wrong maps to one reject reason; nothing here raises on bad input.

Addresses (documented with examples in docs/osc.md):

    /canopy/touch x y [strength]
    /canopy/push/<hope|anger|empathy|trust> value [x y]
    /canopy/community/<k>/push/<sentiment> value
    /canopy/repair [strength] | x y [strength]
    /canopy/param/<name> value
    /canopy/subscribe [port]      /canopy/unsubscribe [port]
    /canopy/ping                  (answered by /canopy/pong to the sender)
    /canopy/calibrate/mode on     /canopy/calibrate/<display>/<what> ...  (projection mapping)
    /canopy/pause on              (the operator's pause: 1 pauses, 0 runs on)
    /canopy/midi/learn "/canopy/..."  (the next MIDI control moved drives that address)

One policy per kind of argument, for direct and mapped messages alike: *levels* (sentiment
values, strengths, live parameters) are clamped into their range, since a fader's overshoot
or a controller scaled a little wide still means "all the way"; *places and names*
(positions on the canopy, community numbers, ports) are rejected when out of range, since
a touch off the canopy or a community that does not exist has no nearest meaning. A repair
or touch of strength 0 is a momentary button's release and acts on nothing: it is dropped
(``released``), so it never counts as a visitor's action.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pythonosc.osc_packet import OscPacket

from installation.config import OscMapping, live_parameters
from installation.inputs.frame import SENTIMENTS, Event, Push, Repair, SetParam, Touch

REASONS: tuple[str, ...] = (
    "malformed",
    "oversized",
    "unknown_address",
    "wrong_count",
    "wrong_type",
    "not_finite",
    "out_of_range",
    "refused_source",
    "rate_limited",
    "queue_full",
    "too_far_ahead",
    "released",
)
"""Why a message was dropped; each reason has its own counter."""

MAX_DATAGRAM = 8192
"""Larger datagrams are dropped as oversized (controllers send a few hundred bytes)."""


@dataclass(frozen=True)
class Subscribe:
    """Send feedback to the sender's host at ``port`` (the sender's own port when None)."""

    port: int | None = None


@dataclass(frozen=True)
class Unsubscribe:
    """Stop sending feedback to the sender's host at ``port``.

    Every port it subscribed, from whatever socket, when None.
    """

    port: int | None = None


@dataclass(frozen=True)
class Ping:
    """Answer with /canopy/pong."""


@dataclass(frozen=True)
class Calibrate:
    """Change a display's projection mapping (``installation.outputs.calibration``).

    Attributes:
        display: the display's name or its number ('' for ``mode``).
        what: ``mode``, ``corner``, ``nudge``, ``mesh``, ``mesh_size``, ``blend`` or ``reset``.
        values: its numbers, checked for count and range here.
    """

    display: str
    what: str
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class Pause:
    """Pause the simulation (``paused``) or let it run on: the operator's pause, remotely."""

    paused: bool


@dataclass(frozen=True)
class MidiLearn:
    """Map the next MIDI control moved onto ``target`` (``installation.outputs.midi``)."""

    target: str


Control = Subscribe | Unsubscribe | Ping | Calibrate | Pause | MidiLearn

# Calibration's messages: (least, most) numbers, and the range each must lie in.
CALIBRATE: dict[str, tuple[int, int, float, float]] = {
    "corner": (3, 3, -4.0, 4.0),  # corner 0-3, x, y (window fractions)
    "mesh": (3, 3, -4.0, 4.0),  # point (row by row), dx, dy (picture fractions)
    "mesh_size": (2, 2, 2.0, 33.0),  # cols, rows
    "blend": (4, 4, 0.0, 0.5),  # left, top, right, bottom
    "reset": (0, 0, 0.0, 0.0),
    "nudge": (3, 3, -0.1, 0.1),  # corner 0-3, dx, dy (window fractions, from where it is)
}


@dataclass(frozen=True)
class Reject:
    """A message that was dropped, and why (one of ``REASONS``)."""

    reason: str
    detail: str = ""


def decode_datagram(data: bytes) -> tuple[list[tuple[float, str, tuple[Any, ...]]], str | None]:
    """Split a datagram into (time, address, args) messages.

    Returns:
        The messages (time is a Unix timestamp; bundles with a future timetag keep it, the
        rest get the time of arrival) and None, or an empty list and the reject reason.
    """
    if len(data) > MAX_DATAGRAM:
        return [], "oversized"
    try:
        packet = OscPacket(data)
        out = [
            (float(tm.time), str(tm.message.address), tuple(tm.message.params))
            for tm in packet.messages
        ]
    except Exception:  # python-osc raises many types on hostile bytes; all mean malformed
        return [], "malformed"
    return out, None


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _floats(args: tuple[Any, ...], lo: int, hi: int) -> list[float] | Reject:
    if not lo <= len(args) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        return Reject("wrong_count", f"expected {want} arguments, got {len(args)}")
    out = []
    for v in args:
        f = _number(v)
        if f is None:
            return Reject("wrong_type", f"expected numbers, got {type(v).__name__}")
        if not math.isfinite(f):
            return Reject("not_finite", "NaN or infinity")
        out.append(f)
    return out


def _unit(values: list[float], names: str) -> Reject | None:
    """Positions must lie on the canopy, [0, 1]."""
    for v, name in zip(values, names.split(), strict=False):
        if not 0.0 <= v <= 1.0:
            return Reject("out_of_range", f"{name}={v} outside [0, 1]")
    return None


def _level(v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    """Levels are clamped into their range (see the module's policy)."""
    return min(max(v, lo), hi)


def _port(args: tuple[Any, ...], what: str) -> int | Reject | None:
    """The optional port argument of subscribe and unsubscribe."""
    if not args:
        return None
    if len(args) != 1:
        return Reject("wrong_count", f"{what} takes an optional port")
    if isinstance(args[0], bool) or not isinstance(args[0], int):
        return Reject("wrong_type", "the port must be an integer")
    if not 1 <= args[0] <= 65535:
        return Reject("out_of_range", f"port {args[0]}")
    return int(args[0])


def _calibrate(parts: list[str], args: tuple[Any, ...]) -> Calibrate | Reject:
    """``/canopy/calibrate/mode on`` or ``/canopy/calibrate/<display>/<what> numbers``."""
    if parts == ["mode"]:
        vals = _floats(args, 1, 1)
        return vals if isinstance(vals, Reject) else Calibrate("", "mode", (float(vals[0] > 0),))
    if len(parts) != 2 or not parts[0] or parts[1] not in CALIBRATE:
        return Reject("unknown_address", "/canopy/calibrate/" + "/".join(parts)[:48])
    lo, hi, least, most = CALIBRATE[parts[1]]
    vals = _floats(args, lo, hi)
    if isinstance(vals, Reject):
        return vals
    numbers = vals[1:] if parts[1] in ("corner", "mesh", "nudge") else vals
    if any(not least <= v <= most for v in numbers):
        return Reject("out_of_range", f"{parts[1]} values outside [{least:g}, {most:g}]")
    whole = vals[:2] if parts[1] == "mesh_size" else vals[:1] if numbers is not vals else []
    if any(v != int(v) for v in whole):
        return Reject("wrong_type", f"{parts[1]}: point numbers are whole")
    if parts[1] in ("corner", "nudge") and not 0 <= vals[0] <= 3:
        return Reject("out_of_range", f"corner {vals[0]:g}: corners are 0 to 3")
    return Calibrate(parts[0], parts[1], tuple(vals))


RELEASED = Reject("released", "strength 0: a momentary button's release")


MOMENTARY_TARGETS = ("/canopy/repair",)
"""Targets a button triggers: a mapped button acts on its press only (see ``map_controller``)."""


def map_controller(
    address: str, args: tuple[Any, ...], mappings: Mapping[str, OscMapping]
) -> tuple[str, tuple[Any, ...]] | Reject:
    """Rewrite a controller's own address onto Canopy's, scaling its first argument.

    Clamped to ``in_range``. A button mapped onto an action (``MOMENTARY_TARGETS``) sends its press
    and then its release, the value back at rest (``in_range``'s first end): the release is dropped
    as ``released`` unless the mapping sets ``on_release``.
    """
    m = mappings.get(address)
    if m is None:
        return address, args
    if args:
        v = _number(args[0])
        if v is not None and math.isfinite(v):
            (a, b), (c, d) = m.in_range, m.out_range
            t = min(max((v - a) / (b - a), 0.0), 1.0)
            if t == 0.0 and m.target in MOMENTARY_TARGETS and not m.on_release:
                return Reject("released", f"{address}: a button's release")
            args = (c + t * (d - c), *args[1:])
    return m.target, args


def interpret(address: str, args: tuple[Any, ...], communities: int) -> Event | Control | Reject:
    """One Canopy message as an event, a control request, or the reason it is dropped."""
    parts = address.split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "canopy":
        return Reject("unknown_address", address[:64])
    head = parts[2]
    if head == "touch" and len(parts) == 3:
        vals = _floats(args, 2, 3)
        if isinstance(vals, Reject):
            return vals
        bad = _unit(vals[:2], "x y")
        if bad:
            return bad
        if len(vals) == 3:
            vals[2] = _level(vals[2])
            if vals[2] == 0.0:
                return RELEASED
        return Touch(*vals)
    if head == "push" and len(parts) == 4 and parts[3] in SENTIMENTS:
        vals = _floats(args, 1, 3)
        if isinstance(vals, Reject):
            return vals
        if len(vals) == 2:
            return Reject("wrong_count", "a local push needs both x and y")
        bad = _unit(vals[1:], "x y")
        if bad:
            return bad
        s, value = SENTIMENTS.index(parts[3]), _level(vals[0])
        return Push(s, value, vals[1], vals[2]) if len(vals) == 3 else Push(s, value)
    if head == "community" and len(parts) == 6 and parts[4] == "push" and parts[5] in SENTIMENTS:
        if not parts[3].isdigit():
            return Reject("unknown_address", address[:64])
        k = int(parts[3])
        if k >= communities:
            return Reject("out_of_range", f"community {k} of {communities}")
        vals = _floats(args, 1, 1)
        if isinstance(vals, Reject):
            return vals
        return Push(SENTIMENTS.index(parts[5]), _level(vals[0]), community=k)
    if head == "repair" and len(parts) == 3:
        # (), (strength) from a button, (x, y) or (x, y, strength).
        vals = _floats(args, 0, 3)
        if isinstance(vals, Reject):
            return vals
        if len(vals) in (1, 3):
            vals[-1] = _level(vals[-1])
            if vals[-1] == 0.0:
                return RELEASED
        if len(vals) == 1:
            return Repair(strength=vals[0])
        return _unit(vals[:2], "x y") or (Repair(*vals) if vals else Repair())
    if head == "param" and len(parts) == 4:
        ranges = live_parameters()
        if parts[3] not in ranges:
            return Reject("unknown_address", f"no live parameter {parts[3]!r}")
        vals = _floats(args, 1, 1)
        if isinstance(vals, Reject):
            return vals
        return SetParam(parts[3], _level(vals[0], *ranges[parts[3]]))
    if head in ("subscribe", "unsubscribe") and len(parts) == 3:
        port = _port(args, head)
        if isinstance(port, Reject):
            return port
        return Subscribe(port) if head == "subscribe" else Unsubscribe(port)
    if head == "ping" and len(parts) == 3:
        return Ping()
    if head == "calibrate":
        return _calibrate(parts[3:], args)
    if head == "midi" and parts[3:] == ["learn"]:
        if len(args) != 1 or not isinstance(args[0], str):
            return Reject("wrong_type", "midi/learn takes the address to learn, as a string")
        target = args[0]
        if not target.startswith("/canopy/") or isinstance(
            interpret(target, (0.5,), communities), Reject
        ):
            why = f"cannot learn {target[:64]!r}: not a one-value control"
            return Reject("out_of_range", why)
        return MidiLearn(target)
    if head == "pause" and len(parts) == 3:
        vals = _floats(args, 1, 1)
        return vals if isinstance(vals, Reject) else Pause(vals[0] > 0)
    return Reject("unknown_address", address[:64])
