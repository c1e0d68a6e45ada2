"""``canopy soak``: the headless show at full speed under random OSC input, watched for the
ways a gallery piece dies slowly — memory creeping up, NaN in the state, frames stalling.

Checks (DESIGN.md, issue #5): resident memory grows less than 5% from the end of warm-up to
the end; the state stays sane every second (``sanity_problems``); no gap between frames
exceeds 100 ms.
"""

from __future__ import annotations

import gc
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


def steal_s() -> float:
    """CPU time the hypervisor has taken from this virtual machine, summed over its CPUs
    (/proc/stat 'steal'); a frame gap it explains is not the show's."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class _GcPauses:
    """The longest pause of Python's garbage collector while the soak runs."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._t = 0.0

    def _callback(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._t)

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)


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
    # The longest gaps: when, ticks run in them, CPU the hypervisor stole meanwhile, and
    # the milliseconds each phase of the show's loop took (``FramePhases``).
    worst: list[dict[str, Any]] = []
    pauses = _GcPauses()
    problems: list[str] = []
    last = {"frame": None, "check": 0.0, "tick": 0, "steal": 0.0}
    steal0 = steal_s()
    t0 = time.monotonic()

    def on_frame(show: Show) -> None:
        now = time.monotonic()
        steal = steal_s()
        if last["frame"] is None:
            pauses.longest = 0.0  # start-up's collections (before any frame) are not hitches
        if last["frame"] is not None and now - t0 > 2.0:  # start-up compiles shaders
            gap = (now - last["frame"]) * 1e3
            gaps.append(gap)
            if gap > MAX_GAP_MS / 2:
                worst.append(
                    {
                        "gap_ms": round(gap, 1),
                        "at_s": round(now - t0, 1),
                        "ticks": show.state.tick - last["tick"],
                        "stolen_ms": round((steal - last["steal"]) * 1e3, 1),
                        **{f"{k}_ms": round(v, 1) for k, v in show.phases.ms.items()},
                    }
                )
                worst.sort(key=lambda w: -w["gap_ms"])
                del worst[8:]
        last["frame"], last["tick"], last["steal"] = now, show.state.tick, steal
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
        show = Show(config, options)
        try:
            pauses.start()
            result = show.run()
        finally:
            pauses.stop()
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
        "frame_gaps_over_100ms": sum(g > MAX_GAP_MS for g in gaps),
        "worst_gaps": worst,
        "cpu_stolen_s": round(steal_s() - steal0, 2),
        "gc_pause_ms_max": round(pauses.longest * 1e3, 1),
        "snapshot_ms_max": round(show.snapshot_ms_max, 1),
        "dropped_ticks": show.clock.dropped_total if show.clock is not None else 0,
        # What the city went through meanwhile (the slowest ticks are cascade rounds).
        "glitches": result.state.counters.glitches,
        "failures": result.state.counters.failures,
        "cascades": result.state.counters.cascades,
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
