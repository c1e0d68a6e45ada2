"""Damaged, foreign and hostile snapshots are refused with one clear error.

Never loaded, never a traceback, nothing allocated that a header claims; ``--resume`` falls back
past them; interrupted writes leave no temporaries; pruning never stops the show or touches what the
show did not write.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from canopy_helpers import run_canopy

from installation.app import cli
from installation.app.live import Show, ShowOptions
from installation.app.snapshots import META_KEY, SnapshotError, load_snapshot, save_snapshot
from installation.config import AudioConfig, Config, OscConfig, ShowConfig
from installation.simulation import create_world, state_hash
from installation.simulation.serialize import state_to_arrays
from installation.simulation.state import ARRAY_FIELDS, hash_parts

# ------------------------------------------------------------------ crafting files


def snapshot_name(tick: int, when: float) -> str:
    """A name as the show gives its snapshots (UTC time of writing, then the tick)."""
    return f"snapshot-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(when))}-tick{tick:010d}.npz"


def parts(small_world) -> tuple[dict[str, np.ndarray], dict]:
    """A real state's arrays and metadata, to damage."""
    arrays, meta = state_to_arrays(create_world(small_world))
    return {k: np.array(v) for k, v in arrays.items()}, json.loads(json.dumps(meta))


def rehash(arrays: dict[str, np.ndarray], meta: dict) -> dict:
    """``meta`` with the hash recomputed over ``arrays``.

    A foreign file that is consistent with itself, so only the checks of shape, type and range can
    refuse it.
    """
    meta = dict(meta)
    meta["state_hash"] = hash_parts(
        {name: arrays[name] for name in ARRAY_FIELDS},
        json.dumps(meta["scalars"], sort_keys=True, default=repr),
        json.dumps(meta["rng"], sort_keys=True),
    )
    return meta


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=True)
    return out.getvalue()


def npy_claiming(shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"\0" * 64) -> bytes:
    """An .npy member whose header claims ``shape`` but holds only ``data``."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return out.getvalue() + data


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def snapshot_file(path: Path, arrays: dict[str, np.ndarray], meta) -> Path:
    """An .npz laid out as save_snapshot lays it out, from any arrays and metadata."""
    members = {f"{k}.npy": npy(v) for k, v in arrays.items()}
    members[f"{META_KEY}.npy"] = npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    return write_npz(path, members)


def hostile_snapshots(folder: Path, small_world) -> dict[str, Path]:
    """One file per way a snapshot can be damaged or foreign."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays, meta = parts(small_world)
    out: dict[str, Path] = {}

    def add(name: str, arrs, m) -> None:
        out[name] = snapshot_file(folder / f"{name}.npz", arrs, m)

    add("meta-list", arrays, [meta])
    add("meta-string", arrays, "canopy-state")
    add("meta-number", arrays, 3)
    add("meta-no-scalars", arrays, {**meta, "scalars": ["world"]})
    add("meta-world-wrong-type", arrays,
        rehash(arrays, {**meta, "scalars": {**meta["scalars"], "world": "big"}}))  # fmt: skip
    fewer = {**arrays}
    for name in ("cit_pos", "cit_home", "cit_cell", "sentiment", "anchor", "anchor_rate"):
        fewer[name] = arrays[name][:-10]  # arrays of 390 citizens in a world of 400
    add("wrong-shape", fewer, rehash(fewer, meta))
    wide = {**arrays, "sentiment": arrays["sentiment"].astype(np.float64)}
    add("wrong-dtype", wide, rehash(wide, meta))
    objects = {**arrays, "shares": arrays["shares"].astype(object)}
    out["object-array"] = write_npz(
        folder / "object-array.npz",
        {**{f"{k}.npy": npy(v) for k, v in objects.items()},
         f"{META_KEY}.npy": npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))},
    )  # fmt: skip
    outside = {**arrays, "cell_node": arrays["cell_node"].copy()}
    outside["cell_node"][0, 0] = small_world.nodes + 5  # a node that does not exist
    add("index-outside-world", outside, rehash(outside, meta))
    text_tick = {**meta, "scalars": {**meta["scalars"], "tick": "7"}}
    add("tick-a-string", arrays, rehash(arrays, text_tick))
    missing = {k: v for k, v in arrays.items() if k != "growth_v"}
    add("missing-array", missing, meta)
    add("extra-array", {**arrays, "bonus": np.zeros(3)}, meta)
    members = {f"{k}.npy": npy(v) for k, v in arrays.items()}
    members[f"{META_KEY}.npy"] = npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))
    out["terabytes"] = write_npz(
        folder / "terabytes.npz", {**members, "sentiment.npy": npy_claiming((10**12, 4))}
    )
    out["gigabytes"] = write_npz(
        folder / "gigabytes.npz", {**members, "sentiment.npy": npy_claiming((5 * 10**8,))}
    )
    out["meta-terabytes"] = write_npz(
        folder / "meta-terabytes.npz",
        {**members, f"{META_KEY}.npy": npy_claiming((10**12,), "|u1")},
    )
    out["meta-not-utf8"] = write_npz(
        folder / "meta-not-utf8.npz",
        {**members, f"{META_KEY}.npy": npy(np.frombuffer(b"\xff\xfe{", np.uint8))},
    )
    out["member-not-npy"] = write_npz(folder / "member-not-npy.npz", {**members, "x.txt": b"x"})
    out["short-member"] = write_npz(
        folder / "short-member.npz", {**members, "growth_u.npy": members["growth_u.npy"][:-8]}
    )
    # A format-2.0 header that claims 64 MB of header (numpy reads a header before it checks
    # its size), deflated to almost nothing: a bomb, unless the length is checked first.
    bomb = b"\x93NUMPY\x02\x00" + (64 << 20).to_bytes(4, "little") + b" " * (64 << 20)
    out["header-bomb"] = folder / "header-bomb.npz"
    with zipfile.ZipFile(out["header-bomb"], "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("sentiment2.npy", bomb, compress_type=zipfile.ZIP_DEFLATED)
    (folder / "not-zip.npz").write_bytes(b"PK\x03\x04 but nothing else of a zip")
    out["not-zip"] = folder / "not-zip.npz"
    (folder / "empty.npz").write_bytes(b"")
    out["empty"] = folder / "empty.npz"
    return out


# ------------------------------------------------------------------ loading


def test_every_hostile_snapshot_is_a_snapshot_error_and_allocates_nothing_it_claims(
    tmp_path, small_world
):
    # Sanity of the crafting: untouched parts, rehashed, are a snapshot that loads.
    arrays, meta = parts(small_world)
    good = snapshot_file(tmp_path / "good.npz", arrays, rehash(arrays, meta))
    assert state_hash(load_snapshot(good)) == meta["state_hash"]
    for name, path in hostile_snapshots(tmp_path / "hostile", small_world).items():
        tracemalloc.start()
        try:
            with pytest.raises(SnapshotError) as caught:
                load_snapshot(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        message = str(caught.value)
        assert message.startswith(str(path)) and "\n" not in message, (name, message)
        # The small world's whole state is ~50 kB; a header's claim is never allocated.
        assert peak < 16 << 20, (name, peak)


def test_shape_dtype_range_and_type_damage_is_named(tmp_path, small_world):
    files = hostile_snapshots(tmp_path, small_world)
    expected = {
        "meta-list": "metadata is list, not an object",
        "meta-string": "metadata is str, not an object",
        "wrong-shape": "array cit_pos is <f4[390, 2]; this world's is <f4[400, 2]",
        "wrong-dtype": "array sentiment is <f8[400, 4]; this world's is <f4[400, 4]",
        "index-outside-world": "array cell_node points outside the world",
        "tick-a-string": "tick = '7'",
        "terabytes": "array sentiment is <f4[1000000000000, 4]",
        "missing-array": "missing arrays: growth_v",
        "extra-array": "unexpected arrays: bonus",
        "meta-world-wrong-type": "world: expected a table",
    }
    for name, text in expected.items():
        with pytest.raises(SnapshotError, match=None) as caught:
            load_snapshot(files[name])
        assert text in str(caught.value), (name, str(caught.value))


def test_a_directory_named_like_a_snapshot_is_not_one(tmp_path):
    folder = tmp_path / "snapshot-99999999T000000Z-tick0000000000.npz"
    folder.mkdir()
    with pytest.raises(SnapshotError, match="not a snapshot file"):
        load_snapshot(folder)


def test_simulate_resume_of_a_hostile_snapshot_is_one_line_and_status_2(
    tmp_path, small_world, capsys
):
    files = hostile_snapshots(tmp_path, small_world)
    for name, path in files.items():
        assert cli.main(["simulate", "--resume", str(path), "--steps", "1"]) == 2, name
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("canopy: "), (name, err)
    # And as the real command, for two of them.
    for name in ("meta-list", "terabytes"):
        r = run_canopy("simulate", "--resume", str(files[name]), "--steps", "1", timeout=60)
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("canopy: "), r.stderr


def show_config(small_world, **show) -> Config:
    return Config(
        world=small_world,
        audio=AudioConfig(enabled=False),
        osc=OscConfig(enabled=False),
        show=dataclasses.replace(ShowConfig(), **show),
    )


def test_resume_falls_back_past_every_damaged_or_foreign_snapshot(tmp_path, small_world, caplog):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    state = create_world(small_world)
    state.tick = 5
    good = save_snapshot(state, folder / snapshot_name(5, 1_700_000_000))
    newer = 1_800_000_000
    for i, path in enumerate(hostile_snapshots(tmp_path / "made", small_world).values()):
        path.rename(folder / snapshot_name(1000 + i, newer + i))
    (folder / snapshot_name(0, 1_900_000_000)).mkdir()  # a stray folder, newest of all
    with caplog.at_level(logging.INFO, logger="installation"):
        show = Show(show_config(small_world), ShowOptions(render=False, resume=True,
                                                          data_dir=tmp_path))  # fmt: skip
    assert show.resumed_from == good and show.state.tick == 5
    fallbacks = [r.getMessage() for r in caplog.records if "trying an older" in r.getMessage()]
    assert len(fallbacks) == len(list(folder.glob("snapshot-*.npz"))) - 2
    assert all("\n" not in m for m in fallbacks)


# ------------------------------------------------------------------ temporaries


def test_stale_temporaries_are_removed_at_start_and_before_each_write(tmp_path, small_world):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    arrays, meta = parts(small_world)
    partial = snapshot_file(tmp_path / "p.npz", arrays, meta).read_bytes()[:20_000]
    stale = folder / ".snapshot-20261101T000000Z-tick0000000100.npz.k3j9x2.tmp"
    stale.write_bytes(partial)  # what a writer killed mid-write leaves
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fresh = folder / ".snapshot-20261101T000000Z-tick0000000200.npz.zz81aa.tmp"
    fresh.write_bytes(partial)  # could be another writer's, in the middle of its write
    other = folder / ".notes.tmp"
    other.write_bytes(b"not ours")
    os.utime(other, (hour_ago, hour_ago))
    show = Show(show_config(small_world), ShowOptions(render=False, data_dir=tmp_path))
    assert not stale.exists() and fresh.exists() and other.exists()
    os.utime(fresh, (hour_ago, hour_ago))
    assert show.snapshot() is not None
    assert not fresh.exists() and other.exists()
    assert not list(folder.glob(".snapshot-*.tmp"))


# ------------------------------------------------------------------ pruning


def test_pruning_skips_what_the_show_did_not_write_and_never_stops_it(tmp_path, small_world):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    strays = [
        folder / "snapshot-99999999T000000Z-tick0000000000.npz",  # sorts after ours
        folder / "snapshot-00000000T000000Z-tick0000000000.npz",  # sorts before ours
    ]
    for stray in strays:
        stray.mkdir()
    (strays[0] / "keep.txt").write_text("an operator's notes")
    mine = folder / "snapshot-my-copy.npz"  # named by hand: not one the show wrote
    mine.write_bytes(b"x")
    show = Show(show_config(small_world, snapshots_kept=2),
                ShowOptions(render=False, data_dir=tmp_path))  # fmt: skip
    written = []
    for tick in (1, 2, 3, 4):
        show.state.tick = tick
        path = show.snapshot()
        assert path is not None and path.is_file()
        written.append(path)
    assert all(s.is_dir() for s in strays) and (strays[0] / "keep.txt").exists()
    assert mine.exists()
    left = sorted(p for p in folder.glob("snapshot-*.npz") if p.is_file() and p != mine)
    assert left == written[-2:]
    assert show.snapshots.error == "" and show.health()["status"] == "ok"


def test_the_snapshot_just_written_is_never_pruned(tmp_path, small_world):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    # A regular file named as the show names them, from a clock far ahead: it sorts after
    # everything this run writes.
    future = save_snapshot(create_world(small_world), folder / snapshot_name(9, 4_000_000_000))
    show = Show(show_config(small_world, snapshots_kept=1),
                ShowOptions(render=False, data_dir=tmp_path))  # fmt: skip
    path = show.snapshot()
    assert path is not None and path.exists() and not future.exists()
    assert [p.name for p in folder.iterdir()] == [path.name]
