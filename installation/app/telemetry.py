"""What the live show says about itself: ``/health``, ``/metrics`` and the operator's HUD.

``Telemetry`` is a runner ``Listener`` (it counts inputs and ticks, and their rates) and
counts the frames presented; ``health``, ``metrics`` and ``hud`` read the rest from the
show's parts (inputs, recording, snapshots, displays, gallery hours) through their public
members.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from installation.app.memory import heap_in_use, mb, rss_bytes
from installation.app.runner import Listener
from installation.inputs.frame import InputFrame
from installation.inputs.osc_protocol import REASONS
from installation.inputs.status import Metric
from installation.simulation import ACT_NAMES, State

if TYPE_CHECKING:
    from installation.app.live import Show

HUD_REFRESH_S = 0.5


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


class Telemetry(Listener):
    """The show's figures; ``health`` is what ``GET /health`` returns.

    Args:
        show: the show it reports on.
    """

    def __init__(self, show: Show) -> None:
        """Nothing counted yet; the show starts now."""
        self.show = show
        self.frames = FrameTimes()
        self.tick_rate = Rate(2.0)
        self.input_rate = Rate(2.0)
        self.started = time.monotonic()
        self.frame_count = 0
        self.hud_on = False
        self._hud_text = ""
        self._hud_at = 0.0

    def applied(self, tick: int, batch: int, source: str, frame: InputFrame) -> None:
        """Count an applied batch's inputs."""
        self.input_rate.add(time.monotonic(), len(frame.events))

    def stepped(self, state: State) -> None:
        """Count a tick."""
        self.tick_rate.add(time.monotonic())

    def framed(self) -> None:
        """Count a frame presented now."""
        self.frames.frame(time.monotonic())
        self.frame_count += 1

    def toggle_hud(self) -> None:
        """Show or hide the HUD (and refresh it at once)."""
        self.hud_on = not self.hud_on
        self._hud_at = 0.0

    def refresh_hud(self) -> None:
        """Refresh the HUD's text at the next frame (something it shows changed)."""
        self._hud_at = 0.0

    def hud(self) -> str:
        """The HUD's text (empty while it is hidden), refreshed every ``HUD_REFRESH_S``."""
        if not self.hud_on:
            return ""
        now = time.monotonic()
        if now - self._hud_at < HUD_REFRESH_S and self._hud_text:
            return self._hud_text
        self._hud_at = now
        h = self.health()
        ix = self.show.state.indices
        audio = h["audio"]
        level = f"{audio['level_db']:.0f} dBFS" if audio["level_db"] is not None else "-"
        lines = [
            f"{h['fps']:.1f} fps   frame p99 {h['frame_ms_p99']:.0f} ms   "
            f"ticks {h['tick_rate']:.1f}/s   tick {h['tick']}"
            + ("   PAUSED" if h["paused"] else ""),
            f"inputs {h['inputs_per_s']:.0f}/s ({h['inputs']} in all)   OSC rejected "
            f"{h['osc_rejected']}   restarts: OSC {h['osc_restarts']}, mic {audio['restarts']}",
            f"audio {audio['state']}   level {level}",
            f"act {ix.act} {ACT_NAMES[ix.act]}   unity {ix.unity:.2f}   disparity "
            f"{ix.disparity:.2f}   outage {ix.outage:.2f}   hope {ix.hope:.2f}   anger "
            f"{ix.anger:.2f}   participation {ix.participation:.2f}",
        ]
        render = h["render"]
        if render is not None:
            w, hh = render["size"]
            how = f"adaptive for {render['target_fps']:g} fps" if render["adaptive"] else "fixed"
            lines.append(
                f"render {w}x{hh}   scale {render['scale']:.2f} ({how}, "
                f"{render['changes']} changes)"
            )
        if not h["open"]:
            lines.append(f"gallery closed: picture at {h['fade']:.0%}")
        self._hud_text = "\n".join(lines)
        return self._hud_text

    def _audio(self) -> dict[str, Any]:
        show = self.show
        mic = show.mic
        sound = show.microphone.last if show.microphone is not None else None
        return {
            "state": mic.state if mic is not None else "disabled",
            "message": mic.message if mic is not None else "",
            "restarts": mic.restarts if mic is not None else 0,
            "level_db": round(float(sound.level_db), 1) if sound is not None else None,
        }

    def _problems(self, audio: dict[str, Any]) -> list[str]:
        from installation.app.logs import file_logging_problem

        show = self.show
        problems = [show.recording.error] if show.recording.error else []
        if show.snapshots.error:
            problems.append(f"snapshots failing: {show.snapshots.error}")
        logging_problem = file_logging_problem()
        if logging_problem:
            problems.append(logging_problem)
        if show.osc is not None and not show.osc.alive():
            problems.append("OSC input is down")
        if show.mic is not None and audio["state"] not in ("ok", "starting"):
            problems.append(f"microphone: {audio['state']}")
        windows = show.windows
        if windows is not None and windows.gl_errors:
            problems.append(f"{windows.gl_errors} GL errors")
        for item in windows.items if windows is not None else []:
            if not item.found:
                problems.append(f"display {item.config.name!r} is on the fallback screen")
        return problems

    def health(self) -> dict[str, Any]:
        """The figures ``GET /health`` returns (also the HUD's)."""
        show = self.show
        now = time.monotonic()
        osc = show.osc
        counts = osc.counts() if osc is not None else {}
        audio = self._audio()
        problems = self._problems(audio)
        windows = show.windows
        displays = [
            {"name": item.config.name, "found": item.found, "size": list(item.size)}
            for item in (windows.items if windows is not None else [])
        ]
        keeper = show.snapshots
        good = keeper.last_good_at
        runner = show.runner
        state = show.state
        return {
            "status": "paused" if runner.paused else ("degraded" if problems else "ok"),
            "problems": problems,
            "uptime_s": round(now - self.started, 2),
            "tick": state.tick,
            "fps": round(self.frames.fps(now), 2),
            "frame_ms_median": round(self.frames.percentile_ms(50), 2),
            "frame_ms_p99": round(self.frames.percentile_ms(99), 2),
            "tick_rate": round(self.tick_rate.per_s(now), 2),
            "dropped_ticks": runner.clock.dropped_total if runner.clock is not None else 0,
            "inputs": runner.applied,
            "inputs_per_s": round(self.input_rate.per_s(now), 1),
            "inputs_ignored_while_paused": runner.ignored,
            # Arrived and not applied yet: the inbox, and bundles held for a future timetag.
            "inputs_waiting": len(show.inbox) + (osc.waiting() if osc is not None else 0),
            "inputs_dropped": show.inbox.dropped,
            "osc_rejected": sum(counts.get(r, 0) for r in REASONS),
            "osc": counts,
            "osc_restarts": osc.restarts if osc is not None else 0,
            "audio": audio,
            "displays": displays,
            # The adaptive render scale: its factor, the tapestry's size, how often it changed.
            "render": show.screen.describe_scale() if show.screen is not None else None,
            "gl_errors": windows.gl_errors if windows is not None else 0,
            "open": show.fader.open,
            "fade": round(show.fader.level, 3),
            "paused": runner.paused,
            "snapshots": keeper.count,
            "memory_mb": mb(rss_bytes()),
            "heap_in_use_mb": mb(heap_in_use()),
            "last_snapshot": str(keeper.last) if keeper.last else None,
            "last_snapshot_age_s": None if good is None else round(now - good, 1),
            "snapshot_error": keeper.error or None,
            # What controllers have tuned: the model's live keys as the city runs them now.
            "live_parameters": {name: getattr(state.model, name) for name in _live_keys()},
            "indices": {
                k: round(float(v), 4) if k != "act" else int(v)
                for k, v in state.indices.as_dict().items()
            },
            "act_name": ACT_NAMES[state.indices.act],
        }

    def metrics(self) -> list[Metric]:
        """The figures ``GET /metrics`` returns (Prometheus)."""
        h = self.health()
        keeper = self.show.snapshots
        extra = {
            "frames": self.frame_count,  # the show's own count: a resize restarts the tapestry's
            "snapshot_age": round(time.monotonic() - (keeper.last_good_at or self.started), 1),
            "degraded": float(bool(h["problems"])),
            "displays_found": sum(bool(d["found"]) for d in h["displays"]),
            "memory_bytes": h["memory_mb"] * 2**20,
            "act": self.show.state.indices.act,
            "audio_up": float(h["audio"]["state"] == "ok"),
            "render_scale": h["render"]["scale"] if h["render"] is not None else 0.0,
        }
        m = [Metric(name, kind, text, float(_figure(h, extra, key))) for name, kind, text, key in
             _METRICS]  # fmt: skip
        m.insert(len(_METRICS) - 1, _restarts(h["osc_restarts"], "osc"))
        m.insert(len(_METRICS), _restarts(h["audio"]["restarts"], "microphone"))
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


def _live_keys() -> dict[str, tuple[float, float]]:
    from installation.config import live_parameters

    return live_parameters()


def _figure(health: dict[str, Any], extra: dict[str, Any], key: str) -> Any:
    """A metric's value: a constant (``=1``), one of ``extra``, or a field of ``/health``."""
    if key.startswith("="):
        return float(key[1:])
    return extra[key] if key in extra else health[key]


def _restarts(value: int, which: str) -> Metric:
    return Metric(
        "canopy_input_restarts_total",
        "counter",
        "Input processes restarted.",
        value,
        (("input", which),),
    )


# (name, type, help, where the value comes from), in the order /metrics lists them; the
# input restarts (one per input) go before the last entry.
_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("canopy_up", "gauge", "1 while the show loop runs.", "=1"),
    ("canopy_uptime_seconds", "gauge", "Seconds since the show started.", "uptime_s"),
    ("canopy_ticks_total", "counter", "Simulation ticks run.", "tick"),
    ("canopy_frames_total", "counter", "Frames drawn.", "frames"),
    ("canopy_fps", "gauge", "Frames per second (last 2 s).", "fps"),
    ("canopy_frame_ms_p99", "gauge", "99th percentile frame interval, ms.", "frame_ms_p99"),
    ("canopy_tick_rate", "gauge", "Ticks per second (last 2 s).", "tick_rate"),
    ("canopy_dropped_ticks_total", "counter", "Ticks skipped after stalls.", "dropped_ticks"),
    ("canopy_inputs_total", "counter", "Inputs applied to the simulation.", "inputs"),
    (
        "canopy_inputs_dropped_total",
        "counter",
        "Inputs dropped because too many were waiting.",
        "inputs_dropped",
    ),
    ("canopy_paused", "gauge", "1 while the operator has paused.", "paused"),
    ("canopy_open", "gauge", "1 during gallery hours.", "open"),
    ("canopy_fade", "gauge", "Picture brightness (gallery hours).", "fade"),
    ("canopy_snapshots_total", "counter", "Snapshots written.", "snapshots"),
    (
        "canopy_last_snapshot_age_seconds",
        "gauge",
        "Seconds since the last good snapshot (since the start when none yet).",
        "snapshot_age",
    ),
    ("canopy_degraded", "gauge", "1 while /health lists problems.", "degraded"),
    ("canopy_displays_found", "gauge", "Displays on their configured screen.", "displays_found"),
    ("canopy_gl_errors_total", "counter", "GL errors reported.", "gl_errors"),
    (
        "canopy_render_scale",
        "gauge",
        "Adaptive render scale factor (0 when not drawing).",
        "render_scale",
    ),
    (
        "canopy_resident_memory_bytes",
        "gauge",
        "Resident memory of the show's process.",
        "memory_bytes",
    ),
    ("canopy_act", "gauge", "The act of the story (1-5).", "act"),
    ("canopy_audio_up", "gauge", "1 while the microphone delivers.", "audio_up"),
)
