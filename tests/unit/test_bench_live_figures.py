"""The live benchmark's frame figures: the rate is the frames' own, not the window's."""

from __future__ import annotations

from installation.app.bench_live import _frame_figures


def test_an_exact_30_hz_run_is_30_fps_whatever_the_window():
    # 599 frames exactly 1/30 s apart span 19.93 s: a 20 s window counted 29.95 fps.
    times = [k / 30.0 for k in range(599)]
    figures = _frame_figures(times, 20.0)
    assert figures["fps"] == 30.0
    assert abs(figures["frame_ms_median"] - 1000 / 30) < 0.01


def test_a_lost_slot_lowers_the_rate():
    times = [k / 30.0 for k in range(300)]
    times = times[:150] + times[151:]  # one frame missed its slot: a 67 ms interval
    assert _frame_figures(times, 10.0)["fps"] == 29.9
