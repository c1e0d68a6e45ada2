"""Shared helpers for the integration tests.

Free ports, canopy as a real process, and a real X server (Xvfb) with screenshots and typed keys.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A UDP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_canopy(*args: str) -> subprocess.Popen[str]:
    """``canopy ARGS`` as a background process with its output piped.

    Its SIGINT is the default (Ctrl-C at a terminal) even when the suite itself runs as a
    shell's background job, whose commands inherit SIGINT ignored (``make test &``): the
    tests that interrupt it would otherwise wait for it to finish.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "installation", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def run_canopy(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``canopy ARGS`` to completion (in ``env``, or this process's environment)."""
    return subprocess.run(
        [sys.executable, "-m", "installation", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def journal_lines(folder: Path) -> list[dict]:
    """Every JSON line of the journal files in ``folder``, the files in name (time) order."""
    import json

    return [
        json.loads(x)
        for f in sorted(folder.glob("journal-*.jsonl"))
        for x in f.read_text().splitlines()
    ]


def probe(path: Path) -> dict:
    """What Debian's ffprobe reads in a media file: its streams (frames counted) and format."""
    import json

    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def probe_video(path: Path, entry: str) -> list[str]:
    """One ffprobe field of every frame or packet of a file's video, e.g. ``packet=pts``."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            entry,
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def record_journal(folder: Path, seed: int = 2, room_sound: bool = False) -> Path:
    """A recorded show of 60 ticks in ``folder``; returns the folder.

    Touches and pushes every 5 ticks, and the microphone from tick 10 (a 330 Hz tone in the
    WAV). With ``room_sound`` the journal also carries the room's sound features, growing
    louder (they drive the audio clock).
    """
    import dataclasses

    import numpy as np

    from installation.config import ModelConfig, WorldConfig
    from installation.inputs.audio import WavJournal
    from installation.inputs.frame import Push, RoomSound, Touch
    from installation.inputs.journal import JournalWriter

    world = WorldConfig(
        seed=seed, height=64, width=64, citizens=3000, nodes=32, growth_resolution=32
    )
    writer = JournalWriter(
        folder,
        {
            "world": dataclasses.asdict(world),
            "model": dataclasses.asdict(ModelConfig()),
            "tick_hz": world.tick_hz,
        },
    )
    wav = WavJournal(folder, 48000, 1)
    tone = (0.3 * np.sin(2 * np.pi * 330 * np.arange(1600) / 48000)).astype(np.float32)
    for tick in range(60):
        if tick % 5 == 0:
            writer.record(tick, "osc", Touch(0.5, 0.5), "/canopy/touch", (0.5, 0.5))
            writer.record(tick, "osc", Push(2, 0.9), "/canopy/push/empathy", (0.9,))
        if tick >= 10:  # the microphone started at tick 10
            if room_sound:
                level = -40.0 + tick / 2.0
                writer.record_sound(tick, RoomSound(level, level, (level,) * 4, tick % 7 == 0))
            wav.write(tick, tone[:, None])
    writer.end(60)
    writer.close()
    wav.close()
    return folder


class WebThread:
    """The web process's service and app, served on loopback from a thread of this process.

    For tests of what it answers without a show: set ``service.health``, ``metrics`` and
    ``heartbeat`` as the show's messages would.
    """

    def __init__(self, host: str = "127.0.0.1", allowed=("127.0.0.0/8", "::1/128")) -> None:
        """Serve on ``host`` (a free port, in ``port``) to the ``allowed`` networks."""
        import asyncio
        import threading

        from installation.config import OscConfig, WebConfig
        from installation.outputs.web_server import Service

        self.config = WebConfig(port=0, host=host, allowed=tuple(allowed), zeroconf=False)
        self.service = Service(self.config, OscConfig(), communities=6)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        started = threading.Event()
        self._error: BaseException | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._start())
            except BaseException as exc:  # (reported to the test by the constructor)
                self._error = exc
                started.set()
                return
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)
        if self._error is not None:
            raise self._error

    async def _start(self) -> None:
        from aiohttp import web

        from installation.outputs.web_server import make_app

        self.runner = web.AppRunner(make_app(self.service), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.host, 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def close(self) -> None:
        """Stop serving and end the thread."""
        import asyncio

        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Xvfb:
    """A real X server on a free display number (Xvfb picks it: ``-displayfd``).

    Args:
        size: screen 0's WxHxDepth.
        extra: more Xvfb arguments (``+xinerama``, ``-screen 1 800x600x24``).
    """

    def __init__(self, size: str = "1280x720x24", *extra: str) -> None:
        """Start Xvfb and wait for the display number it chose."""
        import os

        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", size, *extra, "-nolisten", "tcp"],
            pass_fds=(write,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def env(self) -> dict[str, str]:
        """This process's environment with ``DISPLAY`` set to the server."""
        import os

        return {**os.environ, "DISPLAY": self.display}

    def screenshot(self, path: Path) -> np.ndarray:
        """The whole X screen (xwd, decoded by ffmpeg) as an (H, W, 3) uint8 array."""
        xwd = path.with_suffix(".xwd")
        subprocess.run(
            ["xwd", "-root", "-silent", "-out", str(xwd)], env=self.env(), check=True, timeout=30
        )
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(xwd), str(path)],
            check=True,
            timeout=30,
        )
        from PIL import Image

        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))

    def keys(self, *keys: str) -> None:
        """Type keys into whatever window is under the pointer.

        There is no window manager, so focus follows the pointer; the show's windows are centred.
        """
        subprocess.run(
            [
                "xdotool",
                "mousemove",
                "640",
                "360",
                "sleep",
                "0.2",
                *[a for k in keys for a in ("key", k, "sleep", "0.3")],
            ],
            env=self.env(),
            check=True,
            timeout=30,
        )

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        self.proc.terminate()
        self.proc.wait(timeout=10)


def free_tcp_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_text(port: int, path: str) -> str:
    """GET a document from the show's status endpoint on loopback."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read().decode()


def get_json(port: int, path: str = "/health") -> dict:
    """GET a JSON document from the show's status endpoint on loopback."""
    import json

    return json.loads(get_text(port, path))


def wait_health(port: int, predicate, timeout: float = 30.0) -> dict:
    """Poll ``/health`` until ``predicate(health)`` holds; fail the test after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            last = get_json(port)
            if predicate(last):
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"health never satisfied the test: {last}")


class Pulse:
    """A PulseAudio server with a null sink 'room' whose monitor is the default source."""

    def __init__(self, folder: Path | None = None) -> None:
        """Set up its environment (``self.env``, for the programs that talk to it).

        Args:
            folder: a runtime folder of its own (so it never meets another test's server),
                or None for the default runtime paths (``test_microphone`` keeps everything
                that uses those in one test, so parallel workers never run two such servers).
        """
        import os

        self.env = dict(os.environ)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
            self.env.update(XDG_RUNTIME_DIR=str(folder), HOME=str(folder))
            self.env.pop("PULSE_SERVER", None)

    def _up(self) -> bool:
        return subprocess.run(["pactl", "info"], capture_output=True, env=self.env).returncode == 0

    def start(self) -> None:
        """Start it and wait until it answers."""
        import time

        subprocess.run(
            ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1",
             "--load=module-null-sink sink_name=room", "--load=module-native-protocol-unix"],
            check=True, capture_output=True, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self._up():
            assert time.monotonic() < deadline, "PulseAudio did not come up"
            time.sleep(0.1)
        subprocess.run(["pactl", "set-default-source", "room.monitor"], check=True, env=self.env)

    def stop(self) -> None:
        """Stop it (if it runs) and wait until it is gone."""
        import time

        subprocess.run(["pulseaudio", "-k"], capture_output=True, env=self.env)
        deadline = time.monotonic() + 10
        while self._up():
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def pid(self) -> int:
        """The server's process id (from the pid file beside its socket)."""
        info = subprocess.run(
            ["pactl", "info"], capture_output=True, text=True, check=True, env=self.env
        ).stdout
        server = next(x for x in info.splitlines() if x.startswith("Server String:"))
        socket_path = Path(server.split(":", 1)[1].strip().removeprefix("unix:"))
        return int((socket_path.parent / "pid").read_text().split()[0])

    def play(self, wav: Path) -> subprocess.Popen:
        """Play a sound file into the room (the microphone hears it)."""
        return subprocess.Popen(["paplay", "--device=room", str(wav)], env=self.env)
