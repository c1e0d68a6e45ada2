"""The adaptive render scale's decision (``app/render_scale.py``), on synthetic frame times.

A frame's work is modelled as a fixed part plus a part proportional to the rendered area
(``scale**2``), as on llvmpipe; frames come at 30 per second of a simulated clock.
"""

from __future__ import annotations

import itertools
import tomllib

import numpy as np
import pytest

from installation.app.render_scale import HIGH, LOW, STEP, RenderScale, ladder
from installation.config import ConfigError, parse_config

FPS = 30.0
BUDGET = 1.0 / FPS


def run(
    scaler: RenderScale,
    work,
    seconds: float,
    start: float = 0.0,
) -> list[float]:
    """Feed ``seconds`` of frames; ``work(scale, i)`` is frame i's work. The factor per frame."""
    out = []
    for i in range(round(seconds * FPS)):
        now = start + i / FPS
        out.append(scaler.update(work(scaler.scale, i), now))
    return out


def area_cost(fixed: float, full: float, noise: float = 0.0, seed: int = 0):
    """Work of a frame: ``fixed`` plus ``full`` times the area, times (1 +- noise)."""
    rng = np.random.default_rng(seed)

    def work(scale: float, _i: int) -> float:
        return (fixed + full * scale**2) * (1.0 + noise * rng.uniform(-1.0, 1.0))

    return work


def reversals(scales: list[float]) -> int:
    """How often the scale changed direction (down then up, or up then down)."""
    moves = [np.sign(b - a) for a, b in itertools.pairwise(scales) if b != a]
    return sum(1 for a, b in itertools.pairwise(moves) if a != b)


def test_the_ladder_runs_from_max_to_min_in_steps():
    steps = ladder(0.5, 1.0)
    assert steps[0] == 1.0 and steps[-1] == 0.5
    ratios = np.array(steps[1:]) / np.array(steps[:-1])
    assert np.all(ratios >= STEP - 1e-6) and np.all(ratios < 1.0)
    assert ladder(0.8, 0.8) == (0.8,)
    with pytest.raises(ValueError):
        ladder(1.0, 0.5)


def test_it_lowers_under_load_and_holds_the_target():
    # 70 ms a frame at full size (llvmpipe at 1280x720): far over the 33 ms budget.
    scaler = RenderScale(FPS, 0.3, 1.0)
    scales = run(scaler, area_cost(0.008, 0.062, noise=0.1), 20.0)
    assert scaler.scale < 1.0
    assert LOW * BUDGET <= 0.008 + 0.062 * scaler.scale**2 <= HIGH * BUDGET
    assert reversals(scales) == 0
    # It settles within a few seconds, and stays.
    assert len(set(scales[5 * 30 :])) == 1
    assert scaler.describe()["changes"] == scaler.changes <= 3


def test_it_raises_with_headroom_and_only_one_step_at_a_time():
    scaler = RenderScale(FPS, 0.5, 1.0)
    heavy = area_cost(0.008, 0.062)
    run(scaler, heavy, 10.0)
    low = scaler.scale
    assert low < 1.0
    # The renderer gets faster (another program stopped): the scale climbs back, by steps.
    light = area_cost(0.003, 0.012)
    scales = run(scaler, light, 30.0, start=10.0)
    assert scaler.scale == 1.0
    climbed = sorted(set(scales))
    index = {s: i for i, s in enumerate(scaler.steps)}
    assert all(index[a] - index[b] == 1 for a, b in itertools.pairwise(climbed))
    # Each raise waited for the headroom to last.
    changes_at = [i for i in range(1, len(scales)) if scales[i] != scales[i - 1]]
    gaps = np.diff(changes_at) / FPS
    assert np.all(gaps >= 3.0)


def test_it_holds_inside_the_dead_band():
    scaler = RenderScale(FPS, 0.5, 1.0)
    # Work at 0.6-0.75 of the budget (noise included): between LOW and HIGH.
    middle = (LOW + HIGH) / 2 * BUDGET
    scales = run(scaler, lambda s, i: middle * (1 + 0.1 * np.sin(i)), 60.0)
    assert set(scales) == {1.0} and scaler.changes == 0


@pytest.mark.parametrize("threshold", [HIGH, LOW])
def test_a_noisy_signal_at_a_threshold_does_not_oscillate(threshold):
    # All the work scales with the area (the worst case for a raise), sitting on the
    # threshold at factor 0.81 with +-25% noise, for ten minutes.
    scaler = RenderScale(FPS, 0.5, 1.0)
    scaler.index = scaler.steps.index(0.81)
    full = threshold * BUDGET / 0.81**2
    scales = run(scaler, area_cost(0.0, full, noise=0.25, seed=3), 600.0)
    assert scaler.changes <= 1
    assert reversals(scales) == 0


def test_a_spiky_signal_does_not_move_it():
    # One frame in ten takes four times as long (a cascade's tick, a collection): the median
    # of the window ignores them.
    scaler = RenderScale(FPS, 0.5, 1.0)
    base = 0.6 * BUDGET
    scales = run(scaler, lambda s, i: base * (4.0 if i % 10 == 0 else 1.0), 60.0)
    assert scaler.changes == 0 and set(scales) == {1.0}


def test_a_raise_that_is_undone_backs_off_the_next():
    # A renderer whose cost jumps above the band one step up (not proportional to the area):
    # the raise is undone, and the raises after it wait four times as long each time.
    scaler = RenderScale(FPS, 0.5, 1.0)
    scaler.index = 1  # 0.9

    def cliff(scale: float, _i: int) -> float:
        return (0.95 if scale == 1.0 else 0.5) * BUDGET

    scales = run(scaler, cliff, 300.0)
    ups = [i / FPS for i, (a, b) in enumerate(itertools.pairwise(scales)) if b > a]
    # At 3 s, then 12 s, 48 s and 192 s after each undoing (without backing off: every 4 s).
    assert len(ups) == 4
    assert np.all(np.diff(np.diff(ups)) > 0)
    assert scaler.raise_after_s == 600.0


def test_it_respects_its_bounds():
    scaler = RenderScale(FPS, 0.6, 0.9)
    assert scaler.scale == 0.9  # it starts at its largest
    run(scaler, lambda s, i: 10 * BUDGET, 30.0)  # hopelessly slow
    assert scaler.scale == 0.6
    run(scaler, lambda s, i: 0.01 * BUDGET, 120.0, start=30.0)  # very fast
    assert scaler.scale == 0.9


def test_disabled_it_stays_at_one():
    scaler = RenderScale(FPS, 0.5, 0.8, enabled=False)
    run(scaler, lambda s, i: 10 * BUDGET, 10.0)
    assert scaler.scale == 1.0 and scaler.changes == 0
    assert scaler.describe()["adaptive"] is False


def load_config_text(text: str):
    return parse_config(tomllib.loads(text), "venue.toml")


def test_the_venue_declares_it_and_bad_bounds_are_one_clear_error():
    show = load_config_text(
        "[show]\nadaptive_scale = true\ntarget_fps = 25\nmin_scale = 0.4\nmax_scale = 0.9\n"
    ).show
    scaler = RenderScale.from_config(show)
    assert scaler.steps[0] == 0.9 and scaler.steps[-1] == 0.4
    assert scaler.budget_s == pytest.approx(1 / 25)
    with pytest.raises(
        ConfigError, match=r"venue\.toml: show\.min_scale: 0\.9 is above max_scale \(0\.5\)"
    ):
        load_config_text("[show]\nmin_scale = 0.9\nmax_scale = 0.5\n")
    with pytest.raises(ConfigError, match=r"show\.target_fps: 50 is above max_fps \(40\)"):
        load_config_text("[show]\ntarget_fps = 50\nmax_fps = 40\n")
    with pytest.raises(ConfigError, match=r"show\.adaptive_scale: expected true or false"):
        load_config_text('[show]\nadaptive_scale = "yes"\n')
