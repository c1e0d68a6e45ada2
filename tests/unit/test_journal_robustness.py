"""Malformed journals give one clear error naming the file and line.

Never a traceback, never a replay that runs for ever; a last line cut short by a crash stays
tolerated.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest
from canopy_helpers import run_canopy

from installation.app import cli
from installation.app.replay import replay
from installation.config import ModelConfig
from installation.inputs.frame import RoomSound, Touch
from installation.inputs.journal import JournalError, JournalWriter, read_journal

DAY = 86_400.0


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def recorded(folder: Path, small_world, now=time.time, **extra) -> Path:
    """Write a real journal of a short run of the small world and return its one file.

    Ticks 0-29; the end line is not written: tests add their own last lines.
    """
    header = {
        "world": dataclasses.asdict(small_world),
        "model": dataclasses.asdict(ModelConfig()),
        "tick_hz": small_world.tick_hz,
        "start_tick": 0,
        **extra,
    }
    w = JournalWriter(folder, header, now=now)
    for tick in range(0, 30, 3):
        w.record(tick, "osc", Touch(0.5, tick / 30), "/canopy/touch", (0.5, tick / 30), 0)
    w.record_sound(12, RoomSound(-30.0, -31.0, (-40.0, -41.0, -50.0, -60.0), False, 900.0, 0.3))
    w.flush()
    w.close()
    return next(folder.glob("journal-*.jsonl"))


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


WRONG_LAST_LINES = {
    "tick-a-string": b'{"tick": "5", "source": "osc", "event": {"type": "Touch", "x": 0.5, '
    b'"y": 0.5}}\n',
    "tick-a-float": b'{"tick": 5.5, "source": "osc", "event": {"type": "Touch", "x": 0.5, '
    b'"y": 0.5}}\n',
    "negative-tick": b'{"tick": -3, "source": "osc", "event": {"type": "Touch", "x": 0.5, '
    b'"y": 0.5}}\n',
    "end-a-string": b'{"end": "soon"}\n',
    "end-a-boolean": b'{"end": true}\n',
    "a-list": b"[1, 2, 3]\n",
    "a-number": b"42\n",
    "null": b"null\n",
    "event-a-string": b'{"tick": 5, "source": "osc", "event": "Touch"}\n',
    "event-unknown-type": b'{"tick": 5, "source": "osc", "event": {"type": "Explode"}}\n',
    "event-field-wrong-type": b'{"tick": 5, "source": "osc", "event": {"type": "Touch", '
    b'"x": "left", "y": 0.5}}\n',
    "event-unknown-field": b'{"tick": 5, "source": "osc", "event": {"type": "Touch", '
    b'"x": 0.5, "y": 0.5, "colour": "red"}}\n',
    "event-missing-field": b'{"tick": 5, "source": "osc", "event": {"type": "Push", '
    b'"value": 0.5}}\n',
    "batch-a-string": b'{"tick": 5, "source": "osc", "batch": "b", "event": {"type": '
    b'"Touch", "x": 0.5, "y": 0.5}}\n',
    "sound-wrong-types": b'{"tick": 5, "source": "audio", "sound": {"level_db": "loud", '
    b'"smoothed_db": -3}}\n',
    "sound-bands-short": b'{"tick": 5, "source": "audio", "sound": {"level_db": -3, '
    b'"smoothed_db": -3, "bands": [1, 2]}}\n',
    "snapshot-mark-a-number": b'{"snapshot": 5, "tick": 3}\n',
    "unknown-object": b'{"hello": "world"}\n',
    "binary": b"\xff\xfe\x00\x01garbage\xc3\n",
    "binary-cut": b"\x89PNG\r\n\x1a",
    "nul-bytes": b"\x00\x00\x00\x00\x00\x00",
    "tick-absurd": b'{"tick": 1000000000000, "source": "osc", "event": {"type": "Touch", '
    b'"x": 0.5, "y": 0.5}}\n',
    "end-absurd": b'{"end": 1000000000000}\n',
}


@pytest.mark.parametrize("name", sorted(WRONG_LAST_LINES))
def test_a_malformed_last_line_is_one_clear_error(tmp_path, small_world, name):
    path = recorded(tmp_path, small_world)
    lines = len(path.read_bytes().splitlines())
    append(path, WRONG_LAST_LINES[name])
    with pytest.raises(JournalError) as caught:
        read_journal(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{lines + 1}: ") and "\n" not in message, message


def test_the_replay_command_answers_malformed_journals_with_one_line(tmp_path, small_world,
                                                                     capsys):  # fmt: skip
    for name, line in WRONG_LAST_LINES.items():
        folder = tmp_path / name
        append(recorded(folder, small_world), line)
        assert cli.main(["replay", str(folder)]) == 2, name
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("canopy: "), (name, err)


def test_an_absurd_last_tick_without_an_end_line_is_refused_not_replayed_for_ever(
    tmp_path, small_world
):
    append(recorded(tmp_path, small_world), WRONG_LAST_LINES["tick-absurd"])
    r = run_canopy("replay", str(tmp_path), timeout=60)  # today's code replays for years
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("canopy: ")
    assert "beyond what the journal's time span can hold" in r.stderr


def test_a_cut_last_line_is_still_tolerated(tmp_path, small_world):
    path = recorded(tmp_path, small_world)
    append(path, b'{"tick": 29, "source": "audio", "sound": {"level_db": -3')  # crash mid-write
    state = replay(tmp_path)
    assert state.tick == 28 and state.counters.inputs == 10  # up to its last input


def test_ticks_are_bounded_by_the_journals_own_clock(tmp_path, small_world):
    """A file takes lines only on the day it was opened; its header says when that was.

    A tick the wall clock could have reached since the run started is fine, even a day and a half
    later in one file; three days is not.
    """
    hz = small_world.tick_hz
    clock = Clock(1_795_000_000.0)
    header = {"world": {}, "model": {}, "tick_hz": hz}
    w = JournalWriter(tmp_path, header, now=clock)
    w.record(int(1.5 * DAY * hz), "osc", Touch(0.5, 0.5))  # same file: within the slack
    clock.t += 5 * DAY  # five days later: a new file, opened then
    w.record(int(6 * DAY * hz), "osc", Touch(0.5, 0.5))
    w.end(int(6.5 * DAY * hz))
    w.close()
    assert read_journal(tmp_path).end == int(6.5 * DAY * hz)
    newest = sorted(tmp_path.glob("journal-*.jsonl"))[-1]
    append(newest, json.dumps({"end": int(9 * DAY * hz)}).encode() + b"\n")
    with pytest.raises(JournalError, match="beyond what the journal's time span can hold"):
        read_journal(tmp_path)


def test_damaged_headers_are_refused(tmp_path, small_world):
    cases = {
        "tick_hz": "fast",
        "start_snapshot": "../../etc/passwd",
        "world": "big",
        "opened": None,
    }
    for key, value in cases.items():
        folder = tmp_path / key
        path = recorded(folder, small_world)
        lines = path.read_text().splitlines()
        head = json.loads(lines[0])
        head[key] = value
        path.write_text("\n".join([json.dumps(head), *lines[1:]]) + "\n")
        with pytest.raises(JournalError, match=f"{path.name}:1: a header whose {key}"):
            read_journal(folder)
    # A run that starts past tick 0 must name the snapshot its replay starts from.
    folder = tmp_path / "late"
    recorded(folder, small_world, start_tick=900)
    with pytest.raises(JournalError, match="without naming its start snapshot"):
        read_journal(folder)
    # A world the schema refuses (types, ranges) is refused by replay, in one line.
    folder = tmp_path / "world-types"
    bad = {**dataclasses.asdict(small_world), "citizens": "many"}
    path = recorded(folder, small_world)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([json.dumps({**json.loads(lines[0]), "world": bad}),
                               *lines[1:]]) + "\n")  # fmt: skip
    with pytest.raises(JournalError, match=r"world\.citizens: expected an integer"):
        replay(folder)


def test_a_resumed_run_with_an_absurd_start_is_refused(tmp_path, small_world):
    clock = Clock(1_795_000_000.0)
    header = {"world": {}, "model": {}, "tick_hz": small_world.tick_hz}
    first = JournalWriter(tmp_path, header, now=clock)
    first.record(3, "osc", Touch(0.5, 0.5))
    first.mark_snapshot("snap-3", 3)
    first.close()
    clock.t += 60
    resumed = JournalWriter(
        tmp_path, {**header, "start_tick": 10**12, "resumed_from": "snap-3"}, now=clock
    )
    resumed.record(10**12, "osc", Touch(0.5, 0.5))
    resumed.close()
    with pytest.raises(JournalError, match="start_tick 1000000000000 lies beyond"):
        read_journal(tmp_path)
