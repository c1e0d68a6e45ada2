"""Writes hardware_config/controllers/open-stage-control.json.

The ready Open Stage Control session for Canopy (faders for the four sentiments, an XY touch pad, a
repair button, knobs for three live parameters, meters fed by Canopy's feedback, a subscribe
button, and a hope fader for each of the six communities).

    .venv/bin/python scripts/make_osc_layout.py

Open Stage Control fills every property a widget leaves out with its default, so the
session lists only what differs. Point its "send" at the show (host:9000) and add the
tablet's host:port to [osc] feedback_targets for the meters.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "hardware_config" / "controllers"
SENTIMENTS = ("hope", "anger", "empathy", "trust")
COLOURS = {"hope": "#f2c14e", "anger": "#e4572e", "empathy": "#c77dff", "trust": "#4cc9f0"}
PARAMS = (("glitch_rate", 0.0, 0.02), ("repair_rate", 0.0, 0.1), ("noise", 0.0, 0.2))
INDICES = ("unity", "disparity", "outage", "hope", "anger", "participation")
COMMUNITIES = 6  # the default world's (hardware_config/default.toml)


def widget(
    kind: str, wid: str, left: float, top: float, width: float, height: float, **props: object
) -> dict:
    """One Open Stage Control widget of type ``kind``, placed in percent of the session's page."""
    return {
        "type": kind,
        "id": wid,
        "left": f"{left}%",
        "top": f"{top}%",
        "width": f"{width}%",
        "height": f"{height}%",
        **props,
    }


def session() -> dict:
    """The whole session: every widget, each bound to its Canopy address."""
    widgets = []
    for i, s in enumerate(SENTIMENTS):
        widgets.append(
            widget(
                "fader",
                f"push_{s}",
                2 + i * 10,
                4,
                9,
                52,
                label=s.title(),
                address=f"/canopy/push/{s}",
                range={"min": 0, "max": 1},
                typeTags="f",
                colorWidget=COLOURS[s],
                design="round",
            )
        )
    widgets.append(
        widget(
            "xy",
            "touch",
            44,
            4,
            36,
            52,
            label="Touch the canopy",
            address="/canopy/touch",
            rangeX={"min": 0, "max": 1},
            rangeY={"min": 1, "max": 0},
            typeTags="ff",
            pointSize=24,
        )
    )
    widgets.append(
        widget(
            "button",
            "repair",
            82,
            4,
            16,
            24,
            label="Repair",
            address="/canopy/repair",
            mode="tap",
            typeTags="f",
        )
    )
    for i, (name, lo, hi) in enumerate(PARAMS):
        widgets.append(
            widget(
                "knob",
                f"param_{name}",
                2 + i * 14,
                62,
                12,
                24,
                label=name.replace("_", " "),
                address=f"/canopy/param/{name}",
                range={"min": lo, "max": hi},
                typeTags="f",
            )
        )
    for i, name in enumerate(INDICES):
        widgets.append(
            widget(
                "fader",
                f"index_{name}",
                46 + i * 8.5,
                62,
                7.5,
                30,
                label=name,
                address=f"/canopy/index/{name}",
                range={"min": 0, "max": 1},
                interaction=False,
                design="compact",
            )
        )
    widgets.append(widget("text", "act", 82, 32, 16, 24, label="Act", address="/canopy/index/act"))
    # Subscribe: the show sends its indices to this tablet's port (9001) from then on.
    widgets.append(
        widget(
            "button",
            "subscribe",
            82,
            57,
            16,
            4,
            label="Subscribe (port 9001)",
            address="/canopy/subscribe",
            mode="tap",
            on=9001,
            typeTags="i",
        )
    )
    # Each community's own hope, pushed by a fader of its own.
    for k in range(COMMUNITIES):
        widgets.append(
            widget(
                "fader",
                f"community_{k}_hope",
                2 + k * 7,
                88,
                6,
                11,
                label=f"community {k} hope",
                address=f"/canopy/community/{k}/push/hope",
                range={"min": 0, "max": 1},
                typeTags="f",
                horizontal=True,
                design="compact",
            )
        )
    return {
        "createdWith": "Open Stage Control",
        "version": "1.26.0",
        "type": "session",
        "content": {"type": "root", "id": "root", "widgets": widgets, "tabs": []},
    }


def main() -> None:
    """Write the session file into hardware_config/controllers/."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "open-stage-control.json").write_text(json.dumps(session(), indent=2) + "\n")


if __name__ == "__main__":
    main()
