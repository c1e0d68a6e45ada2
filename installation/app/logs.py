"""Logging for the show: one human line per event on stderr, JSON lines in a rotating file.

The file (``<data_dir>/logs/canopy.log``, rotated by size, five old files kept) is what an
operator or a log shipper reads after a week unattended; each line is one JSON object with
the time, level, logger and message, plus any ``extra`` fields the call passed.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
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
    """Route the ``installation`` loggers to stderr and, when ``log_dir`` is given, to the
    rotating JSON file; returns the handlers so ``stop_logging`` can remove them."""
    root = logging.getLogger("installation")
    root.setLevel(logging.INFO)
    handlers: list[logging.Handler] = []
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("canopy %(levelname)s: %(message)s"))
    handlers.append(err)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
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
    """Flush, close and detach handlers from ``setup_logging``."""
    root = logging.getLogger("installation")
    for h in handlers:
        h.flush()
        root.removeHandler(h)
        h.close()
