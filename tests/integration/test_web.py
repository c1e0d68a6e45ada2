"""The web process as controllers meet it: OSCQuery over real HTTP and WebSockets, zeroconf.

The show runs as a real process with its web process on loopback. Zeroconf is tested only
inside a network namespace the test creates (``unshare -n``, its own loopback with
multicast), where the independent ``python-oscquery`` browser discovers the service; no
multicast ever reaches a real interface (the other tests turn zeroconf off).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from canopy_helpers import ROOT, free_port, free_tcp_port, start_canopy
from pythonosc.osc_message import OscMessage


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:  # serving, with the show's values
            status, body = get(port, "/canopy/index/unity")
            if status == 200 and "VALUE" in json.loads(body):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the web process never served")


def venue(tmp_path, extra: str = "") -> str:
    path = tmp_path / "venue.toml"
    path.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n[web]\nzeroconf = false\n{extra}"
    )
    return str(path)


def run_show(tmp_path, web_port: int, config: str, seconds: int = 60):
    show = start_canopy(
        "run", "--headless", "--size", "160x90", "--duration", str(seconds), "--config", config,
        "--data-dir", str(tmp_path / "data"), "--web-port", str(web_port),
    )  # fmt: skip
    assert show.stdout.readline().startswith("# ready")
    return show


def stop(show) -> str:
    show.send_signal(signal.SIGTERM)
    _out, err = show.communicate(timeout=30)
    assert show.returncode == 0, err
    return err


@pytest.mark.slow
def test_oscquery_namespace_attributes_listen_and_bad_requests(tmp_path):
    port = free_tcp_port()
    show = run_show(tmp_path, port, venue(tmp_path))
    try:
        wait_serving(port)
        info = json.loads(get(port, "/?HOST_INFO")[1])
        assert info["NAME"] == "Canopy" and info["OSC_TRANSPORT"] == "UDP"
        assert info["EXTENSIONS"]["LISTEN"] is True
        tree = json.loads(get(port, "/")[1])
        unity = tree["CONTENTS"]["canopy"]["CONTENTS"]["index"]["CONTENTS"]["unity"]
        assert unity["TYPE"] == "f" and unity["ACCESS"] == 1 and 0 <= unity["VALUE"][0] <= 1
        noise = json.loads(get(port, "/canopy/param/noise")[1])
        assert noise["ACCESS"] == 3 and noise["RANGE"] == [{"MIN": 0.0, "MAX": 0.5}]
        assert noise["VALUE"] == [0.05]
        assert json.loads(get(port, "/canopy/index/act?VALUE")[1])["VALUE"][0] in range(1, 6)
        assert get(port, "/canopy/touch?VALUE")[0] == 204  # write-only: no value
        assert get(port, "/canopy/touch?NOPE")[0] == 400
        assert get(port, "/canopy/nowhere")[0] == 404

        # Malformed HTTP: answered with 4xx (or the socket closed), and the server goes on.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
            answer = s.recv(100)
            assert answer == b"" or answer.split(b" ")[1].startswith(b"4"), answer
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            assert s.recv(100).split(b" ")[1] == b"405"
        assert get(port, "/?HOST_INFO")[0] == 200

        asyncio.run(listen(port))

        # A frozen show (its loop stopped, its web process running): /health says down.
        assert get(port, "/health")[0] == 200
        os.kill(show.pid, signal.SIGSTOP)
        try:
            time.sleep(4.0)
            status, body = get(port, "/health")
            assert status == 503 and b"has not answered" in body
            assert get(port, "/?HOST_INFO")[0] == 200  # the web process itself still serves
        finally:
            os.kill(show.pid, signal.SIGCONT)
        deadline = time.monotonic() + 10
        while get(port, "/health")[0] != 200:
            assert time.monotonic() < deadline, "the show never came back"
            time.sleep(0.2)
    finally:
        stop(show)


async def listen(port: int) -> None:
    """A WebSocket client LISTENs to two addresses, gets their values, IGNOREs, misbehaves."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/") as ws:
            await ws.send_str(json.dumps({"COMMAND": "LISTEN", "DATA": "/canopy/index/act"}))
            await ws.send_str(json.dumps({"COMMAND": "LISTEN", "DATA": "/canopy/param/noise"}))
            got = {}
            while len(got) < 2:
                msg = await asyncio.wait_for(ws.receive(), 10)
                assert msg.type == aiohttp.WSMsgType.BINARY
                osc = OscMessage(msg.data)
                got[osc.address] = osc.params
            assert got["/canopy/param/noise"] == [pytest.approx(0.05)]
            assert got["/canopy/index/act"][0] in range(1, 6)
            await ws.send_str("{not json")
            msg = await asyncio.wait_for(ws.receive(), 10)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        # A listener hears a value change: a live parameter set over OSC.
        async with session.ws_connect(f"http://127.0.0.1:{port}/") as ws:
            await ws.send_str(json.dumps({"COMMAND": "LISTEN", "DATA": "/canopy/param/noise"}))
            first = OscMessage((await asyncio.wait_for(ws.receive(), 10)).data)
            assert first.params == [pytest.approx(0.05)]
            info = json.loads(get(port, "/?HOST_INFO")[1])
            from pythonosc.udp_client import SimpleUDPClient

            SimpleUDPClient("127.0.0.1", info["OSC_PORT"]).send_message("/canopy/param/noise", 0.2)
            changed = OscMessage((await asyncio.wait_for(ws.receive(), 10)).data)
            assert changed.address == "/canopy/param/noise"
            assert changed.params == [pytest.approx(0.2)]


@pytest.mark.slow
def test_outside_the_allowed_networks_is_forbidden_and_a_killed_web_process_comes_back(
    tmp_path,
):
    port = free_tcp_port()
    show = run_show(tmp_path, port, venue(tmp_path, "allowed = ['192.0.2.0/24']\n"))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = get(port, "/")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 403
        # The web process names itself canopy-web.
        children = Path(f"/proc/{show.pid}/task/{show.pid}/children").read_text().split()
        web = [c for c in children if Path(f"/proc/{c}/comm").read_text().strip() == "canopy-web"]
        assert len(web) == 1, children
        os.kill(int(web[0]), signal.SIGKILL)
        time.sleep(0.5)
        deadline = time.monotonic() + 30
        back = None
        while time.monotonic() < deadline and back != 403:
            try:
                back = get(port, "/")[0]
            except OSError:
                time.sleep(0.3)
        assert back == 403
    finally:
        err = stop(show)
    assert "web server process is down" in err


DISCOVER = textwrap.dedent(
    """
    import json, subprocess, sys, time
    sys.path.insert(0, {root!r})
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "lo", "multicast", "on"],
                ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"]):
        subprocess.run(cmd, check=True)
    show = subprocess.Popen([sys.executable, "-m", "installation", "run", "--headless",
                             "--size", "160x90", "--duration", "60", "--config", {config!r},
                             "--data-dir", {data!r}, "--web-port", "{port}"], cwd={root!r},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        show.stdout.readline()
        from pythonosc.udp_client import SimpleUDPClient
        from pythonoscquery.osc_query_browser import OSCQueryBrowser
        from pythonoscquery.osc_query_client import OSCQueryClient
        browser = OSCQueryBrowser()
        deadline = time.monotonic() + 30
        found = None
        while time.monotonic() < deadline and found is None:
            time.sleep(0.5)
            found = browser.find_service_by_name("Verdantia")
        client = OSCQueryClient(found)
        node = client.query_node("/canopy/index/unity")
        info = client.get_host_info()
        osc = [s.port for s in browser.get_discovered_osc()]
        print(json.dumps({{"name": info.name, "osc_port": info.osc_port, "osc": osc,
                          "path": node.full_path, "value": node.value}}))
    finally:
        show.terminate()
        show.wait(30)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2 for netns"
)
def test_a_controller_discovers_the_service_over_zeroconf_in_a_private_network(tmp_path):
    osc_port, web_port = free_port(), free_tcp_port()
    config = tmp_path / "venue.toml"
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {osc_port}\n[web]\nname = 'Verdantia wall'\n"
    )
    script = DISCOVER.format(root=str(ROOT), config=str(config), data=str(tmp_path / "data"),
                             port=web_port)  # fmt: skip
    out = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["name"] == "Verdantia wall" and found["osc_port"] == osc_port
    assert osc_port in found["osc"]
    assert found["path"] == "/canopy/index/unity" and 0 <= found["value"][0] <= 1
