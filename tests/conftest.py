"""Shared fixtures: small worlds for fast tests, and a state folder of the test run's own."""

from __future__ import annotations

import os
import tempfile

import pytest

from installation.config import ModelConfig, WorldConfig

SMALL_WORLD = WorldConfig(
    seed=3, height=32, width=32, communities=4, citizens=400, nodes=16, growth_resolution=16
)


@pytest.fixture(scope="session", autouse=True)
def own_state_folder():
    """Give the tests a temporary platform state folder ($XDG_STATE_HOME).

    A show started without --data-dir writes to $XDG_STATE_HOME/canopy: in tests, a temporary one,
    never the tester's home (shows started as child processes inherit it).
    """
    with tempfile.TemporaryDirectory(prefix="canopy-test-state-") as folder:
        previous = os.environ.get("XDG_STATE_HOME")
        os.environ["XDG_STATE_HOME"] = folder
        yield folder
        if previous is None:
            del os.environ["XDG_STATE_HOME"]
        else:
            os.environ["XDG_STATE_HOME"] = previous


@pytest.fixture
def small_world() -> WorldConfig:
    """A 32x32 world of 400 citizens: small enough for fast tests."""
    return SMALL_WORLD


@pytest.fixture
def model() -> ModelConfig:
    """The model's default parameters."""
    return ModelConfig()
