"""The input journal: every accepted input with its tick, so a gallery day can be replayed.

One JSON object per line. Each file starts with a header line (format, version, the world and
model configs, the tick rate, the wall time it was opened) so any file can be read alone;
files rotate by size and by local day (``journal-00001-20261125.jsonl``, ...). Input lines
carry at least ``tick`` and ``source`` (``osc``, ``audio``, ``score``), the event itself, and
for OSC the ``address`` and ``args`` as received; operators' controls (a pause, a projection
calibration, a MIDI learn) are kept as ``control`` lines, which a replay skips; the show
writes an ``end`` line with the final tick when it stops. Raw microphone audio goes beside
it as WAV (``audio-*.wav``).

Reading checks every line: each must be a JSON object of a known kind with fields of the
right types, or ``read_journal`` raises ``JournalError`` naming the file and line. The one
damage tolerated is a file's last line cut short (a crash in the middle of a write): text
that is not complete JSON. Ticks are bounded by the journal's own clock (see
``read_journal``), so a damaged tick cannot make a replay run for ever.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
import types
import typing
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeGuard

from installation.inputs.frame import Event, InputFrame, Push, Repair, RoomSound, SetParam, Touch

FORMAT = "canopy-journal"
VERSION = 1
_EVENTS: dict[str, type] = {c.__name__: c for c in (Touch, Push, Repair, SetParam)}
# How far past its file's opening a line's tick may lie, in wall-clock seconds (see
# read_journal): a file only takes lines on the local day it was opened, so one day would
# do; the second covers daylight-saving days and clock adjustments.
SPAN_SLACK_S = 2 * 86_400.0
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # bytes no JSON line holds


class JournalError(ValueError):
    """A journal that cannot be read; the message is for the operator."""


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict with its type name."""
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def event_from_json(data: Any) -> Event:
    """Inverse of ``event_to_json``.

    Raises:
        JournalError: not an object, an unknown type, or fields missing, unknown or of the
            wrong type.
    """
    if not isinstance(data, dict):
        raise JournalError(f"an event that is {_kind(data)}, not an object")
    fields = dict(data)
    name = fields.pop("type", "")
    kind = _EVENTS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise JournalError(f"unknown event type {_short(name)}")
    return kind(**_typed_fields(kind, fields, f"a {name} event"))


def sound_to_json(sound: RoomSound) -> dict[str, Any]:
    """A tick's room sound as a JSON-ready dict."""
    return dataclasses.asdict(sound)


def sound_from_json(data: Any) -> RoomSound:
    """Inverse of ``sound_to_json``.

    Raises:
        JournalError: not an object, or fields missing, unknown or of the wrong type.
    """
    if not isinstance(data, dict):
        raise JournalError(f"a sound that is {_kind(data)}, not an object")
    return RoomSound(**_typed_fields(RoomSound, data, "a sound"))


def _typed_fields(cls: type, fields: dict[str, Any], what: str) -> dict[str, Any]:
    """``fields`` checked against ``cls``'s dataclass fields.

    All known, the required ones present, each of its declared type (a float may be written as an
    integer, and NaN or infinity as JSON's extensions: the live show records what it received).
    """
    hints = typing.get_type_hints(cls)
    declared = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - set(declared))
    if unknown:
        raise JournalError(f"{what} with unknown fields: {', '.join(map(_short, unknown))}")
    missing = [
        n
        for n, f in declared.items()
        if n not in fields
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise JournalError(f"{what} without {', '.join(missing)}")
    out = {}
    for name, value in fields.items():
        hint = hints[name]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        allowed = typing.get_args(hint) if union else (hint,)
        if not any(_is(value, t) for t in allowed):
            raise JournalError(f"{what} whose {name} is {_short(value)}")
        out[name] = tuple(value) if isinstance(value, list) else value
    return out


def _whole(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a whole number (an int, not a bool), as ``_is(value, int)``."""
    return _is(value, int)


def _number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a number (an int or float, not a bool), as ``_is(value, float)``."""
    return _is(value, float)


def _is(value: Any, kind: Any) -> bool:
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if typing.get_origin(kind) is tuple:  # RoomSound.bands: four floats
        args = typing.get_args(kind)
        return (
            isinstance(value, list)
            and len(value) == len(args)
            and all(_is(v, a) for v, a in zip(value, args, strict=True))
        )
    return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


class JournalWriter:
    """Appends inputs to rotating JSON-lines files in ``folder``.

    Args:
        folder: where the files go (created if missing).
        header: what describes the run (world, model, tick rate); repeated in every file.
        max_bytes: rotate when a file grows past this size.
        now: wall clock (injected for tests of the day rotation).
    """

    def __init__(
        self,
        folder: str | Path,
        header: dict[str, Any],
        max_bytes: int = 64 << 20,
        now: Any = time.time,
    ) -> None:
        """Create ``folder`` and continue its file numbering; a file opens at the first record."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # ``run`` tells this run's files from an earlier run's in the same folder.
        run = f"{now():.6f}-{os.getpid()}"
        self.header = {"format": FORMAT, "version": VERSION, "run": run, **header}
        self.max_bytes = max_bytes
        self.now = now
        existing = sorted(self.folder.glob("journal-*.jsonl"))
        self.seq = int(existing[-1].name.split("-")[1]) if existing else 0
        self._fh: Any = None
        self._day = ""
        self.lines = 0

    def _open(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self.seq += 1
        self._day = time.strftime("%Y%m%d", time.localtime(self.now()))
        path = self.folder / f"journal-{self.seq:05d}-{self._day}.jsonl"
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across ticks
        self._write({**self.header, "opened": self.now()})

    def _write(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self.lines += 1

    def _rotate_if_needed(self) -> None:
        day = time.strftime("%Y%m%d", time.localtime(self.now()))
        if self._fh is None or day != self._day or self._fh.tell() >= self.max_bytes:
            self._open()

    def record(
        self,
        tick: int,
        source: str,
        event: Event,
        address: str | None = None,
        args: tuple[Any, ...] | None = None,
        batch: int | None = None,
    ) -> None:
        """One accepted input; ``batch`` numbers the groups the live show applied within the tick.

        A replay applies the same groups.
        """
        self._rotate_if_needed()
        line: dict[str, Any] = {"tick": tick, "source": source, "event": event_to_json(event)}
        if batch is not None:
            line["batch"] = batch
        if address is not None:
            line["address"] = address
            line["args"] = [
                a if isinstance(a, (int, float, str)) else repr(a) for a in (args or ())
            ]
        self._write(line)

    def record_control(self, tick: int, source: str, address: str, args: tuple[Any, ...]) -> None:
        """An operator's control taken by the show (a pause, a calibration, a MIDI learn).

        Kept for the record; a replay does not need it (a pause only drops inputs, which are
        not journaled then).
        """
        self._rotate_if_needed()
        values = [a if isinstance(a, (int, float, str)) else repr(a) for a in args]
        self._write({"tick": tick, "source": source, "control": address, "args": values})

    def record_sound(self, tick: int, sound: RoomSound) -> None:
        """The room's sound features of one tick (replayed exactly, not recomputed)."""
        self._rotate_if_needed()
        self._write({"tick": tick, "source": "audio", "sound": sound_to_json(sound)})

    def mark_snapshot(self, name: str, tick: int) -> None:
        """Note that snapshot ``name`` (of ``tick``) holds everything recorded so far.

        A run resumed from it therefore supersedes only what this run records after this line.
        """
        self._rotate_if_needed()
        self._write({"snapshot": name, "tick": tick})

    def end(self, tick: int) -> None:
        """Mark where the run stopped (replay runs to exactly this tick)."""
        self._rotate_if_needed()
        self._write({"end": tick})
        self.flush()

    def flush(self) -> None:
        """Push buffered lines to the OS (called once per tick) and to disk."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Flush and close the current file."""
        if self._fh is not None:
            self.flush()
            self._fh.close()
            self._fh = None


@dataclasses.dataclass
class Journal:
    """A journal read back: its header, the frames by tick, and the final tick.

    An input source: a replay runs on it as the live show ran on OSC and the microphone.
    """

    name: ClassVar[str] = "journal"
    header: dict[str, Any]
    frames: dict[int, InputFrame]
    end: int | None

    def frame(self, tick: int, dt: float | None = None) -> InputFrame:
        """The recorded inputs of ``tick``.

        ``dt`` is accepted so a journal can stand in for a score.
        """
        return self.frames.get(tick) or InputFrame(tick=tick)

    def ticks(self) -> Iterator[InputFrame]:
        """Frames for ticks 0 .. end - 1."""
        last = self.end if self.end is not None else (max(self.frames) + 1 if self.frames else 0)
        for t in range(last):
            yield self.frame(t)


def read_journal(folder: str | Path) -> Journal:
    """Read every journal file in ``folder`` in order.

    Every line must be a JSON object of a known kind (a header, an input, a sound, a
    snapshot mark, the end) with fields of the right types; the last line of a file may be
    cut short (text that is not complete JSON: a crash mid-write), and is skipped.

    Ticks are bounded by the journal's own clock. The live show's clock never runs ahead
    of the wall clock (after a stall it drops ticks rather than race); every file's header
    records the wall time it was opened, and a file takes lines only on the local day it
    was opened (the writer rotates at the first line of a new day); the header's ``run``
    id records when its run started. So no line of a story (a run, and the runs that
    resumed it) can carry a tick beyond ``start_tick + (opened - started + SPAN_SLACK_S) *
    tick_hz``, with ``start_tick`` and ``started`` the story's first tick and start time
    and ``opened`` the line's file's opening time. A tick beyond it (a resumed run's start
    tick included), or a negative one, is damage, refused rather than replayed for years.

    Raises:
        JournalError: no journal there, or a damaged or foreign file (the message names
            the file and line).
    """
    files = sorted(Path(folder).glob("journal-*.jsonl"))
    if not files:
        raise JournalError(f"{folder}: no journal files (journal-*.jsonl)")
    reader = _Reader()
    for path in files:
        try:
            reader.read_file(path)
        except OSError as exc:
            raise JournalError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if reader.header is None:
        raise JournalError(f"{folder}: journal has no header")
    return reader.journal()


class _Reader:
    """The state of ``read_journal`` as it goes through the files.

    The story so far (the latest run that did not resume, and the runs that resumed it) and the
    current run.
    """

    def __init__(self) -> None:
        self.header: dict[str, Any] | None = None
        # Inputs in the order they were recorded: (tick, group, event); a group is one batch
        # of one run, applied together.
        self.records: list[tuple[int, tuple[int, int], Event]] = []
        self.sounds: dict[int, RoomSound] = {}
        self.markers: dict[str, int] = {}
        self.end: int | None = None
        self.run: Any = None
        self.runs = 0
        self.story_tick = 0  # the story's first tick,
        self.story_start = 0.0  # the wall time it started at,
        self.story_hz = 0.0  # and its tick rate
        self.limit = 0  # the highest tick the current file may hold

    def read_file(self, path: Path) -> None:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                where = f"{path}:{n}"
                if not raw.strip():
                    continue
                # The writer's lines are ASCII JSON (json.dumps escapes everything else).
                if not raw.isascii() or _CONTROL.search(raw):
                    raise JournalError(f"{where}: binary bytes, not a journal line (damaged)")
                try:
                    obj = json.loads(raw)
                except (json.JSONDecodeError, RecursionError):
                    # A crash can cut a file's last line short (the last file, or the last
                    # file of a run that crashed before a resume); anything else is damage.
                    if not fh.readline():
                        break
                    raise JournalError(f"{where}: not JSON") from None
                if n == 1 and not (isinstance(obj, dict) and "format" in obj):
                    raise JournalError(f"{path}: journal has no header (line 1 is not one)")
                try:
                    self.line(obj)
                except JournalError as exc:
                    raise JournalError(f"{where}: {exc}") from None

    def line(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise JournalError(f"not a journal line ({_kind(obj)}, not an object)")
        if "format" in obj:
            self.file_header(obj)
        elif "end" in obj:
            self.end = self.tick(obj, "end")
        elif "snapshot" in obj:
            if not isinstance(obj["snapshot"], str):
                raise JournalError(f"a snapshot mark named {_short(obj['snapshot'])}")
            self.tick(obj)
            self.markers[obj["snapshot"]] = len(self.records)
        elif "event" in obj:
            batch = obj.get("batch", -1)
            if not _is(batch, int):
                raise JournalError(f"an input whose batch is {_short(batch)}")
            tick = self.tick(obj)
            self.records.append((tick, (self.runs, batch), event_from_json(obj["event"])))
        elif "control" in obj:
            if not isinstance(obj["control"], str):
                raise JournalError(f"a control named {_short(obj['control'])}")
            self.tick(obj)  # (for the record only: a replay has nothing to do with it)
        elif "sound" in obj:
            self.sounds[self.tick(obj)] = sound_from_json(obj["sound"])
        else:
            raise JournalError(f"not a journal line (keys {_short(sorted(obj)[:4])})")

    def tick(self, obj: dict[str, Any], key: str = "tick") -> int:
        tick = obj.get(key)
        if not _whole(tick) or tick < 0:
            raise JournalError(f"a {key} of {_short(tick)}, not a whole number of ticks")
        if tick > self.limit:
            raise JournalError(
                f"{key} {tick} lies beyond what the journal's time span can hold (at most "
                f"tick {self.limit}, from its start tick, tick rate and opening times)"
            )
        return tick

    def file_header(self, obj: dict[str, Any]) -> None:
        if obj.get("format") != FORMAT or obj.get("version") != VERSION:
            raise JournalError(f"not a Canopy journal of version {VERSION}")
        _check_header(obj)
        opened, hz = float(obj["opened"]), float(obj["tick_hz"])
        if obj.get("run") != self.run or self.header is None:
            self.run, self.runs = obj.get("run"), self.runs + 1
            if self.header is None or "resumed_from" not in obj:
                # A run that did not resume starts a new story here.
                if obj.get("start_tick", 0) > 0 and "start_snapshot" not in obj:
                    # Its replay starts from the snapshot it keeps a copy of.
                    raise JournalError(
                        "a header that starts at tick "
                        f"{obj['start_tick']} without naming its start snapshot"
                    )
                self.header, self.end = obj, None
                self.records.clear()
                self.sounds.clear()
                self.markers.clear()
                self.story_tick = int(obj.get("start_tick", 0))
                self.story_start, self.story_hz = _started(obj), hz
            else:
                # A resumed run continues the story from one of its snapshots, whose tick
                # the wall clock bounds like any other.
                self.limit = self._limit(opened, hz)
                if "start_tick" in obj:
                    self.tick(obj, "start_tick")
                _supersede(obj, self.records, self.sounds, self.markers)
        self.limit = self._limit(opened, hz)

    def _limit(self, opened: float, hz: float) -> int:
        """The highest tick a line of a file opened at ``opened`` may hold."""
        span = max(opened - self.story_start, 0.0) + SPAN_SLACK_S
        return self.story_tick + math.ceil(span * max(hz, self.story_hz))

    def journal(self) -> Journal:
        assert self.header is not None
        by_tick: dict[int, list[tuple[tuple[int, int], Event]]] = defaultdict(list)
        for tick, group, event in self.records:
            by_tick[tick].append((group, event))
        frames = {}
        for t in set(by_tick) | set(self.sounds):
            items = by_tick.get(t, [])
            sizes: list[int] = []
            for i, (group, _) in enumerate(items):
                if i and group == items[i - 1][0]:
                    sizes[-1] += 1
                else:
                    sizes.append(1)
            frames[t] = InputFrame(
                tick=t,
                events=tuple(e for _, e in items),
                sound=self.sounds.get(t),
                batches=tuple(sizes) if len(sizes) > 1 else (),
            )
        return Journal(self.header, frames, self.end)


def _started(header: dict[str, Any]) -> float:
    """When a run started: the writer's creation time.

    Recorded in its ``run`` id (``<time>-<pid>``), or for journals from before the id, when its
    first file opened.
    """
    opened = float(header["opened"])
    try:
        started = float(str(header.get("run")).split("-")[0])
    except ValueError:
        return opened
    return min(started, opened) if math.isfinite(started) else opened


def _check_header(obj: dict[str, Any]) -> None:
    """A header's fields of the right types: what replay and the tick bound rely on."""

    def bad(key: str, what: str) -> JournalError:
        return JournalError(f"a header whose {key} is {_short(obj.get(key))}, not {what}")

    hz = obj.get("tick_hz")
    if not _number(hz) or not (math.isfinite(hz) and 0 < hz <= 1e6):
        raise bad("tick_hz", "a tick rate")
    opened = obj.get("opened")
    if not _number(opened) or not math.isfinite(opened):
        raise bad("opened", "a time")
    for key in ("world", "model"):
        if not isinstance(obj.get(key), dict):
            raise bad(key, "an object")
    start = obj.get("start_tick", 0)
    if not _is(start, int) or start < 0:
        raise bad("start_tick", "a whole number of ticks")
    for key in ("start_snapshot", "resumed_from"):
        name = obj.get(key)
        if key in obj and not (isinstance(name, str) and name and Path(name).name == name):
            raise bad(key, "a file name")


def _supersede(
    header: dict[str, Any],
    records: list[tuple[int, tuple[int, int], Event]],
    sounds: dict[int, RoomSound],
    markers: dict[str, int],
) -> None:
    """A run that resumed from a snapshot re-records from the snapshot's tick.

    Whatever an earlier run recorded after taking that snapshot (before it crashed) never happened.
    """
    start = int(header.get("start_tick", 0))
    cut = markers.get(str(header["resumed_from"]))
    if cut is not None:
        del records[cut:]
    else:  # a snapshot taken without this journal: its tick is all we know
        records[:] = [r for r in records if r[0] < start]
    for tick in [t for t in sounds if t >= start]:
        del sounds[tick]


def journal_audio(
    folder: str | Path, tick_hz: float, out: str | Path, start_tick: int = 0
) -> Path | None:
    """Join the journal's WAV files into one track aligned with ``start_tick``.

    ``start_tick`` is the tick the recorded run started at (silence before the microphone started);
    None when the journal has no audio.
    """
    import wave

    files = sorted(Path(folder).glob("audio-*-tick*.wav"))
    if not files:
        return None
    with wave.open(str(files[0]), "rb") as first:
        rate, channels, width = first.getframerate(), first.getnchannels(), first.getsampwidth()
    with wave.open(str(out), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        starts = [
            round(max(int(f.stem.split("tick")[-1]) - start_tick, 0) / tick_hz * rate)
            for f in files
        ]
        written = 0
        for i, f in enumerate(files):
            # Each file starts at a known tick: silence fills the time nothing was recorded
            # (before the microphone started); a file that a later one starts inside of was
            # cut short there (a resumed run re-records from its snapshot's tick).
            at = starts[i]
            if at > written:
                w.writeframes(b"\x00" * ((at - written) * channels * width))
                written = at
            with wave.open(str(f), "rb") as r:
                n = r.getnframes()
                if i + 1 < len(files):
                    n = min(n, max(starts[i + 1] - written, 0))
                w.writeframes(r.readframes(n))
                written += n
    return Path(out)
