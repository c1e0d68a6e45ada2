"""Sketches: pieces built on the engine, one Python file each in ``sketches/``.

A sketch file defines ``SKETCH = Sketch(...)``: the world, the dynamics, how long it runs
and the score that drives it. ``load_sketch`` finds one by name (``verdantia``) or path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installation.app.runner import InputSource
from installation.config import ModelConfig, WorldConfig
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
    """

    name: str
    title: str
    world: WorldConfig = field(default_factory=WorldConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    seconds: float = 60.0
    score: InputSource = field(default_factory=Score)
    acts: tuple[tuple[float, str], ...] = ()
    start: Callable[[], State] | None = None


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
    return sketch
