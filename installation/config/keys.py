"""Key chords written in config files ('ctrl+shift+q').

Parsed and checked here, without any windowing library, so a typo is caught when the venue file is
read, not at closing time.
"""

from __future__ import annotations

from dataclasses import dataclass

MODIFIERS = ("ctrl", "shift", "alt")
_ALIASES = {"control": "ctrl", "option": "alt", "esc": "escape", "del": "delete"}
NAMED_KEYS = ("escape", "delete", "backspace", "home", "end", "f1", "f2", "f3", "f4", "f5",
              "f6", "f7", "f8", "f9", "f10", "f11", "f12", "pause", "insert")  # fmt: skip


class ChordError(ValueError):
    """A chord that cannot be typed; the message says why."""


@dataclass(frozen=True)
class Chord:
    """Modifiers held and one key pressed.

    Attributes:
        modifiers: a subset of ``MODIFIERS``.
        key: a lowercase letter or digit, or one of ``NAMED_KEYS``.
    """

    modifiers: frozenset[str]
    key: str

    def __str__(self) -> str:
        """The chord as a config file writes it, modifiers first ('ctrl+shift+q')."""
        return "+".join([*(m for m in MODIFIERS if m in self.modifiers), self.key])


def parse_chord(text: str) -> Chord:
    """'ctrl+shift+q' -> Chord; at least one modifier, so a visitor cannot press it by chance.

    Raises:
        ChordError: empty parts, an unknown modifier or key, or no modifier.
    """
    parts = [_ALIASES.get(p.strip().lower(), p.strip().lower()) for p in text.split("+")]
    if not parts or any(not p for p in parts):
        raise ChordError(f"{text!r} is not a chord like 'ctrl+shift+q'")
    *mods, key = parts
    for m in mods:
        if m not in MODIFIERS:
            raise ChordError(f"unknown modifier {m!r} in {text!r}; use {', '.join(MODIFIERS)}")
    if not mods:
        raise ChordError(f"{text!r} needs at least one modifier (ctrl, shift or alt)")
    if not ((len(key) == 1 and key.isalnum()) or key in NAMED_KEYS):
        raise ChordError(f"unknown key {key!r} in {text!r}; use a letter, a digit or F1-F12")
    return Chord(frozenset(mods), key)
