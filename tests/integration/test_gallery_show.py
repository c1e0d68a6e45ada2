"""The gallery show as a real process.

Windows on a real X server (Xvfb), keys typed with xdotool, the status endpoint over HTTP, systemd's
notify socket, SIGTERM -> snapshot -> --resume, gallery hours, a killed input process, and a
shortened soak.
"""

from __future__ import annotations

import configparser
import json
import os
import signal
import socket
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from canopy_helpers import (
    ROOT,
    Xvfb,
    free_port,
    free_tcp_port,
    get_json,
    run_canopy,
    start_canopy,
    wait_health,
)


def venue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n{text}")
    return path


@pytest.fixture
def xserver():
    x = Xvfb()
    yield x
    x.stop()


def test_windows_on_a_real_x_server_draw_changing_frames_and_obey_the_operator(xserver, tmp_path):
    """Two displays (one whose screen is missing), gallery mode.

    Escape is ignored, H shows the HUD, S writes a screenshot, Space pauses, F goes fullscreen, the
    quit chord stops the show with a final snapshot.
    """
    config = venue(
        tmp_path,
        "[[displays]]\nname = 'left'\nsize = [480, 270]\nview = [0, 0, 0.5, 1]\n"
        "[[displays]]\nname = 'right'\nscreen = 'HDMI-9'\nsize = [320, 180]\n"
        "view = [0.5, 0, 0.5, 1]\n"
        "[show]\nmode = 'gallery'\nquit_chord = 'ctrl+shift+q'\nrender_scale = 0.75\n",
    )
    port = free_tcp_port()
    data = tmp_path / "data"
    import subprocess
    import sys

    show = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "installation",
            "run",
            "--config",
            str(config),
            "--data-dir",
            str(data),
            "--status-port",
            str(port),
        ],
        cwd=ROOT,
        env=xserver.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert show.stdout.readline().startswith("# ready")
        health = wait_health(port, lambda h: h["fps"] > 1.0)
        assert health["status"] == "degraded"  # the right projector is on the fallback
        assert [d["found"] for d in health["displays"]] == [True, False]
        first = xserver.screenshot(tmp_path / "a.png")
        time.sleep(1.5)
        second = xserver.screenshot(tmp_path / "b.png")
        for shot in (first, second):
            lit = shot[shot.max(axis=2) > 12]
            # The cloth covers about 80% of each picture; its rod, fringe and the wall are dark.
            assert len(lit) > 480 * 270 * 0.6, "the windows show nothing"
            assert len(np.unique(lit[::5], axis=0)) > 200, "the picture is flat"
        assert np.abs(first.astype(int) - second.astype(int)).mean() > 0.05, "frozen picture"
        xserver.keys("Escape")  # gallery mode: no effect
        assert show.poll() is None
        hud_off = xserver.screenshot(tmp_path / "c.png")
        xserver.keys("h", "s")
        time.sleep(1.0)
        hud_on = xserver.screenshot(tmp_path / "d.png")
        # The HUD's panel sits at the bottom-left of the main (480x270, centred) window.
        region = (slice(360 + 135 - 60, 360 + 135), slice(640 - 240, 640 - 240 + 200))
        assert np.abs(hud_on[region].astype(int) - hud_off[region].astype(int)).mean() > 8
        xserver.keys("space")  # pause
        paused = wait_health(port, lambda h: h["paused"])
        assert paused["status"] == "paused" and paused["inputs_ignored_while_paused"] == 0
        tick = paused["tick"]
        time.sleep(0.5)
        assert get_json(port)["tick"] == tick
        xserver.keys("f")  # the main window goes fullscreen on its screen
        time.sleep(2.0)
        full = xserver.screenshot(tmp_path / "e.png")
        # The picture fills the screen: the cloth (about 80% of it) lit, the rest its rod,
        # fringe and the wall around it.
        assert (full.max(axis=2) > 12).mean() > 0.7
        assert get_json(port)["gl_errors"] == 0
        xserver.keys("ctrl+shift+q")
        stdout, stderr = show.communicate(timeout=30)
    finally:
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    assert "stopped by operator" in stdout and "# snapshot: " in stdout
    assert "'right': no screen matches 'HDMI-9'" in stderr
    assert list((data / "screenshots").glob("canopy-*.png"))
    log_lines = [json.loads(x) for x in (data / "logs" / "canopy.log").read_text().splitlines()]
    assert any("HDMI-9" in x["message"] and x["level"] == "warning" for x in log_lines)


def test_headless_status_sigterm_snapshot_and_resume(tmp_path):
    """/health and /metrics answer; SIGTERM stops within 5 s with a final snapshot.

    --resume continues from that tick with the same state, and the journal of both runs replays.
    """
    port = free_tcp_port()
    data = tmp_path / "data"
    config = venue(tmp_path, "[show]\njournal = true\n")
    args = ("run", "--headless", "--config", str(config), "--size", "160x90", "--data-dir",
            str(data), "--status-port", str(port))  # fmt: skip
    show = start_canopy(*args)
    try:
        assert show.stdout.readline().startswith("# ready")
        health = wait_health(port, lambda h: h["tick"] > 30)
        for key in ("status", "uptime_s", "tick", "fps", "inputs", "osc_rejected", "audio"):
            assert key in health
        assert health["audio"]["state"] == "disabled" and health["status"] == "ok"
        assert 50 < health["memory_mb"] < 2000 and 0 < health["heap_in_use_mb"] < 2000
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert "# TYPE canopy_ticks_total counter" in metrics
        assert 'canopy_osc_rejected_total{reason="malformed"} 0.0' in metrics
        assert "# TYPE canopy_resident_memory_bytes gauge" in metrics
        t0 = time.monotonic()
        show.send_signal(signal.SIGTERM)
        stdout, stderr = show.communicate(timeout=30)
        assert time.monotonic() - t0 < 5.0
    finally:
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    assert "stopped by SIGTERM" in stdout
    tick = int(stdout.split("stopped by SIGTERM at tick ")[1].split(",")[0])
    state_hash = stdout.strip().splitlines()[-1].split()[-1]
    assert len(list((data / "snapshots").glob("snapshot-*.npz"))) == 1

    resumed = run_canopy(*args, "--resume", "--duration", "1.5")
    assert resumed.returncode == 0, resumed.stderr
    first = resumed.stdout.splitlines()[0]
    assert first.startswith("# resumed: ") and f"tick {tick} state-hash {state_hash}" in first
    assert f"tick {tick}" in resumed.stdout.splitlines()[1]  # ready, at the same tick
    end_tick = int(resumed.stdout.split(" at tick ")[1].split(",")[0])
    assert end_tick > tick + 20
    replay = run_canopy("replay", str(data / "journal"))
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip().splitlines()[-1] == resumed.stdout.strip().splitlines()[-1]


def test_closed_hours_black_watchdog_pings_and_a_killed_input_is_restarted(tmp_path):
    """Outside gallery hours the picture goes black.

    Meanwhile systemd hears READY, WATCHDOG pings and STOPPING; a killed OSC process comes back and
    is counted.
    """
    notify = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.settimeout(10)
    port = free_tcp_port()
    config = venue(
        tmp_path,
        "[schedule]\nalways_open = false\ndays = []\nclosed_picture = 'black'\nfade_s = 0.0\n",
    )
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "WATCHDOG_USEC": "400000"}
    import subprocess
    import sys

    show = subprocess.Popen(
        [sys.executable, "-m", "installation", "run", "--headless", "--config", str(config),
         "--size", "160x90", "--data-dir", str(tmp_path / "d"), "--status-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sock.recv(256) == b"READY=1"
        assert sock.recv(256).startswith(b"WATCHDOG=1")
        health = wait_health(port, lambda h: h["tick"] > 10)
        assert health["open"] is False and health["fade"] == 0.0
        children = Path(f"/proc/{show.pid}/task/{show.pid}/children").read_text().split()
        # (Each input process names itself: the OSC server is canopy-osc.)
        osc = [c for c in children if Path(f"/proc/{c}/comm").read_text().strip() == "canopy-osc"]
        assert len(osc) == 1
        os.kill(int(osc[0]), signal.SIGKILL)
        # The restart is launched without stopping the loop; the show is whole again once
        # the new process listens.
        health = wait_health(port, lambda h: h["osc_restarts"] >= 1 and h["status"] == "ok")
        assert health["osc_restarts"] == 1
        show.send_signal(signal.SIGTERM)
        stdout, stderr = show.communicate(timeout=30)
        messages = []
        sock.settimeout(0.5)
        try:
            while True:
                messages.append(sock.recv(256))
        except TimeoutError:
            pass
    finally:
        if show.poll() is None:
            show.kill()
        sock.close()
    assert show.returncode == 0, stderr
    assert b"STOPPING=1" in messages
    assert "OSC server process is down" in stderr
    assert "restarts 1" in stdout


def test_shortened_soak_passes():
    r = run_canopy("soak", "--minutes", "0.35", "--size", "320x180", "--json", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["passed"] and report["osc_accepted"] > 1000 and report["osc_rejected"] > 50
    assert report["memory_growth"] < 0.05 and report["frame_gap_ms_max"] <= 100.0
    # The suite runs two tests at once on two cores, so the show may fall behind now and
    # then and give up a tick (CI once dropped 1 of ~630): what is bounded here is that the
    # backlog stays rare. None at all is the live benchmark's check, on a quiet machine.
    assert report["dropped_ticks"] <= report["ticks"] // 100, report
    assert report["glitches"] >= report["cascades"] >= 0
    assert 0 < report["heap_mb_after_warmup"] < report["rss_mb_after_warmup"]


def test_the_systemd_unit_restarts_the_show_and_watches_it():
    unit = configparser.ConfigParser(strict=False)
    unit.optionxform = str
    unit.read(ROOT / "hardware_config" / "systemd" / "canopy.service")
    service = unit["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 0 and "canopy run" in service["ExecStart"]
    assert "--resume" in service["ExecStart"]
    assert unit["Install"]["WantedBy"]


def test_a_taken_osc_port_does_not_stop_the_show(tmp_path):
    """Another program holds the OSC port.

    The show runs (degraded), retries with backoff, and listens as soon as the port is free.
    """
    port = free_port()
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", port))
    status = free_tcp_port()
    show = start_canopy(
        "run", "--headless", "--no-render", "--config", str(venue(tmp_path, "")),
        "--osc-port", str(port), "--status-port", str(status), "--data-dir", str(tmp_path),
    )  # fmt: skip
    try:
        health = wait_health(status, lambda h: h["tick"] > 5)
        assert health["status"] == "degraded" and "OSC input is down" in health["problems"]
        squatter.close()
        wait_health(status, lambda h: h["status"] == "ok", timeout=40)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(b"/canopy/ping\0\0\0\0,\0\0\0", ("127.0.0.1", port))
            assert s.recvfrom(256)[0].startswith(b"/canopy/pong")
        show.send_signal(signal.SIGTERM)
        _stdout, stderr = show.communicate(timeout=30)
    finally:
        squatter.close()
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    assert "cannot listen for OSC" in stderr and "keeps trying" in stderr
    assert "Traceback" not in stderr, stderr  # the server process leaves quietly, retried
