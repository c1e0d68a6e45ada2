"""Shared fixtures: small worlds for fast tests."""

from __future__ import annotations

import pytest

from installation.config import ModelConfig, WorldConfig

SMALL_WORLD = WorldConfig(
    seed=3, height=32, width=32, communities=4, citizens=400, nodes=16, growth_resolution=16
)


@pytest.fixture
def small_world() -> WorldConfig:
    return SMALL_WORLD


@pytest.fixture
def model() -> ModelConfig:
    return ModelConfig()
