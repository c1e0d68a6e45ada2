"""``canopy soak``: the headless show at full speed under random OSC input.

Watched for the ways a gallery piece dies slowly — memory creeping up, NaN in the state, frames
stalling.

Checks (docs/design.md, issue #5): resident memory grows less than 5% from the end of warm-up to
the end; the state stays sane every second (``sanity_problems``); no gap between frames
exceeds 100 ms.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from installation.app.live import Show, ShowOptions, ShowResult
from installation.app.memory import heap_in_use, mb, rss_bytes
from installation.app.osc_sender import loopback_venue, send_random
from installation.config import Config
from installation.inputs.processes import stop_process
from installation.simulation.sanity import sanity_problems

MAX_GROWTH = 0.05
MAX_GAP_MS = 100.0


def steal_s() -> float:
    """CPU time the hypervisor has taken from this virtual machine.

    Summed over its CPUs (/proc/stat 'steal'); a frame gap it explains is not the show's.
    """
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class _Gaps:
    """Frame gaps kept as a histogram (0.1 ms bins up to 2 s, then one overflow bin).

    That way the soak's own bookkeeping stays the same size however long it runs and does not show
    up in the memory it measures.
    """

    BIN_MS = 0.1
    BINS = 20_000

    def __init__(self) -> None:
        self.counts = np.zeros(self.BINS + 1, dtype=np.int64)
        self.longest = float("nan")  # until the first gap
        self.over = 0

    def add(self, gap_ms: float) -> None:
        self.counts[min(int(gap_ms / self.BIN_MS), self.BINS)] += 1
        if not gap_ms <= self.longest:  # also true while longest is still NaN
            self.longest = gap_ms
        self.over += gap_ms > MAX_GAP_MS

    def __len__(self) -> int:
        return int(self.counts.sum())

    def percentile(self, q: float) -> float:
        """The upper edge of the bin holding the ``q``-th percentile (0.1 ms resolution)."""
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, q / 100.0 * cum[-1]))
        if i >= self.BINS:  # the overflow bin: only the longest gap is known exactly
            return self.longest
        return min((i + 1) * self.BIN_MS, self.longest)


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


@dataclass
class _Last:
    """What the soak's frame callback saw at the last frame and the last check."""

    frame: float | None = None  # monotonic time of the last frame
    check: float = 0.0  # monotonic time of the last once-a-second check
    tick: int = 0
    steal: float = 0.0  # ``steal_s()`` at the last frame


class _Watch:
    """What the soak watches, frame by frame: gaps, memory after warm-up, the state's sanity.

    Resident memory is sampled once a second after warm-up into an array made up front
    (like the gaps' histogram), so the soak's own bookkeeping does not grow.
    """

    def __init__(self, seconds: float) -> None:
        self.warmup = min(max(seconds * 0.2, 5.0), 300.0)
        self.rss = np.full(int(seconds) + 120, np.nan)
        self.n_rss = 0
        self.heap_after_warmup: int | None = None  # what malloc had handed out then
        self.gaps = _Gaps()
        # The longest gaps: when, ticks run in them, CPU the hypervisor stole meanwhile,
        # and the milliseconds each phase of the show's loop took (``FramePhases``).
        self.worst: list[dict[str, Any]] = []
        self.pauses = _GcPauses()
        self.problems: list[str] = []
        self.last = _Last()
        self.steal0 = steal_s()
        self.t0 = time.monotonic()

    def on_frame(self, show: Show) -> None:
        """The show's frame callback."""
        now, steal, last = time.monotonic(), steal_s(), self.last
        if last.frame is None:
            self.pauses.longest = 0.0  # start-up's collections (before any frame) are not hitches
        if last.frame is not None and now - self.t0 > 2.0:  # start-up compiles shaders
            self._gap((now - last.frame) * 1e3, now, steal, show)
        last.frame, last.tick, last.steal = now, show.state.tick, steal
        if now - last.check >= 1.0:
            last.check = now
            self._check(now, show)

    def _gap(self, gap: float, now: float, steal: float, show: Show) -> None:
        self.gaps.add(gap)
        if gap <= MAX_GAP_MS / 2:
            return
        self.worst.append(
            {
                "gap_ms": round(gap, 1),
                "at_s": round(now - self.t0, 1),
                "ticks": show.state.tick - self.last.tick,
                "stolen_ms": round((steal - self.last.steal) * 1e3, 1),
                **{f"{k}_ms": round(v, 1) for k, v in show.pacer.phases.ms.items()},
            }
        )
        self.worst.sort(key=lambda w: -w["gap_ms"])
        del self.worst[8:]

    def _check(self, now: float, show: Show) -> None:
        if now - self.t0 >= self.warmup and self.n_rss < len(self.rss):
            if self.n_rss == 0:
                self.heap_after_warmup = heap_in_use()
            self.rss[self.n_rss] = rss_bytes()
            self.n_rss += 1
        for p in sanity_problems(show.state):
            if p not in self.problems:
                self.problems.append(p)

    def growth(self) -> tuple[float, float, float]:
        """Resident memory after warm-up and at the end (medians of a tenth), and the growth."""
        after = self.rss[: self.n_rss]
        k = max(1, len(after) // 10)
        base = float(np.median(after[:k])) if len(after) else float("nan")
        end = float(np.median(after[-k:])) if len(after) else float("nan")
        return base, end, (end - base) / base if len(after) >= 2 else float("nan")


def run_soak(
    config: Config, minutes: float, size: tuple[int, int], rate: float, data_dir: Any = None
) -> dict[str, Any]:
    """Run the soak and return its report (``passed`` says whether every check held)."""
    import tempfile

    seconds = minutes * 60.0
    config = loopback_venue(config)
    watch = _Watch(seconds)
    ctx = mp.get_context("spawn")
    life_r, life_w = ctx.Pipe(duplex=False)
    sent = ctx.RawValue("q", 0)
    sender = ctx.Process(
        target=send_random, args=(config.osc.port, rate, life_r, sent, os.getpid()), daemon=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        options = ShowOptions(
            duration=seconds,
            size=size,
            headless=True,
            data_dir=data_dir or tmp,
            on_frame=watch.on_frame,
            on_ready=lambda _m: sender.start(),
        )
        show = Show(config, options)
        try:
            watch.pauses.start()
            result = show.run()
        finally:
            watch.pauses.stop()
            stop_process(sender if sender.pid is not None else None, life_w, None, grace=5.0)
    report = _report(watch, show, result, minutes, size)
    report["osc_sent"] = int(sent.value)
    return report


def _report(
    watch: _Watch, show: Show, result: ShowResult, minutes: float, size: tuple[int, int]
) -> dict[str, Any]:
    base, end, growth = watch.growth()
    gaps = watch.gaps
    counts = result.osc_counts
    clock = show.runner.clock
    report = {
        "minutes": minutes,
        "size": f"{size[0]}x{size[1]}",
        "ticks": result.state.tick,
        "frames": result.frames,
        "osc_sent": 0,
        "osc_accepted": counts.get("accepted", 0),
        "osc_rejected": counts.get("received", 0) - counts.get("accepted", 0),
        "rss_mb_after_warmup": mb(base),
        "rss_mb_end": mb(end),
        "memory_growth": round(growth, 4),
        # What malloc has handed out (glibc; None elsewhere): flat when the growth above is
        # only the allocator keeping freed memory. The show trims the heap once a minute.
        "heap_mb_after_warmup": mb(watch.heap_after_warmup),
        "heap_mb_end": mb(heap_in_use()),
        "heap_trims": show.heap_trim.calls,
        "heap_trim_ms_max": round(show.heap_trim.longest_s * 1e3, 2),
        "frame_gap_ms_max": round(gaps.longest, 1),
        "frame_gap_ms_p99": round(gaps.percentile(99), 1) if len(gaps) else None,
        "frame_gaps_over_100ms": gaps.over,
        "worst_gaps": watch.worst,
        "cpu_stolen_s": round(steal_s() - watch.steal0, 2),
        "gc_pause_ms_max": round(watch.pauses.longest * 1e3, 1),
        "snapshot_ms_max": round(show.snapshots.ms_max, 1),
        "dropped_ticks": clock.dropped_total if clock is not None else 0,
        # What the city went through meanwhile (the slowest ticks are cascade rounds).
        "glitches": result.state.counters.glitches,
        "failures": result.state.counters.failures,
        "cascades": result.state.counters.cascades,
        "state_problems": watch.problems,
    }
    report["passed"] = bool(
        growth == growth
        and growth < MAX_GROWTH
        and gaps.longest <= MAX_GAP_MS
        and not watch.problems
        and result.frames > 0
    )
    return report
