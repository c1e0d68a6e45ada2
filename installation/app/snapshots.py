"""State snapshots on disk: atomic writes, and clear errors for damaged or foreign files.

A snapshot is an uncompressed ``.npz`` (zip: every member carries a CRC) with the state's
arrays and a JSON metadata member that includes the state hash; a restore recomputes the
hash, so any damage that slips past the zip checks is still caught. Writes go to a temporary
file in the same folder, are flushed to disk, then renamed over the target, so a crash in
the middle of a write never damages the last good snapshot.

Reading trusts nothing in the file: the metadata member is read first (bounded in size),
then every array's ``.npy`` header, and all of them are checked against the shapes and
dtypes the metadata's world implies (``serialize.check_layout``) before a single array is
read, so a header that claims terabytes costs nothing. Whatever is wrong with a file, the
reader raises ``SnapshotError``, which ``--resume`` answers by trying an older snapshot.

A write leaves no temporary behind when it fails or when SIGTERM's default action would
kill the process in the middle of it (the signal is held until the write is over); one
left by a process killed outright (SIGKILL, power loss) is removed by
``remove_stale_temporaries``, which the show calls at start-up and before each write.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import signal
import stat
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy

from installation.outputs.files import atomic_write
from installation.simulation.serialize import (
    StateFormatError,
    check_layout,
    state_from_arrays,
    state_to_arrays,
)
from installation.simulation.state import State

log = logging.getLogger(__name__)

META_KEY = "__meta__"
# What the show names its snapshots (UTC time first, so names sort by when they were
# written): the pattern pruning goes by, so it only ever removes files the show wrote.
SNAPSHOT_NAME = re.compile(r"snapshot-\d{8}T\d{6}Z-tick\d{10,}\.npz")
MAX_META_BYTES = 1 << 20  # the metadata is a few kB of JSON; anything larger is not ours
MAX_HEADER_BYTES = 65_536  # an .npy header is ~128 bytes; numpy itself allows 10,000
# atomic_write names its temporaries ".<target name>.<random>.tmp".
TEMP_GLOB = ".snapshot-*.npz.*.tmp"
# A temporary is stale once nothing has written to it for this long: a write of even a
# 10^6-citizen state takes well under a second, so only a killed writer leaves one this old.
STALE_TEMP_S = 60.0


class SnapshotError(RuntimeError):
    """A snapshot that cannot be written or read; the message is for the operator.

    Attributes:
        reason: the cause alone, without the path (e.g. ``[Errno 28] No space left on
            device``), for a status line.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        """Keep ``reason``, or the whole message when no separate cause is given."""
        super().__init__(message)
        self.reason = reason or message


def save_snapshot(state: State, path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically; returns the path.

    Raises:
        SnapshotError: the folder is missing or not writable, or the disk is full; no
            temporary file is left behind.
    """
    arrays, meta = state_to_arrays(state)
    arrays = dict(arrays)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        with _sigterm_held():
            # Numeric arrays only: named, allow_pickle cannot be taken for an array's name.
            return atomic_write(path, lambda fh: np.savez(fh, allow_pickle=False, **arrays))
    except OSError as exc:
        reason = f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else str(exc)
        raise SnapshotError(
            f"cannot write snapshot {path}: {exc.strerror or exc}", reason
        ) from None


@contextlib.contextmanager
def _sigterm_held() -> Iterator[None]:
    """Hold a SIGTERM that would kill the process outright until the write is over.

    Then deliver it with its default action again: the process still ends, but not between creating
    a temporary and renaming or removing it. A handler someone installed (the show's, which only
    asks the loop to stop) is left alone, as is a write off the main thread (where Python cannot
    catch signals).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    pending: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if pending:
            os.kill(os.getpid(), signal.SIGTERM)


def remove_stale_temporaries(folder: str | Path, now: float | None = None) -> list[Path]:
    """Remove stale snapshot temporaries (``TEMP_GLOB``) in ``folder``; return what was removed.

    Stale: nothing has written to them for ``STALE_TEMP_S``, so they are what a writer killed
    mid-write (SIGKILL, a power cut) left. Only regular files are touched; a missing folder or a
    file that cannot be removed is skipped.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = sorted(Path(folder).glob(TEMP_GLOB))
    except OSError:
        return removed
    for path in candidates:
        try:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < now - STALE_TEMP_S:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def snapshot_name(tick: int, when: float | None = None) -> str:
    """The name the show gives a snapshot of ``tick`` taken at ``when`` (default: now)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"snapshot-{stamp}-tick{tick:010d}.npz"


def list_snapshots(folder: str | Path) -> list[Path]:
    """The show's snapshots in ``folder``, oldest first.

    Regular files named as ``snapshot_name`` names them (a folder or link that happens to match is
    not one).
    """
    try:
        candidates = sorted(Path(folder).iterdir())
    except OSError:
        return []
    found = []
    for path in candidates:
        try:
            if SNAPSHOT_NAME.fullmatch(path.name) and stat.S_ISREG(path.lstat().st_mode):
                found.append(path)
        except OSError:
            continue
    return found


def prune_snapshots(folder: str | Path, keep: int, current: Path | None = None) -> list[Path]:
    """Remove all but the newest ``keep`` of the show's snapshots in ``folder``.

    Never ``current`` (the one just written, whatever sorts after it); returns what was removed.
    Nothing here raises: a file that cannot be removed is logged and left.
    """
    snapshots = [p for p in list_snapshots(folder) if p != current]
    keep_others = max(keep - (current is not None), 0)
    old = snapshots[: len(snapshots) - keep_others] if keep_others else snapshots
    removed = []
    for path in old:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("cannot remove old snapshot %s: %s", path, exc.strerror or exc)
    return removed


def load_snapshot(path: str | Path) -> State:
    """Read a snapshot written by ``save_snapshot``.

    Raises:
        SnapshotError: missing, unreadable, damaged, foreign or from another format version.
    """
    path = Path(path)
    if not path.exists():
        raise SnapshotError(f"{path}: no such snapshot")
    if not path.is_file():
        raise SnapshotError(f"{path}: not a snapshot file")
    try:
        if not zipfile.is_zipfile(path):
            raise SnapshotError(f"{path}: not a Canopy snapshot (not an .npz archive)")
        with zipfile.ZipFile(path) as archive:
            meta, arrays = _read_archive(archive)
        return state_from_arrays(arrays, meta)
    except SnapshotError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise SnapshotError(f"{path}: {exc}") from None
    except StateFormatError as exc:
        raise SnapshotError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot") from None
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        UnicodeDecodeError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted member
    ) as exc:
        raise SnapshotError(f"{path}: not a Canopy snapshot, or damaged ({exc})") from None


def _read_archive(archive: zipfile.ZipFile) -> tuple[Any, dict[str, np.ndarray]]:
    """The metadata and arrays of an open archive.

    Every header checked before any array is read.
    """
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.is_dir():
            raise SnapshotError(f"not a Canopy snapshot (member {info.filename[:60]!r})")
        key = info.filename[: -len(".npy")]
        if key in members:
            raise SnapshotError(f"damaged (member {key!r} twice)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SnapshotError(f"not a Canopy snapshot (member {key!r} compressed oddly)")
        members[key] = info
    if META_KEY not in members:
        raise SnapshotError("not a Canopy snapshot")
    meta_info = members.pop(META_KEY)
    with archive.open(meta_info) as fh:
        shape, dtype = _header(fh)
        if dtype != np.uint8 or len(shape) != 1 or not 0 <= shape[0] <= MAX_META_BYTES:
            raise SnapshotError("not a Canopy snapshot (its metadata is not JSON text)")
        text = _data(fh, shape, dtype, False)
    meta = json.loads(bytes(text).decode())
    headers = {}
    for key, info in members.items():
        with archive.open(info) as fh:
            headers[key] = _header(fh)
    check_layout(meta, headers)  # raises before anything is allocated
    arrays = {}
    for key, info in members.items():
        with archive.open(info) as fh:
            shape, dtype = headers[key]
            fortran = _header(fh, order=True)
            arrays[key] = _data(fh, shape, dtype, fortran)
    return meta, arrays


def _header(fh: IO[bytes], order: bool = False) -> Any:
    """An ``.npy`` member's (shape, dtype) as its header claims them; reads nothing else.

    With ``order``, also whether the array is in Fortran order.
    """
    magic = fh.read(8)  # b"\x93NUMPY", then the format's major and minor version
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY":
        raise SnapshotError("not a Canopy snapshot (a member is not an .npy array)")
    version = (magic[6], magic[7])
    if version not in ((1, 0), (2, 0)):
        raise SnapshotError(f"not a Canopy snapshot (.npy format version {version})")
    # The header's length is checked before it is read: numpy reads what it claims (up to
    # 4 GiB in format 2.0) and checks its size limit only after.
    size = fh.read(2 if version == (1, 0) else 4)
    length = int.from_bytes(size, "little")
    if len(size) not in (2, 4) or length > MAX_HEADER_BYTES:
        raise SnapshotError(f"damaged (an array header claims {length} bytes)")
    header = io.BytesIO(size + fh.read(length))
    read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    shape, fortran, dtype = read(header)
    if dtype.hasobject:
        raise SnapshotError("not a Canopy snapshot (an array of Python objects)")
    return fortran if order else (tuple(shape), dtype)


def _data(fh: IO[bytes], shape: tuple[int, ...], dtype: np.dtype, fortran: bool) -> np.ndarray:
    """The array after its header; the member must hold exactly its bytes.

    Reading to the end also makes zipfile check the member's CRC.
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    data = fh.read(nbytes)
    if len(data) != nbytes or fh.read(1):
        raise SnapshotError("damaged (an array's size does not match its header)")
    # Read-only over the bytes read; state_from_arrays copies what it keeps.
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
