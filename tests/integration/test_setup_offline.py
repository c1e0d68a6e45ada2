"""``make run`` works offline once set up.

The script scripts/setup.sh skips pip when its stamp says the locked dependencies are installed,
whichever set-up (run or test) left it, and whatever the files' modification times (a ``git pull``
or a copy changes them, not what they say).

The real scripts/setup.sh runs in a copy of the checkout's set-up files (so the shared
``.venv/`` is never touched), with a venv made without pip. ``python -m pip`` there is a
stand-in first on ``PYTHONPATH`` that records its arguments: installing the real packages
would need the network, which a test cannot have. It succeeds in the first set-up and
fails like an offline pip afterwards, and the index points nowhere (127.0.0.1:9) too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from canopy_helpers import ROOT

FAKE_PIP = """import os, sys
with open(os.environ["PIP_CALLS"], "a") as fh:
    fh.write(" ".join(sys.argv[1:]) + "\\n")
sys.exit(int(os.environ.get("PIP_EXIT", "0")))
"""


def checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts")
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, repo / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    trap = tmp_path / "trap" / "pip"
    trap.mkdir(parents=True)
    (trap / "__init__.py").write_text("")
    (trap / "__main__.py").write_text(FAKE_PIP)
    env = {
        **os.environ,
        "PYTHONPATH": str(trap.parent),
        "PIP_CALLS": str(tmp_path / "pip-calls.txt"),
        "PYTHON": sys.executable,
    }
    return repo, env


def setup(repo: Path, env: dict[str, str], mode: str, offline: bool):
    if offline:
        env = {**env, "PIP_EXIT": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/"}
    return subprocess.run(
        ["bash", str(repo / "scripts" / "setup.sh"), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def pip_calls(env: dict[str, str]) -> list[str]:
    path = Path(env["PIP_CALLS"])
    return path.read_text().splitlines() if path.exists() else []


def test_run_setup_after_a_test_setup_does_not_call_pip(tmp_path):
    repo, env = checkout(tmp_path)
    first = setup(repo, env, "test", offline=False)
    assert first.returncode == 0, first.stderr
    assert pip_calls(env) == ["install -q -c constraints.txt -e .[test,distributed]"]
    again = setup(repo, env, "run", offline=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(pip_calls(env)) == 1


def test_run_setup_twice_calls_pip_once_whatever_the_file_times(tmp_path):
    repo, env = checkout(tmp_path)
    first = setup(repo, env, "run", offline=False)
    assert first.returncode == 0, first.stderr
    assert pip_calls(env) == ["install -q -c constraints.txt -e ."]
    # A pull or a copy gives the files new times but the same contents: still set up.
    for name in ("pyproject.toml", "constraints.txt"):
        os.utime(repo / name)
    again = setup(repo, env, "run", offline=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(pip_calls(env)) == 1
    # New locked versions do need pip (here: offline, so the set-up says it failed).
    with open(repo / "constraints.txt", "a") as fh:
        fh.write("# a new lock\n")
    changed = setup(repo, env, "run", offline=True)
    assert changed.returncode != 0 and len(pip_calls(env)) == 2


def test_a_stamp_from_before_hashes_is_trusted_once_and_upgraded(tmp_path):
    repo, env = checkout(tmp_path)
    stamp = repo / ".venv" / ".installed-test"
    stamp.touch()  # what the set-up wrote before its stamps held a hash: newer than both files
    r = setup(repo, env, "test", offline=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert pip_calls(env) == [] and len(stamp.read_text().strip()) == 64
