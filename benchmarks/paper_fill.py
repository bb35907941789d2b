"""Paper intents: from the message to the fill booked as paper, warm container.

`execute_intent` is driven directly for 300 paper intents (after 20 warm-up ones) against real
PostgreSQL, moto and the paper exchange: the row lock, the fresh order book (GET /book, loopback
HTTP), the risk inputs, the fill model and the paper booking in one commit. Nothing is signed and
nothing is posted: `paper_posts` counts the POSTs the exchange received during the run (0).

    python -m benchmarks.paper_fill
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from benchmarks.executor_world import CENT, ControlledClock, PostProbe, executor_world, percentile, quiet
from omegacopy.app.execute_intent import execute_intent
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction, Tunables
from omegacopy.observability import metrics

INTENTS = 300
WARMUP = 20
MARKETS = 10
TUNABLES = Tunables(kill_switch=False, intent_max_age_s=3_600)


def run() -> list[tuple[str, float, str]]:
    rng = random.Random(13)
    with quiet(), executor_world(seed=13) as world:
        world.add_wallet("w-paper", pusd=Decimal("0"))
        world.add_strategy("s-paper", "w-paper", balance_usd=Decimal("1000000"), mode="paper")
        for m in range(MARKETS):
            world.add_market(m, yes_mid=Decimal(rng.randint(20, 80)) / 100, depth=Decimal("1000000"))
        rows = []
        for seq in range(INTENTS + WARMUP):
            market = rng.choice(world.markets)
            side = rng.randrange(2)
            mid = market.mids[side]
            usd = Decimal(rng.randint(1_000, 3_000)) / 100
            draft = IntentDraft(TradeAction.BUY, market.tokens[side], market.condition_id, mid + CENT,
                                mid + 3 * CENT, usd, None, OrderStyle.FAK)  # fmt: skip
            trade_id = f"paper-trade-{seq}"
            rows.append(Intent(intent_id_for("s-paper", trade_id), "s-paper", "w-paper", trade_id, f"c-p-{seq}",
                               draft, paper=True))  # fmt: skip
        world.write_intents(rows)
        deps, exchanges = world.deps(tunables=TUNABLES, clock=ControlledClock(), probe=PostProbe())
        world.exchange.request_log.clear()
        samples: list[float] = []
        filled = 0
        for i, row in enumerate(rows):
            started = time.perf_counter()
            result = execute_intent(deps, row.intent_id, lambda: 60_000)
            elapsed = time.perf_counter() - started
            metrics.clear_metrics()
            if i >= WARMUP:
                samples.append(elapsed)
                filled += result.state == "FILLED"
        posts = sum(1 for r in world.exchange.request_log if r.method == "POST")
        exchanges.close()
    return [
        ("paper_msg_to_booked_p50_ms", percentile(samples, 50) * 1000, "ms"),
        ("paper_msg_to_booked_p99_ms", percentile(samples, 99) * 1000, "ms"),
        ("paper_intents_filled", float(filled), "intents"),
        ("paper_posts", float(posts), "requests"),
    ]


if __name__ == "__main__":
    for metric, value, unit in run():
        print(f"{metric}: {value:.6g} {unit}", flush=True)
