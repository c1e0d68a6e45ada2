"""The gallery operator's path, with the real show as a process.

Windows on the heads of a Xinerama desktop (a real Xvfb with two heads), at their configured
positions; a venue's own shader folder hot-reloaded into the tapestry and the windows; the
shader-error panel on the operator's window only and never in screenshots; a missing shader folder
and a status endpoint that refuses loopback, headless.

Xvfb (21.1) puts every Xinerama head at the desktop's origin, so the heads here differ in
size: a window centred on the second head (800x600) lands elsewhere than one centred on the
first (1280x720), which tells where it went.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from canopy_helpers import ROOT, Xvfb, free_port, start_canopy

SHADERS = ROOT / "shaders"


class XineramaXvfb(Xvfb):
    """Xvfb with two screens joined by Xinerama: one X screen, two heads."""

    def __init__(self) -> None:
        super().__init__("1280x720x24", "+xinerama", "-screen", "1", "800x600x24")

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(
            ["xdotool", *args], env=self.env(), capture_output=True, text=True, timeout=30
        )
        return out.stdout

    def geometry(self, title_end: str) -> tuple[int, int, int, int]:
        """x, y, width, height of the window whose title ends with ``title_end``."""
        text = self.xdotool("search", "--name", f"{title_end}$", "getwindowgeometry")
        pos = re.search(r"Position: (-?\d+),(-?\d+)", text)
        size = re.search(r"Geometry: (\d+)x(\d+)", text)
        assert pos and size, text
        return int(pos[1]), int(pos[2]), int(size[1]), int(size[2])

    def key_at(self, x: int, y: int, *keys: str) -> None:
        """Type keys into the window under (x, y).

        No window manager: focus follows the pointer.
        """
        args = ["mousemove", str(x), str(y), "sleep", "0.2"]
        for k in keys:
            args += ["key", k, "sleep", "0.3"]
        self.xdotool(*args)


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
        return json.loads(r.read())


def wait_for(predicate, timeout: float = 30.0, what: str = "the show"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} never got there (last: {last})")


def screenshots(folder: Path) -> list[Path]:
    return sorted(folder.glob("canopy-*.png"), key=lambda p: p.stat().st_mtime_ns)


def png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(int)


@pytest.mark.slow
def test_heads_positions_venue_shaders_and_the_operators_error_panel(tmp_path):
    venue_shaders = tmp_path / "venue-shaders"
    venue_shaders.mkdir()
    config = tmp_path / "venue.toml"
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n"
        "[[displays]]\nname = 'operator'\nscreen = 'xinerama-0'\nsize = [400, 225]\n"
        "position = [860, 480]\nview = [0, 0, 0.5, 1]\n"
        "[[displays]]\nname = 'wall'\nscreen = 'xinerama-1'\nsize = [320, 180]\n"
        "view = [0.5, 0, 0.5, 1]\n"
        # The pictures are compared across seconds: the adaptive scale must not change
        # their resolution meanwhile (on a loaded machine it might).
        f"[show]\nshader_dir = '{venue_shaders}'\nadaptive_scale = false\n"
    )
    port = free_tcp_port()
    data = tmp_path / "data"
    x = XineramaXvfb()
    show = subprocess.Popen(
        [sys.executable, "-m", "installation", "run", "--config", str(config), "--data-dir",
         str(data), "--status-port", str(port)],
        cwd=ROOT, env=x.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert show.stdout.readline().startswith("# ready")
        h = wait_for(lambda: (r := health(port))["fps"] > 1.0 and r, what="frames")
        # Both heads found by name; the second display is on the second head.
        assert [d["found"] for d in h["displays"]] == [True, True], h
        assert x.geometry("operator") == (860, 480, 400, 225)  # its configured position
        assert x.geometry("wall") == ((800 - 320) // 2, (600 - 180) // 2, 320, 180)

        operator = (slice(480, 705), slice(860, 1260))
        wall = (slice(210, 390), slice(240, 560))
        x.key_at(1060, 590, "space")  # pause: the picture stands still
        wait_for(lambda: health(port)["paused"], what="the pause")
        time.sleep(1.0)
        x.key_at(1060, 590, "s")
        before = x.screenshot(tmp_path / "before.png").astype(int)

        # A broken edit of the venue's cloth.frag: the last good program keeps drawing,
        # and the error is shown on the operator's window only.
        broken = (SHADERS / "cloth.frag").read_text().replace("void main() {", "void main() {@")
        (venue_shaders / "cloth.frag").write_text(broken)
        time.sleep(2.0)
        x.key_at(1060, 590, "s")
        after = x.screenshot(tmp_path / "after.png").astype(int)
        panel = np.abs(after[operator] - before[operator]).max(axis=2) > 0
        rows, cols = np.nonzero(panel)
        assert panel.sum() > 500, "no error panel on the operator's window"
        assert rows.max() < 225 // 2 and cols.min() >= 4  # at its top left
        assert np.array_equal(after[wall], before[wall]), "the panel reached the wall"
        shots = wait_for(lambda: len(s := screenshots(data / "screenshots")) >= 2 and s)
        assert np.array_equal(png(shots[0]), png(shots[1])), "the panel is in the picture"

        # The venue's present.frag is hot-reloaded into both windows (a red-only view), and
        # removing the broken cloth.frag clears the panel.
        present = (
            (SHADERS / "present.frag")
            .read_text()
            .replace("vec4(colour, 1.0);", "vec4(colour * vec3(1.0, 0.0, 0.0), 1.0);")
        )
        assert "vec3(1.0, 0.0, 0.0)" in present
        (venue_shaders / "present.frag").write_text(present)
        (venue_shaders / "cloth.frag").unlink()
        time.sleep(2.0)
        red = x.screenshot(tmp_path / "red.png").astype(int)
        for region in (operator, wall):
            assert red[region][..., 0].max() > 60, "the picture went black"
            assert red[region][..., 1:].max() == 0, "the venue's present.frag is not used"
        assert health(port)["gl_errors"] == 0
        show.send_signal(signal.SIGTERM)
        _stdout, stderr = show.communicate(timeout=30)
    finally:
        if show.poll() is None:
            show.kill()
        x.stop()
    assert show.returncode == 0, stderr
    assert "no screen matches" not in stderr
    assert stderr.count("shader cloth failed to compile, keeping the last good one") == 1
    assert f"{venue_shaders / 'cloth.frag'}:" in stderr


def test_headless_missing_shader_folder_and_a_status_endpoint_closed_to_loopback(tmp_path):
    missing = tmp_path / "not-mounted"
    config = tmp_path / "venue.toml"
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n"
        f"[show]\nshader_dir = '{missing}'\nstatus_allowed = ['192.0.2.0/24']\n"
    )
    port = free_tcp_port()
    show = start_canopy(
        "run", "--headless", "--size", "160x90", "--duration", "4", "--config", str(config),
        "--data-dir", str(tmp_path / "data"), "--status-port", str(port),
    )  # fmt: skip
    try:
        assert show.stdout.readline().startswith("# ready")
        # Loopback is not in the venue's allowlist: 403, and nothing of the show's figures.
        deadline = time.monotonic() + 30
        answer = b""
        while not answer and time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=5) as s,
            ):
                s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
                answer = s.recv(4096)
            time.sleep(0.2)
        assert answer.startswith(b"HTTP/1.0 403") and b"tick" not in answer, answer
        stdout, stderr = show.communicate(timeout=60)
    finally:
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    assert "state-hash: " in stdout
    message = f"show.shader_dir: the folder '{missing}' does not exist"
    assert stderr.count(message) == 1, stderr
    assert "the show starts with the built-in shaders" in stderr
    assert "web: refused a request from 127.0.0.1" in stderr


@pytest.mark.slow
def test_projection_calibration_keys_are_saved_and_shown_after_a_restart(tmp_path):
    calibration = tmp_path / "wall-calibration.json"
    config = tmp_path / "venue.toml"
    osc_port = free_port()
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {osc_port}\n"
        "[[displays]]\nname = 'wall'\nscreen = 'xinerama-0'\nsize = [320, 180]\n"
        "position = [100, 100]\n"
        f"[show]\ncalibration = '{calibration}'\nadaptive_scale = false\n"
    )
    x = XineramaXvfb()
    window = (slice(100, 280), slice(100, 420))

    def run_show() -> subprocess.Popen:
        show = subprocess.Popen(
            [sys.executable, "-m", "installation", "run", "--config", str(config),
             "--data-dir", str(tmp_path / "data"), "--status-port", str(port)],
            cwd=ROOT, env=x.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert show.stdout.readline().startswith("# ready")
        wait_for(lambda: health(port)["fps"] > 1.0, what="frames")
        return show

    def stop(show: subprocess.Popen) -> str:
        show.send_signal(signal.SIGTERM)
        _stdout, stderr = show.communicate(timeout=30)
        assert show.returncode == 0, stderr
        return stderr

    port = free_tcp_port()
    try:
        show = run_show()
        plain = x.screenshot(tmp_path / "plain.png")[window]
        assert plain[:20, :20].max() > 0  # the picture fills the window to its corner
        # Calibration mode; the top left corner nudged right, five times ten thousandths.
        x.key_at(260, 190, "c", *["shift+Right"] * 5)
        time.sleep(1.0)
        grid = x.screenshot(tmp_path / "grid.png")[window]
        assert grid[1, :8].max() == 0 and grid[1, 30:60].max() > 0  # the corner moved 16 px
        x.key_at(260, 190, "c")  # and back to the picture
        stop(show)
        saved = json.loads(calibration.read_text())["displays"]["wall"]["corners"]
        assert np.allclose(saved, [[0.05, 0.0], [1, 0], [1, 1], [0, 1]])
        text = calibration.read_text()

        show = run_show()  # the restarted show reads it back and shows it
        time.sleep(1.0)
        again = x.screenshot(tmp_path / "again.png")[window]
        assert again[1, :8].max() == 0 and again[1, 30:60].max() > 0
        assert again[150:170, :20].max() > 0  # the other corners stay
        assert calibration.read_text() == text  # unchanged by the restart
        # A controller pins the bottom left corner over OSC; a wrong display is only logged.
        from pythonosc.udp_client import SimpleUDPClient

        client = SimpleUDPClient("127.0.0.1", osc_port)
        client.send_message("/canopy/calibrate/hall/corner", [3, 0.1, 1.0])
        client.send_message("/canopy/calibrate/wall/corner", [3, 0.1, 1.0])
        wait_for(lambda: "0.1" in calibration.read_text(), what="the OSC calibration")
        corners = json.loads(calibration.read_text())["displays"]["wall"]["corners"]
        assert np.allclose(corners, [[0.05, 0.0], [1, 0], [1, 1], [0.1, 1]])
        time.sleep(1.0)
        moved = x.screenshot(tmp_path / "moved.png")[window]
        assert moved[178, :10].max() == 0 and moved[178, 60:90].max() > 0
        stderr = stop(show)
        assert "OSC calibration not applied: no display 'hall'" in stderr
    finally:
        if show.poll() is None:
            show.kill()
        x.stop()
