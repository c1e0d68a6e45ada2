"""The configuration schema: frozen, documented dataclasses for every section of a venue file.

Each field carries its documentation and its allowed range in ``dataclasses.field`` metadata,
so the loader (``installation.config.loader``) can validate a TOML file against it and the
README's reference can be generated from the same source. Nothing here reads files.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from typing import Any


def opt(
    default: Any,
    doc: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    live: bool = False,
) -> Any:
    """A documented config field.

    Args:
        default: the value used when the file does not set the key.
        doc: one sentence for the reference documentation.
        lo: smallest allowed value (numbers, or each element of a list of numbers).
        hi: largest allowed value.
        choices: the allowed strings, for an enumerated string.
        live: whether visitors' controllers may tune it live (``/canopy/param/<name>``).
    """
    meta = {"doc": doc, "lo": lo, "hi": hi, "choices": choices, "live": live}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use tuples for defaults: config is immutable")
    return dataclasses.field(default=default, metadata=meta)


QUALITIES = ("full", "draft")
"""The tapestry's quality tiers (see ``installation.render.tapestry.Look.tier``)."""


@dataclass(frozen=True)
class WorldConfig:
    """The size and seed of the simulated city."""

    seed: int = opt(1, "Seed of the world's random generator.", lo=0, hi=2**63 - 1)
    height: int = opt(256, "Canopy grid rows.", lo=16, hi=4096)
    width: int = opt(256, "Canopy grid columns.", lo=16, hi=4096)
    communities: int = opt(6, "Number of communities (districts).", lo=2, hi=16)
    citizens: int = opt(50_000, "Number of citizens (agents).", lo=100, hi=4_000_000)
    nodes: int = opt(256, "Neural Cloud nodes over the canopy.", lo=8, hi=4096)
    growth_resolution: int = opt(128, "Side of the Gray-Scott canopy-growth grid.", lo=16, hi=2048)
    tick_hz: float = opt(30.0, "Fixed simulation rate, ticks per second.", lo=1.0, hi=240.0)
    resource_shares: tuple[float, ...] = opt(
        (),
        "Each community's share of the city's resources (normalised; empty = built-in unequal "
        "shares).",
        lo=0.0,
        hi=1.0,
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): citizens, node density, resource shares."""
        out = []
        if self.citizens < 10 * self.communities:
            out.append(("citizens", "must be at least 10 per community"))
        if self.nodes > self.height * self.width // 4:
            out.append(("nodes", "must be at most one per 4 canopy cells"))
        if self.resource_shares and len(self.resource_shares) != self.communities:
            out.append(("resource_shares", f"needs one share per community ({self.communities})"))
        if self.resource_shares and sum(self.resource_shares) <= 0:
            out.append(("resource_shares", "must not all be zero"))
        return out


@dataclass(frozen=True)
class ModelConfig:
    """Rates and strengths of the dynamics; times are in simulated seconds."""

    interaction_rate: float = opt(
        1.0, "Bounded-confidence encounters per citizen per second.", lo=0.0, hi=20.0, live=True
    )
    convergence: float = opt(
        0.3, "Deffuant convergence parameter mu of one encounter.", lo=0.0, hi=0.5, live=True
    )
    confidence_min: float = opt(
        0.08, "Confidence bound of a community with no empathy (4-D distance).", lo=0.0, hi=2.0
    )
    confidence_gain: float = opt(
        0.5,
        "How much a community's mean empathy widens its confidence bound.",
        lo=0.0,
        hi=4.0,
        live=True,
    )
    noise: float = opt(
        0.05,
        "Size of the small random shocks that keep sentiment alive.",
        lo=0.0,
        hi=0.5,
        live=True,
    )
    shock_rate: float = opt(0.2, "Random sentiment shocks per citizen per second.", lo=0.0, hi=10.0)
    anchor_rate: float = opt(
        1.5, "Pull per second of a full visitor push (Friedkin-Johnsen anchor).", lo=0.0, hi=20.0
    )
    anchor_decay_s: float = opt(
        15.0, "Time constant over which a visitor's anchor fades.", lo=0.1, hi=3600.0
    )
    push_radius: float = opt(
        0.12, "Radius of a local push or touch, as a fraction of the canopy.", lo=0.01, hi=1.0
    )
    tolerance: float = opt(
        0.6, "Motter-Lai tolerance alpha: capacity = (1 + alpha) x initial load.", lo=0.0, hi=5.0
    )
    transit_share: float = opt(
        0.35, "Share of a node's initial load that is transit (betweenness).", lo=0.0, hi=0.95
    )
    unrest_load: float = opt(
        0.3, "Extra demand a fully angry district puts on its nodes.", lo=0.0, hi=5.0
    )
    glitch_rate: float = opt(
        0.0003,
        "Glitches per node per second where access is perfect.",
        lo=0.0,
        hi=1.0,
        live=True,
    )
    glitch_poverty: float = opt(
        4.0,
        "Extra glitch rate where access is nil, as a multiple of the base rate.",
        lo=0.0,
        hi=50.0,
    )
    glitch_depth: float = opt(
        0.45, "Largest fraction of capacity a glitch takes away.", lo=0.0, hi=1.0
    )
    glitch_recovery_s: float = opt(
        40.0, "Time constant of a glitched node's recovery.", lo=0.1, hi=3600.0
    )
    repair_rate: float = opt(
        0.015,
        "Repairs per failed node per second with no unity and no help.",
        lo=0.0,
        hi=10.0,
        live=True,
    )
    repair_unity: float = opt(
        6.0, "Extra repair rate at full unity, as a multiple of the base rate.", lo=0.0, hi=100.0
    )
    repair_empathy: float = opt(
        3.0,
        "Extra repair rate in a fully empathic community, as a multiple of the base rate.",
        lo=0.0,
        hi=100.0,
    )
    repair_help: float = opt(
        8.0,
        "Extra repair rate at full visitor help, as a multiple of the (unity-raised) rate.",
        lo=0.0,
        hi=100.0,
    )
    outage_stress: float = opt(
        0.08, "Rate at which darkness drains hope and trust and feeds anger.", lo=0.0, hi=5.0
    )
    calm_rate: float = opt(
        0.03,
        "Rate at which powered districts drift back to their baseline mood.",
        lo=0.0,
        hi=5.0,
    )
    growth_steps_per_s: float = opt(
        60.0,
        "Gray-Scott steps per simulated second (canopy growth speed).",
        lo=0.0,
        hi=600.0,
        live=True,
    )


@dataclass(frozen=True)
class DisplayConfig:
    """One projector or monitor and the window the show opens on it."""

    name: str = opt("main", "Label used in logs and the HUD.")
    screen: str = opt(
        "primary",
        "Which screen: 'primary', or a substring of the screen's name as the OS reports it.",
    )
    origin: tuple[int, ...] = opt(
        (),
        "Alternatively [x, y]: a desktop point on the wanted screen, used when no screen's "
        "name matches.",
        lo=-65536,
        hi=65536,
    )
    fullscreen: bool = opt(False, "Open fullscreen on that screen.")
    size: tuple[int, ...] = opt(
        (1280, 720), "Window size [width, height] when windowed.", lo=64, hi=16384
    )
    position: tuple[int, ...] = opt(
        (),
        "When windowed, [x, y] of the window's top-left corner in pixels from its screen's "
        "top-left; empty = centred on the screen.",
        lo=-65536,
        hi=65536,
    )
    view: tuple[float, ...] = opt(
        (0.0, 0.0, 1.0, 1.0),
        "Part of the tapestry this display shows, [x, y, width, height] as fractions from the "
        "top-left (two projectors side by side: [0, 0, 0.5, 1] and [0.5, 0, 0.5, 1]).",
        lo=0.0,
        hi=1.0,
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): sizes, positions and the view rectangle."""
        out = []
        if len(self.size) != 2:
            out.append(("size", "needs exactly two numbers: [width, height]"))
        if self.origin and len(self.origin) != 2:
            out.append(("origin", "needs exactly two numbers: [x, y]"))
        if self.position and len(self.position) != 2:
            out.append(("position", "needs exactly two numbers: [x, y]"))
        if len(self.view) != 4:
            out.append(("view", "needs four numbers: [x, y, width, height]"))
        elif (
            self.view[2] <= 0
            or self.view[3] <= 0
            or self.view[0] + self.view[2] > 1.0 + 1e-9
            or self.view[1] + self.view[3] > 1.0 + 1e-9
        ):
            out.append(("view", "must be a non-empty rectangle inside [0, 0, 1, 1]"))
        return out


@dataclass(frozen=True)
class AudioConfig:
    """The microphone that listens to the room."""

    enabled: bool = opt(True, "Listen at all; without a device the show runs silently.")
    device: str = opt("", "Substring of the input device's name; empty = the system default.")
    samplerate: int = opt(48_000, "Sample rate in Hz.", lo=8_000, hi=192_000)
    channels: int = opt(1, "Input channels (mixed to mono for the features).", lo=1, hi=32)
    gain_db: float = opt(0.0, "Gain applied before the features, in dB.", lo=-60.0, hi=60.0)


@dataclass(frozen=True)
class OscMapping:
    """One controller address mapped onto the Canopy address space, with range scaling."""

    source: str = opt("", "The controller's own address, e.g. '/1/fader1'.")
    target: str = opt("", "The Canopy address it drives, e.g. '/canopy/push/empathy'.")
    in_range: tuple[float, ...] = opt((0.0, 1.0), "[low, high] the controller sends.")
    out_range: tuple[float, ...] = opt((0.0, 1.0), "[low, high] Canopy receives.")
    on_release: bool = opt(
        False,
        "For a button mapped onto an action (`/canopy/repair`): also act when it is released "
        "(its value back at `in_range`'s first end). Off: it acts on press only.",
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): both addresses and both ranges."""
        out = []
        if not self.source.startswith("/"):
            out.append(("source", "must be an OSC address starting with '/'"))
        if not self.target.startswith("/canopy/"):
            out.append(("target", "must be a Canopy address starting with '/canopy/'"))
        for key in ("in_range", "out_range"):
            rng = getattr(self, key)
            if len(rng) != 2 or rng[0] == rng[1]:
                out.append((key, "needs two different numbers: [low, high]"))
        if self.on_release and len(self.out_range) == 2 and self.out_range[0] <= 0.0:
            # The release maps to out_range's first end: a strength of 0 acts on nothing.
            out.append(("on_release", "needs out_range to start above 0 (the release's strength)"))
        return out


@dataclass(frozen=True)
class OscConfig:
    """The OSC server controllers talk to, and the feedback it sends back."""

    enabled: bool = opt(True, "Listen for OSC at all.")
    host: str = opt("127.0.0.1", "Address to listen on ('0.0.0.0' for every interface).")
    port: int = opt(9000, "UDP port to listen on.", lo=1, hi=65535)
    allowed_networks: tuple[str, ...] = opt(
        ("127.0.0.0/8", "::1/128"), "CIDR networks whose packets are accepted; others refused."
    )
    rate_limit: float = opt(
        2000.0, "Messages per second each source may send (token bucket).", lo=1.0, hi=1e6
    )
    burst: int = opt(4000, "Token-bucket depth: a source's allowed burst.", lo=1, hi=10**7)
    feedback_hz: float = opt(10.0, "Rate of index feedback to controllers.", lo=0.0, hi=120.0)
    feedback_targets: tuple[str, ...] = opt(
        (), "Fixed 'host:port' feedback destinations besides subscribers."
    )
    mappings: tuple[OscMapping, ...] = opt((), "Controller addresses mapped onto Canopy's.")
    operator_networks: tuple[str, ...] = opt(
        ("127.0.0.0/8", "::1/128"),
        "CIDR networks whose controllers may use the operator's controls (/canopy/pause, "
        "/canopy/calibrate/..., /canopy/midi/learn); from elsewhere they are refused "
        "(refused_source), whatever allowed_networks lets in.",
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): host, allowed networks, feedback targets."""
        out = []
        why = host_problem(self.host)
        if why:
            out.append(("host", why))
        out += [("allowed_networks", why) for why in cidr_problems(self.allowed_networks)]
        out += [("operator_networks", why) for why in cidr_problems(self.operator_networks)]
        for target in self.feedback_targets:
            host, sep, port = target.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                out.append(("feedback_targets", f"{target!r} is not 'host:port'"))
                continue
            why = host_problem(host)
            if why:
                out.append(("feedback_targets", f"{target!r}: the host {why}"))
        return out


@dataclass(frozen=True)
class MidiConfig:
    """MIDI controllers (faders and knobs boxes), mapped like OSC controllers."""

    enabled: bool = opt(False, "Listen to a MIDI controller at all.")
    port: str = opt("", "Substring of the MIDI input port's name ('' = the first one there is).")
    output: str = opt(
        "",
        "Substring of the MIDI output port that gets feedback (LEDs, motor faders); '' = none.",
    )
    api: str = opt(
        "alsa", "The MIDI system: 'alsa' (Linux's own) or 'jack'.", choices=("alsa", "jack")
    )
    mappings: tuple[OscMapping, ...] = opt(
        (),
        "Controls mapped onto Canopy's addresses, as for OSC: source '/midi/cc/<channel>/"
        "<controller>' or '/midi/note/<channel>/<note>' (channels 1-16, values 0-127).",
    )
    learned: str = opt(
        "",
        "File of the mappings MIDI learn made (kept across restarts; '~' expanded); "
        "empty = data_dir/midi-learned.json.",
    )
    feedback_hz: float = opt(
        4.0, "How often mapped parameters and indices are sent back to the controller.",
        lo=0.0, hi=60.0,
    )  # fmt: skip

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): the mappings' MIDI sources."""
        out = []
        for m in self.mappings:
            if not MIDI_SOURCE.fullmatch(m.source):
                out.append(("mappings", f"{m.source!r} is not '/midi/cc/<1-16>/<0-127>' or "
                                        "'/midi/note/<1-16>/<0-127>'"))  # fmt: skip
        return out


MIDI_SOURCE = re.compile(r"/midi/(cc|note)/(1[0-6]|[1-9])/(12[0-7]|1[01][0-9]|[1-9]?[0-9])")
"""A MIDI control as a mapping's source: its kind, channel (1-16) and number (0-127)."""


@dataclass(frozen=True)
class WebConfig:
    """The web process: OSCQuery, /health and /metrics, and the page for the phone."""

    port: int = opt(
        0, "TCP port of the web process (0 = off; `--web-port` overrides it).", lo=0, hi=65535
    )
    host: str = opt(
        "127.0.0.1",
        "Address it listens on: an IP address, or '0.0.0.0' (or '::') for every interface, "
        "so that controllers on the venue's network find it.",
    )
    allowed: tuple[str, ...] = opt(
        ("127.0.0.0/8", "::1/128"),
        "CIDR networks that may use it; others get 403 Forbidden.",
    )
    name: str = opt("Canopy", "The name controllers see (OSCQuery HOST_INFO, zeroconf).")
    token: str = opt(
        "",
        "The token (or PIN) the page for the phone needs to steer the show; empty: the page "
        "only watches. The environment's CANOPY_WEB_TOKEN overrides it (keep it out of the "
        "venue file); it is never logged.",
    )
    sheet_minutes: float = opt(
        5.0,
        "Minutes between the frames the show keeps for the day's contact sheet (the page's "
        "'today'; in data_dir/day/<date>/); 0 = none kept.",
        lo=0.0,
        hi=1440.0,
    )
    zeroconf: bool = opt(
        True,
        "Advertise the OSCQuery service (_oscjson._tcp) and the OSC port (_osc._udp) over "
        "zeroconf, so controllers find them unconfigured.",
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): host, allowed networks, name."""
        out = []
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            out.append(("host", f"{self.host!r} is not an IP address like 0.0.0.0"))
        out += [("allowed", why) for why in cidr_problems(self.allowed)]
        if not self.name.strip() or len(self.name) > 63:
            out.append(("name", "must be 1 to 63 characters"))
        return out


@dataclass(frozen=True)
class ScheduleConfig:
    """Gallery hours: outside them the picture rests."""

    always_open: bool = opt(True, "Ignore the hours and show all the time.")
    open: str = opt("10:00", "Opening time, local 24-hour 'HH:MM'.")
    close: str = opt("18:00", "Closing time, local 24-hour 'HH:MM'.")
    days: tuple[str, ...] = opt(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "Days the gallery is open."
    )
    closed_picture: str = opt("dim", "What closed hours show.", choices=("dim", "black"))
    dim_level: float = opt(0.15, "Brightness of the dimmed picture, [0, 1].", lo=0.0, hi=1.0)
    fade_s: float = opt(
        20.0, "Seconds the picture takes to fade out at closing and back in.", lo=0.0, hi=3600.0
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): opening and closing times, days."""
        out = []
        for key in ("open", "close"):
            if _parse_hhmm(getattr(self, key)) is None:
                out.append((key, "must be a time 'HH:MM' between 00:00 and 23:59"))
        for day in self.days:
            if day not in _DAYS:
                out.append(("days", f"unknown day {day!r}; use {', '.join(_DAYS)}"))
        return out


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# One DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def cidr_problems(networks: tuple[str, ...]) -> list[str]:
    """Why each of ``networks`` that is not a CIDR network (an allowlist's entries) is not."""
    out = []
    for net in networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            out.append(f"{net!r} is not a CIDR network like 10.0.0.0/24")
    return out


def host_problem(text: str) -> str | None:
    """Why ``text`` is neither an IP address nor a host name, or None when it is one.

    Dotted numbers must be a real IPv4 address (``999.1.1.1`` is refused, not looked up as a
    name: resolvers would treat it as one and fail only when the show starts). IPv6 is written
    bare (``::1``), as the sockets take it.
    """
    if not text:
        return "must not be empty; use an IP address like 127.0.0.1 or a host name"
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if ":" in text or text.startswith("["):
        return f"{text!r} is not a valid IPv6 address (write it bare, like ::1)"
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if all(label.isdigit() for label in labels) or labels[-1].isdigit():
        return f"{text!r} is not a valid IPv4 address (each of its 4 numbers is 0 to 255)"
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return f"{text!r} is not an IP address or a host name"
    return None


def _parse_hhmm(text: str) -> int | None:
    """Minutes after midnight of 'HH:MM', or None when malformed."""
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    return h * 60 + m if h < 24 and m < 60 else None


@dataclass(frozen=True)
class ShowConfig:
    """How the live show runs and what it keeps."""

    mode: str = opt(
        "windowed",
        "'gallery' hides the cursor and needs the quit chord to stop.",
        choices=("windowed", "gallery"),
    )
    quit_chord: str = opt(
        "ctrl+shift+q",
        "Key chord that quits in gallery mode: modifiers (ctrl, shift, alt) and one key.",
    )
    status_port: int = opt(
        0,
        "Older name of [web] port, kept for existing venues: when [web] port is 0, the web "
        "process serves /health, /metrics and OSCQuery on this port, without zeroconf (0 = off).",
        lo=0,
        hi=65535,
    )
    status_host: str = opt(
        "127.0.0.1",
        "Older name of [web] host, used with status_port: an IP address, '0.0.0.0' (or '::') "
        "for every interface, e.g. for a venue's Prometheus.",
    )
    status_allowed: tuple[str, ...] = opt(
        ("127.0.0.0/8", "::1/128"),
        "Older name of [web] allowed, used with status_port: CIDR networks that may use it; "
        "others get 403 (counted in canopy_web_refused_total).",
    )
    shader_dir: str = opt(
        "",
        "A folder of the venue's own shaders: a file there replaces the built-in one of the "
        "same relative name (e.g. cloth.frag, include/common.glsl) and is hot-reloaded; "
        "'~' is expanded, a relative path starts at the working directory; empty = none.",
    )
    calibration: str = opt(
        "",
        "The projection-mapping calibration file (corner pins, meshes, soft edges, masks of "
        "every display; written by calibration mode, key C), read at start. '~' is expanded, "
        "a relative path starts at the working directory; empty = data_dir/calibration.json.",
    )
    snapshot_minutes: float = opt(10.0, "Minutes between state snapshots.", lo=0.1, hi=1440.0)
    snapshots_kept: int = opt(3, "How many snapshots to keep (oldest deleted).", lo=1, hi=1000)
    data_dir: str = opt(
        "",
        "Where snapshots, the journal, screenshots and logs are written (`--data-dir` overrides "
        "it; `~` is expanded, a relative path starts at the working directory). Empty: the "
        "platform's state directory, `$STATE_DIRECTORY` under systemd, else "
        "`$XDG_STATE_HOME/canopy`, else `~/.local/state/canopy`.",
    )
    journal: bool = opt(
        False, "Record every input (and the microphone) in data_dir/journal by default."
    )
    render_scale: float = opt(
        1.0,
        "Tapestry resolution as a fraction of the displays' (below 1 on a slow renderer); the "
        "adaptive scale multiplies it.",
        lo=0.1,
        hi=2.0,
    )
    max_fps: float = opt(
        60.0, "Upper bound on frames drawn per second (vsync may hold it lower).", lo=1.0, hi=240.0
    )
    adaptive_scale: bool = opt(
        True,
        "Hold target_fps on a slow renderer: the tapestry's resolution (times render_scale) is "
        "lowered by steps down to min_scale while frames take too long, and raised again, "
        "never above max_scale, when there is headroom; with hysteresis, so it never "
        "oscillates. False: always render_scale.",
    )
    target_fps: float = opt(
        30.0,
        "Frame rate the adaptive scale holds (a frame's work is kept under 80% of 1/target_fps); "
        "at most max_fps.",
        lo=1.0,
        hi=240.0,
    )
    min_scale: float = opt(
        0.3,
        "Smallest factor the adaptive scale multiplies render_scale by (0.3: llvmpipe on two "
        "cores at 1280x720, where below it a frame's fixed costs dominate).",
        lo=0.1,
        hi=2.0,
    )
    max_scale: float = opt(
        1.0,
        "Largest factor the adaptive scale multiplies render_scale by; the show starts there.",
        lo=0.1,
        hi=2.0,
    )
    quality: str = opt(
        "full",
        "Look of the tapestry: 'full', or 'draft' for slow renderers (a coarser, cheaper weave "
        "that costs no more than the pre-2026-12 look).",
        choices=QUALITIES,
    )
    log_max_mb: float = opt(
        16.0, "Size at which the log file rotates, in MiB (5 old files kept).", lo=0.1, hi=4096.0
    )

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message).

        The quit chord, the status address and allowlist, and the adaptive scale's bounds
        and target.
        """
        from installation.config.keys import ChordError, parse_chord

        try:
            parse_chord(self.quit_chord)
        except ChordError as exc:
            return [("quit_chord", str(exc))]
        try:
            ipaddress.ip_address(self.status_host)
        except ValueError:
            return [("status_host", f"{self.status_host!r} is not an IP address like 0.0.0.0")]
        for why in cidr_problems(self.status_allowed):
            return [("status_allowed", why)]
        if self.min_scale > self.max_scale:
            return [("min_scale", f"{self.min_scale:g} is above max_scale ({self.max_scale:g})")]
        if self.target_fps > self.max_fps:
            return [
                (
                    "target_fps",
                    f"{self.target_fps:g} is above max_fps ({self.max_fps:g}): frames are never "
                    "drawn that often",
                )
            ]
        return []


@dataclass(frozen=True)
class Config:
    """A whole venue: one file in ``hardware_config/``."""

    world: WorldConfig = dataclasses.field(default_factory=WorldConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    displays: tuple[DisplayConfig, ...] = opt((DisplayConfig(),), "The displays; one window each.")
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    osc: OscConfig = dataclasses.field(default_factory=OscConfig)
    web: WebConfig = dataclasses.field(default_factory=WebConfig)
    midi: MidiConfig = dataclasses.field(default_factory=MidiConfig)
    schedule: ScheduleConfig = dataclasses.field(default_factory=ScheduleConfig)
    show: ShowConfig = dataclasses.field(default_factory=ShowConfig)

    def problems(self) -> list[tuple[str, str]]:
        """Checks beyond the ranges, as (key, message): at least one display, names unique."""
        names = [d.name for d in self.displays]
        if len(set(names)) != len(names):
            return [("displays", "display names must be unique")]
        if not self.displays:
            return [("displays", "needs at least one display")]
        return []


def live_parameters() -> dict[str, tuple[float, float]]:
    """The model parameters visitors' controllers may tune live, with their allowed ranges."""
    out = {}
    for f in dataclasses.fields(ModelConfig):
        if f.metadata.get("live"):
            out[f.name] = (float(f.metadata["lo"]), float(f.metadata["hi"]))
    return out
