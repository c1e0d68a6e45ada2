"""Replaying a recorded show: its journal as an input source, through the same ``Runner``.

``replay`` re-runs the simulation from a journal folder and ends in the recorded run's state
(``canopy replay``); ``journal_sketch`` makes the recording a ``Sketch`` that the offline
render plays (``canopy render --journal``), with its sound. Both start where the recording
started: a new world from the header, or the snapshot a resumed run's journal kept.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from installation.app.runner import Runner
from installation.app.sketch import Sketch
from installation.app.snapshots import SnapshotError, load_snapshot
from installation.config import ModelConfig, WorldConfig
from installation.inputs.journal import Journal, JournalError, journal_audio, read_journal
from installation.simulation import DYNAMICS_VERSION, State, create_world

log = logging.getLogger(__name__)


def journal_configs(journal: Journal) -> tuple[WorldConfig, ModelConfig]:
    """The world and model a journal was recorded with, checked as a venue file's are.

    Raises:
        JournalError: a header whose world or model the config schema refuses.
    """
    from installation.config import ConfigError, parse_world_and_model

    try:
        return parse_world_and_model(journal.header, "journal header")
    except ConfigError as exc:
        raise JournalError(f"damaged: {exc}") from None


def check_dynamics(journal: Journal) -> bool:
    """Whether the journal was recorded under this Canopy's dynamics (``DYNAMICS_VERSION``).

    Journals from before the version was recorded are version 1. Warns when not: the same
    inputs then make another city than the one the gallery saw.
    """
    recorded = journal.header.get("dynamics", 1)
    if recorded == DYNAMICS_VERSION:
        return True
    log.warning(
        "journal recorded under simulation dynamics version %s; this Canopy runs version %d: "
        "the replay follows the same inputs but will not match the recorded run",
        recorded,
        DYNAMICS_VERSION,
    )
    return False


def journal_start(folder: Path, journal: Journal) -> State:
    """The state a journal's run started from: a new world, or the snapshot it resumed."""
    name = journal.header.get("start_snapshot")
    if name:
        try:
            state = load_snapshot(Path(folder) / name)
        except SnapshotError as exc:
            raise JournalError(
                f"the journal resumed from a snapshot that is gone or damaged: {exc}"
            ) from None
        start = journal.header.get("start_tick", 0)
        if state.tick != start:  # the journal's tick bounds were checked from its start
            raise JournalError(
                f"{Path(folder) / name} is of tick {state.tick}; the journal starts at {start}"
            )
        return state
    world, model = journal_configs(journal)
    return create_world(world, model)


def replay(folder: Path) -> State:
    """Re-run the simulation from a journal; the final state equals the recorded run's."""
    journal = read_journal(folder)
    check_dynamics(journal)
    state = journal_start(folder, journal)
    runner = Runner(state, [journal], dt=1.0 / float(journal.header["tick_hz"]))
    end = journal.end
    if end is None:  # a show that died without its end line: up to its last input
        end = max([state.tick, *(t + 1 for t in journal.frames)])
    runner.run(end - state.tick)
    # Inputs that arrived after the last tick were applied before the show stopped.
    runner.apply(journal.frame(end), journal.name)
    return state


def journal_sketch(folder: Path, scratch: Path) -> tuple[Sketch, Path | None]:
    """A recorded show as a sketch: its world, its inputs tick by tick, and its sound.

    The sound is joined into one WAV in ``scratch``, a folder the caller removes.
    """
    journal = read_journal(folder)
    check_dynamics(journal)
    world, model = journal_configs(journal)
    start_tick = int(journal.header.get("start_tick", 0))
    seconds = ((journal.end or start_tick) - start_tick) / world.tick_hz
    sound = journal_audio(folder, world.tick_hz, scratch / "sound.wav", start_tick=start_tick)
    sketch = Sketch(
        name="journal",
        title=f"recorded show {folder}",
        world=world,
        model=model,
        seconds=seconds,
        score=journal,
        start=(lambda: journal_start(folder, journal)) if start_tick else None,
        origin=_journal_digest(folder),
    )
    return sketch, sound


def _journal_digest(folder: Path) -> str:
    """A digest of what a recorded show replays: its journal files and snapshots.

    (Not its sound, logs or anything else in the folder: the WAV files are only muxed, and
    a day of them is gigabytes.) Empty when a file cannot be read: a distributed render
    of it then simulates again rather than resume from stored keyframes.
    """
    digest = hashlib.sha256()
    files = sorted([*Path(folder).glob("journal-*.jsonl"), *Path(folder).glob("*.npz")])
    try:
        for path in files:
            digest.update(path.name.encode() + b"\0")
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
    except OSError:
        return ""
    return f"journal {digest.hexdigest()}"
