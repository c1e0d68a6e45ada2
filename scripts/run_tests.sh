#!/usr/bin/env bash
# Runs the whole suite. Services the tests need (Xvfb, PulseAudio) are started by the
# tests themselves through fixtures, so this stays a plain pytest call.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q "$@"
