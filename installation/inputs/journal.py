"""The input journal: every accepted input with its tick, so a gallery day can be replayed.

One JSON object per line. Each file starts with a header line (format, version, the world and
model configs, the tick rate, the wall time it was opened) so any file can be read alone;
files rotate by size and by local day (``journal-00001-20261125.jsonl``, ...). Input lines
carry at least ``tick`` and ``source`` (``osc``, ``audio``, ``score``), the event itself, and
for OSC the ``address`` and ``args`` as received; the show writes an ``end`` line with the
final tick when it stops. Raw microphone audio goes beside it as WAV (``audio-*.wav``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from installation.inputs.frame import Event, InputFrame, Push, Repair, RoomSound, SetParam, Touch

FORMAT = "canopy-journal"
VERSION = 1
_EVENTS: dict[str, type] = {c.__name__: c for c in (Touch, Push, Repair, SetParam)}


class JournalError(ValueError):
    """A journal that cannot be read; the message is for the operator."""


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict with its type name."""
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def event_from_json(data: dict[str, Any]) -> Event:
    """Inverse of ``event_to_json``."""
    fields = dict(data)
    kind = _EVENTS.get(fields.pop("type", ""))
    if kind is None:
        raise JournalError(f"unknown event type {data.get('type')!r}")
    return kind(**fields)


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
        """One accepted input; ``batch`` numbers the groups the live show applied within
        the tick (a replay applies the same groups)."""
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

    def record_sound(self, tick: int, sound: RoomSound) -> None:
        """The room's sound features of one tick (replayed exactly, not recomputed)."""
        self._rotate_if_needed()
        self._write({"tick": tick, "source": "audio", "sound": dataclasses.asdict(sound)})

    def mark_snapshot(self, name: str, tick: int) -> None:
        """Note that snapshot ``name`` (of ``tick``) holds everything recorded so far, so a
        run resumed from it supersedes only what this run records after this line."""
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
        if self._fh is not None:
            self.flush()
            self._fh.close()
            self._fh = None


@dataclasses.dataclass
class Journal:
    """A journal read back: its header, the frames by tick, and the final tick."""

    header: dict[str, Any]
    frames: dict[int, InputFrame]
    end: int | None

    def frame(self, tick: int, dt: float | None = None) -> InputFrame:
        """The recorded inputs of ``tick`` (``dt`` is accepted so a journal can stand in
        for a score)."""
        return self.frames.get(tick) or InputFrame(tick=tick)

    def ticks(self) -> Iterator[InputFrame]:
        """Frames for ticks 0 .. end - 1."""
        last = self.end if self.end is not None else (max(self.frames) + 1 if self.frames else 0)
        for t in range(last):
            yield self.frame(t)


def read_journal(folder: str | Path) -> Journal:
    """Read every journal file in ``folder`` in order.

    Raises:
        JournalError: no journal there, or a damaged or foreign file.
    """
    files = sorted(Path(folder).glob("journal-*.jsonl"))
    if not files:
        raise JournalError(f"{folder}: no journal files (journal-*.jsonl)")
    header: dict[str, Any] | None = None
    # Inputs in the order they were recorded: (tick, group, event); a group is one batch of
    # one run, applied together.
    records: list[tuple[int, tuple[int, int], Event]] = []
    sounds: dict[int, RoomSound] = {}
    markers: dict[str, int] = {}
    end = None
    run: str | None = None
    runs = 0
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    # A crash can cut a file's last line short (the last file, or the last
                    # file of a run that crashed before a resume); anything else is damage.
                    if not fh.readline():
                        break
                    raise JournalError(f"{path}:{n}: not JSON") from None
                if "format" in obj:
                    if obj.get("format") != FORMAT or obj.get("version") != VERSION:
                        raise JournalError(f"{path}: not a Canopy journal of version {VERSION}")
                    if obj.get("run") != run:
                        run, runs = obj.get("run"), runs + 1
                        if header is None or "resumed_from" not in obj:
                            # A run that did not resume starts a new story here.
                            header, end = obj, None
                            records.clear(), sounds.clear(), markers.clear()
                        else:
                            _supersede(obj, records, sounds, markers)
                elif "end" in obj:
                    end = int(obj["end"])
                elif "snapshot" in obj:
                    markers[str(obj["snapshot"])] = len(records)
                elif "event" in obj:
                    group = (runs, int(obj.get("batch", -1)))
                    records.append((int(obj["tick"]), group, event_from_json(obj["event"])))
                elif "sound" in obj:
                    s = dict(obj["sound"])
                    s["bands"] = tuple(s["bands"])
                    sounds[int(obj["tick"])] = RoomSound(**s)
    if header is None:
        raise JournalError(f"{folder}: journal has no header")
    by_tick: dict[int, list[tuple[tuple[int, int], Event]]] = defaultdict(list)
    for tick, group, event in records:
        by_tick[tick].append((group, event))
    frames = {}
    for t in set(by_tick) | set(sounds):
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
            sound=sounds.get(t),
            batches=tuple(sizes) if len(sizes) > 1 else (),
        )
    return Journal(header, frames, end)


def _supersede(
    header: dict[str, Any],
    records: list[tuple[int, tuple[int, int], Event]],
    sounds: dict[int, RoomSound],
    markers: dict[str, int],
) -> None:
    """A run that resumed from a snapshot re-records from the snapshot's tick: whatever an
    earlier run recorded after taking that snapshot (before it crashed) never happened."""
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
    """Join the journal's WAV files into one track aligned with ``start_tick``, the tick the
    recorded run started at (silence before the microphone started); None when the journal
    has no audio."""
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
