"""The live show's snapshots: where it starts from, the periodic and final ones, and their health.

``starting_state`` makes a new world or, with ``--resume``, loads the newest snapshot that
loads (older ones when it is damaged). ``SnapshotKeeper`` writes snapshots atomically and
prunes old ones; a failed write (a full disk) is logged and kept in ``error`` for
``/health`` until a write succeeds, and never stops the show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from installation.app.snapshots import (
    SnapshotError,
    list_snapshots,
    load_snapshot,
    prune_snapshots,
    remove_stale_temporaries,
    save_snapshot,
    snapshot_name,
)
from installation.config import Config
from installation.simulation import State, create_world

log = logging.getLogger(__name__)


def starting_state(config: Config, folder: Path, resume: bool) -> tuple[State, Path | None]:
    """A new world, or with ``resume`` the newest snapshot in ``folder`` that loads.

    Falls back to an older one if the newest is damaged; a new world, with a warning, when
    there is none.

    Returns:
        the state, and the snapshot it was loaded from (None for a new world).
    """
    # Temporaries of writes killed outright (SIGKILL, a power cut): 1-2 MB each.
    for path in remove_stale_temporaries(folder):
        log.info("removed %s, left by an interrupted snapshot write", path.name)
    if not resume:
        return create_world(config.world, config.model), None
    # Newest first: the show's own snapshots, as pruning sees them (a folder, a link or
    # a file named otherwise that happens to match is none).
    for path in reversed(list_snapshots(folder)):
        try:
            state = load_snapshot(path)
        except SnapshotError as exc:
            log.error("cannot resume from %s, trying an older snapshot: %s", path, exc)
            continue
        if state.world != config.world:
            log.warning("%s was taken in another world than the venue file's; resuming it", path)
        log.info("resumed from %s at tick %d", path, state.tick)
        return state, path
    log.warning("--resume: no usable snapshot in %s; starting a new world", folder)
    return create_world(config.world, config.model), None


class SnapshotKeeper:
    """Writes a state's snapshots into ``folder`` and keeps the newest ``kept``.

    Args:
        folder: the data folder's ``snapshots``.
        kept: how many to keep.
        written: told the name and tick of each snapshot written (the journal marks it).
    """

    def __init__(
        self, folder: Path, kept: int, written: Callable[[str, int], None] = lambda n, t: None
    ) -> None:
        """Nothing written yet."""
        self.folder = folder
        self.kept = kept
        self.written = written
        self.count = 0
        self.ms_max = 0.0
        self.last: Path | None = None
        self.last_at = time.monotonic()  # the last attempt (periodic snapshots count from it)
        self.last_good_at: float | None = None
        self.error = ""  # the cause while they fail; empty when the last one was written

    def due(self, now: float, period_s: float) -> bool:
        """Whether ``period_s`` has passed since the last attempt."""
        return now - self.last_at >= period_s

    def write(self, state: State) -> Path | None:
        """Write a snapshot of ``state`` now (atomically) and prune old ones; None if it failed.

        Pruning removes only the show's own snapshot files, never the one just written, and
        stale temporaries of writes that were killed.
        """
        self.last_at = t0 = time.monotonic()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.folder)
            path = save_snapshot(state, self.folder / snapshot_name(state.tick))
        except (SnapshotError, OSError) as exc:
            # For /health, the cause alone: "[Errno 28] No space left on device".
            self.error = (
                exc.reason
                if isinstance(exc, SnapshotError)
                else f"[Errno {exc.errno}] {exc.strerror or exc}"
            )
            log.error("snapshot failed: %s", exc)
            return None
        if self.error:
            log.info("snapshots are written again (%s)", path.name)
        self.error = ""
        self.count += 1
        self.last = path
        self.last_good_at = time.monotonic()
        self.ms_max = max(self.ms_max, (time.monotonic() - t0) * 1e3)
        self.written(path.name, state.tick)
        prune_snapshots(self.folder, self.kept, current=path)
        return path
