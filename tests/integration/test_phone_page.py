"""The page for the phone in a real browser: Debian's Chromium, headless, driven by Selenium.

The show runs as a real process with its web process and a journal; the browser loads the
page, sees the act and the indices, and a touch on the picture reaches the simulation (the
journal records it) with the right token and is refused with a wrong one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import pytest
from canopy_helpers import free_port, free_tcp_port, journal_lines, start_canopy, wait_health

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-gpu", "--window-size=480,900",
                "--disable-dev-shm-usage", "--no-first-run"):  # fmt: skip
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # (Chromium refuses to run as root otherwise)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def wait(predicate, timeout=30.0, what="the page"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} never got there")


def touches(folder) -> list[dict]:
    return [r for r in journal_lines(folder) if r.get("address") == "/canopy/touch"]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="needs chromium and chromedriver")
def test_the_page_shows_the_show_and_a_touch_with_the_token_reaches_the_simulation(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    port = free_tcp_port()
    config = tmp_path / "venue.toml"
    config.write_text(
        f"[audio]\nenabled = false\n[osc]\nport = {free_port()}\n"
        "[web]\nzeroconf = false\nname = 'Verdantia'\ntoken = 'tapestry-42'\n"
        "sheet_minutes = 0.02\n"  # (a frame kept about every 2 s: several in the test)
    )
    journal = tmp_path / "journal"
    show = start_canopy(
        "run", "--headless", "--size", "320x180", "--duration", "90", "--config", str(config),
        "--data-dir", str(tmp_path / "data"), "--web-port", str(port), "--journal", str(journal),
    )  # fmt: skip
    driver = None
    try:
        assert show.stdout.readline().startswith("# ready")
        wait_health(port, lambda h: h["tick"] > 0)
        driver = browser()
        driver.get(f"http://127.0.0.1:{port}/ui/")
        act = wait(lambda: driver.find_element(By.ID, "act").text.startswith("Act ") and
                   driver.find_element(By.ID, "act").text)  # fmt: skip
        assert act.split(":")[1].strip() in ("rally", "glitches")
        assert driver.find_element(By.ID, "name").text == "Verdantia"
        unity = float(wait(lambda: driver.find_element(By.ID, "index-unity").text))
        assert 0.0 <= unity <= 1.0
        thumb = driver.find_element(By.ID, "thumb")
        wait(lambda: driver.execute_script("return arguments[0].naturalWidth", thumb) > 0,
             what="the picture")  # fmt: skip

        def touch() -> None:
            ActionChains(driver).move_to_element_with_offset(thumb, 30, -10).click().perform()

        # A wrong token is refused, and nothing reaches the simulation.
        driver.find_element(By.ID, "token").send_keys("guess")
        driver.find_element(By.ID, "save-token").click()
        touch()
        message = wait(lambda: "refused" in (t := driver.find_element(By.ID, "message").text)
                       and t)  # fmt: skip
        assert "tapestry-42" not in message
        time.sleep(1.0)
        assert touches(journal) == []

        # The right one: the touch is applied and journaled, at the point touched.
        field = driver.find_element(By.ID, "token")
        field.clear()
        field.send_keys("tapestry-42")
        driver.find_element(By.ID, "save-token").click()
        touch()
        wait(lambda: driver.find_element(By.ID, "message").text == "sent /canopy/touch")
        driver.find_element(By.CSS_SELECTOR, "[data-push=empathy]").click()
        recorded = wait(lambda: touches(journal), what="the journal")
        x, y, strength = recorded[0]["args"]
        assert 0.55 < x < 0.65 and 0.4 < y < 0.5 and strength == 1.0
        wait(lambda: any(r.get("address") == "/canopy/push/empathy"
                         for r in journal_lines(journal)), what="the push")  # fmt: skip

        # MIDI learn from the page: taken (this show has no MIDI: the log says so).
        driver.find_element(By.ID, "learn").click()
        wait(lambda: driver.find_element(By.ID, "message").text == "sent /canopy/midi/learn")

        # Pause from the page, and run on.
        driver.find_element(By.ID, "pause-on").click()
        wait_health(port, lambda h: h["paused"])
        driver.find_element(By.ID, "pause-off").click()
        wait_health(port, lambda h: not h["paused"])
        controls = wait(lambda: [r for r in journal_lines(journal) if "control" in r],
                        what="the journaled controls")  # fmt: skip
        assert {c["control"] for c in controls} >= {"/canopy/pause", "/canopy/midi/learn"}
        assert all(c["source"] == "web" for c in controls)

        # The day's contact sheet: the frames kept so far, as one JPEG the page shows.
        day = driver.find_element(By.ID, "day")
        driver.execute_script("reloadDay()")
        width = wait(lambda: driver.execute_script("return arguments[0].naturalWidth", day),
                     what="the day's sheet")  # fmt: skip
        assert width > 400  # (a sheet of 200-pixel frames, not one thumbnail)
        kept = list((tmp_path / "data" / "day").glob("*/*.jpg"))
        assert len(kept) >= 2
    finally:
        if driver is not None:
            driver.quit()
        show.send_signal(signal.SIGTERM)
        _out, err = show.communicate(timeout=30)
    assert show.returncode == 0, err
    assert "tapestry-42" not in err  # the token never reaches the log
    assert "MIDI learn ignored: [midi] is not enabled" in err
    assert "tapestry-42" not in json.dumps(journal_lines(journal))
