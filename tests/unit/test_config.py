"""Venue files: the shipped ones load, and every kind of mistake is explained precisely."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from installation.config import (
    DEFAULT_CONFIG,
    Config,
    ConfigError,
    live_parameters,
    load_config,
    parse_config,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "venue.toml"
    p.write_text(text)
    return p


def test_default_config_is_the_shipped_file_and_matches_schema_defaults():
    assert DEFAULT_CONFIG == ROOT / "hardware_config" / "default.toml"
    cfg = load_config()
    assert cfg.osc.host == "127.0.0.1" and cfg.osc.port == 9000
    assert len(cfg.displays) == 1 and not cfg.displays[0].fullscreen
    assert cfg.world == Config().world


def test_gallery_example_describes_a_real_venue():
    cfg = load_config(ROOT / "hardware_config" / "gallery-example.toml")
    assert [d.name for d in cfg.displays] == ["left-projector", "right-projector"]
    assert all(d.fullscreen for d in cfg.displays)
    assert cfg.audio.device == "Scarlett 2i2"
    assert "192.168.40.0/24" in cfg.osc.allowed_networks
    assert not cfg.schedule.always_open and cfg.schedule.open == "10:00"
    assert cfg.osc.mappings[0].source == "/1/fader1"


def test_config_is_frozen():
    cfg = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.osc.port = 1  # type: ignore[misc]


def test_unknown_key_names_file_path_and_suggests(tmp_path):
    p = write(tmp_path, "[osc]\nprot = 9001\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert str(p) in msg and "osc.prot" in msg and "did you mean 'port'" in msg


def test_unknown_section_suggests(tmp_path):
    with pytest.raises(ConfigError, match=r"wrold: unknown key .did you mean 'world'"):
        load_config(write(tmp_path, "[wrold]\nseed = 1\n"))


def test_wrong_type_says_what_was_expected(tmp_path):
    with pytest.raises(ConfigError, match=r"world\.citizens: expected an integer, got a string"):
        load_config(write(tmp_path, '[world]\ncitizens = "many"\n'))
    with pytest.raises(ConfigError, match=r"audio\.enabled: expected true or false"):
        load_config(write(tmp_path, "[audio]\nenabled = 1\n"))
    with pytest.raises(ConfigError, match=r"world\.seed: expected an integer, got a boolean"):
        load_config(write(tmp_path, "[world]\nseed = true\n"))


def test_out_of_range_gives_allowed_range(tmp_path):
    with pytest.raises(ConfigError, match=r"osc\.port: 70000 is out of range; allowed: 1 to 65535"):
        load_config(write(tmp_path, "[osc]\nport = 70000\n"))
    with pytest.raises(ConfigError, match=r"model\.convergence: 0\.9 is out of range"):
        load_config(write(tmp_path, "[model]\nconvergence = 0.9\n"))


def test_nan_and_inf_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="finite"):
        load_config(write(tmp_path, "[model]\nnoise = nan\n"))


def test_errors_inside_arrays_of_tables_name_the_element(tmp_path):
    text = '[[displays]]\nname = "a"\n[[displays]]\nname = "b"\nsize = [10, 720]\n'
    with pytest.raises(ConfigError, match=r"displays\[1\]\.size\[0\]: 10 is out of range"):
        load_config(write(tmp_path, text))
    with pytest.raises(ConfigError, match=r"displays\[0\]\.size: needs exactly two numbers"):
        load_config(write(tmp_path, "[[displays]]\nsize = [100, 200, 300]\n"))


def test_choice_typo_gets_suggestion(tmp_path):
    expected = r"show\.mode: 'galery' is not allowed \(did you mean 'gallery'"
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, '[show]\nmode = "galery"\n'))


def test_cross_field_problems(tmp_path):
    expected = r"osc\.allowed_networks: '10\.0\.0\.300/8' is not a CIDR"
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, '[osc]\nallowed_networks = ["10.0.0.300/8"]\n'))
    with pytest.raises(ConfigError, match=r"schedule\.open: must be a time"):
        load_config(write(tmp_path, '[schedule]\nopen = "25:00"\n'))
    with pytest.raises(ConfigError, match=r"world\.resource_shares: needs one share per community"):
        load_config(write(tmp_path, "[world]\ncommunities = 3\nresource_shares = [0.5, 0.5]\n"))
    with pytest.raises(ConfigError, match=r"osc\.mappings\[0\]\.target: must be a Canopy address"):
        load_config(write(tmp_path, '[[osc.mappings]]\nsource = "/1/fader1"\ntarget = "/x"\n'))


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[world\nseed = 1\n"))
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")


def test_parse_config_needs_tables():
    with pytest.raises(ConfigError, match="world: expected a table"):
        parse_config({"world": 3})


def test_live_parameters_are_whitelisted_with_ranges():
    live = live_parameters()
    assert live["glitch_rate"] == (0.0, 1.0)
    assert "tolerance" not in live  # structural: fixed at creation


def test_docs_config_reference_is_up_to_date():
    from installation.config.reference import config_reference

    text = (ROOT / "docs" / "config.md").read_text()
    assert text.strip() == config_reference().strip(), (
        "docs/config.md is stale: run `canopy config-reference > docs/config.md`"
    )
