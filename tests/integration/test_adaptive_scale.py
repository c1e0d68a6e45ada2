"""The headless show's adaptive render scale, as a real process: ``/health`` and ``/metrics``.

A venue whose target frame rate no renderer here can hold (240 fps: a frame's work would have
to fit in 3.3 ms) makes the scale fall to its smallest; without the adaptive scale the
picture keeps its size. Both read over HTTP from the running show.
"""

from __future__ import annotations

import signal
from pathlib import Path

from canopy_helpers import free_port, free_tcp_port, get_text, start_canopy, wait_health


def run_headless(tmp_path: Path, show: str):
    venue = tmp_path / "venue.toml"
    venue.write_text(f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n[show]\n{show}")
    port = free_tcp_port()
    process = start_canopy(
        "run", "--headless", "--config", str(venue), "--size", "320x180",
        "--data-dir", str(tmp_path / "data"), "--status-port", str(port),
    )  # fmt: skip
    return process, port


def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_a_show_that_cannot_hold_its_target_renders_smaller_and_says_so(tmp_path):
    show = "max_fps = 240\ntarget_fps = 240\nmin_scale = 0.5\nmax_scale = 0.9\n"
    process, port = run_headless(tmp_path, show)
    try:
        assert process.stdout.readline().startswith("# ready")
        health = wait_health(port, lambda h: h["render"]["scale"] == 0.5, timeout=60)
        render = health["render"]
        assert render["size"] == [160, 90] and render["adaptive"] is True
        assert render["target_fps"] == 240.0 and 1 <= render["changes"] <= 4
        assert "canopy_render_scale 0.5" in get_text(port, "/metrics")
    finally:
        if process.poll() is None:
            stop(process)


def test_without_the_adaptive_scale_the_show_renders_at_its_size(tmp_path):
    process, port = run_headless(tmp_path, "adaptive_scale = false\n")
    try:
        assert process.stdout.readline().startswith("# ready")
        health = wait_health(port, lambda h: h["render"]["work_ms"] is not None)
        render = health["render"]
        assert render["work_ms"] > 0
        assert {k: v for k, v in render.items() if k != "work_ms"} == {
            "scale": 1.0,
            "adaptive": False,
            "changes": 0,
            "target_fps": 30.0,
            "size": [320, 180],
        }
    finally:
        if process.poll() is None:
            stop(process)
