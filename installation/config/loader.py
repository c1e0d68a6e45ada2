"""Reads a venue TOML file into the frozen ``Config`` and explains every mistake.

Errors name the file, the dotted key path and what is allowed; a misspelt key gets a
"did you mean". Validation is driven entirely by the schema's field types and metadata.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from installation.config.schema import Config, ModelConfig, WorldConfig

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "hardware_config" / "default.toml"


class ConfigError(ValueError):
    """A config file that cannot be used; the message is meant for the operator."""


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate a venue file.

    Args:
        path: a TOML file; None loads the built-in defaults (``hardware_config/default.toml``
            when present, else the schema's defaults).

    Raises:
        ConfigError: the file is missing, not TOML, or breaks the schema.
    """
    if path is None:
        if not DEFAULT_CONFIG.is_file():
            return Config()
        path = DEFAULT_CONFIG
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate an already-parsed TOML table against the schema."""
    return _build(Config, data, source, "")


def parse_world_and_model(record: Any, source: str) -> tuple[WorldConfig, ModelConfig]:
    """The world and model a record (a snapshot's metadata, a journal's header) carries.

    Checked as a venue file's are (types, ranges, consistency).

    Raises:
        ConfigError: what is wrong, naming ``source`` and the key.
    """
    if not isinstance(record, dict):
        raise ConfigError(f"{source}: expected a table, got {_describe(record)}")
    config = parse_config({"world": record.get("world"), "model": record.get("model")}, source)
    return config.world, config.model


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _build(cls: type, table: Any, source: str, prefix: str) -> Any:
    where = prefix or "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {where}: expected a table, got {_describe(table)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    for key in table:
        if key not in fields:
            hint = difflib.get_close_matches(key, list(fields), n=1)
            allowed = ", ".join(fields)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(
                f"{source}: {_join(prefix, key)}: unknown key{suggestion}; "
                f"{where} allows: {allowed}"
            )
    values = {}
    for name, f in fields.items():
        if name in table:
            values[name] = _value(hints[name], f, table[name], source, _join(prefix, name))
    obj = cls(**values)
    problems = getattr(obj, "problems", None)
    if problems is not None:
        for key, message in problems():
            raise ConfigError(f"{source}: {_join(prefix, key)}: {message}")
    return obj


def _describe(value: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text}" if len(text) <= 40 and not isinstance(value, dict) else kind


def _value(tp: Any, f: dataclasses.Field, value: Any, source: str, path: str) -> Any:
    meta = f.metadata
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _build(tp, value, source, path)
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        elem = args[0]
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {path}: expected a list, got {_describe(value)}")
        return tuple(
            _build(elem, v, source, f"{path}[{i}]")
            if isinstance(elem, type) and dataclasses.is_dataclass(elem)
            else _value(elem, f, v, source, f"{path}[{i}]")
            for i, v in enumerate(value)
        )
    if origin in (typing.Union, types.UnionType):  # pragma: no cover - not used yet
        raise TypeError(f"unsupported config type {tp}")
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {path}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {path}: expected an integer, got {_describe(value)}")
        _check_range(value, meta, source, path)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{source}: {path}: expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{source}: {path}: must be a finite number, got {value}")
        _check_range(value, meta, source, path)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {path}: expected a string, got {_describe(value)}")
        choices = meta.get("choices")
        if choices and value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(
                f"{source}: {path}: {value!r} is not allowed{suggestion}; "
                f"choose one of: {', '.join(choices)}"
            )
        return value
    raise TypeError(f"unsupported config type {tp}")  # a schema bug, not a user error


def _check_range(value: float, meta: Any, source: str, path: str) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(
            f"{source}: {path}: {value} is out of range; allowed: {_fmt(lo)} to {_fmt(hi)}"
        )


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    return f"{x:g}" if isinstance(x, float) else str(x)
