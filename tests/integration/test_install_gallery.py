"""Installing the show on a gallery machine.

The script scripts/install_gallery.sh runs for real into a temporary home, and the unit it writes
checked by systemd's own ``systemd-analyze --user verify`` (which also checks that ExecStart's
program exists).

No user manager is reachable here (no systemd as PID 1, no session bus), which is exactly
the "installed over ``sudo -u``" case: the script must enable the unit (symbolic links only)
and print the command to start it later. ``XDG_RUNTIME_DIR`` points at an empty folder so
``systemctl --user`` can never reach a real manager of the machine running the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from canopy_helpers import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (apt: systemd)"
)


def home_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    home.mkdir(exist_ok=True)
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_RUNTIME_DIR=str(runtime),
        CANOPY_ALLOW_ROOT="1",  # the test may run as root; a gallery runs it as the kiosk user
    )
    env.pop("XDG_STATE_HOME", None)
    return env


def install(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "install_gallery.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def verify(unit: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def odd_checkout(tmp_path: Path) -> Path:
    """A checkout whose path has a space, '%' and '$' (legal on disk, special in a unit).

    It holds the installer and the template, with .venv/bin/canopy linked to the real one.
    """
    root = tmp_path / "gallery pc%1$HOME"
    (root / "scripts").mkdir(parents=True)
    (root / "hardware_config" / "systemd").mkdir(parents=True)
    (root / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "install_gallery.sh", root / "scripts")
    shutil.copy(
        ROOT / "hardware_config" / "systemd" / "canopy.service",
        root / "hardware_config" / "systemd",
    )
    (root / ".venv" / "bin" / "canopy").symlink_to(ROOT / ".venv" / "bin" / "canopy")
    return root


def unit_settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


@pytest.mark.parametrize("where", ["this checkout", "a checkout at an odd path"])
def test_installed_user_unit_passes_systemd_verify_and_reinstalls_idempotently(tmp_path, where):
    root = ROOT if where == "this checkout" else odd_checkout(tmp_path)
    venue = tmp_path / "east gallery.toml"
    shutil.copy(ROOT / "hardware_config" / "gallery-example.toml", venue)
    env = home_env(tmp_path)
    config = Path(env["XDG_CONFIG_HOME"])

    r = install(root, env, str(venue), "--no-setup")
    assert r.returncode == 0, r.stdout + r.stderr
    unit = config / "systemd" / "user" / "canopy.service"
    text = unit.read_text()
    assert "@CANOPY_ROOT@" not in text and "@VENUE@" not in text

    checked = verify(unit, env)
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr

    s = unit_settings(text)
    assert s["Type"] == ["notify"] and s["WatchdogSec"] == ["30"] and "StateDirectory" not in s
    assert s["PartOf"] == ["graphical-session.target"] and s["WantedBy"] == [
        "graphical-session.target"
    ]
    assert s["Restart"] and s["RestartSec"] and s["StartLimitBurst"] and s["KillMode"] == ["mixed"]
    assert "User" not in s  # a user unit runs as its user
    (exec_start,) = s["ExecStart"]
    program = str(root).replace("%", "%%").replace(" ", "\\s") + "/.venv/bin/canopy"
    assert exec_start.startswith(program + " run --config ") and exec_start.endswith("--resume")
    assert "east\\sgallery.toml" in exec_start  # the venue's absolute path, escaped for systemd
    assert str(tmp_path).replace(" ", "\\s") in exec_start
    # Enabled without a manager (it only links), and the session hook is there.
    wants = config / "systemd" / "user" / "graphical-session.target.wants" / "canopy.service"
    assert wants.is_symlink() and wants.resolve() == unit.resolve()
    desktop = (config / "autostart" / "canopy.desktop").read_text()
    assert "import-environment DISPLAY" in desktop and "start canopy.service" in desktop
    assert "systemctl --user daemon-reload && systemctl --user restart canopy.service" in r.stdout

    again = install(root, env, str(venue), "--no-setup")
    assert again.returncode == 0, again.stderr
    assert unit.read_text() == text and "is current" in again.stdout

    gone = install(root, env, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert (
        not unit.exists()
        and not wants.is_symlink()  # not even dangling
        and not (config / "autostart" / "canopy.desktop").exists()
    )
    assert install(root, env, "--uninstall").returncode == 0  # and again: nothing to do


def test_a_broken_venue_installs_nothing(tmp_path):
    venue = tmp_path / "bad.toml"
    venue.write_text('[osc]\nhost = "999.1.1.1"\n')
    env = home_env(tmp_path)
    r = install(ROOT, env, str(venue), "--no-setup")
    assert r.returncode == 2
    assert "osc.host" in r.stderr and "nothing was installed" in r.stderr
    assert not (Path(env["XDG_CONFIG_HOME"]) / "systemd").exists()
    missing = install(ROOT, env, "--no-setup")
    assert missing.returncode == 2 and "say which venue" in missing.stderr


def test_the_readmes_install_commands_as_written(tmp_path):
    """The README's "Installing on a gallery machine", followed word for word.

    On this checkout: `make install-gallery VENUE=...` (set-up included: already done here,
    so quick and offline), then `make uninstall-gallery`.
    """
    venue = tmp_path / "venue.toml"
    shutil.copy(ROOT / "hardware_config" / "gallery-example.toml", venue)
    env = home_env(tmp_path)
    unit = Path(env["XDG_CONFIG_HOME"]) / "systemd" / "user" / "canopy.service"

    def make(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "-C", str(ROOT), *args],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    r = make("install-gallery", f"VENUE={venue}")
    assert r.returncode == 0, r.stdout + r.stderr
    checked = verify(unit, env)
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr
    assert make("uninstall-gallery").returncode == 0 and not unit.exists()
