"""Executor latency: from the message to the moment `post_order` is called, warm container.

`execute_intent` is driven directly (no queue) for 1,200 intents against real PostgreSQL, moto
and the paper exchange; the first 20 (cold connections and caches) are left out. The clock
starts when `execute_intent` is called and stops when the edge wrapper around the real CLOB
client sees `post_order` called: the POST itself is excluded, everything before it is in —
the PostgreSQL row lock, the fresh order book (GET /book, loopback HTTP), the risk inputs, the
wallet row, the KMS unwrap (moto KMS over loopback: a real KMS Decrypt is a network call in the
same region), the EIP-712 signing, and the SUBMITTING commit.

Breakdown (p50/p99 of each step, same runs): `lock` (SELECT … FOR UPDATE), `book` (GET /book),
`risk_inputs` (one SELECT), `identity` (wallet row), `kms_unwrap` (wallet row + KMS Decrypt over
loopback + AES-GCM + key load), `sign`, `commit`. Tunables come from a fixed source (the SSM
adapter is cached for 30 s in production).

    python -m benchmarks.executor_latency [--intents 1200] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from benchmarks.executor_world import (
    CENT,
    ControlledClock,
    PostProbe,
    StepTimes,
    World,
    executor_world,
    percentile,
    quiet,
)
from omegacopy.app.execute_intent import ExecutorDeps, execute_intent
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction, Tunables
from omegacopy.observability import metrics

DEFAULT_INTENTS = 1_200
WARMUP = 20
WALLETS = 2
MARKETS = 10
TUNABLES = Tunables(kill_switch=False, intent_max_age_s=3_600)  # the run lasts longer than the default 120 s
STEPS = ("lock", "book", "risk_inputs", "identity", "kms_unwrap", "sign", "commit")


def _rows(world: World, rng: random.Random, count: int) -> list[Intent]:
    rows: list[Intent] = []
    for seq in range(count):
        w = seq % WALLETS
        market = rng.choice(world.markets)
        side = rng.randrange(2)
        mid = market.mids[side]
        trade_id = f"latency-trade-{seq}"
        usd = Decimal(rng.randint(1_000, 3_000)) / 100
        draft = IntentDraft(
            TradeAction.BUY,
            market.tokens[side],
            market.condition_id,
            mid + CENT,
            mid + 3 * CENT,
            usd,
            None,
            OrderStyle.FAK,
        )
        strategy_id = f"s-lat-{w}"
        rows.append(
            Intent(intent_id_for(strategy_id, trade_id), strategy_id, f"w-lat-{w}", trade_id, f"c-lat-{seq}", draft)
        )
    return rows


@dataclass
class Samples:
    to_post: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    not_posted: int = 0

    def add(self, started: float, probe: PostProbe, times: StepTimes) -> None:
        if probe.post_called_at is None:
            self.not_posted += 1
            return
        self.to_post.append(probe.post_called_at - started)
        measured = {
            "lock": times.lock_s,
            "book": probe.book_s,
            "risk_inputs": times.risk_inputs_s,
            "identity": times.identity_s,
            "kms_unwrap": times.unwrap_s,
            "sign": times.sign_s,
            "commit": times.commit_s,
        }
        for step, value in measured.items():
            if value is not None:
                self.steps[step].append(value)


def _execute_all(
    deps: ExecutorDeps, rows: Sequence[Intent], probe: PostProbe, times: StepTimes, profiler: cProfile.Profile | None
) -> Samples:
    samples = Samples()
    for i, row in enumerate(rows):
        probe.reset()
        times.reset()
        profiling = profiler if i >= WARMUP else None
        if profiling is not None:
            profiling.enable()
        started = time.perf_counter()
        execute_intent(deps, row.intent_id, lambda: 60_000)
        if profiling is not None:
            profiling.disable()
        metrics.clear_metrics()
        if i >= WARMUP:
            samples.add(started, probe, times)
    return samples


def measure(intents: int = DEFAULT_INTENTS, *, profile: bool = False) -> list[tuple[str, float, str]]:
    rng = random.Random(11)
    profiler = cProfile.Profile() if profile else None
    with quiet(), executor_world(seed=11) as world:
        for w in range(WALLETS):
            world.add_wallet(f"w-lat-{w}", pusd=Decimal("1000000"))
            world.add_strategy(f"s-lat-{w}", f"w-lat-{w}", balance_usd=Decimal("100000"))
        for m in range(MARKETS):
            world.add_market(m, yes_mid=Decimal(rng.randint(20, 80)) / 100, depth=Decimal("1000000"))
        rows = _rows(world, rng, intents + WARMUP)
        world.write_intents(rows)
        probe, times = PostProbe(), StepTimes()
        deps, exchanges = world.deps(tunables=TUNABLES, clock=ControlledClock(), probe=probe, times=times)
        samples = _execute_all(deps, rows, probe, times, profiler)
        exchanges.close()

    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue(), file=sys.stderr)
    if not samples.to_post:
        raise RuntimeError("no intent reached the POST: the benchmark world is broken")
    lines: list[tuple[str, float, str]] = [
        ("executor_msg_to_post_p50_ms", percentile(samples.to_post, 50) * 1000, "ms"),
        ("executor_msg_to_post_p99_ms", percentile(samples.to_post, 99) * 1000, "ms"),
        ("executor_msg_to_post_max_ms", max(samples.to_post) * 1000, "ms"),
        ("executor_latency_intents", float(len(samples.to_post)), "intents"),
        ("executor_latency_not_posted", float(samples.not_posted), "intents"),
    ]
    for step in STEPS:
        values = samples.steps[step]
        if values:
            lines.append((f"executor_{step}_p50_ms", percentile(values, 50) * 1000, "ms"))
            lines.append((f"executor_{step}_p99_ms", percentile(values, 99) * 1000, "ms"))
    return lines


def run() -> list[tuple[str, float, str]]:
    return measure()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.executor_latency")
    parser.add_argument("--intents", type=int, default=DEFAULT_INTENTS, help="measured intents (1,200)")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured loop (to stderr)")
    args: Any = parser.parse_args(argv)
    for metric, value, unit in measure(args.intents, profile=args.profile):
        print(f"{metric}: {value:.6g} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
