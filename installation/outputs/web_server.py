"""The web process: Canopy's OSCQuery service on one HTTP port, beside the OSC server.

Besides OSCQuery, it serves ``/health`` and ``/metrics`` (``installation.inputs.status``) and
the page for the phone under ``/ui/`` (``web_ui/index.html``): the picture now, the act and
indices, and controls that steer the show with the venue's token, journaled like any input.

A child process with the input processes' one lifecycle (``processes.ChildProcess``):
restarted when it dies, stopped with a deadline, never able to block the show. It runs an
aiohttp server on ``[web] host``:``port`` that answers

- ``GET /`` and ``GET /canopy/...``: the OSCQuery namespace (``installation.inputs.oscquery``),
  or one attribute of a node (``GET /canopy/index/unity?VALUE``); ``GET /?HOST_INFO``;
- a WebSocket on the same port: ``{"COMMAND": "LISTEN", "DATA": "/canopy/index/unity"}``
  streams that address's value changes to the client as binary OSC messages, ``IGNORE``
  stops them;

and advertises itself over zeroconf (``_oscjson._tcp``, and the OSC server's
``_osc._udp``) so that controllers find it without being configured.

The show sends the values of its readable addresses (indices, act, live parameters) down
the process's pipe, a few times a second; the process never reads the show's state itself.
Connections from outside ``[web] allowed`` get 403; malformed requests and WebSocket frames
get a 4xx or a closed socket, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import re
import select
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from installation.config import OscConfig, WebConfig, live_parameters
from installation.inputs import oscquery
from installation.inputs.osc_protocol import Ping, Reject, Subscribe, Unsubscribe, interpret
from installation.inputs.osc_server import Received
from installation.inputs.processes import ChildProcess, stop_requested
from installation.inputs.status import Metric, health_answer, metrics_text

log = logging.getLogger(__name__)

UI = Path(__file__).resolve().parent / "web_ui"
"""The page for the phone's files."""

BIND_FAILED = 3  # the child's exit status when its port cannot be bound
MAX_LISTENERS = 64  # WebSocket clients at once
MAX_WS_MESSAGE = 4096  # bytes of one client's WebSocket text frame
MAX_WRONG_TOKENS, LOCKOUT_S = 5, 60.0  # wrong tokens in a row, and how long a sender waits
MAX_SHEET_FRAMES = 288  # the day's sheet: at most this many frames (every 5 min for 24 h)
# Refusals are logged once per address; this many addresses are remembered (a scan from
# many addresses must not grow the process's memory or flood the log).
MAX_REFUSED_LOGGED = 256


def _osc_message(address: str, values: Sequence[Any]) -> bytes:
    from pythonosc.osc_message_builder import OscMessageBuilder

    b = OscMessageBuilder(address)
    for v in values:
        b.add_arg(v)
    return b.build().dgram


@dataclass(frozen=True)
class Watching:
    """Sent to the show while a page is open: the show then sends it pictures."""


WATCH_TELL_S = 3.0  # how often, at most, the show hears that a page is open
WATCH_FOR_S = 10.0  # how long after hearing it the show keeps sending pictures


class Service:
    """What the web process serves: the namespace and its listeners (inside the child)."""

    def __init__(
        self, config: WebConfig, osc: OscConfig, communities: int, data_dir: Path | None = None
    ) -> None:
        """Serve nothing yet: the show's first message brings values and figures."""
        self.config = config
        self.data_dir = data_dir
        self._sheet: tuple[tuple[str, ...], bytes] | None = None  # (frames it shows, JPEG)
        self.osc = osc
        self.communities = communities
        self.values: dict[str, list[Any]] = {}
        self.health: dict[str, Any] | None = None
        self.metrics: list[Metric] = []
        self.heartbeat: float | None = None  # time.monotonic() of the show's last message
        self.refused = 0
        self.refused_from: set[str] = set()  # (logged once each)
        self.requests = 0
        self.thumbnail: bytes | None = None  # the picture now, JPEG (the page's touch pad)
        self.act_name = ""
        self.outbox: list[Received | Watching] = []  # the page's inputs, for the show
        self._watch_told = -1e9  # when the show was last told that a page is open
        self.steered = 0
        self.unauthorised = 0
        self.failures: dict[str, int] = {}  # wrong tokens in a row, by sender
        self.locked_until: dict[str, float] = {}  # senders that must wait
        self._sheet_lock = asyncio.Lock()
        self.listeners: dict[Any, set[str]] = {}  # WebSocket -> the paths it listens to
        self.networks = [ipaddress.ip_network(n, strict=False) for n in config.allowed]
        self.tree = oscquery.namespace(communities, self.values)

    def allowed(self, peer: str | None) -> bool:
        """Whether the address ``peer`` is in ``[web] allowed`` (IPv4-mapped: as IPv4)."""
        if not peer:
            return False
        try:
            ip = ipaddress.ip_address(peer.split("%")[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks)

    async def receive(self, message: dict[str, Any]) -> None:
        """A message from the show: its heartbeat, figures and values."""
        self.heartbeat = float(message["heartbeat"])
        self.health = message.get("health", self.health)
        self.metrics = message.get("metrics", self.metrics)
        self.act_name = message.get("act_name", self.act_name)
        if message.get("thumbnail") is not None:
            self.thumbnail = message["thumbnail"]
        if "values" in message:
            await self.update(message["values"])

    async def update(self, values: dict[str, list[Any]]) -> None:
        """New values from the show: keep them, and stream the changes to listeners."""
        changed = oscquery.changes(self.values, values)
        self.values = values
        self.tree = oscquery.namespace(self.communities, values)
        for ws, paths in list(self.listeners.items()):
            for path in paths & changed.keys():
                try:
                    # (A client that stops reading must not hold up the show's messages.)
                    await asyncio.wait_for(ws.send_bytes(_osc_message(path, changed[path])), 0.5)
                except (ConnectionError, RuntimeError):
                    break
                except TimeoutError:
                    # Dropped as a listener; its heartbeat (30 s) closes the connection.
                    self.listeners.pop(ws, None)
                    break

    async def get_health(self, request: Any) -> Any:
        """``GET /health``: the show's figures, or 503 when its heartbeat is stale."""
        from aiohttp import web

        age = None if self.heartbeat is None else time.monotonic() - self.heartbeat
        code, body = health_answer(self.health, age)
        return web.Response(status=code, text=body, content_type="application/json")

    async def get_metrics(self, request: Any) -> Any:
        """``GET /metrics``: the show's figures and the web process's own, for Prometheus."""
        from aiohttp import web

        age = -1.0 if self.heartbeat is None else time.monotonic() - self.heartbeat
        own = [
            Metric("canopy_web_refused_total", "counter",
                   "Requests to the web process from outside [web] allowed, refused.",
                   self.refused),
            Metric("canopy_web_requests_total", "counter", "Requests to the web process.",
                   self.requests),
            Metric("canopy_heartbeat_age_seconds", "gauge",
                   "Seconds since the show's loop last reported (-1: never).", age),
            Metric("canopy_oscquery_listeners", "gauge", "WebSocket clients listening.",
                   len(self.listeners)),
            Metric("canopy_web_inputs_total", "counter",
                   "Inputs the page for the phone handed to the show.", self.steered),
            Metric("canopy_web_unauthorised_total", "counter",
                   "Inputs from the page refused for a wrong or missing token.",
                   self.unauthorised),
        ]  # fmt: skip
        body, kind = metrics_text([*self.metrics, *own])
        return web.Response(body=body, headers={"Content-Type": kind})

    async def page(self, request: Any) -> Any:
        """``GET /ui/``: the page for the phone."""
        from aiohttp import web

        return web.FileResponse(UI / "index.html", headers={"Cache-Control": "no-cache"})

    async def page_state(self, request: Any) -> Any:
        """``GET /ui/api/state``: what the page shows (act, indices, health, parameters)."""
        from aiohttp import web

        self._watched()

        age = None if self.heartbeat is None else time.monotonic() - self.heartbeat
        code, _ = health_answer(self.health, age)
        status = "down" if code != 200 else str((self.health or {}).get("status", "ok"))
        values = self.values
        ranges = live_parameters()
        params = {
            name: {"min": lo, "max": hi, "value": values.get(f"/canopy/param/{name}", [lo])[0]}
            for name, (lo, hi) in ranges.items()
        }
        indices = {n: values.get(f"/canopy/index/{n}", [0.0])[0] for n in oscquery.INDICES}
        act = values.get("/canopy/index/act", [0])[0]
        return web.json_response({
            "name": self.config.name, "status": status, "act": act, "act_name": self.act_name,
            "indices": indices, "params": params, "steering": bool(self.config.token),
            "displays": [d.get("name", "") for d in (self.health or {}).get("displays", [])],
        })  # fmt: skip

    def _watched(self) -> None:
        """A page is open: tell the show (at most every few seconds) to send pictures."""
        now = time.monotonic()
        if now - self._watch_told > WATCH_TELL_S:
            self._watch_told = now
            self.outbox.append(Watching())

    async def page_thumbnail(self, request: Any) -> Any:
        """``GET /ui/thumb.jpg``: the picture now, small (404 until the show sent one)."""
        from aiohttp import web

        self._watched()

        if self.thumbnail is None:
            raise web.HTTPNotFound(text="no picture yet\n")
        return web.Response(body=self.thumbnail, content_type="image/jpeg",
                            headers={"Cache-Control": "no-store"})  # fmt: skip

    async def page_day(self, request: Any) -> Any:
        """``GET /ui/day.jpg``: today's contact sheet, a frame every ``sheet_minutes``."""
        from aiohttp import web

        day = request.query.get("date") or time.strftime("%Y-%m-%d")
        if self.data_dir is None or not DATE.fullmatch(day):
            raise web.HTTPNotFound(text="no such day\n")
        folder = self.data_dir / "day" / day
        frames = tuple(sorted(p.name for p in folder.glob("*.jpg"))) if folder.is_dir() else ()
        if not frames:
            raise web.HTTPNotFound(text=f"no frames kept on {day}\n")
        async with self._sheet_lock:  # (one sheet composed at a time)
            if self._sheet is None or self._sheet[0] != (day, *frames):
                # (Composed in a thread: a day of frames takes a moment.)
                sheet = await asyncio.to_thread(day_sheet, folder, frames, day)
                self._sheet = ((day, *frames), sheet)
        return web.Response(body=self._sheet[1], content_type="image/jpeg",
                            headers={"Cache-Control": "no-store"})  # fmt: skip

    async def page_input(self, request: Any) -> Any:
        """``POST /ui/api/input``: one input from the page, in Canopy's OSC vocabulary.

        ``{"address": "/canopy/touch", "args": [0.4, 0.5, 1]}`` with the token in the
        ``X-Canopy-Token`` header. Checked like an OSC message (``osc_protocol.interpret``),
        then handed to the show, which applies and journals it like any controller's input.
        """
        from aiohttp import web

        given = request.headers.get("X-Canopy-Token", "")
        token = self.config.token
        peer = str(request.remote or "")
        now = time.monotonic()
        if self.locked_until.get(peer, 0.0) > now:
            raise web.HTTPTooManyRequests(text="too many wrong tokens: wait a minute\n")
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            self.unauthorised += 1
            # Guessing is slow: after a few wrong tokens a sender waits a minute.
            failures = self.failures.get(peer, 0) + 1
            self.failures[peer] = failures
            if failures >= MAX_WRONG_TOKENS and len(self.locked_until) < 10_000:
                self.locked_until[peer] = now + LOCKOUT_S
                self.failures[peer] = 0
            # (Never the token itself in a log or an answer.)
            raise web.HTTPUnauthorized(
                text="this show needs its token to be steered\n" if token
                else "this show is watch-only: no token is set\n"
            )  # fmt: skip
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="the body must be JSON\n") from None
        address = data.get("address") if isinstance(data, dict) else None
        args = data.get("args", []) if isinstance(data, dict) else None
        if not isinstance(address, str) or not isinstance(args, list) or len(args) > 8:
            raise web.HTTPBadRequest(text='expected {"address": "/canopy/...", "args": [...]}\n')
        numbers = all(isinstance(a, int | float) and not isinstance(a, bool) for a in args)
        # (MIDI learn's one argument is the address to learn, a string.)
        if not numbers and address != "/canopy/midi/learn":
            raise web.HTTPBadRequest(text="args must be numbers\n")
        item = interpret(address, tuple(args), self.communities)
        if isinstance(item, Reject):
            raise web.HTTPBadRequest(text=f"{item.reason}: {item.detail}\n")
        if isinstance(item, Subscribe | Unsubscribe | Ping):
            raise web.HTTPBadRequest(text="subscriptions and pings are for OSC controllers\n")
        self.failures.pop(peer, None)
        stamp = time.time()
        self.outbox.append(Received(stamp, stamp, peer, 0, address, tuple(args), item))
        self.steered += 1
        return web.json_response({"taken": address})

    async def handle(self, request: Any) -> Any:
        """OSCQuery: a node, one of its attributes, ``HOST_INFO``, or the WebSocket."""
        from aiohttp import web

        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.websocket(request)
        if request.method not in ("GET", "HEAD"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "HEAD"])
        query = request.query_string
        if query == "HOST_INFO":
            info = oscquery.host_info(self.config.name, self.osc.host, self.osc.port)
            return web.json_response(info)
        node = oscquery.find(self.tree, request.path)
        if node is None:
            raise web.HTTPNotFound(text=f"no OSC address {request.path[:100]}\n")
        if not query:
            return web.json_response(node)
        if query not in oscquery.ATTRIBUTES:
            raise web.HTTPBadRequest(text=f"unknown attribute {query[:40]!r}\n")
        if query not in node:
            raise web.HTTPNoContent()
        return web.json_response({query: node[query]})

    async def websocket(self, request: Any) -> Any:
        """A ``LISTEN``/``IGNORE`` client: values stream to it as binary OSC messages."""
        from aiohttp import WSMsgType, web

        if len(self.listeners) >= MAX_LISTENERS:
            raise web.HTTPServiceUnavailable(text="too many listeners\n")
        ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, heartbeat=30.0)
        await ws.prepare(request)
        paths: set[str] = set()
        self.listeners[ws] = paths
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue  # (binary OSC from clients: not taken here; send OSC over UDP)
                command = _command(msg.data)
                if command is None:
                    await ws.close(code=1003, message=b"expected LISTEN or IGNORE")
                    break
                verb, path = command
                if verb == "LISTEN" and oscquery.find(self.tree, path) is not None:
                    paths.add(path)
                    if path in self.values:  # the value now, then its changes
                        await ws.send_bytes(_osc_message(path, self.values[path]))
                elif verb == "IGNORE":
                    paths.discard(path)
        finally:
            self.listeners.pop(ws, None)
        return ws


def _command(text: str) -> tuple[str, str] | None:
    """``(verb, path)`` of a client's ``{"COMMAND": ..., "DATA": ...}``, or None if malformed."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    verb, path = data.get("COMMAND"), data.get("DATA")
    if verb not in ("LISTEN", "IGNORE") or not isinstance(path, str) or not path.startswith("/"):
        return None
    return verb, path


def make_app(service: Service) -> Any:
    """The aiohttp application: the allowlist, ``/health``, ``/metrics``, then OSCQuery."""
    from aiohttp import web

    @web.middleware
    async def allow(request: Any, handler: Any) -> Any:
        service.requests += 1
        if not service.allowed(request.remote):
            service.refused += 1
            peer = str(request.remote)
            if peer not in service.refused_from and len(service.refused_from) < MAX_REFUSED_LOGGED:
                service.refused_from.add(peer)
                log.warning(
                    "web: refused a request from %s (not in [web] allowed: %s); further ones "
                    "from it are only counted", peer, ", ".join(service.config.allowed),
                )  # fmt: skip
            raise web.HTTPForbidden(text="not from an allowed network\n")
        return await handler(request)

    app = web.Application(middlewares=[allow], client_max_size=64 * 1024)
    app.router.add_get("/health", service.get_health)
    app.router.add_get("/metrics", service.get_metrics)

    async def to_page(request: Any) -> Any:
        raise web.HTTPFound("/ui/")

    app.router.add_get("/ui", to_page)
    app.router.add_get("/ui/", service.page)
    app.router.add_get("/ui/api/state", service.page_state)
    app.router.add_get("/ui/thumb.jpg", service.page_thumbnail)
    app.router.add_post("/ui/api/input", service.page_input)
    app.router.add_get("/ui/day.jpg", service.page_day)
    app.router.add_route("*", "/{tail:.*}", service.handle)
    return app


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_sheet(folder: Path, frames: Sequence[str], day: str) -> bytes:
    """The day's kept frames as one labelled contact sheet (JPEG), eight to a row."""
    import io

    import numpy as np
    from PIL import Image

    from installation.outputs.sheet import contact_sheet

    if len(frames) > MAX_SHEET_FRAMES:  # (evenly through the day)
        step = len(frames) / MAX_SHEET_FRAMES
        frames = [frames[int(i * step)] for i in range(MAX_SHEET_FRAMES)]
    stills = []
    for name in frames:
        with contextlib.suppress(OSError), Image.open(folder / name) as img:
            img.thumbnail((200, 200))  # (small as it is read: a day must fit in memory)
            stills.append((f"{name[:2]}:{name[2:4]}", np.asarray(img.convert("RGB"))))
    sheet = contact_sheet(stills, columns=8, width=200, title=f"Canopy, {day}")
    out = io.BytesIO()
    Image.fromarray(sheet).save(out, "JPEG", quality=80)
    return out.getvalue()


def _bind(config: WebConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _advertised_addresses(host: str) -> list[str]:
    """The IPv4 addresses to announce: the bound one, or every interface's for 0.0.0.0."""
    if host not in ("0.0.0.0", "::"):
        return [host]
    import ifaddr

    return [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    ]


async def _advertise(config: WebConfig, osc: OscConfig, port: int) -> Any:
    """Register the OSCQuery and OSC services over zeroconf; the handle to close them.

    Only on the interface the web process is bound to (all of them for 0.0.0.0): a show
    bound to loopback never sends multicast onto the venue's network.
    """
    from zeroconf import InterfaceChoice, IPVersion
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    addresses = _advertised_addresses(config.host)
    if not addresses:
        raise OSError("no IPv4 address to announce")
    interfaces = InterfaceChoice.All if config.host in ("0.0.0.0", "::") else addresses
    zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    name = config.name.replace(".", "-")
    host = f"{socket.gethostname().split('.')[0]}.local."
    packed = [socket.inet_aton(a) for a in addresses]
    infos = [
        AsyncServiceInfo(
            "_oscjson._tcp.local.",
            f"{name}._oscjson._tcp.local.",
            port=port,
            addresses=packed,
            server=host,
            properties={"txtvers": "1"},
        )
    ]
    if osc.enabled:
        infos.append(
            AsyncServiceInfo(
                "_osc._udp.local.",
                f"{name}._osc._udp.local.",
                port=osc.port,
                addresses=packed,
                server=host,
            )
        )
    for info in infos:
        await zc.async_register_service(info, allow_name_change=True)
    return zc, infos


async def _main(
    conn: Connection, lifeline: Connection, ready: Any, config: WebConfig, osc: OscConfig,
    communities: int, data_dir: Path | None,
) -> None:  # fmt: skip
    from aiohttp import web

    service = Service(config, osc, communities, data_dir)

    app = make_app(service)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        sock = _bind(config)
    except OSError as exc:
        log.error("cannot listen for the web on %s:%d: %s", config.host, config.port, exc)
        raise SystemExit(BIND_FAILED) from None
    site = web.SockSite(runner, sock)
    await site.start()
    zc = None
    if config.zeroconf:
        try:
            zc = await _advertise(config, osc, sock.getsockname()[1])
        except Exception as exc:  # no multicast here: serve without being advertised
            log.warning("zeroconf advertising failed (%s); the web still serves", exc)
    ready.value = 1
    try:
        while not stop_requested(lifeline):
            while conn.poll():
                await service.receive(conn.recv())
            if service.outbox:
                _, writable, _ = select.select([], [conn], [], 0)
                if writable:
                    conn.send(service.outbox)
                    service.outbox = []
            await asyncio.sleep(0.01)
    except (EOFError, OSError):
        pass  # the show is gone
    finally:
        if zc is not None:
            with contextlib.suppress(Exception):
                await zc[0].async_unregister_all_services()
                await zc[0].async_close()
        await runner.cleanup()


def serve(
    conn: Connection, lifeline: Connection, ready: Any, config: WebConfig, osc: OscConfig,
    communities: int, data_dir: Path | None = None,
) -> None:  # fmt: skip
    """The web process's entry point (see ``processes.ChildProcess``)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    asyncio.run(_main(conn, lifeline, ready, config, osc, communities, data_dir))


class WebService:
    """The show's side of the web process: start it, feed it values, restart it.

    Args:
        config: the venue's web section (its port set).
        osc: the venue's OSC section (what HOST_INFO and zeroconf announce).
        communities: how many communities the world has (the namespace's addresses).
        data_dir: the show's data folder (the day's kept frames, ``data_dir/day``).
    """

    def __init__(
        self, config: WebConfig, osc: OscConfig, communities: int, data_dir: Path | None = None
    ) -> None:
        """Prepare the process; ``start`` launches it."""
        self.config = config
        self.watched_at = -1e9
        self.child = ChildProcess(
            "canopy-web",
            "web server",
            serve,
            (config, osc, communities, data_dir),
            grace=3.0,
            why={BIND_FAILED: f"cannot listen on {config.host}:{config.port}"},
            duplex=True,
        )

    def start(self) -> None:
        """Start the process and wait until it serves.

        Raises:
            OSError: the port cannot be bound; ``ensure_running`` keeps trying.
        """
        self.child.launch()
        if not self.child.wait_ready():
            raise OSError(f"cannot serve the web on {self.config.host}:{self.config.port}")

    def ensure_running(self) -> bool:
        """Restart a dead process without waiting for it (``ChildProcess.ensure_running``)."""
        return self.child.restart_if_dead()

    def poll(self) -> list[Received]:
        """The page's inputs that arrived since the last call (never blocks).

        (Notes that a page is open are kept in ``watched_at``, not passed on.)
        """
        out: list[Received] = []
        for item in self.child.drain():
            if isinstance(item, Watching):
                self.watched_at = time.monotonic()
            else:
                out.append(item)
        return out

    def watched(self, now: float) -> bool:
        """Whether a page for the phone was open lately (so the show sends it pictures)."""
        return now - self.watched_at < WATCH_FOR_S

    def publish(
        self,
        values: dict[str, list[Any]],
        health: dict[str, Any],
        metrics: list[Metric],
        act_name: str = "",
        thumbnail: bytes | None = None,
    ) -> None:
        """Send the show's heartbeat, figures and readable values (the show's housekeeping).

        Never blocks: when the pipe is full (the process is stuck), this round is skipped.
        """
        message = {"heartbeat": time.monotonic(), "health": health, "metrics": metrics,
                   "values": values, "act_name": act_name, "thumbnail": thumbnail}  # fmt: skip
        self.child.send_nowait(message)

    def stop(self) -> None:
        """Stop the process (a deadline, then killed)."""
        self.child.stop()


def show_values(
    indices: dict[str, float], act: int, params: dict[str, float]
) -> dict[str, list[Any]]:
    """The readable addresses' values from the show's indices and live parameters."""
    out: dict[str, list[Any]] = {
        f"/canopy/index/{n}": [float(indices[n])] for n in oscquery.INDICES
    }
    out["/canopy/index/act"] = [int(act)]
    out.update({f"/canopy/param/{k}": [float(v)] for k, v in params.items()})
    return out
