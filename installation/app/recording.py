"""Recording a live run: the input journal and the microphone's WAV beside it.

``Recording`` is a runner ``Listener``: every batch the runner applies is written with its
tick, batch number and source (OSC inputs with their address and arguments), and every tick's
room sound before it is stepped, so ``canopy replay`` reproduces the run exactly. A journal
that starts mid-story (after ``--resume``) keeps a copy of the state it starts from. A full
or failing disk stops the recording (what is on disk stays), never the show: ``error`` then
says why, for ``/health``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from installation.app.inbox import Microphone
from installation.app.runner import Listener
from installation.app.snapshots import SnapshotError, save_snapshot
from installation.config import AudioConfig
from installation.inputs.audio import WavJournal
from installation.inputs.frame import InputFrame, RoomSound
from installation.inputs.journal import JournalWriter
from installation.simulation import DYNAMICS_VERSION, State

log = logging.getLogger(__name__)


def journal_header(state: State, resumed_from: Path | None) -> dict[str, Any]:
    """What a journal's header says about the run it records (world, model, tick rate, ...)."""
    header: dict[str, Any] = {
        "world": dataclasses.asdict(state.world),
        "model": dataclasses.asdict(state.model),
        "tick_hz": state.world.tick_hz,
        "start_tick": state.tick,
        "dynamics": DYNAMICS_VERSION,
    }
    if resumed_from is not None:
        header["resumed_from"] = resumed_from.name
    return header


class Recording(Listener):
    """The journal (and WAV) of one run; inactive when there is nothing to record to.

    Args:
        folder: where to record (None: nothing is recorded).
        state: the state the run starts from.
        resumed_from: the snapshot it was resumed from, if any (named in the header).
        microphone: the microphone, when it listens (its sound goes to WAV files).
    """

    def __init__(
        self,
        folder: Path | None,
        state: State,
        resumed_from: Path | None = None,
        microphone: Microphone | None = None,
    ) -> None:
        """Open the journal in ``folder`` (when given); a failure is ``error``, never raised."""
        self.journal: JournalWriter | None = None
        self.wav: WavJournal | None = None
        self.error = ""
        self.microphone = microphone
        self._dirty = False
        if folder is not None:
            audio = microphone.mic.config if microphone is not None else None
            self._open(Path(folder), state, resumed_from, audio)

    @property
    def active(self) -> bool:
        """Whether inputs are being recorded now."""
        return self.journal is not None

    def _open(
        self, folder: Path, state: State, resumed_from: Path | None, audio: AudioConfig | None
    ) -> None:
        header = journal_header(state, resumed_from)
        try:
            if state.tick > 0:
                # A journal that starts mid-story replays from the snapshot it started from.
                folder.mkdir(parents=True, exist_ok=True)
                start = folder / f"start-{state.tick:010d}.npz"
                save_snapshot(state, start)
                header["start_snapshot"] = start.name
            self.journal = JournalWriter(folder, header)
            if audio is not None:
                self.wav = WavJournal(folder, audio.samplerate, audio.channels)
        except (OSError, SnapshotError) as exc:
            self.error = f"the journal could not start: {exc}"
            log.error("%s; the show goes on without it", self.error)
            if self.journal is not None:
                self._write(self.journal.close)
            self.journal = self.wav = None

    def applied(self, tick: int, batch: int, source: str, frame: InputFrame) -> None:
        """Record a batch the runner applied (OSC inputs with their address and arguments)."""
        journal = self.journal
        if journal is None:
            return
        received = frame.received or (None,) * len(frame.events)
        for event, r in zip(frame.events, received, strict=True):
            address, args = (r.address, r.args) if r is not None else (None, None)
            self._write(journal.record, tick, source, event, address, args, batch)
        self._dirty = True

    def control(self, tick: int, source: str, address: str, args: tuple[Any, ...]) -> None:
        """Record an operator's control the show took (a pause, a calibration, a MIDI learn)."""
        if self.journal is not None:
            self._write(self.journal.record_control, tick, source, address, args)
            self._dirty = True

    def stepping(self, tick: int, sound: RoomSound | None) -> None:
        """Record the tick's raw sound (WAV) and its features (journal)."""
        raw = self.microphone.raw if self.microphone is not None else None
        if self.wav is not None and raw is not None:
            self._write(self.wav.write, tick, raw)
        if sound is not None and self.journal is not None:
            self._write(self.journal.record_sound, tick, sound)
            self._dirty = True

    def flush(self) -> None:
        """Push what was recorded since the last flush to disk (housekeeping)."""
        if self.journal is not None and self._dirty:
            self._write(self.journal.flush)
            self._dirty = False

    def snapshot_written(self, name: str, tick: int) -> None:
        """Note in the journal that snapshot ``name`` holds everything recorded so far."""
        if self.journal is not None:
            self._write(self.journal.mark_snapshot, name, tick)
            self._write(self.journal.flush)

    def close(self, tick: int) -> None:
        """End the journal at ``tick`` (where a replay stops) and close its files."""
        if self.wav is not None:
            self._write(self.wav.close)
        if self.journal is not None:
            self._write(self.journal.end, tick)
            self._write(self.journal.close)

    def _write(self, call: Callable[..., None], *args: Any) -> None:
        """Write to the journal or its WAV; a failing disk stops the recording, not the show."""
        try:
            call(*args)
        except OSError as exc:
            self.error = f"the journal stopped: {exc.strerror or exc}"
            log.error("%s; the show goes on without it", self.error)
            for writer in (self.journal, self.wav):
                try:
                    if writer is not None:
                        writer.close()
                except OSError:
                    pass
            self.journal = self.wav = None
