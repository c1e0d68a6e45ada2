"""MIDI controllers against a real MIDI graph: JACK with its dummy backend (no sound card).

The test plays the controller: a virtual MIDI output port it drives (the faders) and a
virtual input port (the controller's LEDs, for feedback), in a JACK server of its own
(``jackd -d dummy``, named for this test so parallel tests never share one). The show runs
as a real process, with ``[midi] api = 'jack'``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest
from canopy_helpers import free_port, free_tcp_port, get_json, start_canopy

pytestmark = pytest.mark.skipif(shutil.which("jackd") is None, reason="needs jackd (jackd2)")


@pytest.fixture
def jack(monkeypatch):
    """A JACK server with the dummy backend, private to the test (its name in the env)."""
    name = f"canopy-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
    monkeypatch.setenv("JACK_NO_AUDIO_RESERVATION", "1")
    server = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "1024"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    import mido

    mido.set_backend("mido.backends.rtmidi/UNIX_JACK")
    deadline = time.monotonic() + 15
    while True:
        try:
            mido.get_output_names()
            break
        except Exception:
            assert time.monotonic() < deadline, server.stderr.read() if server.poll() else ""
            time.sleep(0.2)
    yield mido
    server.terminate()
    server.wait(10)


def wait(predicate, timeout=30.0, what="the show"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} never got there")


def param(port: int, name: str) -> float:
    return get_json(port)["live_parameters"][name]


@pytest.mark.slow
def test_faders_map_learn_feed_back_and_a_replugged_device_is_found_again(jack, tmp_path):
    mido = jack
    faders = mido.open_output("Canopy Test Faders", virtual=True)
    leds = mido.open_input("Canopy Test LEDs", virtual=True)
    learned = tmp_path / "learned.json"
    config = tmp_path / "venue.toml"
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {(osc := free_port())}\n"
        f"[midi]\nenabled = true\napi = 'jack'\nport = 'Test Faders'\noutput = 'Test LEDs'\n"
        f"learned = '{learned}'\nfeedback_hz = 10\n"
        "[[midi.mappings]]\nsource = '/midi/cc/1/7'\ntarget = '/canopy/param/noise'\n"
        "in_range = [0, 127]\nout_range = [0, 0.5]\n"
    )
    web = free_tcp_port()
    show = start_canopy(
        "run", "--headless", "--no-render", "--duration", "120", "--config", str(config),
        "--data-dir", str(tmp_path / "data"), "--web-port", str(web),
    )  # fmt: skip
    try:
        assert show.stdout.readline().startswith("# ready")
        wait(lambda: get_json(web)["tick"] > 0)

        # A mapped fader: CC 7 on channel 1, 0..127 onto noise's 0..0.5.
        def fader(cc: int, value: int, port=None) -> None:
            (port or faders).send(mido.Message("control_change", channel=0, control=cc,
                                               value=value))  # fmt: skip

        wait(lambda: (fader(7, 127), param(web, "noise") == 0.5)[1], what="the fader")
        fader(7, 0)
        wait(lambda: param(web, "noise") == 0.0, what="the fader's low end")

        # Feedback: a parameter set over OSC moves the controller's LED ring / motor fader.
        from pythonosc.udp_client import SimpleUDPClient

        SimpleUDPClient("127.0.0.1", osc).send_message("/canopy/param/noise", 0.25)

        def led() -> int | None:
            got = [m for m in leds.iter_pending() if m.type == "control_change"]
            return next((m.value for m in reversed(got) if m.control == 7), None)

        wait(lambda: led() == 64, what="the feedback")  # round(0.25 / 0.5 * 127)

        # MIDI learn: the next control moved drives the address asked for, and is saved.
        SimpleUDPClient("127.0.0.1", osc).send_message(
            "/canopy/midi/learn", "/canopy/param/convergence"
        )
        time.sleep(1.0)
        fader(10, 64)
        wait(lambda: learned.exists(), what="the learned file")
        assert '"/midi/cc/1/10"' in learned.read_text()
        wait(lambda: (fader(10, 127), param(web, "convergence") == 0.5)[1], what="learned")

        # Unplugged, then plugged back: found again without a restart.
        faders.close()
        time.sleep(3.0)
        again = mido.open_output("Canopy Test Faders", virtual=True)
        wait(lambda: (fader(7, 127, again), param(web, "noise") == 0.5)[1], what="replugged")
        again.close()
    finally:
        leds.close()
        show.send_signal(signal.SIGTERM)
        _out, err = show.communicate(timeout=30)
    assert show.returncode == 0, err
    assert "MIDI learn: /midi/cc/1/10 now drives /canopy/param/convergence" in err
    assert "is gone; looking for it" in err
    assert os.path.exists(learned)
