"""Where the show writes by default, and operator mistakes that must name the setting.

By default the show writes to the platform's state directory, never the checkout. Operator
mistakes that must name the setting: a data folder that cannot be made, a file given to
--audio that is not sound, a host that is not an address. Real ``canopy`` processes, real files.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from canopy_helpers import ROOT, run_canopy

from installation.config import ShowConfig, load_config
from installation.config.paths import DataDirError, ensure_data_dir, resolve_data_dir

SMALL = (
    "[world]\nheight = 32\nwidth = 32\ncommunities = 4\ncitizens = 400\nnodes = 16\n"
    "growth_resolution = 16\n[audio]\nenabled = false\n[osc]\nenabled = false\n"
)


def canopy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_canopy(*args, env=env, timeout=120)


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "Errno" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("canopy: "), r.stderr
    return lines[0]


def test_the_data_folder_is_chosen_in_one_place():
    env = {"HOME": "/home/kiosk"}
    configured = ShowConfig(data_dir="/srv/show")
    assert resolve_data_dir(None, ShowConfig(), env) == Path("/home/kiosk/.local/state/canopy")
    assert resolve_data_dir(None, ShowConfig(), {**env, "XDG_STATE_HOME": "/x/state"}) == Path(
        "/x/state/canopy"
    )
    # A relative XDG_STATE_HOME is invalid by the XDG spec: ignored.
    assert resolve_data_dir(None, ShowConfig(), {**env, "XDG_STATE_HOME": "rel"}) == Path(
        "/home/kiosk/.local/state/canopy"
    )
    systemd = {**env, "XDG_STATE_HOME": "/x/state", "STATE_DIRECTORY": "/st/canopy:/st/other"}
    assert resolve_data_dir(None, ShowConfig(), systemd) == Path("/st/canopy")
    assert resolve_data_dir(None, configured, systemd) == Path("/srv/show")
    assert resolve_data_dir(Path("/cli"), configured, systemd) == Path("/cli")
    assert resolve_data_dir(None, ShowConfig(data_dir="~/d"), env) == Path("~/d").expanduser()
    # The shipped venues leave it to the platform: `make run` never writes into the checkout.
    assert load_config().show.data_dir == ""
    assert load_config(ROOT / "hardware_config" / "gallery-example.toml").show.data_dir == ""


def test_a_folder_that_cannot_be_made_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(DataDirError, match=r"data folder .*a-file/show: cannot create it: Not a"):
        ensure_data_dir(blocker / "show")
    with pytest.raises(DataDirError, match=r"data folder .*a-file: exists and is not a folder"):
        ensure_data_dir(blocker)
    assert ensure_data_dir(tmp_path / "new" / "show").is_dir()


@pytest.mark.parametrize("how", ["state home", "systemd"])
def test_run_writes_to_the_platforms_state_directory(tmp_path, how):
    venue = tmp_path / "venue.toml"
    venue.write_text(SMALL)
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_STATE_HOME", "STATE_DIRECTORY")}
    env["HOME"] = str(tmp_path / "home")
    expected = tmp_path / "home" / ".local" / "state" / "canopy"
    if how == "systemd":
        expected = tmp_path / "unit-state"
        env["STATE_DIRECTORY"] = str(expected)
    r = canopy("run", "--no-render", "--duration", "0.5", "--config", str(venue), env=env)
    assert r.returncode == 0, r.stderr
    assert list((expected / "snapshots").glob("snapshot-*.npz"))
    assert (expected / "logs" / "canopy.log").is_file()


def test_a_bad_data_folder_names_itself(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    venue = tmp_path / "venue.toml"
    venue.write_text(SMALL)
    line = one_line_error(
        canopy(
            "run",
            "--no-render",
            "--duration",
            "1",
            "--config",
            str(venue),
            "--data-dir",
            str(blocker / "show"),
        )
    )
    assert line == f"canopy: data folder {blocker / 'show'}: cannot create it: Not a directory"
    venue.write_text(SMALL + f'[show]\ndata_dir = "{blocker}"\n')
    line = one_line_error(canopy("run", "--no-render", "--duration", "1", "--config", str(venue)))
    assert line == f"canopy: data folder {blocker}: exists and is not a folder"
    # An explicit --journal that cannot be made: the recording asked for would be lost.
    args = ("run", "--no-render", "--duration", "1", "--config", str(venue))
    venue.write_text(SMALL)
    line = one_line_error(canopy(*args, "--journal", str(blocker / "journal")))
    assert line == f"canopy: --journal {blocker / 'journal'}: cannot create it: Not a directory"


def test_a_file_that_is_not_sound_names_the_option(tmp_path):
    text = tmp_path / "notaudio.txt"
    text.write_text("these are notes, not sound\n")
    out = tmp_path / "film.mp4"
    line = one_line_error(
        canopy(
            "render",
            "--audio",
            str(text),
            "--frames",
            "2",
            "--size",
            "64x64",
            "-o",
            str(out),
            "--quiet",
        )
    )
    assert line == (
        f"canopy: --audio {text}: not a sound file this build can read "
        "(Invalid data found when processing input)"
    )
    assert not out.exists()  # refused before anything was rendered
    line = one_line_error(canopy("render", "--audio", str(tmp_path / "nope.wav"), "-o", str(out)))
    assert (
        line
        == f"canopy: --audio {tmp_path / 'nope.wav'}: cannot read it: No such file or directory"
    )


def test_hosts_are_checked_when_the_venue_is_read(tmp_path):
    venue = tmp_path / "venue.toml"
    venue.write_text('[osc]\nhost = "999.1.1.1"\n')
    line = one_line_error(canopy("check-config", str(venue)))
    assert line == (
        f"canopy: {venue}: osc.host: '999.1.1.1' is not a valid IPv4 address "
        "(each of its 4 numbers is 0 to 255)"
    )
    line = one_line_error(canopy("run", "--no-render", "--osc-host", "999.1.1.1"))
    assert line.startswith("canopy: --osc-host: '999.1.1.1' is not a valid IPv4 address")
