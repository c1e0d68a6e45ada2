"""A journal whose disk fills up mid-show stops recording, never the show.

The full disk is real: the journal's file handle is swapped for one on /dev/full (ENOSPC on every
flush).
"""

from __future__ import annotations

import dataclasses
import socket
import time

from canopy_helpers import free_port

from installation.app.live import Show, ShowOptions
from installation.config import load_config


def test_a_full_disk_stops_the_journal_not_the_show(tmp_path):
    base = load_config()
    config = dataclasses.replace(
        base,
        osc=dataclasses.replace(base.osc, port=free_port()),
        audio=dataclasses.replace(base.audio, enabled=False),
    )
    show: Show | None = None
    swapped = []

    def on_tick(state) -> None:
        journal = show.journal
        if not swapped and journal is not None and journal._fh is not None:  # file opened
            swapped.append(journal._fh)
            journal._fh = open("/dev/full", "w")  # noqa: SIM115 - closed by the show
        if state.tick <= 40:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"/canopy/touch\0\0\0,ff\0?\0\0\0?\0\0\0", ("127.0.0.1", config.osc.port))

    show = Show(
        config,
        ShowOptions(
            duration=3.0,
            render=False,
            journal=tmp_path / "journal",
            data_dir=tmp_path,
            on_tick=on_tick,
        ),
    )
    t0 = time.monotonic()
    result = show.run()
    swapped[0].close()
    assert result.stopped_by == "duration" and time.monotonic() - t0 < 10
    assert result.state.tick > 60  # the show went on
    assert result.inputs > 0 and show.journal is None
    assert "the journal stopped" in show.health()["problems"][0]
    assert result.snapshot is not None  # the final snapshot still written elsewhere
    assert list((tmp_path / "journal").glob("journal-*.jsonl"))  # what was written stays
