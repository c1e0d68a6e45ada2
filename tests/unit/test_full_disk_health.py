"""A full disk (a real tmpfs, filled) degrades quietly.

File logging stops with one line, snapshots fail without stopping anything, and ``/health`` and
``/metrics`` say so; the status figures also carry the live parameters, the snapshot age and
monotonic counters.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest
from disk_helpers import full_disk

from installation.app.live import Show, ShowOptions
from installation.app.logs import file_logging_problem, setup_logging, stop_logging
from installation.config import AudioConfig, Config, OscConfig, ShowConfig, live_parameters
from installation.inputs import SetParam
from installation.inputs.status import metrics_text
from installation.simulation import apply_events


@pytest.fixture
def disk(tmp_path):
    with full_disk(tmp_path / "disk") as path:
        yield path


def test_logging_to_a_full_disk_stops_with_one_line_and_never_raises(disk, capsys):
    handlers = setup_logging(disk / "logs")
    try:
        log = logging.getLogger("installation.test")
        for i in range(30):
            log.error("event %d", i)
    finally:
        stop_logging(handlers)  # flushing a full disk must not raise either
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    stopped = [line for line in err.splitlines() if "file logging stopped" in line]
    assert len(stopped) == 1 and "No space left on device" in stopped[0]
    assert sum(line.startswith("canopy ERROR: event ") for line in err.splitlines()) == 30
    assert file_logging_problem() == "file logging stopped: No space left on device"
    # A new run starts with file logging whole again.
    stop_logging(setup_logging(None))
    assert file_logging_problem() == ""


def test_file_logging_resumes_once_the_disk_has_room(disk, capsys, monkeypatch):
    import installation.app.logs as logs

    monkeypatch.setattr(logs, "RETRY_S", 0.0)  # the show tries once a minute
    handlers = setup_logging(disk / "logs")
    try:
        log = logging.getLogger("installation.test")
        for i in range(10):
            log.error("full %d", i)  # fails; every later record tries again, quietly
        assert file_logging_problem().startswith("file logging stopped")
        (disk / "filler").unlink()  # the operator makes room
        log.error("room again")
        assert file_logging_problem() == ""
    finally:
        stop_logging(handlers)
    err = capsys.readouterr().err
    assert sum("file logging stopped" in line for line in err.splitlines()) == 1
    assert "again" in err and "Traceback" not in err
    assert "room again" in (disk / "logs" / "canopy.log").read_text()
    # A new run starts with file logging whole again.
    stop_logging(setup_logging(None))
    assert file_logging_problem() == ""


def show_on(data_dir, small_world) -> Show:
    config = Config(
        world=small_world,
        audio=AudioConfig(enabled=False),
        osc=OscConfig(enabled=False),
        show=dataclasses.replace(ShowConfig(), snapshots_kept=2),
    )
    return Show(config, ShowOptions(render=False, data_dir=data_dir))


def metric(show: Show, name: str) -> float:
    lines = [
        ln for ln in metrics_text(show.metrics())[0].decode().splitlines() if ln.startswith(name)
    ]
    assert len(lines) == 1, lines
    return float(lines[0].split()[-1])


def test_failing_snapshots_degrade_health_until_one_is_written_again(disk, small_world):
    show = show_on(disk, small_world)
    show.telemetry.started = time.monotonic() - 42.0  # 42 s without a good snapshot
    assert show.snapshot() is None
    health = show.health()
    assert health["status"] == "degraded"
    assert "snapshots failing: [Errno 28] No space left on device" in health["problems"]
    assert health["last_snapshot_age_s"] is None
    assert metric(show, "canopy_degraded") == 1.0
    assert 42.0 <= metric(show, "canopy_last_snapshot_age_seconds") < 60.0
    assert not list((disk / "snapshots").iterdir())  # no temporary left on the full disk
    (disk / "filler").unlink()  # the operator makes room
    assert show.snapshot() is not None
    health = show.health()
    assert health["status"] == "ok" and health["snapshot_error"] is None
    assert metric(show, "canopy_degraded") == 0.0
    assert metric(show, "canopy_last_snapshot_age_seconds") < 5.0


def test_health_shows_live_parameters_and_metrics_the_new_figures(tmp_path, small_world):
    show = show_on(tmp_path, small_world)
    live = show.health()["live_parameters"]
    assert set(live) == set(live_parameters()) and live["noise"] == show.config.model.noise
    apply_events(show.state, [SetParam("noise", 0.0123)])  # as a controller's fader does
    assert show.health()["live_parameters"]["noise"] == 0.0123
    # Frames are the show's own count: a resize's new tapestry starts its count again.
    for _ in range(1234):
        show.telemetry.framed()
    assert metric(show, "canopy_frames_total") == 1234.0
    assert metric(show, "canopy_displays_found") == 0.0  # headless: no display
    assert metric(show, "canopy_gl_errors_total") == 0.0
    assert metric(show, "canopy_degraded") == 0.0
    text = metrics_text(show.metrics())[0].decode()
    for name in ("canopy_degraded", "canopy_displays_found", "canopy_last_snapshot_age_seconds"):
        assert f"# TYPE {name} gauge" in text
    assert "# TYPE canopy_gl_errors_total counter" in text
