"""Configuration: venue files read once into frozen, documented dataclasses."""

from installation.config.loader import (
    DEFAULT_CONFIG,
    ConfigError,
    load_config,
    parse_config,
    parse_world_and_model,
)
from installation.config.schema import (
    QUALITIES,
    AudioConfig,
    Config,
    DisplayConfig,
    MidiConfig,
    ModelConfig,
    OscConfig,
    OscMapping,
    ScheduleConfig,
    ShowConfig,
    WebConfig,
    WorldConfig,
    live_parameters,
)

__all__ = [
    "DEFAULT_CONFIG",
    "QUALITIES",
    "AudioConfig",
    "Config",
    "ConfigError",
    "DisplayConfig",
    "MidiConfig",
    "ModelConfig",
    "OscConfig",
    "OscMapping",
    "ScheduleConfig",
    "ShowConfig",
    "WebConfig",
    "WorldConfig",
    "live_parameters",
    "load_config",
    "parse_config",
    "parse_world_and_model",
]
