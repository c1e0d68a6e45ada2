"""Snapshots: exact restore, atomic writes that survive a killed writer, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from installation.app.snapshots import SnapshotError, load_snapshot, save_snapshot
from installation.inputs import EMPTY_FRAME, InputFrame, Push
from installation.simulation import create_world, state_hash, step
from installation.simulation.sanity import sanity_problems


def test_restored_run_continues_bit_identically(tmp_path, small_world):
    s = create_world(small_world)
    for _ in range(100):
        step(s, InputFrame(events=(Push(2, 0.9, 0.5, 0.5),)), 1 / 30)
    path = save_snapshot(s, tmp_path / "snap.npz")
    r = load_snapshot(path)
    assert state_hash(r) == state_hash(s)
    for _ in range(200):
        step(s, EMPTY_FRAME, 1 / 30)
        step(r, EMPTY_FRAME, 1 / 30)
    assert state_hash(r) == state_hash(s)
    assert r.tick == s.tick == 300


def test_foreign_damaged_and_missing_files_give_clear_errors(tmp_path, small_world):
    with pytest.raises(SnapshotError, match="no such snapshot"):
        load_snapshot(tmp_path / "absent.npz")
    foreign = tmp_path / "foreign.npz"
    foreign.write_text("not a snapshot")
    with pytest.raises(SnapshotError, match="not a Canopy snapshot"):
        load_snapshot(foreign)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(SnapshotError, match="not a Canopy snapshot"):
        load_snapshot(other)
    good = save_snapshot(create_world(small_world), tmp_path / "good.npz")
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="damaged|CRC|not a Canopy"):
        load_snapshot(damaged)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: len(data) // 3])
    with pytest.raises(SnapshotError):
        load_snapshot(truncated)


def test_unwritable_folder_is_a_clear_error(tmp_path, small_world):
    with pytest.raises(SnapshotError, match="cannot write snapshot"):
        save_snapshot(create_world(small_world), tmp_path / "missing-dir" / "s.npz")


def test_a_writer_killed_mid_write_never_damages_the_last_good_snapshot(tmp_path):
    # A real process writes a 10^5-citizen snapshot over and over; we kill -9 it at
    # arbitrary moments. Every time, the file on disk must still load.
    target = tmp_path / "show.npz"
    script = textwrap.dedent(
        f"""
        from installation.config import WorldConfig
        from installation.simulation import create_world, step
        from installation.inputs import EMPTY_FRAME
        from installation.app.snapshots import save_snapshot
        s = create_world(WorldConfig(citizens=100_000, height=256, width=256, seed=5))
        save_snapshot(s, {str(target)!r})
        print("ready", flush=True)
        while True:
            step(s, EMPTY_FRAME, 1 / 30)
            save_snapshot(s, {str(target)!r})
        """
    )
    for delay in (0.05, 0.13, 0.21, 0.34):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = load_snapshot(target)  # must not raise
        assert state.world.citizens == 100_000


V1_SNAPSHOT = Path(__file__).parent / "data" / "state-v1.npz"


def test_a_version_1_snapshot_resumes_upgraded(tmp_path):
    # Written by Canopy's format version 1 (every cascade finished within its tick) from a
    # 16-node world at tick 7, with 3 nodes down after a cascade of 3.
    s = load_snapshot(V1_SNAPSHOT)
    assert s.tick == 7 and int((~s.node_alive).sum()) == 3
    assert s.counters.cascades == 1 and s.counters.largest_cascade == 3
    assert np.array_equal(s.transit_alive, s.node_alive)  # v1 always re-routed at once
    assert s.cascade_carry == 0.0 and s.counters.cascade_round == 0
    assert not sanity_problems(s)
    again = load_snapshot(save_snapshot(s, tmp_path / "v2.npz"))  # written as version 2
    for _ in range(60):
        step(s, EMPTY_FRAME, 1 / 30)
        step(again, EMPTY_FRAME, 1 / 30)
    assert state_hash(s) == state_hash(again)
    # Damage in a version-1 file is still caught by version 1's hash.
    with np.load(V1_SNAPSHOT) as data:
        arrays = {k: data[k].copy() for k in data.files}
    arrays["sentiment"][0, 0] += 0.25
    damaged = tmp_path / "damaged-v1.npz"
    np.savez(damaged, **arrays)
    with pytest.raises(SnapshotError, match="damaged"):
        load_snapshot(damaged)
