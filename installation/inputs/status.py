"""The show's status: ``/health`` (JSON) and ``/metrics`` (Prometheus), as the web serves them.

The show computes its figures (``Telemetry.health`` and ``Telemetry.metrics``) and sends them,
with a heartbeat, to the web process (``installation.outputs.web_server``) four times a second.
The web process answers from the latest: ``/health`` with 503 when the heartbeat is older
than ``HEARTBEAT_S``, so a show whose loop froze reads as down even though its web process
still answers; ``/metrics`` in the Prometheus exposition format, produced by
``prometheus_client``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

HEARTBEAT_S = 3.0
"""A show whose last heartbeat is older than this is reported down (503)."""


@dataclass(frozen=True)
class Metric:
    """One Prometheus sample family with a single value (and optional labels)."""

    name: str
    kind: str  # "counter" or "gauge"
    help: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


class _Figures:
    """A prometheus_client collector over a list of ``Metric`` (the latest the show sent)."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        families: dict[str, Any] = {}
        for m in self.metrics:
            family = families.get(m.name)
            if family is None:
                keys = [k for k, _ in m.labels]
                # (prometheus_client adds _total to a counter's samples itself.)
                if m.kind == "counter":
                    name = m.name[: -len("_total")] if m.name.endswith("_total") else m.name
                    family = CounterMetricFamily(name, m.help, labels=keys)
                else:
                    family = GaugeMetricFamily(m.name, m.help, labels=keys)
                families[m.name] = family
            family.add_metric([v for _, v in m.labels], float(m.value))
        yield from families.values()


def metrics_text(metrics: Iterable[Metric]) -> tuple[bytes, str]:
    """The Prometheus exposition of ``metrics``, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(metrics))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def health_answer(health: dict[str, Any] | None, age_s: float | None) -> tuple[int, str]:
    """``/health``'s status code and JSON body, from the latest figures and their age.

    Args:
        health: the show's latest health (None: none has arrived yet).
        age_s: seconds since the show's last heartbeat (None: never).
    """
    if health is None or age_s is None or not math.isfinite(age_s) or age_s > HEARTBEAT_S:
        body = {
            "status": "down",
            "why": "no heartbeat from the show yet"
            if age_s is None
            else f"the show's loop has not answered for {age_s:.1f} s",
        }
        return 503, json.dumps(body) + "\n"
    return 200, json.dumps(health, allow_nan=False, default=str) + "\n"
