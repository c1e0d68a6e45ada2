"""The OSCQuery namespace describes the addresses Canopy really takes and sends."""

from __future__ import annotations

from installation.inputs import oscquery
from installation.inputs.osc_protocol import Pause, Reject, interpret
from installation.outputs.web_server import _command, show_values


def sample_args(a: oscquery.Address) -> tuple:
    out = []
    for tag, rng in zip(a.types, a.ranges, strict=True):
        lo, hi = rng if rng is not None else (0, 1)
        out.append(int(lo) if tag == "i" else (lo + hi) / 2)
    return tuple(out)


def test_every_writable_address_is_one_the_osc_server_accepts():
    writable = [a for a in oscquery.addresses(6) if a.access & oscquery.WRITE]
    assert len(writable) > 30
    for a in writable:
        got = interpret(a.path, sample_args(a), communities=6)
        assert not isinstance(got, Reject), (a.path, got)


def test_readable_values_cover_what_the_show_publishes_and_nothing_else():
    values = show_values(dict.fromkeys(oscquery.INDICES, 0.5), 2, {"noise": 0.05})
    tree = oscquery.namespace(6, values)
    for path, value in values.items():
        node = oscquery.find(tree, path)
        assert node is not None and node["VALUE"] == value
    readable = {a.path for a in oscquery.addresses(6) if a.access & oscquery.READ}
    assert set(values) <= readable
    assert oscquery.find(tree, "/canopy/touch") is not None
    assert "VALUE" not in oscquery.find(tree, "/canopy/touch")
    assert oscquery.find(tree, "/canopy/nothing") is None
    assert oscquery.find(tree, "/")["FULL_PATH"] == "/"


def test_only_the_changes_are_streamed():
    old = {"/a": [1.0], "/b": [2]}
    assert oscquery.changes(old, {"/a": [1.0], "/b": [3], "/c": [0.0]}) == {"/b": [3], "/c": [0.0]}


def test_websocket_commands_are_checked():
    assert _command('{"COMMAND": "LISTEN", "DATA": "/canopy/index/unity"}') == (
        "LISTEN",
        "/canopy/index/unity",
    )
    bad = ['{"COMMAND": "LISTEN"}', '{"COMMAND": "RUN", "DATA": "/x"}']
    bad += ['{"COMMAND": "IGNORE", "DATA": 3}', '{"COMMAND": "LISTEN", "DATA": "x"}']
    for text in ("", "[]", "{", *bad):
        assert _command(text) is None


def test_pause_over_osc():
    assert interpret("/canopy/pause", (1,), 6) == Pause(True)
    assert interpret("/canopy/pause", (0.0,), 6) == Pause(False)
    assert interpret("/canopy/pause", (), 6).reason == "wrong_count"
    assert interpret("/canopy/pause", ("yes",), 6).reason == "wrong_type"


def test_an_open_page_is_told_to_the_show_now_and_then():
    from installation.config import OscConfig, WebConfig
    from installation.outputs.web_server import Service, Watching

    service = Service(WebConfig(), OscConfig(), communities=6)
    for _ in range(10):  # (a page asks for its state every second, its picture every two)
        service._watched()
    assert service.outbox == [Watching()]  # once, not ten times: the show's pipe stays quiet
