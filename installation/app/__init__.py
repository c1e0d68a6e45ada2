"""The composition root: commands, snapshots, benchmarks; live and offline wiring."""
