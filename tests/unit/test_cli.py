"""The canopy command line, run as a user runs it: a real process, real output."""

from __future__ import annotations

import json
import subprocess

import pytest
from canopy_helpers import run_canopy


def canopy(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_canopy(*args, timeout=timeout)


def hash_of(out: str) -> str:
    last = out.strip().splitlines()[-1]
    assert last.startswith("state-hash: ")
    return last.split(": ")[1]


def test_help_lists_every_command():
    r = canopy("--help")
    assert r.returncode == 0
    for command in ("simulate", "validate", "bench", "check-config"):
        assert command in r.stdout


def test_simulate_prints_indices_and_a_stable_hash():
    a = canopy("simulate", "--steps", "60", "--seed", "7", "--every", "30")
    b = canopy("simulate", "--steps", "60", "--seed", "7")
    c = canopy("simulate", "--steps", "60", "--seed", "8")
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr
    assert hash_of(a.stdout) == hash_of(b.stdout) != hash_of(c.stdout)
    lines = [ln for ln in a.stdout.splitlines() if ln.startswith("tick=")]
    assert len(lines) == 3 and "unity=" in lines[-1] and "act=" in lines[-1]


def test_simulate_save_and_resume_match_one_long_run(tmp_path):
    snap = tmp_path / "s.npz"
    whole = canopy("simulate", "--steps", "80", "--seed", "3")
    first = canopy("simulate", "--steps", "30", "--seed", "3", "--save", str(snap))
    rest = canopy("simulate", "--steps", "50", "--resume", str(snap))
    assert first.returncode == 0 and rest.returncode == 0, rest.stderr
    assert hash_of(rest.stdout) == hash_of(whole.stdout)


@pytest.mark.parametrize(
    "args, message",
    [
        (("simulate", "--steps", "many"), "expected a whole number"),
        (("simulate", "--steps", "-3"), "must not be negative"),
        (("simulate", "--dt", "nan"), "positive number"),
        (("frobnicate",), "invalid choice"),
        (("simulate", "--config", "/nonexistent.toml"), "cannot read config file"),
        (("simulate", "--resume", "/nonexistent.npz"), "no such snapshot"),
        (("bench", "gpu"), "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_nonzero_exit(args, message):
    r = canopy(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("canopy: ") and message in lines[0]


def test_check_config(tmp_path):
    assert canopy("check-config", "hardware_config/gallery-example.toml").returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[osc]\nprot = 1\n")
    r = canopy("check-config", str(bad))
    assert r.returncode == 2 and "did you mean 'port'" in r.stderr


@pytest.mark.slow
def test_bench_sim_json_has_the_figures():
    r = canopy("bench", "sim", "--json", "--quick")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    for key in ("sim_step_ms", "sim_step_ms_1m", "deffuant_pairs_per_s", "cascade_round_ms"):
        assert isinstance(data[key], float) and data[key] > 0
