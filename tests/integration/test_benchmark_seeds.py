"""`make bench` seeds the real stores with its own SQL; a schema or settings rule that moves on
without it breaks the benchmark only when someone runs it. One small run keeps it honest."""

from __future__ import annotations

from benchmarks.tick import run_copies


def test_the_copies_benchmark_still_copies_every_trade_it_seeds() -> None:
    # run_copies raises unless the tick COPYs exactly the n trades it seeded
    results = dict((name, value) for name, value, _ in run_copies(runs=(5, 20)))
    assert set(results) == {"tick_5_copies_s", "tick_20_copies_s", "tick_copies_growth_10x_ratio"}
