"""``canopy bench live``: the headless show at 1280x720 under OSC load, a figure for the README.

The show runs as a gallery runs it (its loop, pacing and adaptive render scale) while a paced
sender process sends 1,000 OSC messages a second; the figures are the frames' intervals
once the render scale has settled, the inputs lost and the ticks dropped.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def bench_live(quick: bool = False) -> dict[str, float | str]:
    """The headless show at 1280x720 under 1,000 OSC msg/s: frame times and lost inputs.

    Frames are paced as with windows: at an even cadence between ``target_fps`` and
    ``max_fps`` (``pacing.Cadence``); ``inputs_dropped`` counts messages sent but never
    applied by a tick. The adaptive render scale starts at its largest and settles during the first
    ``LIVE_SETTLE_S`` (the OSC load already on); the frames are measured after that, and the
    scale it settled at and its changes (in all, and while measured) are reported.
    """
    from installation.app.osc_sender import loopback_venue
    from installation.config import load_config

    config = loopback_venue(load_config())
    rate, seconds = LIVE_RATE, (5.0 if quick else 20.0)
    settle = 3.0 if quick else LIVE_SETTLE_S
    sender, go, sent = _ready_sender(config.osc.port, rate, settle + seconds)
    run = _LiveRun(go, settle, seconds)
    show = run.show(config)
    sender.join(timeout=30)
    assert show.screen is not None  # it drew
    scale = show.screen.describe_scale()
    figures = _frame_figures(run.frame_times, seconds)
    median = figures["frame_ms_median"]
    return {
        "render_size": "1280x720",
        "osc_msgs_per_s": rate,
        "seconds": seconds,
        **figures,
        "frame_p99_over_median": round(figures["frame_ms_p99"] / median, 3) if median > 0 else -1,
        "inputs_sent": int(sent.value),
        "inputs_applied": run.applied,
        "inputs_dropped": int(sent.value) - run.applied,
        # Ticks the clock gave up on (the simulation fell more than max_catchup behind).
        "ticks_dropped": show.runner.clock.dropped_total if show.runner.clock is not None else 0,
        "render_scale_settled": scale["scale"],
        "render_size_settled": "{}x{}".format(*scale["size"]),
        "render_scale_changes": scale["changes"],
        "render_scale_changes_measured": run.changes[-1] - run.changes[0] if run.changes else 0,
        "frame_work_ms": scale["work_ms"] if scale["work_ms"] is not None else -1,
    }


class _LiveRun:
    """One run of the headless show for ``bench_live``, and what it measured.

    Frames presented between ``go + settle`` and ``go + settle + seconds`` (``time.time``)
    are measured: their times and the render scale's changes so far at each.
    """

    def __init__(self, go: Any, settle: float, seconds: float) -> None:
        self.go, self.settle, self.seconds = go, settle, seconds
        self.applied = 0
        self.frame_times: list[float] = []
        self.changes: list[int] = []

    def on_input(self, _state: Any, received: list) -> None:
        self.applied += len(received)

    def on_frame(self, show: Any) -> None:
        now = time.time()
        start = self.go.value + self.settle
        if self.go.value and start <= now <= start + self.seconds:
            self.frame_times.append(now)
            self.changes.append(show.screen.scaler.changes)

    def on_ready(self, _message: str) -> None:
        self.go.value = time.time() + 1.0  # the sender starts then

    def show(self, config: Any) -> Any:
        """Run the show until the measured frames are over; the ``Show``."""
        import tempfile

        from installation.app.live import Show, ShowOptions

        with tempfile.TemporaryDirectory() as tmp:
            show = Show(
                config,
                ShowOptions(
                    duration=self.settle + self.seconds + 3.0,
                    size=(1280, 720),
                    headless=True,
                    data_dir=tmp,
                    snapshots=False,
                    on_input=self.on_input,
                    on_frame=self.on_frame,
                    on_ready=self.on_ready,
                ),
            )
            show.run()
        return show


def _ready_sender(port: int, rate: float, seconds: float) -> tuple[Any, Any, Any]:
    """A paced sender process, started and ready; it sends once ``go`` holds its start time.

    Returns:
        the process, ``go`` (a shared float: when to start, ``time.time``) and ``sent`` (a
        shared count of the messages sent).
    """
    import multiprocessing as mp

    from installation.app.osc_sender import send_paced

    ctx = mp.get_context("spawn")
    ready, go, sent = ctx.Value("i", 0), ctx.Value("d", 0.0), ctx.Value("q", 0)
    sender = ctx.Process(target=send_paced, args=(port, rate, seconds, ready, go, sent))
    sender.start()
    while ready.value < 1:
        time.sleep(0.05)
    return sender, go, sent


def _frame_figures(frame_times: list[float], seconds: float) -> dict[str, float]:
    """Frames per second, and the median and p99 frame intervals (ms; -1 without two frames).

    The rate is the frames' own: intervals over the time they span (n frames over a window
    of ``seconds`` would count the window's edges, not the frames: 599 frames at an exact
    30 Hz can fall in 20 s).
    """
    intervals = np.diff(np.asarray(frame_times)) * 1e3
    span = (frame_times[-1] - frame_times[0]) if len(frame_times) > 1 else 0.0
    fps = len(intervals) / span if span > 0 else len(frame_times) / seconds
    return {
        "fps": round(fps, 2),
        "frame_ms_median": round(float(np.median(intervals)), 2) if len(intervals) else -1,
        "frame_ms_p99": round(float(np.percentile(intervals, 99)), 2) if len(intervals) else -1,
    }


LIVE_RATE = 1000
LIVE_SETTLE_S = 6.0  # the adaptive scale's settling, before the frames are measured
LIVE_TARGETS = {
    "fps": (">=", 30.0),
    "frame_p99_over_median": ("<=", 1.5),
    "inputs_dropped": ("<=", 0.0),
    "ticks_dropped": ("<=", 0.0),
}
