"""The ``canopy`` command line: one sub-command per job, one-line errors, no tracebacks.

Each command is declared once, with its arguments and what runs it, in the module of its
domain (``cmd_sim``, ``cmd_show``, ``cmd_render``); this module registers them in the order
``canopy --help`` lists them. Operator mistakes (a bad argument, a broken config or
snapshot) print one line starting with ``canopy:`` and exit with status 2; programming
errors still raise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from installation.app import cmd_render, cmd_show, cmd_sim
from installation.app.commands import Command, UsageError
from installation.config import ConfigError

# The order of ``canopy --help``.
ORDER = (
    "simulate",
    "run",
    "soak",
    "devices",
    "replay",
    "validate",
    "render",
    "still",
    "stills",
    "bench",
    "check-config",
    "config-reference",
    "uniforms-reference",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints usage on two lines; we want one
        raise UsageError(f"{message} (see '{self.prog} --help')")


def commands() -> list[Command]:
    """Every sub-command, in the order of ``canopy --help``."""
    known = {c.name: c for c in (*cmd_sim.COMMANDS, *cmd_show.COMMANDS, *cmd_render.COMMANDS)}
    return [known[name] for name in ORDER]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = _Parser(
        prog="canopy",
        description="Canopy: the engine of Seraphina's canopy tapestry (Verdantia).",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in commands():
        s = sub.add_parser(command.name, help=command.help, description=command.description or None)
        command.arguments(s)
        s.set_defaults(run=command.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``canopy`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except (UsageError, ConfigError) as exc:
        print(f"canopy: {exc}", file=sys.stderr)
        return 2
    except _operator_errors() as exc:
        print(f"canopy: {exc}", file=sys.stderr)
        return 2


def _operator_errors() -> tuple[type[Exception], ...]:
    from installation.app.distributed import DistributedError
    from installation.app.sketch import SketchError
    from installation.app.snapshots import SnapshotError
    from installation.inputs.journal import JournalError
    from installation.outputs.png import OutputError
    from installation.outputs.window import WindowError
    from installation.render.context import GLUnavailable

    return (
        SnapshotError,
        SketchError,
        OutputError,
        GLUnavailable,
        JournalError,
        WindowError,
        DistributedError,
        OSError,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
