"""A show started (or restarted) during closed hours starts at the closed level.

It must not flash the full picture and then fade over ``fade_s``. The clock is injected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from installation.app.live import Show, ShowOptions
from installation.app.schedule import Fader
from installation.config import Config, ScheduleConfig

HOURS = ScheduleConfig(always_open=False, open="10:00", close="18:00", dim_level=0.12, fade_s=60.0)
NIGHT = dt.datetime(2026, 11, 25, 23, 0)  # a Wednesday, closed
NOON = dt.datetime(2026, 11, 25, 12, 0)


def test_a_fader_started_at_night_is_dim_from_the_first_frame():
    fader = Fader(HOURS, NIGHT)
    assert fader.level == 0.12 and not fader.open
    assert fader.update(NIGHT, 1 / 60) == 0.12
    assert Fader(HOURS, NOON).level == 1.0
    black = dataclasses.replace(HOURS, closed_picture="black")
    assert Fader(black, NIGHT).level == 0.0


def test_without_a_start_time_the_first_update_sets_the_level_without_fading():
    fader = Fader(HOURS)
    assert fader.update(NIGHT, 1 / 60) == 0.12
    # From then on it fades as before: opening time brings it up over fade_s.
    up = fader.update(dt.datetime(2026, 11, 26, 10, 0), 6.0)
    assert 0.12 < up < 0.3


def test_the_live_show_starts_at_the_scheduled_level(small_world, tmp_path):
    config = Config(world=small_world, schedule=HOURS)
    config = dataclasses.replace(
        config,
        audio=dataclasses.replace(config.audio, enabled=False),
        osc=dataclasses.replace(config.osc, enabled=False),
    )
    options = ShowOptions(render=False, snapshots=False, data_dir=tmp_path, now=lambda: NIGHT)
    show = Show(config, options)
    assert show.fader.level == 0.12 and not show.fader.open
