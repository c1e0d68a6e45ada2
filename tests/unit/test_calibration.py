"""Projection calibration without GL: the geometry, the file, and the operator's editor."""

from __future__ import annotations

import contextlib
import json
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installation.inputs.osc_protocol import Calibrate, interpret
from installation.outputs.calibration import (
    NUDGE,
    CalibrationEditor,
    calibration_from_json,
    calibration_path,
    load_calibrations,
    save_calibrations,
)
from installation.render.mapping import (
    UNIT_CORNERS,
    Calibration,
    CalibrationError,
    apply_homography,
    blend_ramp,
    homography,
    mesh_warp,
)

SKEWED = ((0.1, 0.05), (0.95, 0.12), (0.88, 0.93), (0.02, 0.8))


def test_homography_takes_the_corners_where_they_were_pinned():
    h = homography(UNIT_CORNERS, SKEWED)
    assert np.allclose(apply_homography(h, np.array(UNIT_CORNERS)), SKEWED)
    # Straight lines stay straight: the picture's middle is where its diagonals cross.
    mid = apply_homography(h, np.array([[0.5, 0.5]]))[0]
    a, c = np.array(SKEWED[0]), np.array(SKEWED[2])
    b, d = np.array(SKEWED[1]), np.array(SKEWED[3])
    t = np.linalg.solve(np.stack([c - a, b - d], axis=1), b - a)[0]
    assert np.allclose(mid, a + t * (c - a))


def test_a_mesh_without_offsets_changes_nothing_and_passes_through_its_points():
    uv = np.random.default_rng(1).random((200, 2))
    flat = Calibration(mesh_size=(4, 3), mesh=((0.0, 0.0),) * 12)
    assert np.allclose(mesh_warp(flat, uv), uv)
    offsets = [(0.0, 0.0)] * 12
    offsets[5] = (0.03, -0.02)  # column 1, row 1
    bent = Calibration(mesh_size=(4, 3), mesh=tuple(offsets))
    assert np.allclose(mesh_warp(bent, np.array([[1 / 3, 0.5]])), [[1 / 3 + 0.03, 0.48]])
    assert np.allclose(mesh_warp(bent, np.array([[0.0, 0.0], [1.0, 1.0]])), [[0, 0], [1, 1]])


@given(st.floats(0.0, 1.0), st.floats(0.5, 8.0))
def test_opposite_ramps_sum_to_one(x, curve):
    assert blend_ramp(x, curve) + blend_ramp(1.0 - x, curve) == pytest.approx(1.0)


def test_a_calibration_survives_save_and_load_unchanged(tmp_path):
    path = tmp_path / "venue" / "calibration.json"
    cals = {
        "left": Calibration(corners=SKEWED, blend=(0.0, 0.0, 0.2, 0.0), blend_gamma=2.4),
        "right": Calibration(
            mesh_size=(3, 2),
            mesh=((0.0, 0.0), (0.01, 0.02), (0.0, 0.0), (0.0, 0.0), (-0.01, 0.0), (0.0, 0.0)),
            masks=(((0.1, 0.1), (0.3, 0.1), (0.2, 0.4)),),
        ),
    }
    save_calibrations(path, cals)
    assert load_calibrations(path) == cals
    assert [p.name for p in path.parent.iterdir()] == ["calibration.json"]  # no temporary left
    assert load_calibrations(tmp_path / "none.json") == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"corners": [[0, 0], [1, 0], [1, 1]]}, "four"),
        ({"corners": [[0, 0], [1, 1], [1, 0], [0, 1]]}, "convex"),
        ({"corners": "all of them"}, "list of [x, y]"),
        ({"mesh_size": [1, 5]}, "mesh_size"),
        ({"mesh_size": [3, 3], "mesh": [[0, 0]] * 4}, "needs 9 offsets"),
        ({"blend": [0, 0, 0.9, 0]}, "blend widths"),
        ({"blend": "wide"}, "lists of numbers"),
        ({"blend_gamma": 0.1}, "blend_gamma"),
        ({"masks": [[[0, 0], [1, 1]]]}, "three points"),
        ({"corners": [[0, 0], [1e9, 0], [1, 1], [0, 1]]}, "within 4"),
        ({"warp": 1}, "unknown key 'warp'"),
        ([1, 2], "must be an object"),
    ],
)
def test_a_bad_calibration_is_one_clear_message(data, message):
    with pytest.raises(CalibrationError, match="display 'wall'") as err:
        calibration_from_json(data, "wall")
    assert message in str(err.value)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=8), c,
                                                                        max_size=5)))  # fmt: skip
def test_no_json_crashes_the_reader(data):
    with contextlib.suppress(CalibrationError):
        calibration_from_json(data, "x")


def editor(tmp_path, names=("wall",)):
    return CalibrationEditor(tmp_path / "calibration.json", list(names),
                             fit_of=lambda i: (0.0, 0.125, 1.0, 0.75))  # fmt: skip


def test_the_operator_pins_a_corner_with_keys_and_it_is_saved_at_once(tmp_path):
    ed = editor(tmp_path)
    assert not ed.key(0, "RIGHT", False)  # not calibrating: the key is the show's
    assert ed.key(0, "C", False) and ed.active
    assert ed.marker(0) == pytest.approx((0.0, 0.125))  # the letterboxed picture's corner
    for _ in range(3):
        ed.key(0, "RIGHT", False)
    ed.key(0, "TAB", False)  # the top right corner
    ed.key(0, "DOWN", True)  # ten nudges
    saved = load_calibrations(tmp_path / "calibration.json")["wall"]
    want = ((3 * NUDGE, 0.125), (1.0, 0.125 + 10 * NUDGE), (1.0, 0.875), (0.0, 0.875))
    assert np.allclose(saved.corners, want)
    # A restart reads it back unchanged, and shows it.
    again = editor(tmp_path)
    assert again.of(0) == saved
    again.key(0, "C", False)
    again.key(0, "BACKSPACE", False)  # back to the plain picture
    assert load_calibrations(tmp_path / "calibration.json")["wall"] == Calibration()


def test_mesh_points_follow_the_pointer_and_the_drag_is_saved_on_release(tmp_path):
    ed = editor(tmp_path)
    ed.key(0, "C", False)
    ed.key(0, "M", False)  # the mesh (2x2: its corners)
    ed.press(0, (0.98, 0.86))  # nearest: the bottom right point
    assert ed.selected[0] == 3
    ed.drag(0, (0.9, 0.8))
    assert not (tmp_path / "calibration.json").exists()  # not while dragging
    ed.release()
    cal = load_calibrations(tmp_path / "calibration.json")["wall"]
    # In picture fractions: (0.9, (0.8 - 0.125) / 0.75) = (0.9, 0.9), 0.1 in from (1, 1).
    assert cal.mesh[3] == pytest.approx((-0.1, -0.1))
    assert ed.marker(0) == pytest.approx((0.9, 0.8))


def test_an_unreadable_file_is_reported_kept_aside_and_the_show_starts_plain(tmp_path, caplog):
    path = tmp_path / "calibration.json"
    path.write_text("{ not json")
    with caplog.at_level(logging.ERROR):
        ed = editor(tmp_path)
    assert "is not JSON" in caplog.text and ed.of(0) == Calibration()
    assert path.read_text() == "{ not json"  # nothing written until the operator edits
    ed.key(0, "C", False)
    ed.key(0, "LEFT", False)
    assert (tmp_path / "calibration.json.broken").read_text() == "{ not json"
    assert json.loads(path.read_text())["displays"]["wall"]["corners"]


def test_other_displays_in_the_file_are_kept(tmp_path):
    save_calibrations(tmp_path / "calibration.json", {"old": Calibration(corners=SKEWED)})
    ed = editor(tmp_path)
    ed.key(0, "C", False)
    ed.key(0, "UP", False)
    assert set(load_calibrations(tmp_path / "calibration.json")) == {"old", "wall"}


def test_the_file_is_the_venues_or_in_the_data_folder(tmp_path):
    assert calibration_path("", tmp_path) == tmp_path / "calibration.json"
    assert calibration_path("~/cal.json", tmp_path).name == "cal.json"
    assert calibration_path("~/cal.json", tmp_path).is_absolute()


@pytest.mark.parametrize(
    ("address", "args", "want"),
    [
        ("/canopy/calibrate/mode", (1,), Calibrate("", "mode", (1.0,))),
        ("/canopy/calibrate/w/corner", (2, 0.9, 1.0), Calibrate("w", "corner", (2.0, 0.9, 1.0))),
        ("/canopy/calibrate/0/mesh", (4, 0.01, -0.02), Calibrate("0", "mesh", (4.0, 0.01, -0.02))),
        ("/canopy/calibrate/wall/mesh_size", (5, 3), Calibrate("wall", "mesh_size", (5.0, 3.0))),
        ("/canopy/calibrate/w/blend", (0, 0, 0.3, 0), Calibrate("w", "blend", (0, 0, 0.3, 0))),
        ("/canopy/calibrate/wall/reset", (), Calibrate("wall", "reset", ())),
        ("/canopy/calibrate/wall/corner", (4, 0.5, 0.5), "out_of_range"),
        ("/canopy/calibrate/wall/corner", (1.5, 0.5, 0.5), "wrong_type"),
        ("/canopy/calibrate/wall/corner", (1, 0.5), "wrong_count"),
        ("/canopy/calibrate/wall/corner", (1, "a", 0.5), "wrong_type"),
        ("/canopy/calibrate/wall/corner", (1, float("nan"), 0.5), "not_finite"),
        ("/canopy/calibrate/wall/blend", (0, 0, 0.7, 0), "out_of_range"),
        ("/canopy/calibrate/wall/mesh_size", (40, 3), "out_of_range"),
        ("/canopy/calibrate/wall/warp", (1,), "unknown_address"),
        ("/canopy/calibrate/wall", (1,), "unknown_address"),
    ],
)  # fmt: skip
def test_calibration_over_osc_is_checked_like_any_message(address, args, want):
    got = interpret(address, args, communities=6)
    assert got == want if isinstance(want, Calibrate) else got.reason == want


def test_a_controller_calibrates_by_name_or_number_and_a_wrong_one_is_told_why(tmp_path):
    ed = editor(tmp_path, names=("left", "right"))
    assert ed.apply("", "mode", (1.0,)) is None and ed.active
    assert ed.apply("right", "corner", (0, 0.1, 0.2)) is None
    assert ed.apply("1", "blend", (0.25, 0.0, 0.0, 0.0)) is None
    assert ed.apply("0", "mesh_size", (3.0, 3.0)) is None
    assert ed.apply("left", "mesh", (4, 0.02, 0.0)) is None
    assert "the mesh has 9" in (ed.apply("left", "mesh", (9, 0.0, 0.0)) or "")
    assert "no display 'middle'" in (ed.apply("middle", "reset", ()) or "")
    assert "convex" in (ed.apply("right", "corner", (1, 0.0, 0.9)) or "")
    saved = load_calibrations(tmp_path / "calibration.json")
    assert saved["right"].corners[0] == (0.1, 0.2) and saved["right"].blend[0] == 0.25
    assert saved["left"].mesh[4] == (0.02, 0.0)
    assert ed.apply("right", "nudge", (0, 0.01, -0.02)) is None  # from where it is
    assert np.allclose(ed.of(1).corners[0], (0.11, 0.18))
    assert ed.apply("left", "nudge", (2, -0.05, 0.0)) is None  # from the letterboxed corner
    assert np.allclose(ed.of(0).corners[2], (0.95, 0.875))
    assert interpret("/canopy/calibrate/0/nudge", (1, 0.002, 0.0), 6) == Calibrate(
        "0", "nudge", (1.0, 0.002, 0.0)
    )
    assert interpret("/canopy/calibrate/0/nudge", (1, 0.5, 0.0), 6).reason == "out_of_range"
    assert ed.apply("right", "reset", ()) is None
    assert load_calibrations(tmp_path / "calibration.json")["right"] == Calibration()


def test_odd_display_names_and_numbers_in_a_file_never_crash(tmp_path):
    ed = editor(tmp_path)
    assert "no display" in (ed.apply("²", "reset", ()) or "")  # (a digit to isdigit, not int)
    path = tmp_path / "calibration.json"
    path.write_text('{"displays": {"wall": {"mesh_size": [1e999, 2]}}}')
    with pytest.raises(CalibrationError):
        load_calibrations(path)
    path.write_bytes(b'{"displays": {"w\xe9": {}}}')
    with pytest.raises(CalibrationError, match="not UTF-8"):
        load_calibrations(path)


def test_operator_controls_over_osc_only_from_the_operators_networks():
    import socket

    from installation.config import OscConfig
    from installation.inputs.osc_server import COUNTERS, _Server

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        counters = [0] * len(COUNTERS)
        server = _Server(sock, OscConfig(operator_networks=("10.0.0.0/8",)), 6, counters)
        for address, args in (("/canopy/pause", (1,)), ("/canopy/calibrate/0/reset", ())):
            server.message(0.0, 0.0, ("127.0.0.1", 9001), address, args)
            assert not server.pending  # a visitor's controller (not an operator's network)
            server.message(0.0, 0.0, ("10.1.2.3", 9001), address, args)
            assert server.pending.pop().address == address
        assert counters[COUNTERS.index("refused_source")] == 2
        server.message(0.0, 0.0, ("127.0.0.1", 9001), "/canopy/repair", ())
        assert server.pending  # everything else as before
