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
    with pytest.raises(SnapshotError, match=r"damaged|CRC|not a Canopy"):
        load_snapshot(damaged)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: len(data) // 3])
    with pytest.raises(SnapshotError):
        load_snapshot(truncated)


def test_unwritable_folder_is_a_clear_error(tmp_path, small_world):
    with pytest.raises(SnapshotError, match="cannot write snapshot"):
        save_snapshot(create_world(small_world), tmp_path / "missing-dir" / "s.npz")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_a_writer_stopped_mid_write_keeps_the_last_good_snapshot(tmp_path, sig):
    # A real process writes a 10^5-citizen snapshot over and over; we kill it at arbitrary
    # moments. Every time, the file on disk must still load. SIGTERM with its default action
    # (as in `canopy simulate`) is held until the write is done, so no temporary is left.
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
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=30) == -sig  # it still dies of the signal
        proc.stdout.close()
        if sig == signal.SIGTERM:
            assert not list(tmp_path.glob(".*.tmp")), delay
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
    _resumes_exactly_and_catches_damage(s, V1_SNAPSHOT, "sentiment", tmp_path)


V2_SNAPSHOT = Path(__file__).parent / "data" / "state-v2.npz"


def test_a_version_2_snapshot_resumes_with_its_outage_unravelled(tmp_path):
    # Written by format version 2 (no cloth) from a 16-node world at tick 9 with 12 nodes
    # down after a cascade.
    from installation.simulation.cloth import NEVER
    from installation.simulation.state import derived

    s = load_snapshot(V2_SNAPSHOT)
    assert s.tick == 9 and int((~s.node_alive).sum()) == 12
    g = s.cloth_unravel.shape[0]
    dark = ~s.node_alive[derived(s).gcell_node].reshape(g, g)
    assert np.all(s.cloth_unravel[dark] == 1.0) and np.all(s.cloth_unravel[~dark] == 0.0)
    assert np.array_equal(s.cloth_scar, s.cloth_unravel) and not s.cloth_gold.any()
    assert np.all(s.node_changed[~s.node_alive] == s.time)
    assert np.all(s.node_changed[s.node_alive] == NEVER)
    assert not sanity_problems(s)
    _resumes_exactly_and_catches_damage(s, V2_SNAPSHOT, "growth_v", tmp_path)


def _resumes_exactly_and_catches_damage(state, path: Path, field: str, tmp_path) -> None:
    """An upgraded old snapshot, re-saved in today's format, continues bit-identically.

    Damage to ``field`` in the old file is still caught by the old format's own hash.
    """
    again = load_snapshot(save_snapshot(state, tmp_path / "resaved.npz"))
    for _ in range(60):
        step(state, EMPTY_FRAME, 1 / 30)
        step(again, EMPTY_FRAME, 1 / 30)
    assert state_hash(state) == state_hash(again)
    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in data.files}
    arrays[field].flat[0] += 0.25
    damaged = tmp_path / f"damaged-{path.name}"
    np.savez(damaged, **arrays)
    with pytest.raises(SnapshotError, match="damaged"):
        load_snapshot(damaged)
