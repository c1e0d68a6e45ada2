"""State snapshots on disk: atomic writes, and clear errors for damaged or foreign files.

A snapshot is an uncompressed ``.npz`` (zip: every member carries a CRC) with the state's
arrays and a JSON metadata member that includes the state hash; a restore recomputes the
hash, so any damage that slips past the zip checks is still caught. Writes go to a temporary
file in the same folder, are flushed to disk, then renamed over the target, so a crash in
the middle of a write never damages the last good snapshot.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from installation.outputs.files import atomic_write
from installation.simulation.serialize import StateFormatError, state_from_arrays, state_to_arrays
from installation.simulation.state import State

META_KEY = "__meta__"


class SnapshotError(RuntimeError):
    """A snapshot that cannot be written or read; the message is for the operator."""


def save_snapshot(state: State, path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically; returns the path.

    Raises:
        SnapshotError: the folder is missing or not writable, or the disk is full.
    """
    arrays, meta = state_to_arrays(state)
    arrays = dict(arrays)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        return atomic_write(path, lambda fh: np.savez(fh, **arrays))
    except OSError as exc:
        raise SnapshotError(f"cannot write snapshot {path}: {exc.strerror or exc}") from None


def load_snapshot(path: str | Path) -> State:
    """Read a snapshot written by ``save_snapshot``.

    Raises:
        SnapshotError: missing, unreadable, damaged, foreign or from another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise SnapshotError(f"{path}: no such snapshot")
    if not zipfile.is_zipfile(path):
        raise SnapshotError(f"{path}: not a Canopy snapshot (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files") or META_KEY not in data.files:
                raise SnapshotError(f"{path}: not a Canopy snapshot")
            meta = json.loads(bytes(data[META_KEY]).decode())
            arrays = {name: data[name] for name in data.files if name != META_KEY}
    except SnapshotError:
        raise
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: not a Canopy snapshot, or damaged ({exc})") from None
    try:
        return state_from_arrays(arrays, meta)
    except StateFormatError as exc:
        raise SnapshotError(f"{path}: {exc}") from None
