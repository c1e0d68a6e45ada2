"""``canopy render`` leaves nothing behind and has one x264 default."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

from canopy_helpers import ROOT, free_port

from installation.app.cli import build_parser
from installation.app.offline import render_video
from installation.outputs.presets import DEFAULT_PRESET
from installation.outputs.video import VideoWriter


def test_one_x264_default_for_the_command_line_the_renderer_and_the_writer():
    args = build_parser().parse_args(["render"])
    assert args.preset == DEFAULT_PRESET
    assert inspect.signature(render_video).parameters["preset"].default == DEFAULT_PRESET
    assert inspect.signature(VideoWriter).parameters["preset"].default == DEFAULT_PRESET


def test_rendering_a_journal_leaves_no_temporary_folder(tmp_path):
    """The journal's sound is joined into a temporary WAV: it goes when the render ends."""
    journal, scratch = tmp_path / "journal", tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}

    def canopy(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "installation", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    canopy("run", "--no-render", "--duration", "1.5", "--journal", str(journal),
           "--osc-port", str(free_port()), "--data-dir", str(tmp_path / "data"))  # fmt: skip
    leftovers = set(scratch.iterdir())  # the show's own (none expected, but not under test)
    canopy("render", "--journal", str(journal), "-o", str(tmp_path / "day.mp4"),
           "--size", "64x36", "--frames", "3", "--quiet")  # fmt: skip
    assert (tmp_path / "day.mp4").stat().st_size > 0
    assert set(scratch.iterdir()) == leftovers, list(scratch.iterdir())
