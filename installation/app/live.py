"""The live show: the parts a gallery run is made of, put together, and its one loop.

Live and offline differ only in what is plugged into the ``Runner``: here the clock runs on
the wall clock (``WallTime``; tests may give another source), the inputs are the OSC inbox
and the microphone (``app/inbox.py``, plus any ``ShowOptions.sources`` such as a score), the
journal records them (``app/recording.py``), and the output is one window per display or an
offscreen framebuffer. The other parts each own one thing: frame pacing (``pacing.py``),
snapshots (``keeper.py``), ``/health``, ``/metrics`` and the HUD (``telemetry.py``), the
operator's keys (``actions.py``).

One loop does everything, in this order each pass: window events and operator keys,
housekeeping (restarts, the web's heartbeat, feedback, snapshots), the ticks that are due,
and a frame when one is due. While a frame draws on a slow renderer (llvmpipe), due ticks
are applied between bands of it, so inputs never wait for a whole frame.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installation.app.actions import Operator
from installation.app.audio_clock import AudioClock
from installation.app.inbox import Inbox, Microphone
from installation.app.keeper import SnapshotKeeper, starting_state
from installation.app.memory import HeapTrim
from installation.app.pacing import Cadence, Pacer
from installation.app.recording import Recording
from installation.app.runner import InputSource, Listener, Runner
from installation.app.schedule import Fader
from installation.app.screen import Screen
from installation.app.telemetry import Telemetry
from installation.app.watchdog import Notifier
from installation.config import Config, WebConfig, live_parameters
from installation.config.paths import resolve_data_dir
from installation.inputs.audio import MicInput
from installation.inputs.frame import InputFrame
from installation.inputs.osc_feedback import Feedback
from installation.inputs.osc_server import OscInput
from installation.inputs.status import Metric
from installation.outputs.midi import MidiInput
from installation.outputs.web_server import WebService, show_values
from installation.simulation import ACT_NAMES, State
from installation.timing import FixedStepClock, WallTime
from installation.timing.clock import TimeSource

log = logging.getLogger(__name__)

HOUSEKEEPING_S = 0.25  # input restarts, feedback, snapshots: checked this often
SCREEN_RECHECK_S = 5.0


@dataclass
class ShowOptions:
    """How a ``Show`` runs (from the command line, a benchmark or a test).

    Attributes:
        duration: stop after this many seconds (None: until a signal or the quit key).
        ticks: stop when the state reaches this tick (None: no limit).
        journal: record every input here (None: ``show.journal`` decides).
        size: render size when headless.
        render: draw at all (False: simulation and inputs only).
        headless: render offscreen through EGL instead of opening windows.
        resume: continue from the latest snapshot in ``data_dir/snapshots``.
        data_dir: where snapshots, the journal, screenshots and logs go (None: the config's).
        status_port: the old name of ``web_port``, kept for venues and scripts that use it: the
            web process (``/health`` and ``/metrics``, without zeroconf) on this port, when
            no web port is set (None: the venue's ``[show] status_port``; 0 is off).
        web_port: the web process's port (None: the venue's ``[web] port``; 0 is off).
        snapshots: write periodic and final snapshots.
        time_source: what the show's clock runs on (None: the wall clock).
        sources: input sources besides OSC and the microphone (a score, say).
        on_input: callable(state, received) after inputs are applied (probes, benchmarks).
        on_tick: callable(state) after each tick.
        on_ready: callable(message) once inputs listen and the loop starts.
        on_frame: callable(show) after each frame (soak and benchmarks).
        now: local wall time for gallery hours (injected in tests).
        quality: the tapestry's quality tier (None: the venue's ``show.quality``).
    """

    duration: float | None = None
    ticks: int | None = None
    journal: Path | None = None
    size: tuple[int, int] = (1280, 720)
    render: bool = True
    headless: bool = True
    resume: bool = False
    data_dir: str | Path | None = None
    status_port: int | None = None
    web_port: int | None = None
    snapshots: bool = True
    time_source: TimeSource | None = None
    sources: tuple[InputSource, ...] = ()
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


class _StopFlag:
    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.reason = signal.Signals(signum).name


class _Probes(Listener):
    """``ShowOptions``'s callbacks, told what the runner does."""

    def __init__(self, options: ShowOptions, state: State) -> None:
        self.options = options
        self.state = state

    def applied(self, tick: int, batch: int, source: str, frame: InputFrame) -> None:
        if self.options.on_input is not None and source == "osc":
            self.options.on_input(self.state, list(frame.received))

    def stepped(self, state: State) -> None:
        if self.options.on_tick is not None:
            self.options.on_tick(state)


def _source_of(r: Any) -> str:
    """Which input process a received input came from: MIDI, the web page, or OSC."""
    return "midi" if r.host == "midi" else "web" if r.port == 0 else "osc"


THUMBNAIL_S = 2.0  # how often the page for the phone gets a new picture


def jpeg_thumbnail(picture: Any, width: int = 480) -> bytes:
    """The picture (H, W, 3 uint8) as a small JPEG, for the page for the phone."""
    import io

    from PIL import Image

    img = Image.fromarray(picture)
    img.thumbnail((width, width), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=75)
    return out.getvalue()


def _web_config(config: Config, options: ShowOptions) -> WebConfig:
    """The web process's settings: ``[web]`` with ``--web-port``, or the old status port.

    ``[show] status_port`` and ``--status-port`` (the status endpoint before the web process
    served it) still give ``/health`` and ``/metrics``, on ``status_host`` to
    ``status_allowed``, without zeroconf; their port 0 (or none) is off.
    """
    port = config.web.port if options.web_port is None else options.web_port
    token = os.environ.get("CANOPY_WEB_TOKEN", config.web.token)
    if port:
        return dataclasses.replace(config.web, port=port, token=token)
    legacy = config.show.status_port if options.status_port is None else options.status_port
    return dataclasses.replace(
        config.web,
        port=legacy,
        host=config.show.status_host,
        allowed=config.show.status_allowed,
        zeroconf=False,
    )


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
        folder = self.data_dir / "snapshots"
        state, self.resumed_from = starting_state(config, folder, options.resume)
        # A resumed snapshot's world wins over the venue file's (it says so when they differ).
        world = state.world
        self.osc = OscInput(config.osc, world.communities) if config.osc.enabled else None
        web = _web_config(config, options)
        self.web = (
            WebService(web, config.osc, world.communities, self.data_dir) if web.port else None
        )
        self.feedback = Feedback(config.osc) if config.osc.enabled else None
        self.mic = MicInput(config.audio, world.tick_hz) if config.audio.enabled else None
        self.midi = None
        if config.midi.enabled:
            learned = config.midi.learned
            path = (
                Path(learned).expanduser().absolute()
                if learned
                else self.data_dir / "midi-learned.json"
            )
            self.midi = MidiInput(config.midi, path, world.communities)
        self.inbox = Inbox(self.osc, self.feedback, self.web, self.midi)
        self.microphone = Microphone(self.mic) if self.mic is not None else None
        self.recording = Recording(None, state)  # opened by ``run``
        self.snapshots = SnapshotKeeper(folder, config.show.snapshots_kept, self._snapshot_written)
        self.telemetry = Telemetry(self)
        probes = _Probes(options, state)
        sources: list[InputSource] = [self.inbox, *options.sources]
        if self.microphone is not None:
            sources.append(self.microphone)
        # Sources that listen too (a sketch's live score hears the visitors) are told.
        heard = [s for s in options.sources if isinstance(s, Listener)]
        self.runner = Runner(state, sources, [self.telemetry, probes, *heard])
        self.pacer = Pacer(self.runner, self.inbox)
        self.cadence = Cadence(config.show.max_fps, config.show.target_fps)
        self.operator = Operator(self)
        self.inbox.pause = self.operator.set_paused
        self.inbox.record = lambda r: self.recording.control(
            self.state.tick, _source_of(r), r.address, r.args
        )
        self.screen: Screen | None = None  # opened by ``run`` when it draws
        self.notifier = Notifier()
        self.fader = Fader(config.schedule, options.now())  # starts at the scheduled level
        self.heap_trim = HeapTrim()
        self._next_thumbnail = 0.0
        self._next_kept = 0.0
        self._keep_failed = ""
        self._stop = _StopFlag()

    @property
    def state(self) -> State:
        """The city as it is now."""
        return self.runner.state

    @property
    def tapestry(self) -> Any:
        """The tapestry the show draws with (None when it does not draw)."""
        return self.screen.tapestry if self.screen is not None else None

    @property
    def windows(self) -> Any:
        """The displays' windows (None when headless or not drawing)."""
        return self.screen.windows if self.screen is not None else None

    def health(self) -> dict[str, Any]:
        """The figures ``GET /health`` returns (``Telemetry.health``)."""
        return self.telemetry.health()

    def metrics(self) -> list[Metric]:
        """The figures ``GET /metrics`` returns (``Telemetry.metrics``)."""
        return self.telemetry.metrics()

    def snapshot(self) -> Path | None:
        """Write a snapshot now (``SnapshotKeeper.write``); None if it failed."""
        return self.snapshots.write(self.state)

    def _snapshot_written(self, name: str, tick: int) -> None:
        self.recording.snapshot_written(name, tick)

    def _open_journal(self) -> None:
        folder = self.options.journal
        if folder is None and self.config.show.journal:
            folder = self.data_dir / "journal"
        self.recording = Recording(folder, self.state, self.resumed_from, self.microphone)
        self.runner.listeners.insert(0, self.recording)

    def _open_output(self) -> None:
        if self.options.render:
            clock = AudioClock(self.runner.dt)
            self.screen = Screen(
                self.config, self.options, self.telemetry.hud, clock, self.data_dir
            )
            self.runner.listeners.append(clock)
            if self.screen.windows is not None:
                self.inbox.calibration = self.screen.windows.calibration

    def _start_inputs(self) -> None:
        if self.osc is not None:
            try:
                self.osc.start()
            except OSError as exc:  # e.g. the port is taken: retried with backoff
                log.error("%s; the show goes on and keeps trying", exc)
        if self.mic is not None:
            self.mic.start()
        if self.midi is not None:
            self.midi.start()
        if self.web is not None:
            try:
                self.web.start()
                self._publish(time.monotonic(), self._values())  # (values from the start)
            except OSError as exc:  # e.g. the port is taken: retried with backoff
                log.error("%s; the show goes on and keeps trying", exc)

    def _ready(self) -> None:
        self.notifier.notify("READY=1")
        if self.options.on_ready is not None:
            c = self.config.osc
            where = f"OSC on {c.host}:{c.port}" if self.osc else "no OSC"
            status = f", web on :{self.web.config.port}" if self.web else ""
            self.options.on_ready(
                f"ready: {where}, tick {self.state.world.tick_hz:g} Hz{status}, "
                f"tick {self.state.tick}"
            )

    def run(self) -> ShowResult:
        """Run until the duration passes, a signal arrives or the operator quits."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        result = ShowResult(self.state)
        try:
            self._open_journal()
            self._open_output()
            self._start_inputs()
            source = self.options.time_source or WallTime()
            self.runner.clock = FixedStepClock(self.state.world.tick_hz, source)
            self.telemetry.started = self.snapshots.last_at = time.monotonic()
            self._ready()
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

    def _should_stop(self, now: float, t_end: float | None) -> str | None:
        if self._stop.reason is not None:
            return self._stop.reason
        if t_end is not None and now >= t_end:
            return "duration"
        if self.options.ticks is not None and self.state.tick >= self.options.ticks:
            return "ticks"
        if self.windows is not None:
            return self.operator.act(self.windows.poll())
        return None

    def _loop(self) -> str:
        opts = self.options
        clock = self.runner.clock
        assert clock is not None  # run started it
        t_end = None if opts.duration is None else time.monotonic() + opts.duration
        # Headless and with windows alike frames are drawn at an even cadence up to max_fps
        # (the screen interpolates between ticks), set by the frames' measured work.
        next_frame = next_recheck = time.monotonic()
        next_house = 0.0
        last_fade = time.monotonic()
        drawing = self.tapestry is not None
        while True:
            now = time.monotonic()
            reason = self._should_stop(now, t_end)
            if reason:
                return reason
            if self.windows is not None and now >= next_recheck + SCREEN_RECHECK_S:
                self.windows.recheck()
                next_recheck = now
            if now >= next_house:
                t0 = time.perf_counter()
                self._housekeeping(now)
                self.pacer.phases.add("housekeeping", t0)
                next_house = now + HOUSEKEEPING_S
            frame_due = drawing and now >= next_frame
            self.pacer.run_due_ticks(frame_waiting=frame_due, until=next_frame if drawing else None)
            if frame_due:
                fade = self.fader.update(opts.now(), now - last_fade)
                last_fade = now
                self._frame(fade)
                frame_period = self.cadence.period_s
                next_frame = max(next_frame + frame_period, time.monotonic() - frame_period)
                if fade <= 0.0:
                    next_frame = time.monotonic() + 0.5  # black: a slow idle, no drawing
            if frame_due or not drawing:
                self.notifier.ping(f"tick {self.state.tick}")
            wait = clock.time_until_next()
            if drawing:
                wait = min(wait, max(next_frame - time.monotonic(), 0.0))
            wait = min(wait, 0.01)  # keeps window events lively
            batch_gap = self.pacer.inputs_due_in()
            if self.osc is not None and batch_gap <= 0:
                self.osc.wait(wait)
            else:
                time.sleep(max(min(wait, batch_gap), 0.0))

    def _frame(self, fade: float) -> None:
        assert self.screen is not None
        self.screen.frame(fade, self.pacer)
        if fade > 0.0:  # (a black frame of the idle fade does no drawing to measure)
            self.cadence.framed(self.pacer.phases)
        self.telemetry.framed()
        if self.options.on_frame is not None:
            self.options.on_frame(self)
        self.pacer.phases.reset()

    def _housekeeping(self, now: float) -> None:
        if self.osc is not None:
            self.osc.ensure_running()
        if self.mic is not None:
            self.mic.ensure_running()
        values = self._values() if self.web is not None or self.midi is not None else {}
        if self.web is not None:
            self.web.ensure_running()
            self._publish(now, values)
        if self.midi is not None:
            self.midi.ensure_running()
            self.midi.feedback(now, values)
        self.recording.flush()
        if self.feedback is not None:
            rejected = self.osc.rejected() if self.osc is not None else 0
            ix = self.state.indices
            self.feedback.send(now, ix.as_dict(), ix.act, rejected)
        period = self.config.show.snapshot_minutes * 60.0
        if self.options.snapshots and self.snapshots.due(now, period):
            self.snapshot()
        self.heap_trim(now)  # once a minute: freed pages back to the system (memory.py)

    def _values(self) -> dict[str, list[Any]]:
        """The readable addresses' values now (OSCQuery, MIDI feedback)."""
        ix, model = self.state.indices, self.state.model
        params = {name: float(getattr(model, name)) for name in live_parameters()}
        return show_values(ix.as_dict(), ix.act, params)

    def _publish(self, now: float, values: dict[str, list[Any]]) -> None:
        """Give the web process the heartbeat, the figures and the readable ``values``."""
        assert self.web is not None
        ix = self.state.indices
        thumbnail = None
        # A picture for the page (read back and encoded: 6-10 ms here) only while a page is
        # open, and for the day's sheet every sheet_minutes.
        minutes = self.web.config.sheet_minutes
        keep = minutes > 0 and now >= self._next_kept
        watched = self.web.watched(now) and now >= self._next_thumbnail
        if self.tapestry is not None and (keep or watched):
            self._next_thumbnail = now + THUMBNAIL_S
            thumbnail = jpeg_thumbnail(self.tapestry.read())
            if keep:
                self._next_kept = now + minutes * 60.0
                self._keep_frame(thumbnail)
        act_name = ACT_NAMES.get(ix.act, "")
        self.web.publish(values, self.health(), self.metrics(), act_name, thumbnail)

    def _keep_frame(self, jpeg: bytes) -> None:
        """Keep a frame for the day's contact sheet (``data_dir/day/<date>/<HHMMSS>.jpg``)."""
        now = self.options.now()
        folder = self.data_dir / "day" / now.strftime("%Y-%m-%d")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / now.strftime("%H%M%S.jpg")).write_bytes(jpeg)
        except OSError as exc:  # a full disk: the show goes on (the log says so once a day)
            if folder.name != self._keep_failed:
                self._keep_failed = folder.name
                log.error("cannot keep a frame for the day's sheet in %s: %s", folder, exc)

    def _shutdown(self, result: ShowResult) -> None:
        self.notifier.notify("STOPPING=1")
        # The input processes stop first (each within a deadline, whatever state it is in),
        # so that every input accepted before the stop is applied (and journaled) before the
        # final snapshot, however many are waiting.
        self.inbox.stop()
        if self.osc is not None:
            result.osc_counts = self.osc.counts()
            result.osc_restarts = self.osc.restarts
        if self.mic is not None:
            result.audio_state = self.mic.state
            self.mic.stop()
        if self.web is not None:
            self.web.stop()
        if self.midi is not None:
            self.midi.stop()
        self.runner.take_arrivals(None)
        if self.options.snapshots:
            result.snapshot = self.snapshot()
        if self.feedback is not None:
            self.feedback.close()
        self.recording.close(self.state.tick)
        result.frames = self.telemetry.frame_count
        if self.screen is not None:
            self.screen.close()
        self.notifier.close()
        result.state = self.state
        result.inputs = self.runner.applied


def run_show(config: Config, options: ShowOptions) -> ShowResult:
    """Run the show, and return what it did.

    It runs until ``options.duration`` seconds pass, SIGINT/SIGTERM arrives or the operator
    quits.
    """
    return Show(config, options).run()
