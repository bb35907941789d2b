"""The cursor cannot be poisoned: over many ticks of a driven clock, late, future and on-time rows
each end as exactly one signal per following strategy, none before its time, none lost."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs, ClickHouseTradeSource
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.run_tick import MonitorSettings, TickDeps, run_tick
from omegacopy.devstack.seed import insert_raw_trades
from omegacopy.observability import PowertoolsTelemetry
from tests.integration.monitor.conftest import LEADER, POLITICS, MonitorWorld

SKEW_S = 30
OVERLAP_S = 120
TICK_S = 30


@dataclass
class DrivenClock:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Arrivals:
    """Rows written so far, by trade id, with the instant each one arrives (its ingested_at)."""

    rows: dict[str, datetime] = field(default_factory=dict)

    def add(self, world: MonitorWorld, trade_id: str, arrives: datetime) -> None:
        token, side = (POLITICS.yes_token_id, "YES") if len(self.rows) % 2 else (POLITICS.no_token_id, "NO")
        row = [trade_id, LEADER, POLITICS.condition_id, token, side, "BUY", 10.0, 0.5, 5.0, 0, arrives, arrives]
        insert_raw_trades(world.ch, [row])
        self.rows[trade_id] = arrives


def _deps(world: MonitorWorld, clock: DrivenClock) -> TickDeps:
    return TickDeps(
        store=PgMonitorStore(world.env["DATABASE_URL"]),
        source=ClickHouseTradeSource(world.ch, clock=clock, future_skew_s=SKEW_S),
        owrr_inputs=ClickHouseOwrrInputs(world.ch, clock=clock, future_skew_s=SKEW_S),
        queue=SqsIntentQueue(world.sqs, world.queue_url),
        tunables=SsmTunables(world.ssm_prefix, ssm_client=world.ssm),
        clock=clock,
        telemetry=PowertoolsTelemetry(),
        settings=MonitorSettings(overlap_s=OVERLAP_S, future_skew_s=SKEW_S),
    )


def _decided(world: MonitorWorld) -> dict[str, int]:
    rows = world.pg.execute("SELECT source_trade_id, count(*) FROM wallet_monitor_signals GROUP BY 1").fetchall()
    return {trade_id: count for trade_id, count in rows}


def _cursor(world: MonitorWorld) -> datetime:
    row = world.pg.execute("SELECT watermark FROM monitor_cursor WHERE source = 'clickhouse'").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def test_late_future_and_on_time_rows_over_many_ticks(world: MonitorWorld) -> None:
    rng = random.Random(11)
    clock = DrivenClock(world.now.replace(microsecond=0))
    deps = _deps(world, clock)
    arrivals = Arrivals()
    followers = 2  # s-politics and s-sports both watch the leader

    # The poisoning row first: stamped 10 minutes ahead, then rows that arrive on time after it.
    arrivals.add(world, "future-poison", clock.now() + timedelta(minutes=10))
    for tick in range(40):
        now = clock.now()
        for n in range(rng.randint(1, 3)):
            arrivals.add(world, f"on-time-{tick}-{n}", now - timedelta(seconds=rng.uniform(0, 5)))
        if rng.random() < 0.5:  # visible only now, stamped behind the cursor (inside the overlap)
            arrivals.add(world, f"late-{tick}", now - timedelta(seconds=rng.uniform(TICK_S + 1, OVERLAP_S - 10)))
        if rng.random() < 0.3:
            arrivals.add(world, f"future-{tick}", now + timedelta(seconds=rng.uniform(SKEW_S + 5, 600)))

        summary = run_tick(deps, f"tick-{tick}")

        assert summary.status == "ok"
        ceiling = now + timedelta(seconds=SKEW_S)
        assert _cursor(world) <= ceiling
        decided = _decided(world)
        for trade_id, arrives in arrivals.rows.items():
            if arrives > ceiling:
                assert trade_id not in decided, f"{trade_id} decided before its time"
            else:
                assert decided.get(trade_id) == followers, f"{trade_id} at tick {tick}: {decided.get(trade_id)}"
        clock.advance(TICK_S)

    # Let every future row's time come: each is decided once, when it does.
    latest = max(arrivals.rows.values())
    while clock.now() + timedelta(seconds=SKEW_S) < latest + timedelta(seconds=TICK_S):
        run_tick(deps, f"tick-after-{clock.now():%H%M%S}")
        clock.advance(TICK_S)
    run_tick(deps, "tick-last")

    decided = _decided(world)
    assert decided == dict.fromkeys(arrivals.rows, followers)
    assert any(t.startswith("late-") for t in decided) and any(t.startswith("future-") for t in decided)


def test_a_cursor_poisoned_before_this_rule_comes_back(world: MonitorWorld) -> None:
    clock = DrivenClock(world.now.replace(microsecond=0))
    world.pg.execute(
        "INSERT INTO monitor_cursor (source, watermark) VALUES ('clickhouse', %s)",
        (clock.now() + timedelta(hours=1),),
    )
    arrivals = Arrivals()
    arrivals.add(world, "on-time", clock.now() - timedelta(seconds=2))

    run_tick(_deps(world, clock), "tick-1")

    assert _decided(world) == {"on-time": 2}
    assert _cursor(world) <= clock.now() + timedelta(seconds=SKEW_S)
