"""Builders for decision-rule tests: one passing trade/strategy/portfolio, tweaked per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.domain.decisions import Decision, decide_entry
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.models import (
    Confidence,
    LeaderTrade,
    Outcome,
    PortfolioState,
    PositionHolding,
    StrategyConfig,
    TradeAction,
    Tunables,
)
from omegacopy.domain.owrr import OwrrResult, js_round, neutral_owrr

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
TOKEN = "1111"
CONDITION = "0xc0ffee"
D = Decimal


def trade(**overrides: Any) -> LeaderTrade:
    base = LeaderTrade(
        trade_id="t1",
        wallet="0xleader",
        condition_id=CONDITION,
        token_id=TOKEN,
        outcome=Outcome.YES,
        action=TradeAction.BUY,
        shares=D("100"),
        price=D("0.55"),
        usd_value=D("55"),
        traded_at=NOW - timedelta(seconds=10),
        category="politics",
        market_closed=False,
    )
    return replace(base, **overrides)


def sell(**overrides: Any) -> LeaderTrade:
    return trade(action=TradeAction.SELL, **overrides)


def strategy(**overrides: Any) -> StrategyConfig:
    # The sizing example of docs/owrr.md: 5% of $10,000.
    base = StrategyConfig(
        strategy_id="s1",
        name="politics smart money",
        follower_wallet_id="w1",
        balance_usd=D("10000"),
        max_position_size_usd=D("1000"),
        max_positions=10,
        risk_per_trade_percent=D("5"),
        categories=frozenset({"politics"}),
    )
    return replace(base, **overrides)


def owrr(value: float = 0.72, confidence: Confidence = Confidence.MEDIUM) -> OwrrResult:
    return replace(neutral_owrr("politics"), owrr=value, slider=js_round(100 * value), confidence=confidence)


def portfolio(balance: str = "10000", reserved: str = "0", *holdings: PositionHolding) -> PortfolioState:
    return PortfolioState(balance_usd=D(balance), reserved_usd=D(reserved), holdings=tuple(holdings))


def holding(token: str = TOKEN, shares: str = "100", cost: str = "55") -> PositionHolding:
    return PositionHolding(token_id=token, condition_id=CONDITION, shares=D(shares), cost_usd=D(cost))


def others(n: int) -> tuple[PositionHolding, ...]:
    """n open positions in tokens other than TOKEN, $10 each."""
    return tuple(holding(token=f"9{i:03d}", shares="20", cost="10") for i in range(n))


TUNABLES = Tunables(kill_switch=False)  # the built-in default is ON: the rules are tested released


def entry(
    *,
    t: LeaderTrade | None = None,
    s: StrategyConfig | None = None,
    o: OwrrResult | None = None,
    p: PortfolioState | None = None,
    tun: Tunables = TUNABLES,
    record: TrackRecord | None = None,
) -> Decision:
    """`decide_entry` on the passing defaults, with what the test changes."""
    return decide_entry(t or trade(), s or strategy(), o or owrr(), p or portfolio(), tun, NOW, track_record=record)
