"""Joining encoded parts without re-encoding (a distributed render's last step)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from canopy_helpers import probe_video

from installation.outputs.video import PartError, VideoWriter, join_parts


def _parts(folder: Path, n: int, frames: int, suffix: str = ".mp4", **kwargs) -> list[Path]:
    out = []
    for k in range(n):
        path = folder / f"part{k:03d}{suffix}"
        with VideoWriter(path, (64, 48), 30.0, **kwargs) as w:
            for i in range(frames):
                w.write(np.full((48, 64, 3), (k * frames + i) % 250, dtype=np.uint8))
        out.append(path)
    return out


def _pts(path: Path) -> list[int]:
    return sorted(int(v) for v in probe_video(path, "packet=pts"))


def test_many_short_parts_join_on_the_frame_grid_without_drift(tmp_path):
    # 7 frames at 30 fps last 233,333.3 us: rounding each part to the microsecond (FFmpeg's
    # concat demuxer) would drift; the join must keep every frame on the grid.
    parts = _parts(tmp_path, 40, 7)
    out = tmp_path / "film.mp4"
    assert join_parts(parts, out, 30.0) == 280
    pts = _pts(out)
    steps = set(np.diff(pts).tolist())
    assert len(pts) == 280 and len(steps) == 1, steps
    assert not list(tmp_path.glob(".film*"))  # (written beside it, then renamed)


def test_parts_with_b_frames_and_prores_join(tmp_path):
    parts = _parts(tmp_path, 3, 10, preset="medium")
    out = tmp_path / "film.mp4"
    assert join_parts(parts, out, 30.0) == 30
    assert len(set(np.diff(_pts(out)).tolist())) == 1
    mov = _parts(tmp_path, 3, 4, suffix=".mov")
    assert join_parts(mov, tmp_path / "film.mov", 30.0) == 12


def test_a_damaged_part_is_named_and_nothing_is_left(tmp_path):
    parts = _parts(tmp_path, 3, 5)
    parts[1].write_bytes(b"not a video at all" * 100)
    out = tmp_path / "film.mp4"
    with pytest.raises(PartError) as info:
        join_parts(parts, out, 30.0)
    assert info.value.part == parts[1] and str(parts[1]) in str(info.value)
    assert "Errno" not in str(info.value)
    assert not out.exists() and not list(tmp_path.glob(".film*"))
