"""``canopy run --sketch``: the sketch's score carries the live piece in a quiet room.

Real processes: the show (headless, OSC on loopback) with a small sketch of our own, a visitor's
touches over UDP in the middle, and ``canopy replay`` of its journal.
"""

from __future__ import annotations

import socket
import time

from canopy_helpers import free_port, journal_lines, run_canopy, start_canopy

SKETCH = """
from installation.app.sketch import Sketch
from installation.config import WorldConfig
from installation.inputs import Touch
from installation.inputs.score import Cue, Score

SKETCH = Sketch(
    name="tiny",
    title="a tiny study",
    world=WorldConfig(seed=3, height=32, width=32, communities=4, citizens=400, nodes=16,
                      growth_resolution=16),
    seconds=2.0,
    score=Score((Cue(0.0, 2.0, 0.1, lambda t, n: (Touch(0.3, 0.6),)),)),
)
"""


def test_the_score_plays_when_quiet_and_the_run_replays_exactly(tmp_path):
    sketch = tmp_path / "tiny.py"
    sketch.write_text(SKETCH)
    journal, port = tmp_path / "journal", free_port()
    show = start_canopy(
        "run", "--sketch", str(sketch), "--quiet-after", "0.5", "--headless", "--no-render",
        "--duration", "4", "--journal", str(journal), "--data-dir", str(tmp_path / "data"),
        "--osc-port", str(port), "--config", "hardware_config/default.toml",
    )  # fmt: skip
    try:
        assert show.stdout is not None and show.stdout.readline().startswith("# ready")
        time.sleep(1.5)  # the score plays from 0.5 s on
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(5):  # a visitor: the score stops for the next quiet spell
                s.sendto(b"/canopy/touch\0\0\0,ff\0?\0\0\0?\0\0\0", ("127.0.0.1", port))
                time.sleep(0.05)
        stdout, stderr = show.communicate(timeout=60)
    finally:
        if show.poll() is None:
            show.kill()
    assert show.returncode == 0, stderr
    lines = journal_lines(journal)
    sources = [x["source"] for x in lines if "event" in x]
    assert sources.count("osc") == 5 and sources.count("score") >= 10
    first_osc = sources.index("osc")
    assert "score" in sources[:first_osc] and "score" in sources[first_osc:]  # and again
    replayed = run_canopy("replay", str(journal))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.splitlines()[-1] == stdout.strip().splitlines()[-1]
