"""A hand-computable world for the backtest: strategies in PostgreSQL, history in ClickHouse.

Window [T0, T0 + 20 min), ticks every 30 s at T0+30 … T0+1200, orders placed 30 s after their tick.

Leader trades (block time = arrival time):
  t0  T0−60 s  BUY  B NO  50 @ 0.20   before the window, inside the first tick's overlap: never replayed
  t1  T0+10 s  BUY  A YES 200 @ 0.48  (politics, OWRR slider 98, high)
  t2  T0+100 s BUY  C YES 100 @ 0.38  (sports: not a tracked category)
  t3  T0+200 s BUY  B YES 100 @ 0.78  (politics, slider 98)
  t4  T0+300 s SELL A YES 200 @ 0.60  (the leader's whole position)
  t5  T0+25 min BUY A YES             after the window: never replayed
Resolutions: C → YES (1301) at T0+600 s; B → NO (1202) at T0+900 s. B and C are `closed` in
`markets` today (written after the window), which a replay must not take as closed back then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from omegacopy.devstack.seed import (
    MarketSeed,
    StrategySeed,
    TradeSeed,
    insert_markets,
    insert_strategies,
    insert_trades,
    insert_wallet,
    seed_consensus,
)

T0 = datetime(2025, 3, 3, 12, 0, 0, tzinfo=UTC)
END = T0 + timedelta(minutes=20)
LEADER = "0x" + "1e" * 20
FOLLOWER = "0x" + "f1" * 20

A = MarketSeed("0xbt-a", "politics", "1101", "1102")
B = MarketSeed("0xbt-b", "politics", "1201", "1202", closed=True)
C = MarketSeed("0xbt-c", "sports", "1301", "1302", closed=True)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


LEADER_TRADES = [
    TradeSeed("t0", LEADER, B, "NO", "BUY", 50, 0.20, block_time=at(-60)),
    TradeSeed("t1", LEADER, A, "YES", "BUY", 200, 0.48, block_time=at(10)),
    TradeSeed("t2", LEADER, C, "YES", "BUY", 100, 0.38, block_time=at(100)),
    TradeSeed("t3", LEADER, B, "YES", "BUY", 100, 0.78, block_time=at(200)),
    TradeSeed("t4", LEADER, A, "YES", "SELL", 200, 0.60, block_time=at(300)),
    TradeSeed("t5", LEADER, A, "YES", "BUY", 100, 0.50, block_time=at(25 * 60)),
]


@dataclass
class BacktestWorld:
    pg: psycopg.Connection[Any]
    pg_url: str
    ch: Any
    ch_url: str


@pytest.fixture
def bt_world(pg: Any, pg_url: str, ch: Any, ch_url: str) -> BacktestWorld:
    insert_markets(ch, [A, B, C])
    # 20 confident YES voters against 3 small NO voters, two days before: OWRR slider 98, high
    seed_consensus(ch, A, yes_voters=20, no_voters=3, at=T0)
    seed_consensus(ch, B, yes_voters=20, no_voters=3, at=T0)
    insert_trades(ch, LEADER_TRADES)
    ch.insert(
        "market_resolutions",
        [[C.condition_id, "1301", at(600)], [B.condition_id, "1202", at(900)]],
        column_names=["condition_id", "winning_token_id", "resolved_at"],
    )
    insert_wallet(pg, "w-bt", FOLLOWER)
    insert_strategies(
        pg,
        [
            # $100 a copy, whatever the OWRR strength: easy to follow by hand
            StrategySeed(
                "s-fixed",
                "w-bt",
                [LEADER],
                categories=["politics"],
                sizing_mode="fixed",
                fixed_size_usd=Decimal("100"),
                name="Fixed $100",
            ),
            # a YES threshold no market reaches: every politics entry is an owrr_below_threshold SKIP
            StrategySeed("s-strict", "w-bt", [LEADER], categories=["politics"], owrr_threshold_yes=99, name="Strict"),
            StrategySeed("s-off", "w-bt", [LEADER], auto_execute_enabled=False),
        ],
    )
    return BacktestWorld(pg=pg, pg_url=pg_url, ch=ch, ch_url=ch_url)
