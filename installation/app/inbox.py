"""The live show's input sources: the OSC inbox and the microphone.

``Inbox`` holds what the OSC process has delivered and not yet applied. It is an
``ArrivingSource``: the runner takes its inputs as they arrive, a batch of at most
``MAX_BATCH`` events at a time (a global push costs 0.6 ms on the default world, so a backlog
of hundreds would freeze a frame). Controllers' subscriptions go to OSC feedback here, their
projection calibration to the windows' editor; pings were answered by the OSC process. The
page for the phone's inputs (the web process) arrive here too, and are applied alike.
Beyond ``INBOX_LIMIT`` waiting inputs the oldest are dropped, and counted. ``Microphone``
gives each tick the room's sound.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

import numpy as np

from installation.inputs.audio import MicInput
from installation.inputs.frame import Event, InputFrame, RoomSound
from installation.inputs.osc_feedback import Feedback
from installation.inputs.osc_protocol import (
    Calibrate,
    MidiLearn,
    Pause,
    Ping,
    Subscribe,
    Unsubscribe,
)
from installation.inputs.osc_server import OscInput, Received
from installation.outputs.calibration import CalibrationEditor
from installation.outputs.midi import MidiInput
from installation.outputs.web_server import WebService

log = logging.getLogger(__name__)

MAX_BATCH = 32
INBOX_LIMIT = 65_536  # inputs waiting beyond this are dropped oldest first, and counted


class Inbox:
    """OSC inputs that have arrived and wait to be applied.

    Args:
        osc: the OSC process's handle (None: OSC is off, the inbox stays empty).
        feedback: where controllers' subscriptions go.
    """

    name = "osc"

    def __init__(
        self,
        osc: OscInput | None,
        feedback: Feedback | None = None,
        web: WebService | None = None,
        midi: MidiInput | None = None,
    ) -> None:
        """Start empty."""
        self.osc = osc
        self.web = web  # the page for the phone's inputs come the same way
        self.midi = midi  # and the MIDI controller's
        self.feedback = feedback
        self.dropped = 0
        self._waiting: deque[Received] = deque()
        # The windows' projection calibration, which controllers may drive (set by the show).
        self.calibration: CalibrationEditor | None = None
        # The operator's pause, which controllers and the page may set (set by the show).
        self.pause: Callable[[bool], None] | None = None
        # Where operators' controls are journaled (set by the show).
        self.record: Callable[[Received], None] | None = None

    def __len__(self) -> int:
        """Inputs waiting here (bundles the OSC process holds for later are not counted)."""
        return len(self._waiting)

    def put(self, items: list[Received]) -> None:
        """Add arrived inputs; beyond ``INBOX_LIMIT`` waiting the oldest are dropped."""
        overflow = len(self._waiting) + len(items) - INBOX_LIMIT
        if overflow > 0:
            self.dropped += overflow
            log.warning("input backlog over %d: %d oldest inputs dropped", INBOX_LIMIT, overflow)
        self._waiting.extend(items)

    def collect(self) -> None:
        """Take what the OSC process has delivered since the last call."""
        if self.osc is not None:
            self.put(self.osc.poll())
        if self.web is not None:
            self.put(self.web.poll())
        if self.midi is not None:
            self.put(self.midi.poll())

    def ready_since(self) -> float | None:
        """Since when (``time.time``) the oldest waiting input may be applied; None if none."""
        if not self._waiting:
            return None
        oldest = self._waiting[0]
        return max(oldest.due, oldest.arrived)  # a bundle's timetag may lie ahead

    def frame(self, tick: int, dt: float) -> InputFrame:
        """Nothing of its own per tick: OSC inputs are taken as they arrive (``arrived``)."""
        return InputFrame(tick=tick)

    def arrived(self, tick: int) -> InputFrame | None:
        """The next batch of at most ``MAX_BATCH`` inputs, or None when none waits."""
        if not self._waiting:
            return None
        n = min(len(self._waiting), MAX_BATCH)
        events: list[Event] = []
        carried: list[Received] = []
        for _ in range(n):
            r = self._waiting.popleft()
            if isinstance(r.item, Calibrate | Pause | MidiLearn) and self.record is not None:
                self.record(r)  # an operator's control: journaled, then carried out
            if isinstance(r.item, Subscribe):
                assert self.feedback is not None  # OSC input on, so OSC feedback on
                self.feedback.subscribe(r.host, r.item.port or r.port)
            elif isinstance(r.item, Unsubscribe):
                assert self.feedback is not None
                self.feedback.unsubscribe(r.host, r.item.port)
            elif isinstance(r.item, Calibrate):
                self._calibrate(r.item)
            elif isinstance(r.item, MidiLearn):
                if self.midi is None:
                    log.warning("MIDI learn ignored: [midi] is not enabled")
                else:
                    self.midi.learn(r.item.target)
            elif isinstance(r.item, Pause):
                if self.pause is not None:
                    self.pause(r.item.paused)
            elif not isinstance(r.item, Ping):
                events.append(r.item)
                carried.append(r)
        return InputFrame(tick=tick, events=tuple(events), received=tuple(carried))

    def _calibrate(self, item: Calibrate) -> None:
        """A controller's projection calibration, for the windows' editor (none: headless)."""
        if self.calibration is None:
            log.warning("OSC calibration ignored: the show has no windows to calibrate")
            return
        why = self.calibration.apply(item.display, item.what, item.values)
        if why:
            log.warning("OSC calibration not applied: %s", why)

    def stop(self) -> None:
        """Stop the OSC process and keep what it accepted last (applied before the stop)."""
        if self.osc is not None:
            self.put(self.osc.stop())


class Microphone:
    """The room's sound, tick by tick, from the capture process (``MicInput``).

    ``raw`` holds the samples of the last tick read, for the WAV journal.
    """

    name = "audio"

    def __init__(self, mic: MicInput) -> None:
        """Read ``mic`` once per tick."""
        self.mic = mic
        self.raw: np.ndarray | None = None
        self.last: RoomSound | None = None  # the last features heard, for /health

    def frame(self, tick: int, dt: float) -> InputFrame:
        """The tick's sound (None when the microphone is not listening)."""
        sound, raw = self.mic.poll()
        self.raw = raw
        if sound is not None:
            self.last = sound
        return InputFrame(tick=tick, sound=sound)
