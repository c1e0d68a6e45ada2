"""Long soak of the simulation: a small world, random and extreme input, 10^6 steps by default.

    .venv/bin/python scripts/soak_sim.py --steps 1000000

Checks the state's sanity every 10^4 steps and exits 1 at the first problem; prints the
throughput and the final state hash.
"""

from __future__ import annotations

import argparse
import sys
import time

from installation.app.runner import Runner
from installation.config import WorldConfig
from installation.inputs.random_input import RandomInputs
from installation.simulation import create_world, state_hash
from installation.simulation.sanity import sanity_problems

SOAK_WORLD = WorldConfig(
    seed=3, height=32, width=32, communities=4, citizens=400, nodes=16, growth_resolution=16
)


def main() -> int:
    """Run the soak from the command line; 0 when the state stayed sane, 1 at the first problem."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    state = create_world(SOAK_WORLD)
    runner = Runner(state, [RandomInputs(seed=args.seed)], dt=1 / 30)
    t0 = time.perf_counter()
    for i in range(args.steps):
        runner.tick()
        if (i + 1) % 10_000 == 0:
            problems = sanity_problems(state)
            if problems:
                print(f"step {i + 1}: {'; '.join(problems)}", flush=True)
                return 1
        if (i + 1) % 100_000 == 0:
            rate = (i + 1) / (time.perf_counter() - t0)
            ix = state.indices
            print(
                f"step {i + 1}: {rate:.0f} steps/s, act {ix.act}, unity {ix.unity:.2f}, "
                f"outage {ix.outage:.2f}, {state.counters}",
                flush=True,
            )
    print(f"soak ok: {args.steps} steps, {state.time / 86400:.2f} simulated days")
    print(f"state-hash: {state_hash(state)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
