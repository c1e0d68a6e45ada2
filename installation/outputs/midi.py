"""MIDI controllers: faders and knobs boxes (nanoKONTROL, APC, Launch Control) in the show.

A child process (``canopy-midi``, the input processes' one lifecycle) opens the venue's MIDI
input port (``[midi] port``, through ALSA or JACK with ``mido`` and ``python-rtmidi``) and
turns each control into an address of its own -- ``/midi/cc/<channel>/<controller> value``,
``/midi/note/<channel>/<note> velocity`` (0 when released) -- that goes through **the same
mapping machinery as OSC** (``osc_protocol.map_controller``, then ``interpret``): a venue
maps ``/midi/cc/1/7`` onto ``/canopy/param/noise`` with ``in_range = [0, 127]`` just as it
maps a TouchOSC fader.

- **MIDI learn**: the show asks the process to learn an address (``/canopy/midi/learn``
  over OSC); the next control moved is mapped onto it, with the target's range, and the
  mapping is saved (atomically) to the learned file, which is read at every start.
- **Feedback**: the show sends its readable values (indices, live parameters) a few times a
  second; each mapping whose target is readable sends the value back to ``[midi] output``
  as the same control, scaled back (LED rings, motor faders), when it changed.
- **Hot plug**: a device that disappears is looked for every 2 s and opened again when it
  is back, without a restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from installation.config import MidiConfig, OscMapping, live_parameters
from installation.config.schema import MIDI_SOURCE
from installation.inputs.osc_protocol import Reject, interpret, map_controller
from installation.inputs.osc_server import Received
from installation.inputs.processes import ChildProcess, stop_requested
from installation.outputs.files import atomic_write

log = logging.getLogger(__name__)

RESCAN_S = 2.0  # how often a missing device is looked for
LEARN_RANGE = (0.0, 127.0)


def control_address(message: Any) -> tuple[str, tuple[float, ...]] | None:
    """A MIDI message as ``(address, args)``, or None for messages Canopy does not take."""
    kind = message.type
    if kind == "control_change":
        return f"/midi/cc/{message.channel + 1}/{message.control}", (float(message.value),)
    if kind in ("note_on", "note_off"):
        velocity = float(message.velocity) if kind == "note_on" else 0.0
        return f"/midi/note/{message.channel + 1}/{message.note}", (velocity,)
    return None


def target_range(target: str) -> tuple[float, float]:
    """The range a learned mapping scales onto: the live parameter's, else [0, 1]."""
    name = target.rsplit("/", 1)[-1]
    if target.startswith("/canopy/param/") and name in live_parameters():
        return live_parameters()[name]
    return (0.0, 1.0)


def load_learned(path: Path) -> dict[str, OscMapping]:
    """The mappings MIDI learn made, by source (none when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        mappings = [
            OscMapping(
                source=m["source"],
                target=m["target"],
                in_range=tuple(float(v) for v in m["in_range"]),
                out_range=tuple(float(v) for v in m["out_range"]),
            )
            for m in data["mappings"]
        ]
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        log.error("MIDI learn: cannot read %s (%s); starting without learned mappings", path, exc)
        return {}
    good = {}
    for m in mappings:  # (a damaged entry must not crash the process at every start)
        if MIDI_SOURCE.fullmatch(str(m.source)) and not m.problems():
            good[m.source] = m
        else:
            log.error("MIDI learn: %s holds a bad mapping (%s); skipped", path, m.source)
    return good


def save_learned(path: Path, learned: dict[str, OscMapping]) -> None:
    """Write the learned mappings atomically (``outputs.files.atomic_write``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"mappings": [
        {"source": m.source, "target": m.target, "in_range": list(m.in_range),
         "out_range": list(m.out_range)}
        for m in sorted(learned.values(), key=lambda m: m.source)
    ]}  # fmt: skip
    text = json.dumps(data, indent=1) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))


class _Midi:
    """The MIDI process's state: its ports, mappings, learning and feedback (in the child)."""

    def __init__(self, config: MidiConfig, learned_path: Path, communities: int) -> None:
        import mido

        api = "UNIX_JACK" if config.api == "jack" else "LINUX_ALSA"
        mido.set_backend(f"mido.backends.rtmidi/{api}")
        self.mido = mido
        self.config = config
        self.communities = communities
        self.learned_path = learned_path
        self.learned = load_learned(learned_path)
        self.mappings = self._merged()
        self.learning: str | None = None
        self.inport: Any = None
        self.outport: Any = None
        self.sent: dict[str, int] = {}  # feedback: the last value each control was sent
        self.next_scan = 0.0
        self.told_missing = False

    def _merged(self) -> dict[str, OscMapping]:
        """The venue's mappings with the learned ones over them, by source."""
        return {**{m.source: m for m in self.config.mappings}, **self.learned}

    @staticmethod
    def _find(names: list[str], want: str) -> str | None:
        """The first port whose name contains ``want`` ('': the first real one)."""
        for name in names:
            if want.lower() in name.lower() and (want or "through" not in name.lower()):
                return name
        return None

    def rescan(self, now: float) -> None:
        """Open the ports that are missing; close those whose device went away."""
        if now < self.next_scan:
            return
        self.next_scan = now + RESCAN_S
        try:
            inputs, outputs = self.mido.get_input_names(), self.mido.get_output_names()
        except Exception as exc:  # the MIDI system itself is gone (JACK stopped)
            log.warning("MIDI: cannot list ports (%s)", exc)
            inputs, outputs = [], []
        if self.inport is not None and self.inport.name not in inputs:
            log.warning("MIDI: %s is gone; looking for it every %g s", self.inport.name, RESCAN_S)
            with contextlib.suppress(Exception):
                self.inport.close()
            self.inport = None
        if self.outport is not None and self.outport.name not in outputs:
            with contextlib.suppress(Exception):
                self.outport.close()
            self.outport = None
            self.sent.clear()
        if self.inport is None:
            name = self._find(inputs, self.config.port)
            if name is None and not self.told_missing:
                self.told_missing = True  # (once: it is looked for every 2 s)
                log.warning("MIDI: no input port matching %r; the ports now: %s",
                            self.config.port, ", ".join(inputs) or "none")  # fmt: skip
            if name is not None:
                self.told_missing = False
                with contextlib.suppress(Exception):
                    self.inport = self.mido.open_input(name)
                    log.warning("MIDI: listening to %s", name)
        if self.outport is None and self.config.output:
            name = self._find(outputs, self.config.output)
            if name is not None:
                with contextlib.suppress(Exception):
                    self.outport = self.mido.open_output(name)
                    self.sent.clear()

    def receive(self) -> list[Received]:
        """What the controller sent since the last call, mapped and checked like OSC."""
        out: list[Received] = []
        if self.inport is None:
            return out
        try:
            pending = list(self.inport.iter_pending())
        except Exception:  # the device went away mid-read: rescan soon
            self.next_scan = 0.0
            return out
        for message in pending:
            control = control_address(message)
            if control is None:
                continue
            address, args = control
            if self.learning is not None and args[0] > 0:
                self._learn(address, self.learning)
                self.learning = None
            mapped = map_controller(address, args, self.mappings)
            if isinstance(mapped, Reject):
                continue
            target, margs = mapped
            item = interpret(target, margs, self.communities)
            if isinstance(item, Reject):
                continue  # (an unmapped control: nothing of Canopy's)
            now = time.time()
            out.append(Received(now, now, "midi", 0, target, margs, item))
        return out

    def _learn(self, source: str, target: str) -> None:
        m = OscMapping(source=source, target=target, in_range=LEARN_RANGE,
                       out_range=target_range(target))  # fmt: skip
        self.learned = {k: v for k, v in self.learned.items() if v.target != target}
        self.learned[source] = m
        self.mappings = self._merged()
        try:
            save_learned(self.learned_path, self.learned)
        except OSError as exc:
            log.error("MIDI learn: cannot save %s: %s", self.learned_path, exc)
        log.warning("MIDI learn: %s now drives %s", source, target)

    def feedback(self, values: dict[str, list[Any]]) -> None:
        """Send each mapped, readable value back to the controller when it changed."""
        if self.outport is None:
            return
        for m in self.mappings.values():
            if m.target not in values:
                continue
            (a, b), (c, d) = m.in_range, m.out_range
            t = min(max((float(values[m.target][0]) - c) / (d - c), 0.0), 1.0)
            value = round(a + t * (b - a))
            value = min(max(value, 0), 127)
            if self.sent.get(m.source) == value:
                continue
            kind, channel, number = m.source.split("/")[2:]
            if kind == "cc":
                msg = self.mido.Message("control_change", channel=int(channel) - 1,
                                        control=int(number), value=value)  # fmt: skip
            else:
                msg = self.mido.Message("note_on", channel=int(channel) - 1, note=int(number),
                                        velocity=value)  # fmt: skip
            try:
                self.outport.send(msg)
                self.sent[m.source] = value
            except Exception:
                self.next_scan = 0.0

    def close(self) -> None:
        """Close the ports."""
        for port in (self.inport, self.outport):
            if port is not None:
                with contextlib.suppress(Exception):
                    port.close()


def serve(
    conn: Connection, lifeline: Connection, ready: Any, config: MidiConfig, learned: Path,
    communities: int,
) -> None:  # fmt: skip
    """The MIDI process's loop (see ``processes.ChildProcess``)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    midi = _Midi(config, learned, communities)
    ready.value = 1
    pending: list[Received] = []
    try:
        while not stop_requested(lifeline, 0.002):
            midi.rescan(time.monotonic())
            pending += midi.receive()
            while conn.poll():
                message = conn.recv()
                if "learn" in message:
                    midi.learning = message["learn"]
                    log.warning("MIDI learn: move a control to drive %s", message["learn"])
                if "values" in message:
                    midi.feedback(message["values"])
            if pending:
                _, writable, _ = select.select([], [conn], [], 0)
                if writable:
                    conn.send(pending)
                    pending = []
    except (EOFError, OSError):
        pass  # the show is gone
    finally:
        midi.close()


class MidiInput:
    """The show's side of the MIDI process: start it, drain it, teach it, feed it back.

    Args:
        config: the venue's MIDI section.
        learned: the learned mappings' file.
        communities: how many communities the world has (to check addresses).
    """

    def __init__(self, config: MidiConfig, learned: Path, communities: int) -> None:
        """Prepare the process; ``start`` launches it."""
        self.config = config
        args = (config, learned, communities)
        self.child = ChildProcess("canopy-midi", "MIDI input", serve, args, grace=2.0, duplex=True)
        self._next_feedback = 0.0

    def start(self) -> None:
        """Start the process (it finds its device by itself, now or when it is plugged in)."""
        self.child.launch()
        self.child.wait_ready()

    def ensure_running(self) -> bool:
        """Restart a dead process without waiting for it."""
        return self.child.restart_if_dead()

    def poll(self) -> list[Received]:
        """The controller's inputs that arrived since the last call (never blocks)."""
        return self.child.drain()

    def learn(self, target: str) -> None:
        """Map the next control moved onto ``target`` (and save it)."""
        self.child.send_nowait({"learn": target})

    def feedback(self, now: float, values: dict[str, list[Any]]) -> None:
        """Send the readable values for the controller's feedback, ``feedback_hz`` at most."""
        if self.config.feedback_hz <= 0 or now < self._next_feedback:
            return
        self._next_feedback = now + 1.0 / self.config.feedback_hz
        self.child.send_nowait({"values": values})

    def stop(self) -> None:
        """Stop the process."""
        self.child.stop()
