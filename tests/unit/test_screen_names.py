"""Screen choice by name.

Screens here are stand-ins (projectors that come and go cannot exist on the test machine); the real
X server's screens and Xinerama heads are used in tests/integration/test_operator_path.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from installation.config import DisplayConfig
from installation.outputs.window import choose_screen, is_primary


@dataclass
class XrandrLike:
    """Like pyglet's XRandR screens: primary is ``is_primary``."""

    name: str
    x: int
    y: int
    width: int = 1920
    height: int = 1080
    is_primary: bool = False


def test_an_exact_name_wins_over_a_longer_name_that_contains_it():
    screens = [XrandrLike("HDMI-10", 0, 0), XrandrLike("HDMI-1", 1920, 0)]
    assert choose_screen(DisplayConfig(screen="hdmi-1"), screens).screen is screens[1]
    assert choose_screen(DisplayConfig(screen="HDMI"), screens).screen is screens[0]


def test_pyglets_primary_flag_is_honoured():
    screens = [XrandrLike("DP-1", 0, 0), XrandrLike("eDP-1", 1920, 0, is_primary=True)]
    assert is_primary(screens[1]) and not is_primary(screens[0])
    assert choose_screen(DisplayConfig(), screens).screen is screens[1]
    missing = choose_screen(DisplayConfig(screen="HDMI-3"), screens)
    assert not missing.found and missing.screen is screens[1]
