"""The gallery operator's path, with the show as a real process.

A full data disk (a real tmpfs) never turns a clean stop into a failure and shows in /health and
/metrics; stray folders named like snapshots never stop the show; the stop summary gives OSC rejects
by reason (real UDP on loopback).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from canopy_helpers import free_port, free_tcp_port, get_text, start_canopy, wait_health
from disk_helpers import full_disk
from pythonosc.osc_message_builder import OscMessageBuilder


def venue(tmp_path: Path, osc_port: int, show: str) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(f"[audio]\nenabled = false\n[osc]\nport = {osc_port}\n[show]\n{show}")
    return path


def stop(show: subprocess.Popen) -> None:
    """Kill a show the test gave up on; its input processes may hold the pipes a while."""
    if show.poll() is None:
        show.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            show.communicate(timeout=10)


def metric(text: str, name: str) -> float:
    (line,) = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
    return float(line.split()[-1])


@pytest.mark.slow
def test_a_full_data_disk_degrades_the_show_and_still_stops_cleanly(tmp_path):
    status = free_tcp_port()
    config = venue(tmp_path, free_port(), "snapshot_minutes = 0.1\n")  # every 6 s
    with full_disk(tmp_path / "disk") as disk:
        show = start_canopy(
            "run", "--headless", "--no-render", "--config", str(config), "--data-dir",
            str(disk), "--status-port", str(status),
        )  # fmt: skip
        try:
            health = wait_health(
                status, lambda h: any("snapshots failing" in p for p in h["problems"])
            )
            assert health["status"] == "degraded"
            assert "snapshots failing: [Errno 28] No space left on device" in health["problems"]
            assert "file logging stopped: No space left on device" in health["problems"]
            metrics = get_text(status, "/metrics")
            assert metric(metrics, "canopy_degraded") == 1.0
            assert metric(metrics, "canopy_last_snapshot_age_seconds") >= 5.0
            show.send_signal(signal.SIGTERM)
            stdout, stderr = show.communicate(timeout=30)
        finally:
            stop(show)
    assert show.returncode == 0, stderr
    assert "Traceback" not in stderr and "Logging error" not in stderr, stderr
    assert sum("file logging stopped" in line for line in stderr.splitlines()) == 1, stderr
    out = stdout.splitlines()
    assert "# snapshot: none written at the stop ([Errno 28] No space left on device)" in out
    assert any(line.startswith("# stopped by SIGTERM") for line in out)
    assert out[-1].startswith("state-hash: ")


def test_stray_snapshot_folders_do_not_stop_the_show_and_rejects_are_summed_by_reason(
    tmp_path,
):
    data = tmp_path / "data"
    strays = [
        data / "snapshots" / "snapshot-99999999T000000Z-tick0000000000.npz",
        data / "snapshots" / "snapshot-00000000T000000Z-tick0000000000.npz",
    ]
    for stray in strays:
        stray.mkdir(parents=True)
    osc, status = free_port(), free_tcp_port()
    config = venue(tmp_path, osc, "snapshots_kept = 1\n")
    show = start_canopy(
        "run", "--headless", "--no-render", "--config", str(config), "--data-dir", str(data),
        "--status-port", str(status),
    )  # fmt: skip
    try:
        wait_health(status, lambda h: h["tick"] > 0)  # listening (bounded, unlike a read)
        unknown = OscMessageBuilder("/canopy/nothing-here")
        unknown.add_arg(1.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(3):
                s.sendto(unknown.build().dgram, ("127.0.0.1", osc))
            for _ in range(5):
                s.sendto(b"not OSC at all", ("127.0.0.1", osc))
        wait_health(status, lambda h: h["osc_rejected"] >= 8)
        show.send_signal(signal.SIGTERM)
        stdout, stderr = show.communicate(timeout=30)
    finally:
        stop(show)
    assert show.returncode == 0, stderr
    osc_line = next(line for line in stdout.splitlines() if line.startswith("# osc: "))
    assert osc_line == (
        "# osc: received 8, accepted 0, rejected 8 (malformed 5, unknown_address 3), restarts 0"
    )
    assert all(stray.is_dir() for stray in strays)
    written = [p for p in (data / "snapshots").iterdir() if p.is_file()]
    assert len(written) == 1 and f"# snapshot: {written[0]}" in stdout
