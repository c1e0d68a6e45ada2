"""A real full disk for tests: a tiny tmpfs mounted (as root) and filled to the last block.

Tests that need one skip, with the reason, where mounting is not allowed.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def full_disk(path: Path, size: str = "256k") -> Iterator[Path]:
    """Mount a ``size`` tmpfs at ``path`` (created), fill it, yield it; unmount after.

    The filler is ``path / "filler"``: remove it to give the disk its space back.
    """
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        fill(path / "filler")
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def fill(filler: Path) -> None:
    """Write ``filler`` until the disk it is on has no block left."""
    block = b"\0" * 4096
    with open(filler, "ab", buffering=0) as fh:
        try:
            while True:
                fh.write(block)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
