"""MIDI controls as addresses, learn's file and its checks (no MIDI system needed)."""

from __future__ import annotations

import mido
import pytest

from installation.config import ConfigError, OscMapping, parse_config
from installation.inputs.osc_protocol import MidiLearn, interpret, map_controller
from installation.outputs.midi import control_address, load_learned, save_learned, target_range


def test_controls_become_addresses_that_map_like_osc():
    cc = mido.Message("control_change", channel=0, control=7, value=127)
    assert control_address(cc) == ("/midi/cc/1/7", (127.0,))
    on = mido.Message("note_on", channel=9, note=41, velocity=100)
    off = mido.Message("note_off", channel=9, note=41, velocity=64)
    assert control_address(on) == ("/midi/note/10/41", (100.0,))
    assert control_address(off) == ("/midi/note/10/41", (0.0,))
    assert control_address(mido.Message("clock")) is None
    m = OscMapping("/midi/cc/1/7", "/canopy/param/noise", (0, 127), (0, 0.5))
    assert map_controller("/midi/cc/1/7", (127.0,), {m.source: m}) == (
        "/canopy/param/noise",
        (0.5,),
    )


def test_learned_mappings_survive_a_restart_and_a_bad_file_is_no_crash(tmp_path):
    path = tmp_path / "learned.json"
    target = "/canopy/param/convergence"
    mapping = OscMapping("/midi/cc/2/10", target, (0.0, 127.0), target_range(target))
    learned = {mapping.source: mapping}
    save_learned(path, learned)
    assert load_learned(path) == learned
    assert target_range("/canopy/push/hope") == (0.0, 1.0)
    path.write_text("{ broken")
    assert load_learned(path) == {}
    bad = '{"mappings": [{"source": "/midi/cc/1/7", "target": "/canopy/repair", '
    bad += '"in_range": [0, 0], "out_range": [0, 1]}, {"source": "/x", "target": "/canopy/repair",'
    bad += ' "in_range": [0, 127], "out_range": [0, 1]}]}'
    path.write_text(bad)
    assert load_learned(path) == {}  # (both skipped: an empty range, a source not of MIDI)
    assert load_learned(tmp_path / "none.json") == {}


def test_learn_needs_a_one_value_canopy_address():
    assert interpret("/canopy/midi/learn", ("/canopy/param/noise",), 6) == MidiLearn(
        "/canopy/param/noise"
    )
    assert interpret("/canopy/midi/learn", ("/canopy/touch",), 6).reason == "out_of_range"
    assert interpret("/canopy/midi/learn", ("/elsewhere",), 6).reason == "out_of_range"
    assert interpret("/canopy/midi/learn", (3,), 6).reason == "wrong_type"


def test_midi_sources_in_a_venue_are_checked():
    with pytest.raises(ConfigError, match=r"midi.mappings: '/midi/cc/0/7' is not"):
        parse_config({"midi": {"mappings": [{"source": "/midi/cc/0/7",
                                             "target": "/canopy/repair"}]}}, "v.toml")  # fmt: skip
    ok = parse_config({"midi": {"mappings": [{"source": "/midi/note/16/127",
                                              "target": "/canopy/repair"}]}})  # fmt: skip
    assert ok.midi.mappings[0].source == "/midi/note/16/127"
