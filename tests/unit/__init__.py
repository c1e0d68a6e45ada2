"""Unit tests: the modules on their own, without a display, GL or a sound server."""
