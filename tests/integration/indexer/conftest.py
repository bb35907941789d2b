"""An indexer world: a followed leader in PostgreSQL, an in-memory public API, the real ClickHouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.app.index_run import IndexDeps, IndexSettings, IndexSummary, run_index
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from omegacopy.domain.models import TradeAction
from omegacopy.domain.public_data import (
    HolderPosition,
    MarketRecord,
    OutcomeToken,
    PositionStatus,
    PublicPosition,
    PublicTrade,
    Resolution,
)
from tests.integration.public_api.conftest import api, make_client, timer
from tests.support.fake_public_data import FakePublicData

LEADER = "0x" + "a1" * 20
OPEN_MARKET = "0x" + "01" * 32
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class StepClock:
    """The pass's clock: a fixed instant the test moves."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


def market(cid: str, category: str, *, winner: int | None = None, names: tuple[str, str] = ("Yes", "No"),
           days_ago: float = 20) -> MarketRecord:  # fmt: skip
    resolution = None
    if winner is not None:
        payouts = tuple(Decimal(1 if i == winner else 0) for i in range(2))
        resolution = Resolution(payouts, NOW - timedelta(days=days_ago))
    return MarketRecord(
        condition_id=cid,
        question=f"Question {cid[:8]}",
        category=category,
        outcomes=tuple(OutcomeToken(i, names[i], f"{int(cid, 16)}{i}") for i in range(2)),
        neg_risk=False,
        tick_size=Decimal("0.01"),
        closed=winner is not None,
        resolution=resolution,
    )


def trade(i: int, m: MarketRecord, *, index: int = 0, action: TradeAction = TradeAction.BUY,
          wallet: str = LEADER, at: datetime | None = None, shares: str = "100") -> PublicTrade:  # fmt: skip
    return PublicTrade(
        trade_id=f"t{i:04d}",
        wallet=wallet,
        condition_id=m.condition_id,
        token_id=m.outcomes[index].token_id,
        outcome_index=index,
        outcome=m.outcomes[index].name,
        action=action,
        shares=Decimal(shares),
        price=Decimal("0.55"),
        traded_at=at or NOW - timedelta(minutes=60 - i),
        tx_hash=f"0x{i:064x}",
    )


def closed_position(wallet: str, m: MarketRecord, index: int, realized: str, at: datetime) -> PublicPosition:
    return PublicPosition(wallet, m.condition_id, m.outcomes[index].token_id, index, PositionStatus.CLOSED,
                          Decimal("0"), Decimal("0.5"), Decimal("100"), Decimal(realized), Decimal("0"),
                          Decimal("0"), at)  # fmt: skip


@dataclass
class IndexerWorld:
    pg: psycopg.Connection[Any]
    ch: Any
    pg_url: str
    data: FakePublicData
    clock: StepClock
    settings: IndexSettings = field(default_factory=lambda: IndexSettings(workers=2))
    runs: int = 0

    def run(self) -> IndexSummary:
        self.runs += 1
        books = PgIndexBooks(self.pg_url)
        try:
            deps = IndexDeps(self.data, ClickHouseIndexStore(self.ch), books, self.clock, self.settings)
            return run_index(deps, f"run-{self.runs}")
        finally:
            books.close()

    def count(self, table: str) -> int:
        return int(self.ch.query(f"SELECT count() FROM {table}").result_rows[0][0])


@pytest.fixture
def indexer_world(pg: psycopg.Connection[Any], pg_url: str, ch: Any) -> IndexerWorld:
    insert_wallet(pg, "w-follower", "0x" + "f0" * 20)
    insert_strategies(pg, [StrategySeed("s1", "w-follower", [LEADER])])
    return IndexerWorld(pg, ch, pg_url, FakePublicData(), StepClock(NOW))


__all__ = [
    "LEADER",
    "NOW",
    "OPEN_MARKET",
    "HolderPosition",
    "api",
    "closed_position",
    "make_client",
    "market",
    "timer",
    "trade",
]
