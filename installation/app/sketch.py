"""Sketches: pieces built on the engine, one Python file each in ``sketches/``.

A sketch file defines ``SKETCH = Sketch(...)``: the world, the dynamics, how long it runs
and the score that drives it. ``load_sketch`` finds one by name (``verdantia``) or path.
Offline the score drives the whole piece; live (``canopy run --sketch``) ``LiveScore``
plays it while the room is quiet.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from installation.app.runner import InputSource, Listener
from installation.config import ModelConfig, WorldConfig
from installation.inputs.frame import InputFrame
from installation.inputs.score import Score
from installation.simulation import State

SKETCH_DIR = Path(__file__).resolve().parents[2] / "sketches"
DEFAULT_SKETCH = "verdantia"


class SketchError(ValueError):
    """A sketch that cannot be found or loaded; the message is for the user."""


@dataclass(frozen=True)
class Sketch:
    """A piece: a world, its dynamics, a duration and a score.

    Attributes:
        name: short name (the file's stem).
        title: what the piece is called in credits and logs.
        world: the city.
        model: its dynamics.
        seconds: natural length of the piece.
        score: the timed inputs that drive it.
        acts: (time, title) marks for stills and chapter notes.
        start: makes the state the piece starts from (a recorded show that resumed from a
            snapshot); None starts a new world.
        origin: a digest of where the piece came from (its file's bytes, a recorded show's
            journal), so a resumed distributed render knows its stored keyframes are of
            this piece; empty when unknown (they are then simulated again). It does not
            cover modules the file imports from outside the project or data it reads, nor
            a sketch changed in code after it was loaded (``dataclasses.replace``): give
            such a sketch an empty origin.
    """

    name: str
    title: str
    world: WorldConfig = field(default_factory=WorldConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    seconds: float = 60.0
    score: InputSource = field(default_factory=Score)
    acts: tuple[tuple[float, str], ...] = ()
    start: Callable[[], State] | None = None
    origin: str = ""


def available_sketches() -> list[str]:
    """Names of the sketches in ``sketches/``."""
    return sorted(p.stem for p in SKETCH_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_sketch(name_or_path: str | None) -> Sketch:
    """Load a sketch by name (from ``sketches/``) or by path to a .py file."""
    name_or_path = name_or_path or DEFAULT_SKETCH
    path = Path(name_or_path)
    if path.suffix != ".py":
        path = SKETCH_DIR / f"{name_or_path}.py"
    if not path.is_file():
        known = ", ".join(available_sketches())
        raise SketchError(f"no sketch {name_or_path!r}; available: {known}")
    spec = importlib.util.spec_from_file_location(f"canopy_sketch_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SketchError(f"cannot load sketch {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a sketch is user code: report, don't crash with a traceback
        raise SketchError(f"sketch {path} failed to load: {type(exc).__name__}: {exc}") from None
    sketch = getattr(module, "SKETCH", None)
    if not isinstance(sketch, Sketch):
        raise SketchError(f"sketch {path} defines no SKETCH = Sketch(...)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return replace(sketch, origin=f"sketch {digest}")


class LiveScore(Listener):
    """A sketch's score in the live show: it carries the piece while the room is quiet.

    Once ``quiet_s`` seconds of ticks have passed without a visitor's input (from the
    first tick it is asked for, or from the last OSC input), the score plays on its own
    timeline, from where it last stopped and round again after ``sketch.seconds``; a
    visitor's input stops it until the next quiet spell. Visitors' inputs are applied as
    always, on top of what the score made. Its inputs are journaled (source ``score``), so
    a replay is exact.

    Args:
        sketch: the piece.
        quiet_s: the quiet spell, in simulated seconds.
    """

    name = "score"

    def __init__(self, sketch: Sketch, quiet_s: float) -> None:
        """Wait for the first quiet spell."""
        self.score = sketch.score
        self.seconds = sketch.seconds
        self.quiet_s = quiet_s
        self.last_visitor: int | None = None  # the tick of the last visitor's input
        self.position = 0  # ticks of the score played so far
        self.playing = False

    def applied(self, tick: int, batch: int, source: str, frame: InputFrame) -> None:
        """A visitor's input (OSC) stops the score until the next quiet spell."""
        if source == "osc":
            self.last_visitor = tick
            self.playing = False

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The score's inputs for this tick while it carries the piece; none otherwise."""
        if self.last_visitor is None:
            self.last_visitor = tick  # the show starts: the quiet spell counts from here
        if (tick - self.last_visitor) * dt < self.quiet_s:
            return InputFrame(tick=tick)
        self.playing = True
        period = max(1, round(self.seconds / dt))
        events = self.score.frame(self.position % period, dt).events
        self.position += 1
        return InputFrame(tick=tick, events=events)
