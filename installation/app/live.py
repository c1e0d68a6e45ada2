"""The live show, and everything a gallery needs to leave it alone for weeks.

Inputs drained every tick, the simulation at its fixed rate, the tapestry rendered at the
displays' refresh (or headless through EGL); for the gallery: status endpoint, snapshots and
``--resume``, gallery hours, systemd's watchdog, restarted input processes, a clean stop on
SIGTERM.

Live and offline differ only in what is plugged in: here the time source is the wall clock,
the inputs are the OSC and microphone processes (and the journal records them), and the
output is one window per display, or an offscreen framebuffer.

One loop does everything, in this order each pass: window events and operator keys,
housekeeping (restarts, status, feedback, snapshots), the ticks that are due, and a frame
when one is due. While a frame draws on a slow renderer (llvmpipe), due ticks are applied
between bands of it, so inputs never wait for a whole frame. While a frame is due or
drawing, ticks run one at a time within a budget per frame for ticks and inputs: the
catch-up after a slow tick is spread over frames.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import logging
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from installation.app.memory import HeapTrim, heap_in_use, mb, rss_bytes
from installation.app.schedule import Fader
from installation.app.snapshots import (
    SnapshotError,
    list_snapshots,
    load_snapshot,
    prune_snapshots,
    remove_stale_temporaries,
    save_snapshot,
    snapshot_name,
)
from installation.app.status import Metric, StatusServer
from installation.app.watchdog import Notifier
from installation.config import Config, ModelConfig, WorldConfig
from installation.config.keys import parse_chord
from installation.config.paths import resolve_data_dir
from installation.inputs.audio import MicInput, WavJournal
from installation.inputs.frame import Event, InputFrame
from installation.inputs.journal import Journal, JournalError, JournalWriter, read_journal
from installation.inputs.osc_feedback import Feedback
from installation.inputs.osc_protocol import REASONS, Ping, Subscribe, Unsubscribe
from installation.inputs.osc_server import OscInput
from installation.simulation import (
    ACT_NAMES,
    DYNAMICS_VERSION,
    State,
    apply_events,
    create_world,
    step,
)
from installation.timing import FixedStepClock, WallTime

log = logging.getLogger(__name__)

HOUSEKEEPING_S = 0.25  # input restarts, feedback, snapshots: checked this often
SCREEN_RECHECK_S = 5.0
HUD_REFRESH_S = 0.5
# Inputs are applied as they arrive, but at most this often (a tick always applies what is
# waiting): one batch per OSC flush cost a fifth of the frame rate at 1,000 msg/s.
INPUT_BATCH_S = 0.004
# One batch applies at most this many events, and one call at most this long: a global push
# costs 0.6 ms on the default world, so a backlog of hundreds would freeze a frame.
MAX_BATCH = 32
INPUT_BUDGET_S = 0.003
INBOX_LIMIT = 65_536  # inputs waiting beyond this are dropped oldest first, and counted
# Inputs share a frame's work budget (below) with ticks, but once the oldest has waited this
# long they are applied whatever the budget: a visitor's touch is never held up for frames.
INPUT_MAX_WAIT_S = 0.010
# While a frame is due or drawing, ticks run one at a time (before it, between its bands),
# and the ticks and inputs run since the last frame may take FRAME_WORK_BUDGET_S: a tick
# runs only if the last one's cost still fits (the first tick after a frame always runs, so
# the simulation never stalls), inputs while it lasts or once overdue (INPUT_MAX_WAIT_S).
# After a slow tick or a stall the catch-up is spread over frames instead of stacking up in
# front of one, so the picture keeps moving. Owed ticks run later; only a backlog beyond the
# clock's max_catchup is dropped (the simulation then runs slower than the wall clock, and
# counts it).
FRAME_WORK_BUDGET_S = 0.035


@dataclass
class ShowOptions:
    """How ``run_show`` runs (from the command line, a benchmark or a test).

    Attributes:
        duration: stop after this many seconds (None: until a signal or the quit key).
        journal: record every input here (None: ``show.journal`` decides).
        size: render size when headless.
        render: draw at all (False: simulation and inputs only).
        headless: render offscreen through EGL instead of opening windows.
        resume: continue from the latest snapshot in ``data_dir/snapshots``.
        data_dir: where snapshots, the journal, screenshots and logs go (None: the config's).
        status_port: the status endpoint's port (None: the config's; 0 is off).
        snapshots: write periodic and final snapshots.
        on_input: callable(state, received) after inputs are applied (probes, benchmarks).
        on_tick: callable(state) after each tick.
        on_ready: callable(message) once inputs listen and the loop starts.
        on_frame: callable(show) after each frame (soak and benchmarks).
        now: local wall time for gallery hours (injected in tests).
        quality: the tapestry's quality tier (None: the venue's ``show.quality``).
    """

    duration: float | None = None
    journal: Path | None = None
    size: tuple[int, int] = (1280, 720)
    render: bool = True
    headless: bool = True
    resume: bool = False
    data_dir: str | Path | None = None
    status_port: int | None = None
    snapshots: bool = True
    on_input: Callable[[State, list], None] | None = None
    on_tick: Callable[[State], None] | None = None
    on_ready: Callable[[str], None] | None = None
    on_frame: Callable[[Show], None] | None = None
    now: Callable[[], _dt.datetime] = _dt.datetime.now
    quality: str | None = None


@dataclass
class ShowResult:
    """What a run did."""

    state: State
    frames: int = 0
    osc_counts: dict[str, int] = field(default_factory=dict)
    osc_restarts: int = 0
    audio_state: str = "disabled"
    stopped_by: str = "duration"
    snapshot: Path | None = None
    inputs: int = 0


class FramePhases:
    """Milliseconds the loop spent per phase since the last frame was finished.

    What a long gap between frames was made of (the soak reports them for its worst gaps).

    ``ticks`` includes the inputs applied at each tick; ``draw`` excludes the ticks and
    inputs run between its bands; ``tick_max`` is the longest single tick.
    """

    NAMES = ("ticks", "tick_max", "inputs", "upload", "draw", "present", "housekeeping")

    def __init__(self) -> None:
        """Start with every phase at zero."""
        self.reset()

    def add(self, name: str, t0: float) -> float:
        """Add the time since ``t0`` (``perf_counter``) to phase ``name``; return it in ms."""
        ms = (time.perf_counter() - t0) * 1e3
        self.ms[name] += ms
        return ms

    def reset(self) -> None:
        """Set every phase back to zero (a frame was finished)."""
        self.ms = dict.fromkeys(self.NAMES, 0.0)


class _StopFlag:
    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.reason = signal.Signals(signum).name


class Rate:
    """Events per second over the last ``window`` seconds."""

    def __init__(self, window: float = 2.0) -> None:
        """Count nothing yet, over a window of ``window`` seconds."""
        self.window = window
        self._times: deque[tuple[float, int]] = deque()

    def add(self, now: float, n: int = 1) -> None:
        """Count ``n`` events at monotonic time ``now``, forgetting those out of the window."""
        self._times.append((now, n))
        while self._times and now - self._times[0][0] > self.window:
            self._times.popleft()

    def per_s(self, now: float) -> float:
        """Events per second over the window that ends at ``now``."""
        while self._times and now - self._times[0][0] > self.window:
            self._times.popleft()
        return sum(n for _, n in self._times) / self.window


class FrameTimes:
    """Intervals between presented frames: fps, median and p99 over the recent frames."""

    def __init__(self, keep: int = 600) -> None:
        """Keep the intervals of the last ``keep`` frames."""
        self.intervals: deque[float] = deque(maxlen=keep)
        self.last: float | None = None
        self.rate = Rate(2.0)

    def frame(self, now: float) -> None:
        """Note a frame presented at monotonic time ``now``."""
        if self.last is not None:
            self.intervals.append(now - self.last)
        self.last = now
        self.rate.add(now)

    def fps(self, now: float) -> float:
        """Frames per second over the last 2 s."""
        return self.rate.per_s(now)

    def percentile_ms(self, q: float) -> float:
        """The ``q``th percentile of the kept frame intervals, in ms (0 before two frames)."""
        if not self.intervals:
            return 0.0
        return float(np.percentile(np.fromiter(self.intervals, dtype=np.float64), q) * 1e3)


class Show:
    """One run of the live show. ``run`` it once.

    Args:
        config: the venue.
        options: how to run.
    """

    def __init__(self, config: Config, options: ShowOptions) -> None:
        """Load the starting state (new or a snapshot), prepare the inputs; ``run`` starts them."""
        self.config = config
        self.options = options
        self.data_dir = resolve_data_dir(options.data_dir, config.show)
        self.resumed_from: Path | None = None
        self.state = self._initial_state()
        # A resumed snapshot's world wins over the venue file's (it says so when they differ).
        world = self.state.world
        self.dt = 1.0 / world.tick_hz
        self.osc = OscInput(config.osc, world.communities) if config.osc.enabled else None
        self.feedback = Feedback(config.osc) if config.osc.enabled else None
        self.mic = MicInput(config.audio, world.tick_hz) if config.audio.enabled else None
        self.journal: JournalWriter | None = None
        self.wav: WavJournal | None = None
        self.tapestry: Any = None
        self.windows: Any = None
        self.status: StatusServer | None = None
        self.notifier = Notifier()
        self.fader = Fader(config.schedule, options.now())  # starts at the scheduled level
        self.frames = FrameTimes()
        self.phases = FramePhases()
        self.tick_rate = Rate(2.0)
        self.input_rate = Rate(2.0)
        self.inputs_total = 0
        self.ignored_paused = 0
        self.paused = False
        self.hud = False
        self.started = time.monotonic()
        self.snapshots_written = 0
        self.snapshot_ms_max = 0.0
        self.heap_trim = HeapTrim()
        self.last_snapshot: Path | None = None
        self.last_snapshot_at = time.monotonic()
        self.clock: FixedStepClock | None = None
        self._uploaded_tick = -1
        self._hud_text = ""
        self._hud_at = 0.0
        self._journal_dirty = False
        self.recording_error = ""
        self._watcher: Any = None
        self.frame_count = 0
        self._batch = 0  # batches of inputs applied since the last tick
        self._applied_at = 0.0
        self._inbox: deque = deque()  # arrived inputs not applied yet (see _apply_inputs)
        self._last_tick_s = 0.0  # what the last tick cost: will the next fit the budget?
        self.inputs_dropped = 0
        self._stop = _StopFlag()
        # Snapshots' health (snapshot, health, metrics): the cause while they fail (empty
        # when the last one was written), and when the last good one was written.
        self.snapshot_error = ""
        self.last_good_snapshot_at: float | None = None

    # ------------------------------------------------------------------ start-up

    def _initial_state(self) -> State:
        """A new world, or with ``resume`` the newest snapshot that loads.

        Falls back to an older one if the newest is damaged; a new world, with a warning, when there
        is none.
        """
        folder = self.data_dir / "snapshots"
        # Temporaries of writes killed outright (SIGKILL, a power cut): 1-2 MB each.
        for path in remove_stale_temporaries(folder):
            log.info("removed %s, left by an interrupted snapshot write", path.name)
        if not self.options.resume:
            return create_world(self.config.world, self.config.model)
        # Newest first: the show's own snapshots, as pruning sees them (a folder, a link or
        # a file named otherwise that happens to match is none).
        for path in reversed(list_snapshots(folder)):
            try:
                state = load_snapshot(path)
            except SnapshotError as exc:
                log.error("cannot resume from %s, trying an older snapshot: %s", path, exc)
                continue
            if state.world != self.config.world:
                log.warning("%s was taken in another world than the venue file's; resuming it",
                            path)  # fmt: skip
            self.resumed_from = path
            log.info("resumed from %s at tick %d", path, state.tick)
            return state
        log.warning("--resume: no usable snapshot in %s; starting a new world", folder)
        return create_world(self.config.world, self.config.model)

    def _open_journal(self) -> None:
        folder = self.options.journal
        if folder is None and self.config.show.journal:
            folder = self.data_dir / "journal"
        if folder is None:
            return
        header: dict[str, Any] = {
            "world": dataclasses.asdict(self.state.world),
            "model": dataclasses.asdict(self.state.model),
            "tick_hz": self.state.world.tick_hz,
            "start_tick": self.state.tick,
            "dynamics": DYNAMICS_VERSION,
        }
        if self.resumed_from is not None:
            header["resumed_from"] = self.resumed_from.name
        try:
            if self.state.tick > 0:
                # A journal that starts mid-story replays from the snapshot it started from.
                Path(folder).mkdir(parents=True, exist_ok=True)
                start = Path(folder) / f"start-{self.state.tick:010d}.npz"
                save_snapshot(self.state, start)
                header["start_snapshot"] = start.name
            self.journal = JournalWriter(folder, header)
            if self.mic is not None:
                audio = self.config.audio
                self.wav = WavJournal(folder, audio.samplerate, audio.channels)
        except (OSError, SnapshotError) as exc:
            # A full or failing disk stops the recording, never the show (as in _record).
            self.recording_error = f"the journal could not start: {exc}"
            log.error("%s; the show goes on without it", self.recording_error)
            if self.journal is not None:
                self._record(self.journal.close)
            self.journal = self.wav = None

    def _open_output(self) -> None:
        if not self.options.render:
            return
        from installation.render.shaders import ShaderWatcher, shader_dir_problem
        from installation.render.tapestry import Look, Tapestry

        shader_dir = None
        if self.config.show.shader_dir:
            shader_dir = Path(self.config.show.shader_dir).expanduser().absolute()
            problem = shader_dir_problem(shader_dir)
            if problem:
                # Still watched: files put there later (a mounted drive) are picked up.
                log.error("%s; the show starts with the built-in shaders", problem)
        if self.options.headless:
            from installation.render.context import create_headless_context

            ctx = create_headless_context()
            size = self.options.size
        else:
            from installation.outputs.window import Windows

            self.windows = Windows(
                self.config.displays,
                gallery=self.config.show.mode == "gallery",
                quit_chord=parse_chord(self.config.show.quit_chord),
                shader_dir=shader_dir,
            )
            ctx = self.windows.ctx
            size = self.windows.render_size(self.config.show.render_scale)
        # The tapestry compiles (and at the end releases) its own shaders; resizes hand
        # them on (``Tapestry.resized``).
        self.tapestry = Tapestry(
            ctx,
            size,
            look=Look.tier(self.options.quality or self.config.show.quality),
            shader_dir=shader_dir,
        )
        presenters = self.windows.libraries() if self.windows is not None else []
        self._watcher = ShaderWatcher(self.tapestry.library, *presenters)
        self._watcher.start()

    def _start_status(self) -> None:
        port = self.options.status_port
        if port is None:
            port = self.config.show.status_port
        if not port:
            return
        show = self.config.show
        self.status = StatusServer(
            port, self.health, self.metrics, host=show.status_host, allowed=show.status_allowed
        )
        try:
            self.status.start()
        except OSError as exc:
            log.error("%s; the show goes on without it", exc)
            self.status = None

    # ------------------------------------------------------------------ the loop

    def run(self) -> ShowResult:
        """Run until the duration passes, a signal arrives or the operator quits."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        result = ShowResult(self.state)
        try:
            self._open_journal()
            self._open_output()
            self._start_status()
            if self.osc is not None:
                try:
                    self.osc.start()
                except OSError as exc:  # e.g. the port is taken: retried with backoff
                    log.error("%s; the show goes on and keeps trying", exc)
            if self.mic is not None:
                self.mic.start()
            self.clock = FixedStepClock(self.state.world.tick_hz, WallTime())
            self.started = self.last_snapshot_at = time.monotonic()
            self.notifier.notify("READY=1")
            if self.options.on_ready is not None:
                c = self.config.osc
                where = f"OSC on {c.host}:{c.port}" if self.osc else "no OSC"
                status = f", status on :{self.status.port}" if self.status else ""
                self.options.on_ready(
                    f"ready: {where}, tick {self.state.world.tick_hz:g} Hz{status}, "
                    f"tick {self.state.tick}"
                )
            # What exists now (modules, the world, shaders) lives as long as the show: moved
            # out of the collector's sight, a full collection stops walking it (its pauses
            # were up to 15-22 ms, a visible hitch when they fell on a frame).
            gc.collect()
            gc.freeze()
            result.stopped_by = self._loop()
        finally:
            gc.unfreeze()
            try:
                self._shutdown(result)  # a second Ctrl-C or SIGTERM does not cut it short
            finally:
                for s, handler in previous.items():
                    signal.signal(s, handler)
        return result

    def _loop(self) -> str:
        assert self.clock is not None  # run started it
        opts = self.options
        t_end = None if opts.duration is None else time.monotonic() + opts.duration
        # Headless there is nothing to show between ticks; windows draw up to max_fps.
        fps = self.config.show.max_fps
        if opts.headless:
            fps = min(fps, self.state.world.tick_hz)
        frame_period = 1.0 / fps
        next_frame = time.monotonic()
        next_house = 0.0
        next_recheck = time.monotonic() + SCREEN_RECHECK_S
        last_fade = time.monotonic()
        while True:
            if self._stop.reason is not None:
                return self._stop.reason
            now = time.monotonic()
            if t_end is not None and now >= t_end:
                return "duration"
            if self.windows is not None:
                quit_reason = self._operator(self.windows.poll())
                if quit_reason:
                    return quit_reason
                if now >= next_recheck:
                    self.windows.recheck()
                    next_recheck = now + SCREEN_RECHECK_S
            if self.status is not None:
                self.status.poll()
            if now >= next_house:
                t0 = time.perf_counter()
                self._housekeeping(now)
                self.phases.add("housekeeping", t0)
                next_house = now + HOUSEKEEPING_S
            frame_due = self.tapestry is not None and now >= next_frame
            self.run_due_ticks(
                frame_waiting=frame_due, until=next_frame if self.tapestry is not None else None
            )
            if frame_due:
                fade = self.fader.update(opts.now(), now - last_fade)
                last_fade = now
                self._frame(fade)
                next_frame = max(next_frame + frame_period, time.monotonic() - frame_period)
                if fade <= 0.0:
                    next_frame = time.monotonic() + 0.5  # black: a slow idle, no drawing
                self.notifier.ping(f"tick {self.state.tick}")
            elif self.tapestry is None:
                self.notifier.ping(f"tick {self.state.tick}")
            wait = self.clock.time_until_next()
            if self.tapestry is not None:
                wait = min(wait, max(next_frame - time.monotonic(), 0.0))
            wait = min(wait, 0.01)  # keeps window events and the status endpoint lively
            batch_gap = self._applied_at + INPUT_BATCH_S - time.monotonic()
            if self.osc is not None and batch_gap <= 0:
                self.osc.wait(wait)
            else:
                time.sleep(max(min(wait, batch_gap), 0.0))

    def run_due_ticks(self, frame_waiting: bool = False, until: float | None = None) -> None:
        """Apply the inputs that have arrived, then run the ticks that are due.

        One poll of the clock at a time.

        Args:
            frame_waiting: a frame is due or being drawn: run at most one tick, within the
                frame's work budget (``FRAME_WORK_BUDGET_S``).
            until: otherwise, stop when the monotonic clock reaches this (the next frame).
        The ticks not run stay owed to later calls, the inputs not applied wait.
        """
        assert self.clock is not None
        phases = self.phases
        if time.monotonic() - self._applied_at >= INPUT_BATCH_S:
            t0 = time.perf_counter()
            self._apply_inputs(frame_waiting)
            phases.add("inputs", t0)
        if self.status is not None:
            self.status.poll()
        while True:
            if frame_waiting and phases.ms["ticks"] > 0 and self._work_left_s() < self._last_tick_s:
                return
            if until is not None and time.monotonic() >= until:
                return
            if self.clock.poll(1).ticks == 0:
                return
            t0 = time.perf_counter()
            self._one_tick()
            ms = phases.add("ticks", t0)
            phases.ms["tick_max"] = max(phases.ms["tick_max"], ms)
            self._last_tick_s = ms / 1e3
            if frame_waiting:
                return

    def _work_left_s(self) -> float:
        """What is left of this frame's budget for ticks and inputs (negative: overspent)."""
        spent_ms = self.phases.ms["ticks"] + self.phases.ms["inputs"]
        return FRAME_WORK_BUDGET_S - spent_ms / 1e3

    def _apply_inputs(self, frame_waiting: bool = False) -> None:
        """Apply what the OSC process has delivered, now.

        In batches of at most ``MAX_BATCH`` events (each journaled with its tick and batch number,
        so a replay applies the same batches), for at most ``INPUT_BUDGET_S``, and while a frame
        waits only within its work budget unless the oldest input is overdue (``INPUT_MAX_WAIT_S``):
        a backlog (the OSC process was starved, a controller dumped its state) is spread over the
        next calls instead of holding up a frame. Nothing is lost unless the inbox overflows.
        """
        self._applied_at = time.monotonic()
        if self.osc is not None:
            arrived = self.osc.poll()
            overflow = len(self._inbox) + len(arrived) - INBOX_LIMIT
            if overflow > 0:
                self.inputs_dropped += overflow
                log.warning(
                    "input backlog over %d: %d oldest inputs dropped", INBOX_LIMIT, overflow
                )
            self._inbox.extend(arrived)
        if not self._inbox:
            return
        if self.paused:
            self.ignored_paused += len(self._inbox)
            self._inbox.clear()
            return
        budget = INPUT_BUDGET_S
        oldest = self._inbox[0]
        ready_since = max(oldest.due, oldest.arrived)  # a bundle's timetag may lie ahead
        if frame_waiting and time.time() - ready_since < INPUT_MAX_WAIT_S:
            budget = min(budget, self._work_left_s())
        if budget > 0:
            self._apply_inbox(budget)

    def _apply_inbox(self, budget_s: float | None) -> None:
        """Apply waiting inputs in batches of ``MAX_BATCH``.

        Stops when the inbox is empty or ``budget_s`` has passed (None: no limit).
        """
        t0 = time.perf_counter()
        while self._inbox:
            n = min(len(self._inbox), MAX_BATCH)
            self._apply_batch([self._inbox.popleft() for _ in range(n)])
            if budget_s is not None and time.perf_counter() - t0 >= budget_s:
                break

    def _apply_batch(self, received: list) -> None:
        state = self.state
        events: list[Event] = []
        for r in received:
            if isinstance(r.item, Subscribe):
                assert self.feedback is not None  # OSC input on, so OSC feedback on
                self.feedback.subscribe(r.host, r.item.port or r.port)
            elif isinstance(r.item, Unsubscribe):
                assert self.feedback is not None
                self.feedback.unsubscribe(r.host, r.item.port)
            elif not isinstance(r.item, Ping):
                events.append(r.item)
                if self.journal is not None:
                    self._record(
                        self.journal.record,
                        state.tick,
                        "osc",
                        r.item,
                        r.address,
                        r.args,
                        self._batch,
                    )
        if events:
            apply_events(state, events)
            self._batch += 1
            self._journal_dirty = self.journal is not None
            self.inputs_total += len(events)
            self.input_rate.add(time.monotonic(), len(events))
        if self.options.on_input is not None:
            self.options.on_input(state, received)

    def _one_tick(self) -> None:
        self._apply_inputs()
        state = self.state
        sound, raw = self.mic.poll() if self.mic is not None else (None, None)
        if self.paused:
            return
        if self.wav is not None and raw is not None:
            self._record(self.wav.write, state.tick, raw)
        if sound is not None and self.journal is not None:
            self._record(self.journal.record_sound, state.tick, sound)
            self._journal_dirty = True
        # The tick's events were applied as they arrived; the step brings the sound.
        step(state, InputFrame(tick=state.tick, sound=sound), self.dt)
        self._batch = 0
        self.tick_rate.add(time.monotonic())
        if self.options.on_tick is not None:
            self.options.on_tick(state)

    def _frame(self, fade: float) -> None:
        assert self.clock is not None  # run started it
        tap = self.tapestry
        tap.library.reload_pending()
        if self.windows is not None:
            want = self.windows.render_size(self.config.show.render_scale)
            if want != tap.size:
                self._resize(want)
                tap = self.tapestry
        if fade > 0.0:
            if self.state.tick != self._uploaded_tick:
                ticks = self.state.tick - self._uploaded_tick if self._uploaded_tick >= 0 else 1
                tap.advance_audio_clock(self.dt * max(ticks, 1), self.state.loudness)
                t0 = time.perf_counter()
                tap.upload(self.state)
                self.phases.add("upload", t0)
                self._uploaded_tick = self.state.tick
            # Between the last two ticks, by how far the next one is; paused, the last.
            alpha = 1.0 if self.paused else 1.0 - self.clock.time_until_next() / self.dt
            tap.interpolate(alpha)
            tap.fade = fade
            nested = self.phases.ms["ticks"] + self.phases.ms["inputs"]
            t0 = time.perf_counter()
            tap.draw(between=self._between_bands)
            self.phases.add("draw", t0)
            self.phases.ms["draw"] -= self.phases.ms["ticks"] + self.phases.ms["inputs"] - nested
        if self.windows is not None:
            t0 = time.perf_counter()
            self.windows.present(
                tap.output.color_attachments[0] if fade > 0.0 else None,
                self._hud(),
                tap.library.error_text,
            )
            self.phases.add("present", t0)
        self.frames.frame(time.monotonic())
        self.frame_count += 1
        if self.options.on_frame is not None:
            self.options.on_frame(self)
        self.phases.reset()

    def _between_bands(self) -> None:
        self.run_due_ticks(frame_waiting=True)

    def _resize(self, size: tuple[int, int]) -> None:
        # The new tapestry takes over the shaders (the watcher's library) and audio clock.
        self.tapestry = self.tapestry.resized(size)
        self._uploaded_tick = -1
        log.info("rendering at %dx%d", *size)

    def _housekeeping(self, now: float) -> None:
        if self.osc is not None:
            self.osc.ensure_running()
        if self.mic is not None:
            self.mic.ensure_running()
        if self.journal is not None and self._journal_dirty:
            self._record(self.journal.flush)
            self._journal_dirty = False
        if self.feedback is not None:
            rejected = self.osc.rejected() if self.osc is not None else 0
            self.feedback.send(now, self.state.indices.as_dict(), self.state.indices.act, rejected)
        period = self.config.show.snapshot_minutes * 60.0
        if self.options.snapshots and now - self.last_snapshot_at >= period:
            self.snapshot()
        self.heap_trim(now)  # once a minute: freed pages back to the system (memory.py)

    def _operator(self, actions: list[tuple[str, int]]) -> str | None:
        """Carry out the operator's keys; the stop reason when one of them quits."""
        for action, window in actions:
            if action == "quit":
                log.info("quit by the operator")
                return "operator"
            if action == "hud":
                self.hud = not self.hud
                self._hud_at = 0.0
            elif action == "pause":
                self.paused = not self.paused
                log.info("simulation %s by the operator", "paused" if self.paused else "resumed")
                self._hud_at = 0.0
            elif action == "reload" and self.tapestry is not None:
                swapped = self.tapestry.library.reload_all()
                if self.windows is not None:
                    swapped += self.windows.reload_shaders()
                log.info("shaders reloaded: %s", ", ".join(swapped) or "none compiled")
            elif action == "screenshot":
                self.screenshot()
            elif action == "fullscreen":
                self.windows.toggle_fullscreen(window)
        return None

    # ------------------------------------------------------------------ records

    def _record(self, call: Callable[..., None], *args: Any) -> None:
        """Write to the journal or its WAV.

        A full or failing disk stops the recording (what is on disk stays), never the show.
        """
        try:
            call(*args)
        except OSError as exc:
            self.recording_error = f"the journal stopped: {exc.strerror or exc}"
            log.error("%s; the show goes on without it", self.recording_error)
            for writer in (self.journal, self.wav):
                try:
                    if writer is not None:
                        writer.close()
                except OSError:
                    pass
            self.journal = self.wav = None

    def snapshot(self) -> Path | None:
        """Write a snapshot now (atomically) and prune old ones; None if it failed.

        Neither a failed write (a full disk: logged, and ``/health`` says so until a write
        succeeds) nor pruning ever stops the show; pruning removes only the show's own
        snapshot files, never the one just written, and stale temporaries of writes that
        were killed.
        """
        folder = self.data_dir / "snapshots"
        self.last_snapshot_at = t0 = time.monotonic()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(folder)
            path = save_snapshot(self.state, folder / snapshot_name(self.state.tick))
        except (SnapshotError, OSError) as exc:
            # For /health, the cause alone: "[Errno 28] No space left on device".
            self.snapshot_error = (
                exc.reason
                if isinstance(exc, SnapshotError)
                else f"[Errno {exc.errno}] {exc.strerror or exc}"
            )
            log.error("snapshot failed: %s", exc)
            return None
        if self.snapshot_error:
            log.info("snapshots are written again (%s)", path.name)
        self.snapshot_error = ""
        self.snapshots_written += 1
        self.last_snapshot = path
        self.last_good_snapshot_at = time.monotonic()
        self.snapshot_ms_max = max(self.snapshot_ms_max, (time.monotonic() - t0) * 1e3)
        if self.journal is not None:
            self._record(self.journal.mark_snapshot, path.name, self.state.tick)
            self._record(self.journal.flush)
        prune_snapshots(folder, self.config.show.snapshots_kept, current=path)
        return path

    def screenshot(self) -> Path | None:
        """The tapestry as it is now, as a PNG in ``data_dir/screenshots``."""
        from installation.outputs.png import OutputError, write_png

        if self.tapestry is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.data_dir / "screenshots" / f"canopy-{stamp}-tick{self.state.tick}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_png(path, self.tapestry.read())
        except (OutputError, OSError) as exc:
            log.error("screenshot failed: %s", exc)
            return None
        log.info("screenshot: %s", path)
        return path

    def _shutdown(self, result: ShowResult) -> None:
        self.notifier.notify("STOPPING=1")
        # The input processes stop first (each within a deadline, whatever state it is in),
        # so that every input accepted before the stop is applied (and journaled) before the
        # final snapshot, however many are waiting.
        if self.osc is not None:
            self._inbox.extend(self.osc.stop())
            result.osc_counts = self.osc.counts()
            result.osc_restarts = self.osc.restarts
        if self.mic is not None:
            result.audio_state = self.mic.state
            self.mic.stop()
        if self.paused:
            self.ignored_paused += len(self._inbox)
            self._inbox.clear()
        else:
            self._apply_inbox(None)
        if self.options.snapshots:
            result.snapshot = self.snapshot()
        if self._watcher is not None:
            self._watcher.stop()
        if self.feedback is not None:
            self.feedback.close()
        if self.wav is not None:
            self._record(self.wav.close)
        if self.journal is not None:
            self._record(self.journal.end, self.state.tick)
            self._record(self.journal.close)
        if self.status is not None:
            self.status.close()
        result.frames = self.frame_count
        if self.tapestry is not None:
            self.tapestry.release()
        if self.windows is not None:
            self.windows.close()
        self.notifier.close()
        result.state = self.state
        result.inputs = self.inputs_total

    # ------------------------------------------------------------------ status

    def _hud(self) -> str:
        if not self.hud:
            return ""
        now = time.monotonic()
        if now - self._hud_at < HUD_REFRESH_S and self._hud_text:
            return self._hud_text
        self._hud_at = now
        h = self.health()
        ix = self.state.indices
        audio = h["audio"]
        level = f"{audio['level_db']:.0f} dBFS" if audio["level_db"] is not None else "-"
        lines = [
            f"{h['fps']:.1f} fps   frame p99 {h['frame_ms_p99']:.0f} ms   "
            f"ticks {h['tick_rate']:.1f}/s   tick {h['tick']}"
            + ("   PAUSED" if self.paused else ""),
            f"inputs {h['inputs_per_s']:.0f}/s ({h['inputs']} in all)   OSC rejected "
            f"{h['osc_rejected']}   restarts: OSC {h['osc_restarts']}, mic {audio['restarts']}",
            f"audio {audio['state']}   level {level}",
            f"act {ix.act} {ACT_NAMES[ix.act]}   unity {ix.unity:.2f}   disparity "
            f"{ix.disparity:.2f}   outage {ix.outage:.2f}   hope {ix.hope:.2f}   anger "
            f"{ix.anger:.2f}   participation {ix.participation:.2f}",
        ]
        if not h["open"]:
            lines.append(f"gallery closed: picture at {h['fade']:.0%}")
        self._hud_text = "\n".join(lines)
        return self._hud_text

    def health(self) -> dict[str, Any]:
        """The figures ``GET /health`` returns (also the HUD's)."""
        from installation.app.logs import file_logging_problem
        from installation.config import live_parameters

        now = time.monotonic()
        counts = self.osc.counts() if self.osc is not None else {}
        mic = self.mic
        sound = mic._last if mic is not None else None  # its last features (private)
        audio = {
            "state": mic.state if mic is not None else "disabled",
            "message": mic.message if mic is not None else "",
            "restarts": mic.restarts if mic is not None else 0,
            "level_db": round(float(sound.level_db), 1) if sound is not None else None,
        }
        problems = [self.recording_error] if self.recording_error else []
        if self.snapshot_error:
            problems.append(f"snapshots failing: {self.snapshot_error}")
        logging_problem = file_logging_problem()
        if logging_problem:
            problems.append(logging_problem)
        if self.osc is not None and not self.osc.alive():
            problems.append("OSC input is down")
        if mic is not None and audio["state"] not in ("ok", "starting"):
            problems.append(f"microphone: {audio['state']}")
        displays = []
        gl_errors = self.windows.gl_errors if self.windows is not None else 0
        if gl_errors:
            problems.append(f"{gl_errors} GL errors")
        if self.windows is not None:
            for item in self.windows.items:
                if not item.found:
                    problems.append(f"display {item.config.name!r} is on the fallback screen")
                displays.append(
                    {"name": item.config.name, "found": item.found, "size": list(item.size)}
                )
        status = "paused" if self.paused else ("degraded" if problems else "ok")
        good = self.last_good_snapshot_at
        snap_age = None if good is None else round(now - good, 1)
        return {
            "status": status,
            "problems": problems,
            "uptime_s": round(now - self.started, 2),
            "tick": self.state.tick,
            "fps": round(self.frames.fps(now), 2),
            "frame_ms_median": round(self.frames.percentile_ms(50), 2),
            "frame_ms_p99": round(self.frames.percentile_ms(99), 2),
            "tick_rate": round(self.tick_rate.per_s(now), 2),
            "dropped_ticks": self.clock.dropped_total if self.clock is not None else 0,
            "inputs": self.inputs_total,
            "inputs_per_s": round(self.input_rate.per_s(now), 1),
            "inputs_ignored_while_paused": self.ignored_paused,
            # Arrived and not applied yet: the inbox, and bundles held for a future timetag.
            "inputs_waiting": len(self._inbox) + (self.osc.waiting() if self.osc else 0),
            "inputs_dropped": self.inputs_dropped,
            "osc_rejected": sum(counts.get(r, 0) for r in REASONS),
            "osc": counts,
            "osc_restarts": self.osc.restarts if self.osc is not None else 0,
            "audio": audio,
            "displays": displays,
            "gl_errors": gl_errors,
            "open": self.fader.open,
            "fade": round(self.fader.level, 3),
            "paused": self.paused,
            "snapshots": self.snapshots_written,
            "memory_mb": mb(rss_bytes()),
            "heap_in_use_mb": mb(heap_in_use()),
            "last_snapshot": str(self.last_snapshot) if self.last_snapshot else None,
            "last_snapshot_age_s": snap_age,
            "snapshot_error": self.snapshot_error or None,
            # What controllers have tuned: the model's live keys as the city runs them now.
            "live_parameters": {
                name: getattr(self.state.model, name) for name in live_parameters()
            },
            "indices": {
                k: round(float(v), 4) if k != "act" else int(v)
                for k, v in self.state.indices.as_dict().items()
            },
            "act_name": ACT_NAMES[self.state.indices.act],
        }

    def metrics(self) -> list[Metric]:
        """The figures ``GET /metrics`` returns (Prometheus)."""
        h = self.health()
        m = [
            Metric("canopy_up", "gauge", "1 while the show loop runs.", 1.0),
            Metric(
                "canopy_uptime_seconds", "gauge", "Seconds since the show started.", h["uptime_s"]
            ),
            Metric("canopy_ticks_total", "counter", "Simulation ticks run.", h["tick"]),
            # The show's own count: a resize's new tapestry restarts its frame counter.
            Metric("canopy_frames_total", "counter", "Frames drawn.", self.frame_count),
            Metric("canopy_fps", "gauge", "Frames per second (last 2 s).", h["fps"]),
            Metric(
                "canopy_frame_ms_p99",
                "gauge",
                "99th percentile frame interval, ms.",
                h["frame_ms_p99"],
            ),
            Metric("canopy_tick_rate", "gauge", "Ticks per second (last 2 s).", h["tick_rate"]),
            Metric(
                "canopy_dropped_ticks_total",
                "counter",
                "Ticks skipped after stalls.",
                h["dropped_ticks"],
            ),
            Metric(
                "canopy_inputs_total", "counter", "Inputs applied to the simulation.", h["inputs"]
            ),
            Metric(
                "canopy_inputs_dropped_total",
                "counter",
                "Inputs dropped because too many were waiting.",
                h["inputs_dropped"],
            ),
            Metric(
                "canopy_paused", "gauge", "1 while the operator has paused.", float(self.paused)
            ),
            Metric("canopy_open", "gauge", "1 during gallery hours.", float(h["open"])),
            Metric("canopy_fade", "gauge", "Picture brightness (gallery hours).", h["fade"]),
            Metric("canopy_snapshots_total", "counter", "Snapshots written.", h["snapshots"]),
            Metric(
                "canopy_last_snapshot_age_seconds",
                "gauge",
                "Seconds since the last good snapshot (since the start when none yet).",
                round(time.monotonic() - (self.last_good_snapshot_at or self.started), 1),
            ),
            Metric(
                "canopy_degraded",
                "gauge",
                "1 while /health lists problems.",
                float(bool(h["problems"])),
            ),
            Metric(
                "canopy_displays_found",
                "gauge",
                "Displays on their configured screen.",
                sum(bool(d["found"]) for d in h["displays"]),
            ),
            Metric("canopy_gl_errors_total", "counter", "GL errors reported.", h["gl_errors"]),
            Metric(
                "canopy_resident_memory_bytes",
                "gauge",
                "Resident memory of the show's process.",
                h["memory_mb"] * 2**20,
            ),
            Metric("canopy_act", "gauge", "The act of the story (1-5).", self.state.indices.act),
            Metric(
                "canopy_input_restarts_total",
                "counter",
                "Input processes restarted.",
                h["osc_restarts"],
                (("input", "osc"),),
            ),
            Metric(
                "canopy_input_restarts_total",
                "counter",
                "Input processes restarted.",
                h["audio"]["restarts"],
                (("input", "microphone"),),
            ),
            Metric(
                "canopy_audio_up",
                "gauge",
                "1 while the microphone delivers.",
                float(h["audio"]["state"] == "ok"),
            ),
        ]
        if h["audio"]["level_db"] is not None:
            m.append(Metric("canopy_audio_level_dbfs", "gauge", "Room level, dBFS.",
                            h["audio"]["level_db"]))  # fmt: skip
        for name, value in h["osc"].items():
            if name in ("received", "accepted"):
                m.append(Metric("canopy_osc_messages_total", "counter", "OSC messages.",
                                value, (("outcome", name),)))  # fmt: skip
            else:
                m.append(Metric("canopy_osc_rejected_total", "counter",
                                "OSC messages rejected, by reason.", value,
                                (("reason", name),)))  # fmt: skip
        for name, value in h["indices"].items():
            if name != "act":
                m.append(Metric("canopy_index", "gauge", "Headline indices, [0, 1].", value,
                                (("index", name),)))  # fmt: skip
        return m


def run_show(config: Config, options: ShowOptions) -> ShowResult:
    """Run the show, and return what it did.

    It runs until ``options.duration`` seconds pass, SIGINT/SIGTERM arrives or the operator
    quits.
    """
    return Show(config, options).run()


def journal_configs(journal: Journal) -> tuple[WorldConfig, ModelConfig]:
    """The world and model a journal was recorded with, checked as a venue file's are.

    Raises:
        JournalError: a header whose world or model the config schema refuses.
    """
    from installation.config import ConfigError, parse_world_and_model

    try:
        return parse_world_and_model(journal.header, "journal header")
    except ConfigError as exc:
        raise JournalError(f"damaged: {exc}") from None


def check_dynamics(journal: Journal) -> bool:
    """Whether the journal was recorded under this Canopy's dynamics (``DYNAMICS_VERSION``).

    Journals from before the version was recorded are version 1. Warns when not: the same inputs
    then make another city than the one the gallery saw.
    """
    recorded = journal.header.get("dynamics", 1)
    if recorded == DYNAMICS_VERSION:
        return True
    log.warning(
        "journal recorded under simulation dynamics version %s; this Canopy runs version %d: "
        "the replay follows the same inputs but will not match the recorded run",
        recorded,
        DYNAMICS_VERSION,
    )
    return False


def journal_start(folder: Path, journal: Journal) -> State:
    """The state a journal's run started from: a new world, or the snapshot it resumed."""
    name = journal.header.get("start_snapshot")
    if name:
        try:
            state = load_snapshot(Path(folder) / name)
        except SnapshotError as exc:
            raise JournalError(
                f"the journal resumed from a snapshot that is gone or damaged: {exc}"
            ) from None
        start = journal.header.get("start_tick", 0)
        if state.tick != start:  # the journal's tick bounds were checked from its start
            raise JournalError(
                f"{Path(folder) / name} is of tick {state.tick}; the journal starts at {start}"
            )
        return state
    world, model = journal_configs(journal)
    return create_world(world, model)


def replay(folder: Path) -> State:
    """Re-run the simulation from a journal; the final state equals the recorded run's."""
    journal = read_journal(folder)
    check_dynamics(journal)
    state = journal_start(folder, journal)
    dt = 1.0 / float(journal.header["tick_hz"])
    end = journal.end
    if end is None:  # a show that died without its end line: up to its last input
        end = max([state.tick, *(t + 1 for t in journal.frames)])
    while state.tick < end:
        step(state, journal.frame(state.tick), dt)
    # Inputs that arrived after the last tick were applied before the show stopped.
    for batch in journal.frame(end).batched():
        apply_events(state, batch)
    return state
