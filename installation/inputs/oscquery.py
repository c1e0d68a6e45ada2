"""Canopy's OSC address space as an OSCQuery namespace (the Vidvox proposal).

OSCQuery lets a controller (VDMX, ossia score, vvvv, TouchOSC's editor) discover what a
program listens to: an HTTP server answers ``GET /`` with a JSON tree of every address, its
``TYPE`` (OSC type tags), ``ACCESS`` (1 read, 2 write, 3 both), ``RANGE``, ``DESCRIPTION``
and current ``VALUE``; ``GET /?HOST_INFO`` says where to send OSC; a WebSocket on the same
port streams value changes of the addresses a client ``LISTEN``s to.

Pure functions: the web process (``installation.outputs.web_server``) serves what these build
from the show's values. The addresses are the ones ``osc_protocol.interpret`` accepts and
``osc_feedback`` sends; a test keeps the three in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from installation.config import live_parameters
from installation.inputs.frame import SENTIMENTS

INDICES = ("unity", "disparity", "outage", "hope", "anger", "participation")
"""The indices the show publishes (``/canopy/index/<name>``), as OSC feedback sends them."""

ATTRIBUTES = ("FULL_PATH", "CONTENTS", "TYPE", "ACCESS", "RANGE", "DESCRIPTION", "VALUE")
"""The node attributes a client may ask for alone (``GET /canopy/index/unity?VALUE``)."""

READ, WRITE, READ_WRITE = 1, 2, 3


@dataclass(frozen=True)
class Address:
    """One OSC address of the namespace.

    Attributes:
        path: the address.
        types: its OSC type tags ('' for a message without arguments).
        access: 0 none, 1 read, 2 write, 3 read and write.
        ranges: (min, max) of each argument, or None where it has none.
        description: what it does.
    """

    path: str
    types: str
    access: int
    ranges: tuple[tuple[float, float] | None, ...]
    description: str


def addresses(communities: int) -> list[Address]:
    """Every address Canopy listens to or publishes, for a world of ``communities``."""
    unit = (0.0, 1.0)
    out = [
        Address("/canopy/touch", "fff", WRITE, (unit, unit, unit),
                "A visitor touches the canopy at x, y (0..1) with a strength."),
        Address("/canopy/repair", "f", WRITE, (unit,),
                "Help repair the Neural Cloud everywhere (or send x y strength: around x, y)."),
        Address("/canopy/subscribe", "i", WRITE, ((1, 65535),),
                "Send index feedback to the sender's host at this port."),
        Address("/canopy/unsubscribe", "i", WRITE, ((1, 65535),),
                "Stop index feedback to the sender's host at this port."),
        Address("/canopy/ping", "", WRITE, (), "Answered with /canopy/pong."),
        Address("/canopy/calibrate/mode", "i", WRITE, ((0, 1),),
                "Projection calibration's test grid on (1) or off (0)."),
        Address("/canopy/pause", "i", WRITE, ((0, 1),),
                "Pause the simulation (1) or let it run on (0), as the operator's key does."),
        Address("/canopy/index/act", "i", READ, ((1, 5),),
                "The act the city is in: 1 rally ... 5 emergence."),
    ]  # fmt: skip
    for s in SENTIMENTS:
        local = "(or value x y: around x, y)"
        out.append(Address(f"/canopy/push/{s}", "f", WRITE, (unit,),
                           f"Pull the city's {s} towards the value {local}."))  # fmt: skip
        for k in range(communities):
            out.append(Address(f"/canopy/community/{k}/push/{s}", "f", WRITE, (unit,),
                               f"Pull community {k}'s {s} towards the value."))  # fmt: skip
    for name, (lo, hi) in live_parameters().items():
        out.append(Address(f"/canopy/param/{name}", "f", READ_WRITE, ((lo, hi),),
                           f"The live model parameter {name}."))  # fmt: skip
    for name in INDICES:
        out.append(Address(f"/canopy/index/{name}", "f", READ, (unit,),
                           f"The city's {name} index, 0..1."))  # fmt: skip
    return sorted(out, key=lambda a: a.path)


def _leaf(a: Address, values: Mapping[str, list[Any]]) -> dict[str, Any]:
    node: dict[str, Any] = {"FULL_PATH": a.path, "ACCESS": a.access, "DESCRIPTION": a.description}
    if a.types:
        node["TYPE"] = a.types
        node["RANGE"] = [{} if r is None else {"MIN": r[0], "MAX": r[1]} for r in a.ranges]
    if a.access & READ and a.path in values:
        node["VALUE"] = list(values[a.path])
    return node


def namespace(communities: int, values: Mapping[str, list[Any]]) -> dict[str, Any]:
    """The whole tree, from ``/``, with the current ``values`` of readable addresses."""
    root: dict[str, Any] = {"FULL_PATH": "/", "ACCESS": 0, "CONTENTS": {}}
    for a in addresses(communities):
        node = root
        parts = a.path.strip("/").split("/")
        for i, part in enumerate(parts[:-1]):
            node = node["CONTENTS"].setdefault(
                part, {"FULL_PATH": "/" + "/".join(parts[: i + 1]), "ACCESS": 0, "CONTENTS": {}}
            )
        node["CONTENTS"][parts[-1]] = _leaf(a, values)
    return root


def find(tree: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The node at ``path`` (``/`` is the root), or None when there is none."""
    node: dict[str, Any] | None = tree
    for part in [p for p in path.split("/") if p]:
        if node is None or part not in node.get("CONTENTS", {}):
            return None
        node = node["CONTENTS"][part]
    return node


def host_info(name: str, osc_host: str, osc_port: int) -> dict[str, Any]:
    """``HOST_INFO``: who this is, where its OSC goes, and which parts of OSCQuery it has."""
    info: dict[str, Any] = {
        "NAME": name,
        "OSC_PORT": osc_port,
        "OSC_TRANSPORT": "UDP",
        "EXTENSIONS": {
            "ACCESS": True,
            "VALUE": True,
            "RANGE": True,
            "DESCRIPTION": True,
            "TYPE": True,
            "LISTEN": True,
            "PATH_CHANGED": False,
        },
    }
    if osc_host not in ("0.0.0.0", "::", ""):
        info["OSC_IP"] = osc_host  # (otherwise: the address the client reached us on)
    return info


def changes(old: Mapping[str, list[Any]], new: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """The addresses whose value differs between ``old`` and ``new`` (new or changed)."""
    return {path: v for path, v in new.items() if old.get(path) != v}
