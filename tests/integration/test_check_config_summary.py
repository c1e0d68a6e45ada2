"""``canopy check-config`` explains a venue in words and warns about what this machine lacks.

The gallery example names two projectors (HDMI-1, HDMI-2) and a Scarlett 2i2 microphone that are not
here. Real processes; screens on a real X server (Xvfb).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from canopy_helpers import ROOT, Xvfb

GALLERY = str(ROOT / "hardware_config" / "gallery-example.toml")


def check(*args: str, display: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("STATE_DIRECTORY", None)
    if display is not None:
        env["DISPLAY"] = display
    return subprocess.run(
        [sys.executable, "-m", "installation", "check-config", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def xserver():
    x = Xvfb()
    yield x
    x.stop()


def lines_starting(out: str, prefix: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(prefix)]


def test_the_gallery_venue_in_words_with_warnings_and_status_0():
    r = check(GALLERY)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Config(" not in out and "OscConfig(" not in out  # no dataclass reprs
    assert "world: seed 20261125, 512x512 canopy, 6 communities, 200,000 citizens" in out
    assert "displays: 2" in out
    assert "left-projector: fullscreen on the screen whose name contains 'HDMI-1'" in out
    assert "else the one containing the desktop point (1920, 0)" in out
    assert "audio: the input whose name contains 'Scarlett 2i2', 2 channels" in out
    (osc,) = lines_starting(out, "osc: ")
    assert "0.0.0.0:9000" in osc and "192.168.40.0/24, 127.0.0.0/8" in osc
    assert "4 mappings" in osc and "192.168.40.20:9001" in osc
    assert "schedule: open tue, wed, thu, fri, sat, sun 10:00-18:00" in out
    assert "show: gallery mode (only ctrl+shift+q quits), status on 127.0.0.1:8750" in out
    (folder,) = lines_starting(out, "data folder: ")
    assert folder.endswith("(the platform's state directory)")
    warnings = lines_starting(out, "warning: ")
    assert any("no display server" in w and "cannot be checked" in w for w in warnings)
    assert any("audio.device 'Scarlett 2i2': no microphone here matches it" in w for w in warnings)
    assert out.rstrip().endswith(f"# valid, with {len(warnings)} warnings about this machine")


def test_screens_the_machine_lacks_are_named(xserver):
    r = check(GALLERY, display=xserver.display)
    assert r.returncode == 0, r.stderr
    warnings = lines_starting(r.stdout, "warning: ")
    assert any("'left-projector': no screen matches 'HDMI-1'" in w for w in warnings), warnings
    assert any("'right-projector': no screen matches 'HDMI-2'" in w for w in warnings), warnings
    plain = check(display=xserver.display)  # the built-in default: the primary screen
    assert plain.returncode == 0 and "screen" not in "".join(lines_starting(plain.stdout, "warn"))


def test_a_missing_venue_shader_folder_is_a_warning(tmp_path):
    venue = tmp_path / "venue.toml"
    venue.write_text(f"[show]\nshader_dir = '{tmp_path / 'not-mounted'}'\n")
    r = check(str(venue))
    assert r.returncode == 0, r.stderr
    (warning,) = [w for w in lines_starting(r.stdout, "warning: ") if "shader_dir" in w]
    assert "does not exist" in warning and "built-in shaders" in warning
