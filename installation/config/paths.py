"""Where the show keeps what it writes: the data folder (snapshots, journal, screenshots, logs).

One function decides it, so the command line and the live show cannot disagree. The order:
an explicit ``--data-dir``, then the venue's ``[show] data_dir``, then the platform's state
directory: ``$STATE_DIRECTORY`` (set by systemd for a unit with ``StateDirectory=``), else
``$XDG_STATE_HOME/canopy``, else ``~/.local/state/canopy``. A checkout is never the default:
``make run`` on a gallery machine must not fill the repository with snapshots.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from installation.config.schema import ShowConfig

APP_NAME = "canopy"


class DataDirError(OSError):
    """The data folder cannot be used; the message names it and says why."""


def state_home(environ: Mapping[str, str] | None = None) -> Path:
    """The platform's state directory for Canopy (not created here).

    Args:
        environ: the environment to read (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    # systemd may list several StateDirectory= entries, separated by ':'; ours is the first.
    systemd = env.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    xdg = env.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".local" / "state" / APP_NAME


def resolve_data_dir(
    override: str | os.PathLike[str] | None,
    show: ShowConfig,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The data folder to use.

    Args:
        override: ``--data-dir`` (or a caller's choice); wins when given.
        show: the venue's ``[show]`` section; its ``data_dir`` wins over the default.
        environ: the environment for the default (default ``os.environ``).

    A relative path is taken from the working directory and ``~`` is expanded.
    """
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    if show.data_dir:
        return Path(show.data_dir).expanduser()
    return state_home(environ)


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder if needed and check that it can be written.

    Raises:
        DataDirError: with a message like ``data folder /x: cannot create it: Permission
            denied``, so the operator learns which setting to change.
    """
    return ensure_folder(path, "data folder")


def ensure_folder(path: Path, what: str) -> Path:
    """Create a folder the show writes to if needed and check that it can be written.

    Args:
        path: the folder.
        what: the setting that names it, for the message ("data folder", "--journal").

    Raises:
        DataDirError: naming ``what`` and the folder, and saying why.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DataDirError(f"{what} {path}: exists and is not a folder") from None
    except OSError as exc:
        raise DataDirError(f"{what} {path}: cannot create it: {exc.strerror}") from None
    # mkdir succeeds on an existing read-only folder (and root ignores mode bits), so only a
    # real write tells whether snapshots will land.
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise DataDirError(f"{what} {path}: cannot write there: {exc.strerror}") from None
    return path
