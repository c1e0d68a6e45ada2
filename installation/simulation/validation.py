"""Reproductions of the published results behind ``installation.simulation.models``.

Each check runs a fixed protocol with fixed seeds and compares the measurement with the
literature's result. ``canopy validate`` prints them as a table; the test suite runs them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from installation.simulation import models


@dataclass(frozen=True)
class Check:
    """One reproduction: what was run, what the literature expects, what we measured."""

    reference: str
    protocol: str
    expected: str
    measured: str
    passed: bool


def count_clusters(x: np.ndarray, gap: float = 0.02, major: float = 0.05) -> int:
    """Opinion clusters holding at least ``major`` of the agents (1-D, split at gaps)."""
    s = np.sort(np.asarray(x, dtype=np.float64))
    splits = np.flatnonzero(np.diff(s) > gap)
    sizes = np.diff(np.concatenate(([0], splits + 1, [len(s)])))
    return int((sizes >= major * len(s)).sum())


def deffuant_clusters(eps: float, seeds: int = 10, n: int = 1000, sweeps: int = 300) -> list[int]:
    """Major cluster counts of DW (mu = 0.5, uniform start) over several seeds."""
    out = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        x = rng.random(n)
        out.append(count_clusters(models.deffuant(x, eps, 0.5, sweeps, rng)))
    return out


def check_deffuant() -> list[Check]:
    """Deffuant-Weisbuch: about 1/(2 eps) major clusters (Deffuant et al. 2000)."""
    checks = []
    for eps in (0.15, 0.2, 0.25, 0.3, 0.5):
        counts = deffuant_clusters(eps)
        expected = max(1, int(np.floor(1.0 / (2.0 * eps))))
        median = int(np.median(counts))
        checks.append(
            Check(
                "Deffuant et al. 2000; Weisbuch et al. 2002",
                f"DW N=1000 mu=0.5 eps={eps}, 300 sweeps, 10 seeds",
                f"{expected} major cluster{'s' if expected > 1 else ''}"
                + (" (consensus)" if eps >= 0.5 else ""),
                f"median {median} (seeds: {min(counts)}-{max(counts)})",
                median == expected,
            )
        )
    return checks


def hk_consensus_share(eps: float, seeds: int = 20, n: int = 1000) -> float:
    """Share of seeds in which synchronous HK from uniform opinions reaches consensus."""
    hits = 0
    for seed in range(seeds):
        x = np.random.default_rng(seed).random(n)
        y = models.hegselmann_krause(x, eps, 2000)
        hits += bool(np.ptp(y) < 1e-3)
    return hits / seeds


def check_hegselmann_krause() -> list[Check]:
    """Hegselmann-Krause: consensus above a confidence bound near 0.2 (Lorenz 2007)."""
    grid = np.round(np.arange(0.15, 0.301, 0.01), 2)
    shares = [hk_consensus_share(float(e)) for e in grid]
    crossing = next((float(e) for e, s in zip(grid, shares, strict=True) if s >= 0.5), None)
    ok = crossing is not None and 0.17 <= crossing <= 0.26
    return [
        Check(
            "Hegselmann & Krause 2002; Lorenz 2007",
            "HK N=1000 uniform start, eps 0.15..0.30, 20 seeds each",
            "consensus threshold eps ~ 0.2 (0.17-0.26)",
            f"50% consensus first at eps={crossing}",
            ok,
        )
    ]


def check_friedkin_johnsen() -> list[Check]:
    """Friedkin-Johnsen: iteration reaches the closed-form equilibrium (Friedkin & Johnsen 1999)."""
    rng = np.random.default_rng(7)
    n = 60
    w = rng.random((n, n)) * (rng.random((n, n)) < 0.2)
    w += np.eye(n) * 0.1
    w /= w.sum(axis=1, keepdims=True)
    lam = rng.uniform(0.3, 0.95, n)
    u = rng.random(n)
    x = models.friedkin_johnsen(w, lam, u, rng.random(n), 2000)
    closed = np.linalg.solve(np.eye(n) - lam[:, None] * w, (1.0 - lam) * u)
    err = float(np.abs(x - closed).max())
    return [
        Check(
            "Friedkin & Johnsen 1999",
            "N=60 random row-stochastic W, lam in [0.3, 0.95], 2000 steps",
            "x* = (I - Lam W)^-1 (I - Lam) u",
            f"max |x - x*| = {err:.1e}",
            err < 1e-9,
        )
    ]


def motter_lai_trials(alpha: float, n: int = 500, seeds: int = 3) -> tuple[float, float]:
    """Mean G after attacking the highest-load node, and after random single failures."""
    attack: list[float] = []
    random: list[float] = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        g = models.barabasi_albert(n, 2, rng)
        load = models.shortest_path_load(g)
        attack.append(models.motter_lai(g, alpha, int(np.argmax(load))))
        random.extend(models.motter_lai(g, alpha, int(rng.integers(n))) for _ in range(3))
    return float(np.mean(attack)), float(np.mean(random))


def check_motter_lai() -> list[Check]:
    """Motter-Lai: attacking the top-load node collapses a BA network; random failures do not."""
    attack, random = motter_lai_trials(0.2)
    return [
        Check(
            "Motter & Lai 2002",
            "BA N=500 m=2, alpha=0.2, 3 graphs: top-load attack vs 9 random failures",
            "attack collapses (G < 0.5); random barely dents (G > 0.9)",
            f"G attack {attack:.3f}, G random {random:.3f}",
            attack < 0.5 and random > 0.9,
        )
    ]


def gray_scott_run(F: float, k: float, steps: int, n: int = 128, seed: int = 0) -> np.ndarray:
    """Pearson's protocol: u=1, v=0 with a perturbed central square, +-1% noise; returns v."""
    rng = np.random.default_rng(seed)
    u = np.ones((n, n))
    v = np.zeros((n, n))
    c, h = n // 2, n // 12
    u[c - h : c + h, c - h : c + h] = 0.5
    v[c - h : c + h, c - h : c + h] = 0.25
    u += 0.01 * (2 * rng.random((n, n)) - 1)
    v += 0.01 * (2 * rng.random((n, n)) - 1)
    return models.gray_scott(u, v, F, k, 0.2097, 0.1049, steps)[1]


def pattern_shape(v: np.ndarray) -> tuple[int, float, float]:
    """(components of v > 0.2, their median area, median elongation) of a GS pattern."""
    labels, count = ndimage.label(v > 0.2)
    if count == 0:
        return 0, 0.0, 0.0
    areas = np.bincount(labels.ravel())[1:]
    elong = []
    for i in range(1, count + 1):
        ys, xs = np.nonzero(labels == i)
        if len(ys) < 4:
            continue
        ev = np.linalg.eigvalsh(np.cov(np.vstack([ys, xs])))
        elong.append(float(np.sqrt(ev[1] / max(ev[0], 1e-9))))
    return count, float(np.median(areas)), float(np.median(elong)) if elong else 0.0


def check_gray_scott() -> list[Check]:
    """Gray-Scott: Pearson's spots, worms and extinction at their published (F, k)."""
    checks = []
    early = pattern_shape(gray_scott_run(0.0367, 0.0649, 4000))
    late = pattern_shape(gray_scott_run(0.0367, 0.0649, 8000))
    ok = late[0] >= 2 * max(early[0], 1) and late[0] >= 20 and late[2] < 1.7
    checks.append(
        Check(
            "Pearson 1993",
            "GS 128^2 F=0.0367 k=0.0649, 4000 vs 8000 steps",
            "dividing spots: many round spots, count grows",
            f"spots {early[0]} -> {late[0]}, elongation {late[2]:.2f}",
            ok,
        )
    )
    worms = pattern_shape(gray_scott_run(0.05, 0.065, 12000))
    checks.append(
        Check(
            "Pearson 1993",
            "GS 128^2 F=0.05 k=0.065, 12000 steps",
            "worms: few long stripes (elongation > 2.5)",
            f"{worms[0]} shapes, median area {worms[1]:.0f}, elongation {worms[2]:.2f}",
            worms[2] >= 2.5 and worms[1] >= 150,
        )
    )
    dead = gray_scott_run(0.04, 0.075, 8000)
    checks.append(
        Check(
            "Pearson 1993",
            "GS 128^2 F=0.04 k=0.075, 8000 steps",
            "extinction: v decays everywhere",
            f"max v {dead.max():.1e}",
            float(dead.max()) < 1e-3,
        )
    )
    return checks


def check_gini() -> list[Check]:
    """Gini coefficient: 0 for equal shares, (n-1)/n when one has everything."""
    values = {"equal": np.ones(6), "one has all": np.array([0, 0, 0, 0, 0, 1.0])}
    g_eq = models.gini(values["equal"])
    g_one = models.gini(values["one has all"])
    return [
        Check(
            "Gini 1912",
            "6 communities: equal access; one community has everything",
            "0 and (n-1)/n = 0.833",
            f"{g_eq:.3f} and {g_one:.3f}",
            abs(g_eq) < 1e-12 and abs(g_one - 5 / 6) < 1e-12,
        )
    ]


ALL_CHECKS: tuple[Callable[[], list[Check]], ...] = (
    check_deffuant,
    check_hegselmann_krause,
    check_friedkin_johnsen,
    check_motter_lai,
    check_gray_scott,
    check_gini,
)


def run_all() -> list[Check]:
    """Every reproduction, in order (takes about half a minute on two cores)."""
    out: list[Check] = []
    for check in ALL_CHECKS:
        out.extend(check())
    return out
