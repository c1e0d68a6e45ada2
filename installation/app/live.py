"""The live show's loop: inputs drained every tick, the simulation at its fixed rate, the
tapestry rendered between ticks. Headless (EGL) for now; windows come with the gallery show.

Live and offline differ only in what is plugged in: here the time source is the wall clock,
the inputs are the OSC server process (and the journal records them), and the output is an
offscreen framebuffer.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from installation.config import Config, ModelConfig, WorldConfig
from installation.inputs.audio import MicInput, WavJournal
from installation.inputs.frame import Event, InputFrame
from installation.inputs.journal import Journal, JournalError, JournalWriter, read_journal
from installation.inputs.osc_feedback import Feedback
from installation.inputs.osc_protocol import Ping, Subscribe, Unsubscribe
from installation.inputs.osc_server import OscInput
from installation.simulation import State, create_world, step
from installation.timing import FixedStepClock, WallTime

log = logging.getLogger(__name__)


@dataclass
class ShowOptions:
    """How ``run_show`` runs (from the command line)."""

    duration: float | None = None
    journal: Path | None = None
    size: tuple[int, int] = (1280, 720)
    render: bool = True
    on_tick: object = None  # callable(state, received) for probes and benchmarks
    on_ready: object = None  # callable(message) once inputs listen and the loop starts


@dataclass
class ShowResult:
    """What a run did."""

    state: State
    frames: int = 0
    osc_counts: dict[str, int] = field(default_factory=dict)
    osc_restarts: int = 0
    audio_state: str = "disabled"
    stopped_by: str = "duration"


class _StopFlag:
    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.reason = signal.Signals(signum).name


def run_show(config: Config, options: ShowOptions) -> ShowResult:
    """Run the show until ``options.duration`` seconds pass or SIGINT/SIGTERM arrives."""
    state = create_world(config.world, config.model)
    dt = 1.0 / config.world.tick_hz
    osc = OscInput(config.osc, config.world.communities) if config.osc.enabled else None
    feedback = Feedback(config.osc) if config.osc.enabled else None
    mic = MicInput(config.audio, config.world.tick_hz) if config.audio.enabled else None
    journal = wav = None
    if options.journal is not None:
        journal = JournalWriter(
            options.journal,
            {
                "world": dataclasses.asdict(config.world),
                "model": dataclasses.asdict(config.model),
                "tick_hz": config.world.tick_hz,
            },
        )
        if mic is not None:
            wav = WavJournal(options.journal, config.audio.samplerate, config.audio.channels)
    tapestry = None
    if options.render:
        from installation.render.context import create_headless_context
        from installation.render.tapestry import Tapestry

        ctx = create_headless_context()
        tapestry = Tapestry(ctx, options.size)
    stop = _StopFlag()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    result = ShowResult(state)
    try:
        if osc is not None:
            osc.start()
        if mic is not None:
            mic.start()
        if options.on_ready is not None:
            where = f"OSC on {config.osc.host}:{config.osc.port}" if osc else "no OSC"
            options.on_ready(f"ready: {where}, tick {config.world.tick_hz:g} Hz")
        clock = FixedStepClock(config.world.tick_hz, WallTime())
        t_end = None if options.duration is None else time.monotonic() + options.duration

        def run_due_ticks() -> None:
            """Apply every tick that is due, with its inputs (also called mid-frame)."""
            for _ in range(clock.poll().ticks):
                received = osc.poll() if osc is not None else []
                events: list[Event] = []
                for r in received:
                    if isinstance(r.item, Subscribe):
                        feedback.subscribe(r.host, r.item.port or r.port)
                    elif isinstance(r.item, Unsubscribe):
                        feedback.unsubscribe(r.host, r.port)
                    elif not isinstance(r.item, Ping):
                        events.append(r.item)
                        if journal is not None:
                            journal.record(state.tick, "osc", r.item, r.address, r.args)
                sound = None
                if mic is not None:
                    sound, raw = mic.poll()
                    if wav is not None:
                        wav.write(state.tick, raw)
                    if sound is not None and journal is not None:
                        journal.record_sound(state.tick, sound)
                frame = InputFrame(tick=state.tick, events=tuple(events), sound=sound)
                step(state, frame, dt)
                if options.on_tick is not None:
                    options.on_tick(state, received)

        while stop.reason is None:
            if t_end is not None and time.monotonic() >= t_end:
                break
            if osc is not None:
                osc.ensure_running()
            if mic is not None:
                mic.ensure_running()
            run_due_ticks()
            if journal is not None:
                journal.flush()
            if feedback is not None:
                rejected = osc.rejected() if osc is not None else 0
                feedback.send(
                    time.monotonic(), state.indices.as_dict(), state.indices.act, rejected
                )
            if tapestry is not None:
                tapestry.advance_audio_clock(dt, state.loudness)
                tapestry.upload(state)
                tapestry.draw(between=run_due_ticks)
                result.frames += 1
            time.sleep(clock.time_until_next())
        result.stopped_by = stop.reason or "duration"
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if osc is not None:
            result.osc_counts = osc.counts()
            result.osc_restarts = osc.restarts
            osc.stop()
        if feedback is not None:
            feedback.close()
        if mic is not None:
            result.audio_state = mic.state
            mic.stop()
        if wav is not None:
            wav.close()
        if journal is not None:
            journal.end(state.tick)
            journal.close()
        if tapestry is not None:
            tapestry.release()
    return result


def journal_configs(journal: Journal) -> tuple[WorldConfig, ModelConfig]:
    """The world and model a journal was recorded with."""

    def frozen(cls: type, values: dict) -> object:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    try:
        world = frozen(WorldConfig, journal.header["world"])
        model = frozen(ModelConfig, journal.header["model"])
    except (KeyError, TypeError) as exc:
        raise JournalError(f"journal header is damaged ({exc})") from None
    return world, model  # type: ignore[return-value]


def replay(folder: Path) -> State:
    """Re-run the simulation from a journal; the final state equals the recorded run's."""
    journal = read_journal(folder)
    world, model = journal_configs(journal)
    state = create_world(world, model)
    dt = 1.0 / float(journal.header["tick_hz"])
    for frame in journal.ticks():
        step(state, frame, dt)
    return state
