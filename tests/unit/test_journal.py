"""The input journal: rotation by size and by day, exact round trip, damage handling."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from installation.app.replay import replay
from installation.config import ModelConfig
from installation.inputs.frame import InputFrame, Push, Repair, RoomSound, SetParam, Touch
from installation.inputs.journal import JournalError, JournalWriter, read_journal
from installation.simulation import DYNAMICS_VERSION


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_round_trip_is_exact(tmp_path):
    w = JournalWriter(tmp_path, {"world": {}, "model": {}, "tick_hz": 30.0})
    events = [
        Touch(0.1234567891, 0.5),
        Push(2, 0.3333333333333333, community=1),
        Repair(0.2, 0.7, 0.5),
        SetParam("noise", 0.01),
    ]
    for i, e in enumerate(events):
        w.record(i * 3, "osc", e, "/canopy/x", (1, 0.5, "s"))
    sound = RoomSound(-20.5, -22.25, (-30.0, -25.0, -40.0, -60.0), True, 812.4, 0.0421)
    w.record_sound(5, sound)
    w.record_control(6, "web", "/canopy/pause", (1,))  # (kept for the record, not replayed)
    w.end(20)
    w.close()
    assert '"control":"/canopy/pause"' in next(tmp_path.glob("journal-*.jsonl")).read_text()
    j = read_journal(tmp_path)
    assert j.end == 20 and j.header["tick_hz"] == 30.0
    frames = list(j.ticks())
    assert len(frames) == 20
    assert [f.events[0] for f in frames if f.events] == events
    assert frames[5].sound == sound
    assert frames[1] == InputFrame(tick=1)


def test_rotates_by_size_and_by_day(tmp_path):
    clock = Clock(1_795_000_000.0)
    w = JournalWriter(
        tmp_path, {"world": {}, "model": {}, "tick_hz": 30.0}, max_bytes=2000, now=clock
    )
    for tick in range(100):
        w.record(tick, "osc", Touch(0.5, 0.5), "/canopy/touch", (0.5, 0.5))
    by_size = len(list(tmp_path.glob("journal-*.jsonl")))
    assert by_size >= 3
    clock.t += 86_400  # the next day
    w.record(100, "osc", Touch(0.5, 0.5))
    w.end(101)
    w.close()
    files = sorted(tmp_path.glob("journal-*.jsonl"))
    assert len(files) == by_size + 1 and files[-1].name.split("-")[2] != files[0].name.split("-")[2]
    for f in files:  # every file describes itself
        assert json.loads(f.read_text().splitlines()[0])["format"] == "canopy-journal"
    j = read_journal(tmp_path)
    assert sum(len(f.events) for f in j.ticks()) == 101 and j.end == 101


def test_a_cut_last_line_is_tolerated_other_damage_is_reported(tmp_path):
    w = JournalWriter(tmp_path, {"world": {}, "model": {}, "tick_hz": 30.0})
    w.record(0, "osc", Touch(0.5, 0.5))
    w.flush()
    w.close()
    path = next(tmp_path.glob("*.jsonl"))
    path.write_text(path.read_text() + '{"tick": 1, "sou')  # a crash mid-line
    assert len(read_journal(tmp_path).frames) == 1
    path.write_text('{"not": "a journal"}\n')
    with pytest.raises(JournalError, match="no header"):
        read_journal(tmp_path)
    with pytest.raises(JournalError, match="no journal files"):
        read_journal(tmp_path / "empty")


def test_a_resumed_run_supersedes_what_a_crashed_run_recorded_after_its_snapshot(tmp_path):
    clock = Clock(1_795_000_000.0)
    header = {"world": {}, "model": {}, "tick_hz": 30.0}
    crashed = JournalWriter(tmp_path, header, now=clock)
    for tick in range(10):
        crashed.record(tick, "osc", Touch(0.1, tick / 10), batch=0)
        if tick == 6:  # a periodic snapshot, taken after tick 6's first inputs
            crashed.mark_snapshot("snap-6", 6)
    crashed.flush()
    path = next(tmp_path.glob("*.jsonl"))
    path.write_text(path.read_text() + '{"tick": 10, "so')  # killed mid-line, no end line
    clock.t += 60
    resumed = JournalWriter(
        tmp_path, {**header, "start_tick": 6, "resumed_from": "snap-6"}, now=clock
    )
    resumed.record(6, "osc", Touch(0.9, 0.9), batch=0)
    resumed.record(6, "osc", Touch(0.8, 0.8), batch=1)
    resumed.record(7, "osc", Touch(0.7, 0.7), batch=0)
    resumed.end(12)
    resumed.close()
    j = read_journal(tmp_path)
    assert sorted(j.frames) == [0, 1, 2, 3, 4, 5, 6, 7] and j.end == 12
    six = j.frames[6]
    assert six.events == (Touch(0.1, 0.6), Touch(0.9, 0.9), Touch(0.8, 0.8))
    assert six.batches == (1, 1, 1)  # the crashed run's group, then the resumed run's two
    assert j.frames[7].events == (Touch(0.7, 0.7),)
    # A run that does not resume starts a new story in the same folder.
    clock.t += 60
    fresh = JournalWriter(tmp_path, header, now=clock)
    fresh.record(2, "osc", Touch(0.5, 0.5))
    fresh.end(3)
    fresh.close()
    j = read_journal(tmp_path)
    assert sorted(j.frames) == [2] and j.end == 3


@pytest.mark.parametrize("dynamics", [None, 1, DYNAMICS_VERSION])
def test_a_journal_from_other_dynamics_replays_with_a_warning(
    tmp_path, small_world, caplog, dynamics
):
    # Journals written before the header carried "dynamics" are version 1.
    header = {"world": dataclasses.asdict(small_world), "model": dataclasses.asdict(ModelConfig())}
    header["tick_hz"] = small_world.tick_hz
    if dynamics is not None:
        header["dynamics"] = dynamics
    w = JournalWriter(tmp_path, header)
    w.record(3, "osc", Touch(0.5, 0.5, 1.0), "/canopy/touch", [0.5, 0.5, 1.0], 0)
    w.end(10)
    w.close()
    with caplog.at_level(logging.WARNING):
        state = replay(tmp_path)
    assert state.tick == 10 and state.counters.inputs == 1
    warned = "will not match the recorded run" in caplog.text
    assert warned == (dynamics != DYNAMICS_VERSION)
