"""The configuration reference (docs/config.md), generated from the schema's own metadata."""

from __future__ import annotations

import dataclasses
import typing

from installation.config.schema import Config


def _type_name(tp: typing.Any) -> str:
    if typing.get_origin(tp) is tuple:
        (elem, *_) = typing.get_args(tp)
        return f"list of {_type_name(elem)}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {int: "integer", float: "number", str: "string", bool: "boolean"}.get(tp, str(tp))


def _allowed(meta: typing.Mapping[str, typing.Any]) -> str:
    if meta.get("choices"):
        return ", ".join(f"`{c}`" for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None and hi is None:
        return ""
    return (
        f"{lo:g} to {hi:g}" if isinstance(lo, float) or isinstance(hi, float) else f"{lo} to {hi}"
    )


def _default(value: typing.Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        if value and dataclasses.is_dataclass(value[0]):
            return "one default entry"
        return "`[" + ", ".join(_default(v).strip("`") for v in value) + "]`"
    return f"`{value}`"


def _section(cls: type, title: str, lines: list[str]) -> None:
    hints = typing.get_type_hints(cls)
    lines += [f"### `{title}`", "", (cls.__doc__ or "").strip(), ""]
    lines += ["| key | type | default | allowed | live | meaning |", "|---|---|---|---|---|---|"]
    nested: list[tuple[type, str]] = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            nested.append((tp, f"[{f.name}]"))
            continue
        elem = typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else None
        if isinstance(elem, type) and dataclasses.is_dataclass(elem):
            nested.append((elem, f"[[{title.strip('[]')}.{f.name}]]" if title else f"[[{f.name}]]"))
        default = f.default_factory() if callable(f.default_factory) else f.default
        meta = f.metadata
        live = "yes" if meta.get("live") else ""
        lines.append(
            f"| `{f.name}` | {_type_name(tp)} | {_default(default)} | {_allowed(meta)} | "
            f"{live} | {meta.get('doc', '')} |"
        )
    lines.append("")
    for tp, name in nested:
        _section(tp, name.replace("[[.", "[["), lines)


def config_reference() -> str:
    """Markdown documenting every section and key a venue file may contain."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `installation/config/schema.py` by `canopy config-reference`; a test "
        "keeps it in step. Every key is optional. Unknown keys, wrong types and out-of-range "
        "values are errors that name the file and the key. Keys marked *live* may also be "
        "tuned while the show runs, by `/canopy/param/<name>` within the same range.",
        "",
    ]
    _section(Config, "", lines)
    text = "\n".join(lines)
    return text.replace(
        "### ``\n\nA whole venue: one file in ``hardware_config/``.",
        "## Top level\n\nA whole venue: one file in `hardware_config/`.",
    )
