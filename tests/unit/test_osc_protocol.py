"""The OSC address space, decoding and validation (pure functions; fuzzed with hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from installation.config import OscMapping
from installation.inputs.frame import Push, Repair, SetParam, Touch
from installation.inputs.osc_protocol import (
    MAX_DATAGRAM,
    REASONS,
    Ping,
    Reject,
    Subscribe,
    Unsubscribe,
    decode_datagram,
    interpret,
    map_controller,
)


def msg(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


@pytest.mark.parametrize(
    "address, args, expected",
    [
        ("/canopy/touch", (0.2, 0.3), Touch(0.2, 0.3)),
        ("/canopy/touch", (0.2, 0.3, 0.5), Touch(0.2, 0.3, 0.5)),
        ("/canopy/push/empathy", (0.9,), Push(2, 0.9)),
        ("/canopy/push/anger", (1, 0.5, 0.5), Push(1, 1.0, 0.5, 0.5)),
        ("/canopy/community/3/push/trust", (0.1,), Push(3, 0.1, community=3)),
        ("/canopy/repair", (), Repair()),
        ("/canopy/repair", (0.4, 0.6), Repair(0.4, 0.6)),
        ("/canopy/repair", (1.0,), Repair(strength=1.0)),
        ("/canopy/repair", (0.4, 0.6, 0.5), Repair(0.4, 0.6, 0.5)),
        ("/canopy/param/glitch_rate", (0.01,), SetParam("glitch_rate", 0.01)),
        ("/canopy/subscribe", (), Subscribe()),
        ("/canopy/subscribe", (9001,), Subscribe(9001)),
        ("/canopy/unsubscribe", (), Unsubscribe()),
        ("/canopy/unsubscribe", (9001,), Unsubscribe(9001)),
        ("/canopy/ping", (), Ping()),
        # Levels are clamped into their range, direct or mapped (the module's policy).
        ("/canopy/push/empathy", (1.7,), Push(2, 1.0)),
        ("/canopy/push/anger", (-0.2, 0.5, 0.5), Push(1, 0.0, 0.5, 0.5)),
        ("/canopy/community/3/push/trust", (9.0,), Push(3, 1.0, community=3)),
        ("/canopy/repair", (2.0,), Repair(strength=1.0)),
        ("/canopy/touch", (0.2, 0.3, 4.0), Touch(0.2, 0.3, 1.0)),
        ("/canopy/param/glitch_rate", (7.0,), SetParam("glitch_rate", 1.0)),
        ("/canopy/param/noise", (-1,), SetParam("noise", 0.0)),
    ],
)
def test_valid_messages(address, args, expected):
    assert interpret(address, args, communities=6) == expected


@pytest.mark.parametrize(
    "address, args, reason",
    [
        ("/canopy/touch", (0.2,), "wrong_count"),
        ("/canopy/touch", ("a", 0.3), "wrong_type"),
        ("/canopy/touch", (True, 0.3), "wrong_type"),
        ("/canopy/touch", (math.nan, 0.3), "not_finite"),
        ("/canopy/touch", (math.inf, 0.3), "not_finite"),
        ("/canopy/touch", (1.5, 0.3), "out_of_range"),
        ("/canopy/push/joy", (0.5,), "unknown_address"),
        ("/canopy/push/hope", (0.5, 0.1), "wrong_count"),
        ("/canopy/community/6/push/hope", (0.5,), "out_of_range"),
        ("/canopy/community/x/push/hope", (0.5,), "unknown_address"),
        # Places and names out of range are rejected (the module's policy).
        ("/canopy/push/hope", (0.5, 1.2, 0.5), "out_of_range"),
        ("/canopy/repair", (0.5, -0.1), "out_of_range"),
        ("/canopy/repair", (0.5, 1.5, 1.0), "out_of_range"),
        ("/canopy/param/tolerance", (0.5,), "unknown_address"),
        ("/canopy/subscribe", (70000,), "out_of_range"),
        ("/canopy/subscribe", ("x",), "wrong_type"),
        ("/canopy/unsubscribe", (0,), "out_of_range"),
        ("/canopy/unsubscribe", (9001, 9002), "wrong_count"),
        # A strength of 0 is a button's release: it acts on nothing and is not a visit.
        ("/canopy/repair", (0.0,), "released"),
        ("/canopy/repair", (0.4, 0.4, 0), "released"),
        ("/canopy/touch", (0.4, 0.4, 0.0), "released"),
        ("/other/thing", (), "unknown_address"),
        ("canopy/touch", (0.1, 0.1), "unknown_address"),
    ],
)
def test_invalid_messages_give_their_reason(address, args, reason):
    result = interpret(address, args, communities=6)
    assert isinstance(result, Reject) and result.reason == reason


def test_controller_mapping_scales_the_first_argument():
    m = {"/1/fader1": OscMapping("/1/fader1", "/canopy/param/glitch_rate", (0.0, 1.0), (0.0, 0.02))}
    address, args = map_controller("/1/fader1", (0.5,), m)
    assert address == "/canopy/param/glitch_rate" and args == pytest.approx((0.01,))
    assert map_controller("/1/fader1", (3.0,), m)[1] == pytest.approx((0.02,))  # clamped
    assert map_controller("/canopy/ping", (), m) == ("/canopy/ping", ())


def test_a_mapped_button_acts_on_press_only_unless_the_mapping_says_otherwise():
    """TouchOSC's push button sends 1 on press and 0 on release: the release is no repair."""
    press_only = {"/1/push1": OscMapping("/1/push1", "/canopy/repair", (0.0, 1.0), (0.0, 1.0))}
    assert map_controller("/1/push1", (1.0,), press_only) == ("/canopy/repair", (1.0,))
    released = map_controller("/1/push1", (0.0,), press_only)
    assert isinstance(released, Reject) and released.reason == "released"
    # An inverted mapping that repairs on release, when the venue asks for it.
    both = {
        "/1/push1": OscMapping(
            "/1/push1", "/canopy/repair", (0.0, 1.0), (1.0, 0.5), on_release=True
        )
    }
    address, args = map_controller("/1/push1", (0.0,), both)
    assert interpret(address, args, communities=6) == Repair(strength=1.0)
    # A fader mapped onto a level is no button: its bottom is a value like any other.
    fader = {"/1/fader1": OscMapping("/1/fader1", "/canopy/push/hope", (0.0, 1.0), (0.0, 1.0))}
    assert map_controller("/1/fader1", (0.0,), fader) == ("/canopy/push/hope", (0.0,))


def test_decode_message_bundle_and_garbage():
    [(_, address, args)], reason = decode_datagram(msg("/canopy/touch", 0.5, 0.5))
    assert reason is None and address == "/canopy/touch" and args == (0.5, 0.5)
    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(OscMessageBuilder("/canopy/ping").build())
    bundle.add_content(OscMessageBuilder("/canopy/repair").build())
    messages, reason = decode_datagram(bundle.build().dgram)
    assert reason is None and [m[1] for m in messages] == ["/canopy/ping", "/canopy/repair"]
    assert decode_datagram(b"\x00\x01garbage")[1] == "malformed"
    assert decode_datagram(b"")[1] == "malformed"
    assert decode_datagram(b"/" + b"x" * MAX_DATAGRAM)[1] == "oversized"


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data):
    messages, reason = decode_datagram(data)
    assert (reason is None) or (reason in REASONS and messages == [])
    for _, address, args in messages:
        interpret(address, args, communities=6)


osc_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.text(max_size=8),
    st.booleans(),
    st.binary(max_size=8),
)
addresses = st.one_of(
    st.sampled_from(
        [
            "/canopy/touch",
            "/canopy/push/hope",
            "/canopy/push/anger",
            "/canopy/community/2/push/empathy",
            "/canopy/community/99/push/trust",
            "/canopy/repair",
            "/canopy/param/noise",
            "/canopy/param/bogus",
            "/canopy/subscribe",
            "/canopy/unsubscribe",
            "/canopy/ping",
            "/canopy",
            "/canopy/",
        ]
    ),
    st.from_regex(r"/[a-z/0-9]{0,20}", fullmatch=True),
)


@settings(max_examples=600, deadline=None)
@given(addresses, st.lists(osc_values, max_size=5))
def test_well_formed_but_wrong_messages_are_rejected_cleanly(address, args):
    try:
        data = msg(address, *args)
    except Exception:
        return  # the builder itself refused (e.g. an unsupported value): nothing to send
    messages, reason = decode_datagram(data)
    assert reason is None
    for _, addr, decoded in messages:
        result = interpret(addr, decoded, communities=6)
        assert isinstance(
            result, (Reject, Touch, Push, Repair, SetParam, Subscribe, Unsubscribe, Ping)
        )
        if isinstance(result, (Touch, Push, Repair, SetParam)):
            for value in (v for v in vars(result).values() if isinstance(v, float)):
                assert math.isfinite(value)


def test_open_stage_control_layout_only_sends_valid_canopy_messages():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "hardware_config" / "controllers"
    session = json.loads((path / "open-stage-control.json").read_text())
    assert session["type"] == "session"
    senders = [
        w
        for w in session["content"]["widgets"]
        if w.get("interaction", True) and w["type"] in ("fader", "xy", "button", "knob")
    ]
    assert len(senders) >= 9
    assert {w["address"] for w in senders} >= {
        "/canopy/subscribe",
        *(f"/canopy/community/{k}/push/hope" for k in range(6)),
    }
    for w in senders:
        n = 2 if w["type"] == "xy" else 1
        if "on" in w:  # a button that sends its own value when pressed (and nothing after)
            assert not isinstance(interpret(w["address"], (w["on"],), 6), Reject), w["id"]
            continue
        for value in (0.0, 1.0):
            args = (value,) * n
            if "range" in w:  # what the widget sends at either end of its range
                args = (w["range"]["min"] if value == 0 else w["range"]["max"],)
            result = interpret(w["address"], args, communities=6)
            if w["type"] == "button" and value == 0.0:  # a release, if the mode sends one
                assert isinstance(result, Reject) and result.reason == "released"
                continue
            assert not isinstance(result, Reject), (w["id"], result)


def test_on_release_needs_a_release_that_acts():
    """A release maps to out_range's first end: with 0 there it would repair nothing."""
    from installation.config import ConfigError, parse_config

    table = {"source": "/1/push1", "target": "/canopy/repair", "on_release": True}
    with pytest.raises(ConfigError, match="on_release: needs out_range to start above 0"):
        parse_config({"osc": {"mappings": [table]}}, "venue.toml")
    ok = parse_config({"osc": {"mappings": [{**table, "out_range": [1.0, 0.5]}]}}, "venue.toml")
    assert ok.osc.mappings[0].on_release
