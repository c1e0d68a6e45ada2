"""Addresses in a venue file are checked when it is read, with the file and the key path.

A mistyped address must not pass ``check-config`` and then fail with a traceback at run time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.config import ConfigError, load_config
from installation.config.schema import host_problem


def venue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, where, message",
    [
        ('[osc]\nhost = "999.1.1.1"\n', "osc.host", "'999.1.1.1' is not a valid IPv4 address"),
        ('[osc]\nhost = "10.0.0"\n', "osc.host", "'10.0.0' is not a valid IPv4 address"),
        ('[osc]\nhost = ""\n', "osc.host", "must not be empty"),
        ('[osc]\nhost = "gallery pc"\n', "osc.host", "is not an IP address or a host name"),
        ('[osc]\nhost = "fe80::zz"\n', "osc.host", "is not a valid IPv6 address"),
        (
            '[osc]\nfeedback_targets = ["192.168.40.300:9001"]\n',
            "osc.feedback_targets",
            "'192.168.40.300:9001': the host '192.168.40.300' is not a valid IPv4 address",
        ),
        (
            '[osc]\nfeedback_targets = ["tablet_1:9001"]\n',
            "osc.feedback_targets",
            "the host 'tablet_1' is not an IP address or a host name",
        ),
        (
            '[osc]\nallowed_networks = ["192.168.40.0/33"]\n',
            "osc.allowed_networks",
            "'192.168.40.0/33' is not a CIDR network",
        ),
    ],
)
def test_bad_addresses_are_refused_with_file_and_key(tmp_path, text, where, message):
    path = venue(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(f"{path}: {where}: ") and message in str(e.value)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0", "localhost", "tablet-1.local"]
)
def test_addresses_and_host_names_pass(host):
    assert host_problem(host) is None


def test_a_good_venue_with_names_and_v6_loads(tmp_path):
    cfg = load_config(
        venue(
            tmp_path,
            '[osc]\nhost = "::"\nallowed_networks = ["::1/128", "fd00::/8"]\n'
            'feedback_targets = ["monitor.local:9001", "::1:9002"]\n',
        )
    )
    assert cfg.osc.host == "::" and len(cfg.osc.feedback_targets) == 2
