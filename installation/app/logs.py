"""Logging for the show: one human line per event on stderr, JSON lines in a rotating file.

The file (``<data_dir>/logs/canopy.log``, rotated by size, five old files kept) is what an
operator or a log shipper reads after a week unattended; each line is one JSON object with
the time, level, logger and message, plus any ``extra`` fields the call passed.

A file that cannot be written (a full disk, a removed drive) never disturbs the show: the
first failure prints one line on stderr, file logging stops, and the console carries on
alone; ``file_logging_problem`` says so for ``/health``. Once a minute a record tries the
file again, so when the operator makes room the log resumes (one line says so) and
``/health`` is whole again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
RETRY_S = 60.0  # how often a stopped log file is tried again
_file_problem = ""  # why file logging stopped, for /health; empty while it works


def file_logging_problem() -> str:
    """Why the log file stopped being written (empty while it works)."""
    return _file_problem


class SafeFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating JSON log file, which gives up quietly when it cannot write.

    Python's ``Handler.handleError`` prints a "Logging error" traceback to stderr for every
    record that fails, which on a full disk is every record. This one prints one line the
    first time, closes the file and drops every later record (the console handler still has
    them); flushing and closing never raise.
    """

    def __init__(self, *args, **kwargs) -> None:
        """Open the file as ``RotatingFileHandler`` does (same arguments); not stopped yet."""
        super().__init__(*args, **kwargs)
        self.stopped = False
        self._retry_at = 0.0
        self._retrying = False

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` unless the file has been given up (tried again once a minute)."""
        global _file_problem
        if self.stopped:
            if time.monotonic() < self._retry_at:
                return
            self._retry_at = time.monotonic() + RETRY_S
            try:
                self.stream = self._open()
            except OSError:
                return
            self.stopped, self._retrying = False, True
        super().emit(record)
        if self._retrying and not self.stopped:
            self._retrying = False
            _file_problem = ""
            print(f"canopy INFO: writing {self.baseFilename} again", file=sys.stderr, flush=True)

    def handleError(self, record: logging.LogRecord) -> None:  # logging's name (not snake case)
        """Give the file up on an OS error (a full disk); leave any other error to logging."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)  # a formatting bug: logging's own report
            return
        self._stop(exc)

    def flush(self) -> None:
        """Flush the file; an OS error gives it up instead of raising."""
        if self.stopped:
            return
        try:
            super().flush()
        except OSError as exc:
            self._stop(exc)

    def close(self) -> None:
        """Close the file; an OS error while flushing gives it up instead of raising."""
        try:
            super().close()
        except OSError as exc:
            # Closing flushes what is buffered; the file is closed all the same.
            self._stop(exc)
            self.stream = None

    def _stop(self, exc: OSError) -> None:
        global _file_problem
        if self.stopped:
            return
        self.stopped = True
        self._retry_at = time.monotonic() + RETRY_S
        why = exc.strerror or str(exc)
        _file_problem = f"file logging stopped: {why}"
        if not self._retrying:  # a retry that fails again says nothing new
            print(
                f"canopy ERROR: cannot write {self.baseFilename} ({why}): file logging "
                "stopped; logging to the console only (tried again once a minute)",
                file=sys.stderr,
                flush=True,
            )
        self._retrying = False
        stream, self.stream = self.stream, None
        if stream is not None:
            # What is buffered cannot be written; the descriptor is freed all the same.
            with contextlib.suppress(OSError):
                stream.close()


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line: time, level, logger, message and any exception."""
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
            + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_logging(log_dir: Path | None, max_mb: float = 16.0) -> list[logging.Handler]:
    """Route the ``installation`` loggers to stderr and to the rotating JSON file.

    The file only when ``log_dir`` is given. Returns the handlers so ``stop_logging`` can
    remove them.
    """
    global _file_problem
    _file_problem = ""
    root = logging.getLogger("installation")
    root.setLevel(logging.INFO)
    handlers: list[logging.Handler] = []
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("canopy %(levelname)s: %(message)s"))
    handlers.append(err)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = SafeFileHandler(
            log_dir / "canopy.log",
            maxBytes=int(max_mb * (1 << 20)),
            backupCount=5,
            encoding="utf-8",
        )
        fh.setFormatter(JsonFormatter())
        handlers.append(fh)
    for h in handlers:
        root.addHandler(h)
    return handlers


def stop_logging(handlers: list[logging.Handler]) -> None:
    """Detach, flush and close handlers from ``setup_logging``.

    Never raises for a file that cannot be written.
    """
    root = logging.getLogger("installation")
    for h in handlers:
        root.removeHandler(h)
        # A failing file (a full disk) must not turn a clean stop into an error.
        with contextlib.suppress(OSError):
            h.flush()
        with contextlib.suppress(OSError):
            h.close()
