"""Projection calibration: the operator moves each display's corner pin and mesh points.

``CalibrationEditor`` holds every display's ``Calibration`` (``installation.render.mapping``),
read from the venue's calibration file at start, and changes it as the operator works in
calibration mode: ``C`` turns the mode on and off (the displays show a test grid); ``Tab``
selects the next point (``Shift+Tab`` the previous); the arrow keys nudge it (with ``Shift``
ten times further); ``M`` switches between the corners and the mesh; ``Backspace`` puts the
display back to its plain letterboxed picture; the mouse drags the point nearest to where
it is pressed. Every change is saved to the file atomically (a drag when the pointer is
released); a file that cannot
be read is reported once, kept aside as ``<name>.broken`` before the first save replaces
it, and the displays start plain.

Controllers change it too, over OSC (``/canopy/calibrate/...``, ``apply``): the same
checks, the same file. Pure Python: the windows feed it keys and pointer positions and draw
what it holds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from installation.outputs.files import atomic_write
from installation.render.mapping import (
    Calibration,
    CalibrationError,
    Point,
    apply_homography,
    pin,
)

log = logging.getLogger(__name__)

NUDGE = 0.001
"""How far an arrow key moves a point: a thousandth of the window (Shift: ten times that)."""

Rect = tuple[float, float, float, float]

_ARROWS = {"LEFT": (-1.0, 0.0), "RIGHT": (1.0, 0.0), "UP": (0.0, -1.0), "DOWN": (0.0, 1.0)}


class CalibrationEditor:
    """Every display's calibration, the operator's edits of it, and its file.

    Args:
        path: the venue's calibration file.
        names: the displays' names, in window order.
        fit_of: where display ``i`` letterboxes its picture now (window fractions); the
            corner pin starts there and mesh points are shown through it.
    """

    def __init__(
        self, path: Path, names: Sequence[str], fit_of: Callable[[int], Rect] | None = None
    ) -> None:
        """Read ``path`` (a missing file: every display plain)."""
        self.path = path
        self.names = list(names)
        self.fit_of = fit_of or (lambda i: (0.0, 0.0, 1.0, 1.0))
        self.active = False
        self.editing_mesh = False
        self.selected = [0] * len(self.names)
        self.version = 0  # counts changes, so windows know when to take a new calibration
        self._broken = False
        self._dirty = False
        try:
            loaded = load_calibrations(path)
        except CalibrationError as exc:
            log.error("%s; the displays start without projection mapping", exc)
            loaded, self._broken = {}, True
        unknown = sorted(set(loaded) - set(self.names))
        if unknown:
            log.warning("calibration file %s: no display named %s (kept)", path, unknown)
        self.calibrations = {name: loaded.get(name, Calibration()) for name in self.names}
        self._others = {k: v for k, v in loaded.items() if k not in self.calibrations}

    def of(self, index: int) -> Calibration:
        """Display ``index``'s calibration."""
        return self.calibrations[self.names[index]]

    # -- points --------------------------------------------------------------------------------

    def points(self, index: int) -> list[Point]:
        """The editable points of display ``index`` in window fractions, in selection order."""
        cal = self.of(index)
        h = pin(cal, self.fit_of(index))
        if not self.editing_mesh:
            return [
                tuple(p) for p in apply_homography(h, np.array(((0, 0), (1, 0), (1, 1), (0, 1))))
            ]
        cols, rows = cal.mesh_size
        gx, gy = np.meshgrid(np.linspace(0, 1, cols), np.linspace(0, 1, rows))
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
        return [tuple(p) for p in apply_homography(h, grid + cal.mesh_offsets().reshape(-1, 2))]

    def marker(self, index: int) -> Point | None:
        """The selected point of display ``index`` (window fractions), None when not editing."""
        if not self.active:
            return None
        pts = self.points(index)
        return pts[self.selected[index] % len(pts)]

    def move_to(self, index: int, point: int, where: Point, save: bool = True) -> None:
        """Put editable ``point`` of display ``index`` at ``where`` (window fractions)."""
        cal = self.of(index)
        if not self.editing_mesh:
            corners = self._corners(index)
            corners[point] = (float(where[0]), float(where[1]))
            self._set(index, dataclasses.replace(cal, corners=tuple(corners)), save)
            return
        # A mesh point is kept in picture fractions: back through the corner pin.
        inverse = np.linalg.inv(pin(cal, self.fit_of(index)))
        target = apply_homography(inverse, np.array([where], dtype=np.float64))[0]
        cols, rows = cal.mesh_size
        offsets = cal.mesh_offsets().reshape(-1, 2).copy()
        grid = np.array([(point % cols) / (cols - 1), (point // cols) / (rows - 1)])
        offsets[point] = target - grid
        mesh = tuple((float(x), float(y)) for x, y in offsets)
        self._set(index, dataclasses.replace(cal, mesh=mesh), save)

    def _set(self, index: int, cal: Calibration, save: bool = True) -> None:
        problems = cal.problems()
        if problems:
            log.warning("calibration of %r not changed: %s", self.names[index], problems[0])
            return
        self.calibrations[self.names[index]] = cal
        self.version += 1
        self._dirty = True
        if save:
            self.save()

    def save(self) -> None:
        """Write every calibration to the file now (atomically); errors are logged, never raised."""
        try:
            if self._broken and self.path.exists():
                shutil.copy2(self.path, self.path.with_name(self.path.name + ".broken"))
                log.warning("the unreadable calibration file is kept as %s.broken", self.path.name)
            save_calibrations(self.path, {**self._others, **self.calibrations})
            self._broken = self._dirty = False
        except OSError as exc:
            log.error("cannot save the calibration to %s: %s", self.path, exc)

    # -- over OSC ------------------------------------------------------------------------------

    def apply(self, display: str, what: str, values: tuple[float, ...]) -> str | None:
        """A controller's change (``/canopy/calibrate/...``, already checked for shape).

        Returns why it was not applied, or None. ``display`` is a display's name or number.
        """
        if what == "mode":
            if self.active != bool(values[0]):
                self.key(0, "C", False)
            return None
        index = self._index(display)
        if index is None:
            return f"no display {display!r} (displays: {', '.join(self.names)})"
        cal = self.of(index)
        if what == "reset":
            new = Calibration()
        elif what == "corner":
            corners = self._corners(index)
            corners[int(values[0])] = (values[1], values[2])
            new = dataclasses.replace(cal, corners=tuple(corners))
        elif what == "nudge":
            corners = self._corners(index)
            x, y = corners[int(values[0])]
            corners[int(values[0])] = (x + values[1], y + values[2])
            new = dataclasses.replace(cal, corners=tuple(corners))
        elif what == "mesh":
            offsets = [tuple(p) for p in cal.mesh_offsets().reshape(-1, 2)]
            if not 0 <= int(values[0]) < len(offsets):
                return f"mesh point {int(values[0])}: the mesh has {len(offsets)}"
            offsets[int(values[0])] = (values[1], values[2])
            new = dataclasses.replace(cal, mesh=tuple((float(x), float(y)) for x, y in offsets))
        elif what == "mesh_size":
            new = dataclasses.replace(cal, mesh_size=(int(values[0]), int(values[1])), mesh=())
        elif what == "blend":
            left, top, right, bottom = values
            new = dataclasses.replace(cal, blend=(left, top, right, bottom))
        else:
            return f"nothing to calibrate called {what!r}"
        problems = new.problems()
        if problems:
            return f"display {self.names[index]!r}: {problems[0]}"
        self._set(index, new)
        return None

    def _index(self, display: str) -> int | None:
        if display in self.names:
            return self.names.index(display)
        if display.isascii() and display.isdigit() and int(display) < len(self.names):
            return int(display)
        return None

    def _corners(self, index: int) -> list[Point]:
        """Display ``index``'s corners now: its pin's, or the letterboxed picture's."""
        return list(self.of(index).corners or self._pinned_corners(index))

    def _pinned_corners(self, index: int) -> tuple[Point, ...]:
        """The corners where the letterboxed picture sits now (window fractions)."""
        x, y, w, h = self.fit_of(index)
        return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))

    # -- the operator --------------------------------------------------------------------------

    def key(self, index: int, name: str, shift: bool) -> bool:
        """Act on a key pressed in display ``index``'s window; whether it was calibration's."""
        if name == "C":
            self.active = not self.active
            if self._dirty:
                self.save()
            log.info("projection calibration %s", "on" if self.active else "off")
            self.version += 1
            return True
        if not self.active:
            return False
        count = len(self.points(index))
        if name == "TAB":
            self.selected[index] = (self.selected[index] + (-1 if shift else 1)) % count
        elif name == "M":
            self.editing_mesh = not self.editing_mesh
            self.selected = [0] * len(self.names)
        elif name == "BACKSPACE":
            self._set(index, Calibration())
        elif name in _ARROWS:
            dx, dy = _ARROWS[name]
            step = NUDGE * (10.0 if shift else 1.0)
            point = self.selected[index] % count
            x, y = self.points(index)[point]
            self.move_to(index, point, (x + dx * step, y + dy * step))
        else:
            return False
        self.version += 1
        return True

    def press(self, index: int, where: Point) -> None:
        """The pointer pressed at ``where`` (window fractions): select the nearest point."""
        if not self.active:
            return
        pts = np.asarray(self.points(index))
        self.selected[index] = int(np.argmin(np.hypot(*(pts - np.asarray(where)).T)))
        self.version += 1

    def drag(self, index: int, where: Point) -> None:
        """The pointer dragged to ``where``: the selected point follows it."""
        if not self.active:
            return
        count = len(self.points(index))
        self.move_to(index, self.selected[index] % count, where, save=False)

    def release(self) -> None:
        """The pointer was released: save what the drag changed."""
        if self._dirty:
            self.save()


def calibration_path(setting: str, data_dir: Path) -> Path:
    """The calibration file: ``[show] calibration``, or ``data_dir/calibration.json``.

    ``~`` is expanded; a relative path starts at the working directory.
    """
    return Path(setting).expanduser().absolute() if setting else data_dir / "calibration.json"


# -- the calibration file ----------------------------------------------------------------------


def _points(value: Any, what: str) -> tuple[Point, ...]:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, int | float) for v in p)
        for p in value
    ):
        raise CalibrationError(f"{what} must be a list of [x, y] numbers")
    return tuple((float(p[0]), float(p[1])) for p in value)


def calibration_from_json(data: Any, name: str) -> Calibration:
    """A display's calibration from its JSON object; ``CalibrationError`` when it is wrong."""
    if not isinstance(data, dict):
        raise CalibrationError(f"display {name!r}: its calibration must be an object")
    known = {f.name for f in dataclasses.fields(Calibration)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise CalibrationError(f"display {name!r}: unknown key {unknown[0]!r}")
    kw: dict[str, Any] = {}
    try:
        if "corners" in data:
            kw["corners"] = _points(data["corners"], "corners")
        if "mesh" in data:
            kw["mesh"] = _points(data["mesh"], "mesh")
        if "mesh_size" in data:
            cols, rows = data["mesh_size"]
            kw["mesh_size"] = (int(cols), int(rows))
        if "blend" in data:
            left, top, right, bottom = (float(v) for v in data["blend"])
            kw["blend"] = (left, top, right, bottom)
        for key in ("blend_curve", "blend_gamma"):
            if key in data:
                kw[key] = float(data[key])
        if "masks" in data:
            if not isinstance(data["masks"], list):
                raise CalibrationError("masks must be a list of polygons")
            kw["masks"] = tuple(_points(m, "each mask") for m in data["masks"])
    except CalibrationError as exc:
        raise CalibrationError(f"display {name!r}: {exc}") from None
    except (TypeError, ValueError, OverflowError):
        raise CalibrationError(
            f"display {name!r}: mesh_size and blend must be lists of numbers"
        ) from None
    cal = Calibration(**kw)
    problems = cal.problems()
    if problems:
        raise CalibrationError(f"display {name!r}: {problems[0]}")
    return cal


def calibration_to_json(cal: Calibration) -> dict[str, Any]:
    """A display's calibration as a JSON object (only what differs from the default)."""
    default = Calibration()
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Calibration):
        value = getattr(cal, f.name)
        if value != getattr(default, f.name):
            out[f.name] = json.loads(json.dumps(value))  # tuples to lists
    return out


def load_calibrations(path: Path) -> dict[str, Calibration]:
    """Every display's calibration from the file at ``path`` (none when it does not exist).

    Raises:
        CalibrationError: the file cannot be read or is not a valid calibration file.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CalibrationError(f"cannot read the calibration file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"the calibration file {path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CalibrationError(f"the calibration file {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("displays", {}), dict):
        raise CalibrationError(f"the calibration file {path} needs a 'displays' object")
    return {
        str(name): calibration_from_json(value, str(name))
        for name, value in data.get("displays", {}).items()
    }


def save_calibrations(path: Path, calibrations: dict[str, Calibration]) -> None:
    """Write every display's calibration to ``path`` atomically (never a half-written file).

    Written to a temporary file in the same folder, flushed to disk, then renamed over the
    old one, so a crash or power cut leaves either the old calibration or the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": 1,
        "displays": {name: calibration_to_json(cal) for name, cal in sorted(calibrations.items())},
    }
    text = json.dumps(data, indent=1) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))
