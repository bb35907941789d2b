"""Seeding helpers for tests and benchmarks: rows in ClickHouse and PostgreSQL (the local run adds
only its strategies here; its world reaches ClickHouse through the public-API emulator and the indexer).

They write through the same drivers and tables production uses; nothing here is shipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

TRADE_COLUMNS = [
    "trade_id", "wallet_address", "market_id", "token_id", "side", "action", "shares", "entry_price",
    "usd_value", "is_closed", "block_time", "ingested_at",
]  # fmt: skip


@dataclass
class MarketSeed:
    condition_id: str
    category: str
    yes_token_id: str
    no_token_id: str
    neg_risk: bool = False
    closed: bool = False
    question: str = ""


@dataclass
class TradeSeed:
    trade_id: str
    wallet: str
    market: MarketSeed
    outcome: str = "YES"
    action: str = "BUY"
    shares: float = 100.0
    price: float = 0.5
    block_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    ingested_at: datetime | None = None
    is_closed: int = 0
    usd_value: float | None = None
    token_id: str | None = None

    def row(self) -> list[Any]:
        token = self.token_id or (self.market.yes_token_id if self.outcome == "YES" else self.market.no_token_id)
        usd = self.usd_value if self.usd_value is not None else self.shares * self.price
        return [
            self.trade_id, self.wallet, self.market.condition_id, token, self.outcome, self.action, self.shares,
            self.price, usd, self.is_closed, self.block_time, self.ingested_at or self.block_time,
        ]  # fmt: skip


def insert_markets(ch: Any, markets: Iterable[MarketSeed]) -> None:
    rows = [
        [
            m.condition_id,
            m.category,
            m.question,
            m.yes_token_id,
            m.no_token_id,
            int(m.neg_risk),
            int(m.closed),
        ]
        for m in markets
    ]
    ch.insert(
        "markets",
        rows,
        column_names=[
            "condition_id",
            "category",
            "question",
            "yes_token_id",
            "no_token_id",
            "neg_risk",
            "closed",
        ],
    )


def insert_trades(ch: Any, trades: Iterable[TradeSeed]) -> None:
    ch.insert("trades_raw", [t.row() for t in trades], column_names=TRADE_COLUMNS)


def insert_raw_trades(ch: Any, rows: Sequence[Sequence[Any]]) -> None:
    ch.insert("trades_raw", list(rows), column_names=TRADE_COLUMNS)


def insert_metrics(ch: Any, rows: Iterable[tuple[str, str, str, float | None, int | None]]) -> None:
    ch.insert(
        "wallet_metrics_by_category",
        [list(r) for r in rows],
        column_names=[
            "wallet_address",
            "category",
            "window",
            "metric_2_omega_net",
            "metric_22_resolved_bets",
        ],
    )


@dataclass
class StrategySeed:
    strategy_id: str
    wallet_id: str
    watched: Sequence[str]
    categories: Sequence[str] = ("politics",)
    balance_usd: Decimal = Decimal("10000")
    max_position_size_usd: Decimal = Decimal("1000")
    max_positions: int = 10
    risk_per_trade_percent: Decimal = Decimal("5")
    owrr_threshold_yes: int = 60
    owrr_threshold_no: int = 40
    min_owrr_confidence: str = "medium"
    sizing_mode: str = "owrr"
    fixed_size_usd: Decimal = Decimal("0")
    proportional_fraction: Decimal = Decimal("0")
    slippage_ceiling: Decimal = Decimal("0.02")
    order_style: str = "FAK"
    markets_filter: Sequence[str] = ()
    auto_execute_enabled: bool = True
    name: str = ""
    mode: str = "live"  # paper | live


def insert_wallet(conn: psycopg.Connection[Any], wallet_id: str, address: str, *, funder: str | None = None,
                  signature_type: int = 0) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO wallets (wallet_id, address, funder, signature_type) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (wallet_id) DO NOTHING",
        (wallet_id, address, funder or address, signature_type),
    )


def insert_strategies(conn: psycopg.Connection[Any], strategies: Iterable[StrategySeed]) -> None:
    with conn.transaction():
        for s in strategies:
            conn.execute(
                "INSERT INTO strategies (strategy_id, name, wallet_id, auto_execute_enabled) VALUES (%s, %s, %s, %s)",
                (s.strategy_id, s.name or s.strategy_id, s.wallet_id, s.auto_execute_enabled),
            )
            conn.execute(
                "INSERT INTO strategy_settings (strategy_id, balance_usd, max_position_size_usd, max_positions,"
                " risk_per_trade_percent, owrr_threshold_yes, owrr_threshold_no, min_owrr_confidence, categories,"
                " markets_filter, sizing_mode, fixed_size_usd, proportional_fraction, slippage_ceiling, order_style,"
                " mode)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    s.strategy_id, s.balance_usd, s.max_position_size_usd, s.max_positions,
                    s.risk_per_trade_percent, s.owrr_threshold_yes, s.owrr_threshold_no, s.min_owrr_confidence,
                    list(s.categories), list(s.markets_filter), s.sizing_mode, s.fixed_size_usd,
                    s.proportional_fraction, s.slippage_ceiling, s.order_style, s.mode,
                ),
            )  # fmt: skip
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO strategy_watchlist_items (strategy_id, wallet_address) VALUES (%s, %s)",
                    [(s.strategy_id, w) for w in s.watched],
                )


def seed_consensus(ch: Any, market: MarketSeed, *, yes_voters: int, no_voters: int, at: datetime) -> None:
    """Qualified voters with open positions two days before `at`: confident YES (1,000 sh @ 0.60,
    omega 2) against small NO (100 sh @ 0.40, omega 1), so OWRR favours YES."""
    trades: list[TradeSeed] = []
    metrics: list[tuple[str, str, str, float | None, int | None]] = []
    for side, count, shares, price, omega in (("YES", yes_voters, 1000, 0.6, 2.0), ("NO", no_voters, 100, 0.4, 1.0)):
        for i in range(count):
            wallet = f"0x{'c' if side == 'YES' else 'd'}{i:039x}"
            trades.append(TradeSeed(f"seed-{market.condition_id}-{side[0].lower()}{i}", wallet, market, side, "BUY",
                                    shares, price, block_time=at - timedelta(days=2)))  # fmt: skip
            metrics.append((wallet, market.category, "lifetime", omega, 50))
    insert_trades(ch, trades)
    insert_metrics(ch, metrics)
    # the same positions as the indexer's holder snapshot (what live OWRR reads)
    insert_holders(ch, market, [(t.wallet, t.outcome, t.shares, t.price) for t in trades], at=at - timedelta(days=2))


def insert_holders(ch: Any, market: MarketSeed, holders: Iterable[tuple[str, str, float, float]], *,
                   at: datetime) -> None:  # fmt: skip
    """One holder snapshot of a market: (wallet, 'YES'|'NO', shares, average entry price) rows."""
    rows = [
        [market.condition_id, market.yes_token_id if side == "YES" else market.no_token_id, 0 if side == "YES" else 1,
         side, wallet, shares, price, at]
        for wallet, side, shares, price in holders
    ]  # fmt: skip
    columns = ["condition_id", "token_id", "outcome_index", "side", "wallet_address", "shares", "avg_price",
               "snapshot_at"]  # fmt: skip
    ch.insert("market_holders", rows, column_names=columns)
