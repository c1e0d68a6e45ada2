"""Shared helpers for the integration tests: free ports and canopy as a real process."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A UDP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_canopy(*args: str) -> subprocess.Popen[str]:
    """``canopy ARGS`` as a background process with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "installation", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_canopy(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``canopy ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "installation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
