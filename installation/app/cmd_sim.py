"""The commands about the simulation and the engine: simulate, validate, bench, the references."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from installation.app.commands import (
    Command,
    UsageError,
    config_argument,
    format_indices,
    positive_float,
    positive_int,
)
from installation.app.runner import Listener, Runner
from installation.config import load_config
from installation.simulation import State, create_world, state_hash
from installation.timing import FixedStepClock, WallTime


def _simulate_arguments(s: argparse.ArgumentParser) -> None:
    config_argument(s)
    s.add_argument(
        "--steps",
        type=positive_int,
        help="ticks to run (default: 30 s of ticks; unbounded with --realtime)",
    )
    s.add_argument("--seed", type=positive_int, help="world seed (overrides the config)")
    s.add_argument("--every", type=positive_int, help="print every N ticks (default: 1 s)")
    s.add_argument("--dt", type=positive_float, help="seconds per tick (default: 1/tick_hz)")
    s.add_argument(
        "--realtime",
        action="store_true",
        help="pace ticks with the wall clock, as the live show does",
    )
    s.add_argument("--save", type=Path, metavar="FILE", help="write a snapshot at the end")
    s.add_argument("--resume", type=Path, metavar="FILE", help="start from a snapshot")


class _Printer(Listener):
    """Prints the indices every ``every`` ticks."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.done = 0

    def stepped(self, state: State) -> None:
        self.done += 1
        if self.done % self.every == 0:
            print(format_indices(state), flush=True)


def _simulate_start(args: argparse.Namespace) -> State:
    from installation.app.snapshots import load_snapshot

    config = load_config(args.config)
    if args.resume is not None:
        if args.seed is not None:
            raise UsageError("--seed cannot be combined with --resume (the snapshot has one)")
        return load_snapshot(args.resume)
    world = config.world
    if args.seed is not None:
        world = dataclasses.replace(world, seed=args.seed)
    return create_world(world, config.model)


def cmd_simulate(args: argparse.Namespace) -> int:
    """``canopy simulate``: run the simulation headless and print its indices as they evolve."""
    from installation.app.snapshots import save_snapshot

    state = _simulate_start(args)
    dt = args.dt or 1.0 / state.world.tick_hz
    printer = _Printer(args.every or max(1, round(1.0 / dt)))
    runner = Runner(state, listeners=[printer], dt=dt)
    steps = args.steps
    if steps is None and not args.realtime:
        steps = round(30.0 / dt)
    print(
        f"# Verdantia: {state.world.citizens} citizens, {state.world.communities} "
        f"communities, {state.world.nodes} nodes, seed {state.world.seed}, dt {dt:g} s",
        flush=True,
    )
    print(format_indices(state), flush=True)
    try:
        if args.realtime:
            runner.clock = FixedStepClock(1.0 / dt, WallTime())
            while steps is None or printer.done < steps:
                time.sleep(runner.clock.time_until_next())
                runner.advance()
        else:
            runner.run(steps or 0)
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
    if printer.done % printer.every:
        print(format_indices(state), flush=True)
    if args.save is not None:
        save_snapshot(state, args.save)
        print(f"# snapshot: {args.save}")
    print(f"state-hash: {state_hash(state)}", flush=True)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``canopy validate``: reproduce the models' published results as a table; 1 if any fails."""
    from installation.simulation.validation import run_all

    checks = run_all()
    headers = ("reference", "protocol", "expected", "measured", "pass")
    rows = [
        (c.reference, c.protocol, c.expected, c.measured, "PASS" if c.passed else "FAIL")
        for c in checks
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    failed = sum(not c.passed for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _bench_arguments(b: argparse.ArgumentParser) -> None:
    b.add_argument(
        "suite", choices=("sim", "render", "osc", "live", "distributed"), help="what to measure"
    )
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (rougher)")


def cmd_bench(args: argparse.Namespace) -> int:
    """``canopy bench SUITE``: run one benchmark suite and print its figures (JSON with --json)."""
    from installation.app import bench, bench_distributed, bench_live

    run, targets = {
        "sim": (bench.bench_sim, bench.SIM_TARGETS),
        "render": (bench.bench_render, bench.RENDER_TARGETS),
        "osc": (bench.bench_osc, bench.OSC_TARGETS),
        "live": (bench_live.bench_live, bench_live.LIVE_TARGETS),
        "distributed": (bench_distributed.bench_distributed, bench_distributed.TARGETS),
    }[args.suite]
    result = run(quick=args.quick)
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        target = targets.get(key)
        note = f"   (target {target[0]} {target[1]:g})" if target else ""
        print(f"{key:<22s} {value}{note}")
    return 0


def cmd_uniforms_reference(args: argparse.Namespace) -> int:
    """``canopy uniforms-reference``: print the shaders' uniform contract (Markdown)."""
    from installation.render.uniforms import uniforms_reference

    print(uniforms_reference(), end="")
    return 0


def cmd_config_reference(args: argparse.Namespace) -> int:
    """``canopy config-reference``: print the configuration reference (Markdown)."""
    from installation.config.reference import config_reference

    print(config_reference())
    return 0


COMMANDS = (
    Command(
        "simulate",
        "run the simulation headless and print its indices as they evolve",
        cmd_simulate,
        _simulate_arguments,
        "Run the Verdantia simulation without rendering. Prints the headline indices as they "
        "evolve and ends with 'state-hash: <hex>' over the whole state.",
    ),
    Command(
        "validate",
        "reproduce the published results of the models and print a table",
        cmd_validate,
        description="Runs each model's reproduction (Deffuant, Hegselmann-Krause, "
        "Friedkin-Johnsen, Motter-Lai, Gray-Scott, Gini). Exit status 0 only if all pass.",
    ),
    Command("bench", "benchmarks (figures, not tests)", cmd_bench, _bench_arguments),
    Command(
        "config-reference",
        "print the configuration reference (Markdown)",
        cmd_config_reference,
    ),
    Command(
        "uniforms-reference",
        "print the shaders' uniform contract (Markdown)",
        cmd_uniforms_reference,
    ),
)
