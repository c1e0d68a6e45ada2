"""A journal whose disk fills up mid-show stops recording, never the show.

The full disk is real: the journal is on a small tmpfs, filled to its last block once the journal
has started writing.
"""

from __future__ import annotations

import dataclasses
import socket
import time

from canopy_helpers import free_port
from disk_helpers import fill, full_disk

from installation.app.live import Show, ShowOptions
from installation.config import load_config


def test_a_full_disk_stops_the_journal_not_the_show(tmp_path):
    with full_disk(tmp_path / "disk", size="4m") as disk:
        (disk / "filler").unlink()  # room, until the journal has started
        run_until_the_disk_fills(tmp_path, disk / "journal")


def run_until_the_disk_fills(tmp_path, folder):
    base = load_config()
    config = dataclasses.replace(
        base,
        osc=dataclasses.replace(base.osc, port=free_port()),
        audio=dataclasses.replace(base.audio, enabled=False),
    )
    filled = []

    def on_tick(state) -> None:
        if not filled and list(folder.glob("journal-*.jsonl")):  # the journal has started
            fill(folder.parent / "filler")
            filled.append(state.tick)
        if state.tick <= 60:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"/canopy/touch\0\0\0,ff\0?\0\0\0?\0\0\0", ("127.0.0.1", config.osc.port))

    show = Show(
        config,
        ShowOptions(
            duration=3.0,
            render=False,
            journal=folder,
            data_dir=tmp_path,
            on_tick=on_tick,
        ),
    )
    t0 = time.monotonic()
    result = show.run()
    assert filled, "the journal never started"
    assert result.stopped_by == "duration" and time.monotonic() - t0 < 10
    assert result.state.tick > 60  # the show went on
    assert result.inputs > 0 and not show.recording.active
    assert "the journal stopped" in show.health()["problems"][0]
    assert result.snapshot is not None  # the final snapshot still written elsewhere
    assert list(folder.glob("journal-*.jsonl"))  # what was written stays
