"""Benchmarks (``canopy bench ...``): figures for the README, never timed tests."""

from __future__ import annotations

import platform
import time

import numpy as np

from installation.config import ModelConfig, WorldConfig
from installation.inputs import EMPTY_FRAME
from installation.simulation import create_world, step
from installation.simulation.models import deffuant

BIG_WORLD = WorldConfig(
    citizens=1_000_000, height=1024, width=1024, nodes=1024, growth_resolution=256
)


def _median_step_ms(world: WorldConfig, steps: int, warmup: int) -> float:
    state = create_world(world, ModelConfig())
    dt = 1.0 / world.tick_hz
    for _ in range(warmup):
        step(state, EMPTY_FRAME, dt)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step(state, EMPTY_FRAME, dt)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def deffuant_rate(n: int = 100_000, sweeps: int = 20, seed: int = 0) -> float:
    """Pair interactions per second of the random-matching Deffuant kernel on (n,) opinions."""
    rng = np.random.default_rng(seed)
    x = rng.random(n)
    deffuant(x, 0.2, 0.3, 2, rng)  # warm caches
    t0 = time.perf_counter()
    deffuant(x, 0.2, 0.3, sweeps, rng)
    return sweeps * (n // 2) / (time.perf_counter() - t0)


def bench_sim(quick: bool = False) -> dict[str, float | str]:
    """Median step of the default world and of a 10^6-citizen world, and DW throughput.

    Args:
        quick: fewer repetitions (for smoke tests); the figures are then rougher.
    """
    default = WorldConfig()
    sim_ms = _median_step_ms(default, steps=60 if quick else 600, warmup=10 if quick else 60)
    big_ms = _median_step_ms(BIG_WORLD, steps=3 if quick else 30, warmup=1 if quick else 5)
    pairs = deffuant_rate(sweeps=4 if quick else 20)
    return {
        "sim_step_ms": round(sim_ms, 3),
        "sim_step_ms_1m": round(big_ms, 2),
        "steps_per_s_1m": round(1000.0 / big_ms, 1),
        "deffuant_pairs_per_s": round(pairs, -3),
        "default_world": f"{default.citizens} citizens, {default.height}x{default.width}, "
        f"{default.nodes} nodes",
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}",
    }


SIM_TARGETS = {
    "sim_step_ms": ("<=", 4.0),
    "deffuant_pairs_per_s": (">=", 1e7),
    "steps_per_s_1m": (">=", 10.0),
}
