"""Operator keys and screen choice.

Screens here are stand-ins: projectors that come and go cannot exist on the test machine (the real X
screen is used in the integration tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from installation.config import ConfigError, DisplayConfig, parse_config
from installation.config.keys import ChordError, parse_chord
from installation.outputs.window import choose_screen, chord_pressed


@dataclass
class FakeScreen:
    name: str
    x: int
    y: int
    width: int = 1920
    height: int = 1080
    primary: bool = False


SCREENS = [FakeScreen("eDP-1", 0, 0, primary=True), FakeScreen("HDMI-1", 1920, 0)]


def test_chords_parse_and_match_exactly():
    chord = parse_chord("Ctrl+Shift+Q")
    assert str(chord) == "ctrl+shift+q"
    assert chord_pressed(chord, "Q", ctrl=True, shift=True, alt=False)
    assert not chord_pressed(chord, "Q", ctrl=True, shift=False, alt=False)
    assert not chord_pressed(chord, "Q", ctrl=True, shift=True, alt=True)
    assert not chord_pressed(chord, "W", ctrl=True, shift=True, alt=False)
    assert parse_chord("alt+F4").key == "f4"


@pytest.mark.parametrize(
    ("text", "why"),
    [("q", "at least one modifier"), ("ctrl+hyper+q", "unknown modifier"), ("ctrl+", "chord"),
     ("shift+volume", "unknown key")],
)  # fmt: skip
def test_bad_chords_are_explained(text, why):
    with pytest.raises(ChordError, match=why):
        parse_chord(text)


def test_bad_chord_in_a_venue_file_names_the_key():
    with pytest.raises(ConfigError, match=r"show.quit_chord: .*at least one modifier"):
        parse_config({"show": {"quit_chord": "escape"}}, "venue.toml")


def test_screen_by_name_by_point_and_primary():
    assert choose_screen(DisplayConfig(screen="hdmi"), SCREENS).screen is SCREENS[1]
    assert choose_screen(DisplayConfig(), SCREENS).screen is SCREENS[0]
    by_point = choose_screen(DisplayConfig(screen="DP-7", origin=(2500, 10)), SCREENS)
    assert by_point.found and by_point.screen is SCREENS[1]


def test_missing_screen_falls_back_to_primary_and_is_found_when_it_returns():
    display = DisplayConfig(name="right", screen="HDMI-2")
    missing = choose_screen(display, SCREENS)
    assert not missing.found and missing.screen is SCREENS[0]
    assert "HDMI-2" in missing.why and "primary" in missing.why
    back = choose_screen(display, [*SCREENS, FakeScreen("HDMI-2", 3840, 0)])
    assert back.found and back.screen.name == "HDMI-2"


def test_display_view_must_fit_the_tapestry():
    with pytest.raises(ConfigError, match="view"):
        parse_config({"displays": [{"view": [0.5, 0.0, 0.75, 1.0]}]})


def test_a_view_is_letterboxed_into_its_window_without_distortion():
    from installation.render.present import fit

    assert fit((1920, 1080), (1280, 720)) == (0, 0, 1280, 720)
    assert fit((1000, 1000), (1280, 720)) == (280, 0, 720, 720)  # pillarbox
    assert fit((3840, 1080), (1920, 1080)) == (0, 270, 1920, 540)  # letterbox
    assert fit((0, 0), (640, 360)) == (0, 0, 640, 360)
