"""Review tools: ``canopy stills --seed S`` and its contact sheet.

It takes each act's still while that seed's city is in the act, and writes a labelled contact sheet
of them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from installation.app.cli import main
from installation.app.offline import act_marks, render_stills, story_spans
from installation.app.sketch import load_sketch
from installation.outputs.png import decode_png
from installation.outputs.sheet import contact_sheet
from installation.simulation import ACT_NAMES, create_world, step


@pytest.mark.slow
def test_act_marks_follow_the_seeds_own_acts():
    sketch = load_sketch("verdantia")
    seed = 12  # its glitches come and go before the sketch's mark at 26 s
    marks = act_marks(sketch, seed)
    assert [label for _, label, _ in marks] == [label for _, label in sketch.acts]
    assert all(found for *_, found in marks)
    assert any(t != mark for (t, *_), (mark, _) in zip(marks, sketch.acts, strict=True))
    # Replay the city and check each still's moment lies in the act it is named for.
    state = create_world(dataclasses.replace(sketch.world, seed=seed), sketch.model)
    dt = 1.0 / sketch.world.tick_hz
    wanted = sorted((round(t / dt), label) for t, label, _ in marks)
    seen = {}
    for _ in range(wanted[-1][0]):
        step(state, sketch.score.frame(state.tick, dt), dt)
        for w, label in wanted:
            if state.tick == w:
                seen[label] = ACT_NAMES[state.indices.act]
    assert seen == {label: label for _, label in wanted}


def test_story_spans_follow_the_path_to_the_ending():
    # A city that falls back: its outage flares again while it mends (seed 1717 of the story
    # does this). Its first mobilisation is the longer, but it is the second that leads to
    # the emergence; the crisis is the long outage, not the flare between the two.
    spans = [(1, 0, 9), (2, 9, 14), (3, 14, 30), (4, 30, 39), (3, 39, 47), (4, 47, 55), (5, 55, 75)]
    assert story_spans(spans) == {1: (0, 9), 2: (9, 14), 3: (14, 30), 4: (47, 55), 5: (55, 75)}
    # One that bonds, then drifts back to a rally after its emergence: the first rally.
    assert story_spans([(1, 0, 5), (3, 5, 20), (4, 20, 30), (5, 30, 50), (1, 50, 60)]) == {
        1: (0, 5),
        3: (5, 20),
        4: (20, 30),
        5: (30, 50),
    }
    # One that never gets past its glitches: its longest stretch of them.
    assert story_spans([(1, 0, 5), (2, 5, 20), (1, 20, 30), (2, 30, 32)]) == {1: (0, 5), 2: (5, 20)}


def test_a_contact_sheet_lays_out_labelled_stills():
    red = np.zeros((90, 160, 3), np.uint8)
    red[..., 0] = 200
    blue = np.zeros((90, 160, 3), np.uint8)
    blue[..., 2] = 200
    sheet = contact_sheet([("one", red), ("two", blue), ("three", red)], columns=2, width=100)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3
    assert sheet.shape[1] > 200 and sheet.shape[0] > 2 * 56  # two rows of 100x56 stills
    assert (sheet[..., 0] == 200).any() and (sheet[..., 2] == 200).any()
    with pytest.raises(ValueError):
        contact_sheet([])


@pytest.mark.slow
def test_canopy_stills_writes_each_act_and_a_contact_sheet(tmp_path, capsys):
    assert main(["stills", "--seed", "3", "--size", "192x108", "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == [
        "1-rally.png",
        "2-glitches.png",
        "3-summit-and-outage.png",
        "4-mobilisation.png",
        "5-emergence.png",
        "contact-sheet.png",
    ]
    sheet = decode_png((tmp_path / "contact-sheet.png").read_bytes())
    assert sheet.shape[1] > 3 * 192 * 0.9  # three columns at the default width
    assert "contact-sheet.png" in capsys.readouterr().out


def test_stills_come_back_in_the_order_asked_even_on_one_frame(ctx):
    sketch = load_sketch("verdantia")
    shots = render_stills(
        sketch, [(1.0, "late"), (0.5, "early"), (0.51, "again")], None, size=(64, 36), ctx=ctx
    )
    assert len(shots) == 3
    late, early, again = (frame for _, frame in shots)
    assert np.array_equal(early, again)  # 0.5 s and 0.51 s are one frame at 30 fps
    assert not np.array_equal(late, early)


def test_canopy_stills_strips_show_each_acts_motion(tmp_path):
    # --strip 10: per act, six frames from its still over 10 s, in one row; the frames of a
    # strip differ from one another (the act moves), and the first is the act's still.
    args = ["stills", "--sketch", "cascade", "--size", "160x90", "-o", str(tmp_path)]
    assert main([*args, "--strip", "10"]) == 0
    strips = sorted(p.name for p in tmp_path.glob("*-strip.png"))
    assert strips == ["1-before-strip.png", "2-cascade-strip.png", "3-repaired-strip.png"]
    strip = decode_png((tmp_path / "2-cascade-strip.png").read_bytes()).astype(int)
    assert strip.shape[1] > strip.shape[0] * 4  # one row of six
    still = decode_png((tmp_path / "2-cascade.png").read_bytes())
    assert still.shape == (90, 160, 3)
    w = strip.shape[1] // 6
    first, last = strip[:, :w], strip[:, 5 * w : 6 * w]
    assert np.abs(first - last).mean() > 1.0
