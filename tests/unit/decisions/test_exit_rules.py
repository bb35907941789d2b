"""Exit rules: sell the leader's fraction of our holding; entry rules never block an exit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from omegacopy.domain.decisions import Decision, ReasonCode, decide, decide_exit, exit_fraction, invalid_source
from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import (
    DecisionAction,
    LeaderTrade,
    OrderStyle,
    PortfolioState,
    StrategyConfig,
    TradeAction,
    Tunables,
)
from omegacopy.domain.owrr import neutral_owrr

from .factories import CONDITION, NOW, TOKEN, TUNABLES, D, holding, others, portfolio, sell, strategy

LEADER_BEFORE = D("100")


def exit_(
    *,
    t: LeaderTrade | None = None,
    s: StrategyConfig | None = None,
    p: PortfolioState | None = None,
    before: Decimal | None = LEADER_BEFORE,
    tun: Tunables = TUNABLES,
) -> Decision:
    return decide_exit(t or sell(), s or strategy(), p or portfolio("10000", "0", holding()), before, tun, NOW)


def sold_shares(d: Decision) -> Decimal:
    assert d.action is DecisionAction.COPY, d.reason
    assert d.intent is not None and d.intent.shares is not None
    return d.intent.shares


def test_sells_the_same_fraction_as_the_leader() -> None:
    # leader had 100, sells 25 → we sell 25% of our 37 shares = 9.25
    d = exit_(t=sell(shares=D("25")), p=portfolio("0", "0", holding(shares="37")))
    assert sold_shares(d) == D("9.25")
    assert d.reason_code == ReasonCode.COPY_EXIT
    assert d.reason == "Leader sold 25% of their position; selling 9.25 of 37 shares"
    assert d.intent == IntentDraft(
        action=TradeAction.SELL,
        token_id=TOKEN,
        condition_id=CONDITION,
        leader_price=D("0.55"),
        worst_price=D("0.53"),
        usd_amount=None,
        shares=D("9.25"),
        order_style=OrderStyle.FAK,
        is_exit=True,
    )
    assert (d.slider, d.confidence) == (None, None)


@pytest.mark.parametrize(
    ("held", "leader_sold", "leader_before", "expected"),
    [
        ("10", "1", "3", "3.33"),  # 3.333… rounds DOWN
        ("33.33", "100", "300", "11.11"),
        ("0.99", "1", "2", "0.49"),  # 0.495 → 0.49
        ("100", "100", "100", "100"),  # sold everything
        ("100", "150", "100", "100"),  # more than we knew of: everything
        ("100", "5", None, "100"),  # unknown prior position: everything
        ("100", "5", "0", "100"),
        ("100", "5", "-3", "100"),
        ("12.345", "12", "12", "12.34"),  # full exit still on the 0.01 share grid
    ],
)
def test_fraction_math(held: str, leader_sold: str, leader_before: str | None, expected: str) -> None:
    d = exit_(
        t=sell(shares=D(leader_sold)),
        p=portfolio("0", "0", holding(shares=held)),
        before=None if leader_before is None else D(leader_before),
    )
    assert sold_shares(d) == D(expected)


def test_exit_fraction() -> None:
    assert exit_fraction(D("25"), D("100")) == D("0.25")
    assert exit_fraction(D("100"), D("100")) is None
    assert exit_fraction(D("1"), None) is None
    assert exit_fraction(D("1"), D("0")) is None


def test_full_exit_reason() -> None:
    d = exit_(t=sell(shares=D("100")))
    assert d.reason == "Leader sold 100% of their position; selling 100 of 100 shares"


def test_no_position() -> None:
    d = exit_(p=portfolio("10000", "0", holding(token="2222")))
    assert d.action is DecisionAction.SKIP
    assert d.reason_code == ReasonCode.NO_POSITION
    assert exit_(p=portfolio("10000", "0", holding(shares="0"))).reason_code == ReasonCode.NO_POSITION


def test_fraction_that_rounds_to_zero_shares_skips() -> None:
    d = exit_(t=sell(shares=D("1")), p=portfolio("0", "0", holding(shares="0.01")), before=D("3"))
    assert d.action is DecisionAction.SKIP
    assert d.reason_code == ReasonCode.SIZE_BELOW_MINIMUM
    assert "rounds down to 0 shares" in d.reason


def test_exits_ignore_every_entry_rule() -> None:
    blocked_entry = sell(market_closed=False, category="sports", condition_id=CONDITION)
    s = strategy(
        categories=frozenset(),
        markets_filter=frozenset({"0xsomewhere-else"}),
        max_positions=1,
        max_position_size_usd=D("1"),
    )
    # no capital, at the position limit, tiny notional, neutral consensus
    p = PortfolioState(balance_usd=D("0"), reserved_usd=D("50"), holdings=(*others(5), holding(shares="3")))
    d = decide(blocked_entry, s, neutral_owrr(None), p, TUNABLES, NOW, leader_shares_before=D("100"))
    assert d.action is DecisionAction.COPY, d.reason
    assert d.intent is not None and d.intent.is_exit
    assert d.intent.shares == D("3")


def test_exits_still_stop_for_the_kill_switch_and_staleness() -> None:
    d = exit_(tun=Tunables(kill_switch=True))
    assert (d.action, d.reason_code) == (DecisionAction.SKIP, ReasonCode.KILL_SWITCH)
    limit = TUNABLES.staleness_limit_s
    assert exit_(t=sell(traded_at=NOW - timedelta(seconds=limit))).action is DecisionAction.COPY
    d = exit_(t=sell(traded_at=NOW - timedelta(seconds=limit + 1)))
    assert d.reason_code == ReasonCode.STALE_TRADE


def test_exit_worst_price_floor() -> None:
    d = exit_(t=sell(price=D("0.02")), s=strategy(slippage_ceiling=D("0.05")))
    assert d.intent is not None and d.intent.worst_price == D("0.01")


def test_dispatcher_sends_sells_to_the_exit_rules() -> None:
    p = portfolio("10000", "0", holding(shares="40"))
    d = decide(sell(shares=D("50")), strategy(), neutral_owrr(None), p, TUNABLES, NOW, D("100"))
    assert sold_shares(d) == D("20")


def test_invalid_source() -> None:
    d = invalid_source("price 1.7 outside (0, 1)")
    assert d.action is DecisionAction.SKIP
    assert d.reason_code == ReasonCode.INVALID_SOURCE
    assert d.reason == "Invalid source trade: price 1.7 outside (0, 1)"
    assert d.intent is None
