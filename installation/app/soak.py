"""``canopy soak``: the headless show at full speed under random OSC input, watched for the
ways a gallery piece dies slowly — memory creeping up, NaN in the state, frames stalling.

Checks (DESIGN.md, issue #5): resident memory grows less than 5% from the end of warm-up to
the end; the state stays sane every second (``sanity_problems``); no gap between frames
exceeds 100 ms.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from typing import Any

import numpy as np

from installation.app.live import Show, ShowOptions
from installation.app.osc_sender import loopback_venue, send_random
from installation.config import Config
from installation.simulation.sanity import sanity_problems

MAX_GROWTH = 0.05
MAX_GAP_MS = 100.0


def rss_bytes() -> int:
    """This process's resident memory (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_soak(
    config: Config, minutes: float, size: tuple[int, int], rate: float, data_dir: Any = None
) -> dict[str, Any]:
    """Run the soak and return its report (``passed`` says whether every check held)."""
    import tempfile

    seconds = minutes * 60.0
    warmup = min(max(seconds * 0.2, 5.0), 300.0)
    config = loopback_venue(config)
    port = config.osc.port
    samples: list[tuple[float, int]] = []
    gaps: list[float] = []
    problems: list[str] = []
    last = {"frame": None, "check": 0.0}
    t0 = time.monotonic()

    def on_frame(show: Show) -> None:
        now = time.monotonic()
        if last["frame"] is not None and now - t0 > 2.0:  # start-up compiles shaders
            gaps.append((now - last["frame"]) * 1e3)
        last["frame"] = now
        if now - last["check"] >= 1.0:
            last["check"] = now
            samples.append((now - t0, rss_bytes()))
            for p in sanity_problems(show.state):
                if p not in problems:
                    problems.append(p)

    ctx = mp.get_context("spawn")
    stop, sent = ctx.Event(), ctx.Value("q", 0)
    sender = ctx.Process(target=send_random, args=(port, rate, stop, sent), daemon=True)
    with tempfile.TemporaryDirectory() as tmp:
        options = ShowOptions(
            duration=seconds,
            size=size,
            headless=True,
            data_dir=data_dir or tmp,
            on_frame=on_frame,
            on_ready=lambda _m: sender.start(),
        )
        try:
            result = Show(config, options).run()
        finally:
            stop.set()
            if sender.pid is not None:
                sender.join(timeout=5)
    after = np.array([m for t, m in samples if t >= warmup], dtype=np.float64)
    k = max(1, len(after) // 10)
    base = float(np.median(after[:k])) if len(after) else float("nan")
    end = float(np.median(after[-k:])) if len(after) else float("nan")
    growth = (end - base) / base if len(after) >= 2 else float("nan")
    worst_gap = max(gaps) if gaps else float("nan")
    counts = result.osc_counts
    report = {
        "minutes": minutes,
        "size": f"{size[0]}x{size[1]}",
        "ticks": result.state.tick,
        "frames": result.frames,
        "osc_sent": int(sent.value),
        "osc_accepted": counts.get("accepted", 0),
        "osc_rejected": counts.get("received", 0) - counts.get("accepted", 0),
        "rss_mb_after_warmup": round(base / 2**20, 1),
        "rss_mb_end": round(end / 2**20, 1),
        "memory_growth": round(growth, 4),
        "frame_gap_ms_max": round(worst_gap, 1),
        "frame_gap_ms_p99": round(float(np.percentile(gaps, 99)), 1) if gaps else None,
        "state_problems": problems,
    }
    report["passed"] = bool(
        growth == growth
        and growth < MAX_GROWTH
        and worst_gap <= MAX_GAP_MS
        and not problems
        and result.frames > 0
    )
    return report
