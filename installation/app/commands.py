"""What every ``canopy`` sub-command is made of: ``Command``, argument types, ``UsageError``.

A command is declared once, in the module of its domain (``cmd_sim``, ``cmd_show``,
``cmd_render``): its name, help, the arguments it takes and the function that runs it;
``cli.build_parser`` registers each from that one declaration.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from installation.config import Config, load_config
from installation.simulation import ACT_NAMES, State

QUALITY_HELP = "look of the tapestry: full (default) or draft (cheaper, for slow renderers)"


class UsageError(Exception):
    """A mistake in how Canopy was called; the message is printed as one line."""


@dataclass(frozen=True)
class Command:
    """One sub-command.

    Attributes:
        name: what follows ``canopy``.
        help: one line for ``canopy --help``.
        run: carries it out; returns the exit status.
        arguments: adds its arguments to its parser.
        description: the longer text of ``canopy NAME --help`` (``help`` when empty).
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], object] = lambda p: None
    description: str = ""


def positive_int(text: str) -> int:
    """A whole number, not negative (an argument type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above zero (an argument type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def nonneg_float(text: str) -> float:
    """A finite number, zero or above (an argument type)."""
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_float(text)


def port(text: str) -> int:
    """A UDP or TCP port, 1 to 65535 (an argument type)."""
    value = positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, got {value}")
    return value


def size(text: str) -> tuple[int, int]:
    """'WxH' within 16x16 .. 7680x4320 (an argument type)."""
    from installation.app.offline import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def format_indices(state: State) -> str:
    """One status line: tick, time, act and the headline indices."""
    ix = state.indices
    c = state.counters
    return (
        f"tick={state.tick:>7d} t={state.time:>8.1f}s act={ix.act} {ACT_NAMES[ix.act]:<17s} "
        f"unity={ix.unity:.3f} disparity={ix.disparity:.3f} outage={ix.outage:.3f} "
        f"hope={ix.hope:.3f} anger={ix.anger:.3f} participation={ix.participation:.3f} "
        f"glitches={c.glitches} cascades={c.cascades}"
    )


def venue(args: argparse.Namespace) -> Config:
    """The venue file with the command line's overrides (``--osc-host``, ``--osc-port``)."""
    from installation.config.schema import host_problem

    config = load_config(args.config)
    osc = config.osc
    if getattr(args, "osc_host", None) is not None:
        why = host_problem(args.osc_host)
        if why:
            raise UsageError(f"--osc-host: {why}")
        osc = dataclasses.replace(osc, host=args.osc_host)
    if getattr(args, "osc_port", None) is not None:
        osc = dataclasses.replace(osc, port=args.osc_port)
    return dataclasses.replace(config, osc=osc)


def config_argument(p: argparse.ArgumentParser) -> None:
    """``--config FILE``, which several commands take."""
    p.add_argument("--config", type=Path, help="venue file (default: the built-in default)")
