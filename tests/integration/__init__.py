"""Integration tests: real processes, sockets, files and services (Xvfb, PulseAudio)."""
