"""Entry rules, each at its boundary: the side that copies and the side that skips."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from omegacopy.domain.decisions import (
    Decision,
    ReasonCode,
    decide,
    owrr_strength,
    worst_buy_price,
    worst_sell_price,
)
from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import (
    Confidence,
    DecisionAction,
    OrderStyle,
    Outcome,
    SizingMode,
    TradeAction,
    Tunables,
)
from omegacopy.domain.owrr import neutral_owrr

from .factories import CONDITION, NOW, TOKEN, TUNABLES, D, entry, holding, others, owrr, portfolio, strategy, trade


def assert_copy(d: Decision) -> IntentDraft:
    assert d.action is DecisionAction.COPY, d.reason
    assert d.intent is not None
    return d.intent


def assert_skip(d: Decision, code: str) -> None:
    assert d.action is DecisionAction.SKIP
    assert d.reason_code == code, d.reason
    assert d.intent is None
    assert d.reason  # always a sentence


def test_the_happy_path_is_the_specs_360_dollar_example() -> None:
    # OWRR 0.72, 5% of $10,000: strength 0.44 → multiplier 0.72 → $360 (the seed printed $500)
    d = entry()
    intent = assert_copy(d)
    assert intent.usd_amount == D("360")
    assert d.reason_code == ReasonCode.COPY
    assert d.reason == "OWRR 72, confidence medium"
    assert (d.slider, d.confidence) == (72, Confidence.MEDIUM)
    assert intent == IntentDraft(
        action=TradeAction.BUY,
        token_id=TOKEN,
        condition_id=CONDITION,
        leader_price=D("0.55"),
        worst_price=D("0.57"),
        usd_amount=D("360"),
        shares=None,
        order_style=OrderStyle.FAK,
        is_exit=False,
    )


def test_no_trade_sizes_with_the_mirrored_strength() -> None:
    d = entry(t=trade(outcome=Outcome.NO), o=owrr(0.28))
    assert assert_copy(d).usd_amount == D("360")


@pytest.mark.parametrize(
    ("outcome", "value", "expected"),
    [
        (Outcome.YES, 0.72, D("0.44")),
        (Outcome.YES, 1.0, D("1")),
        (Outcome.YES, 0.5, D("0")),
        (Outcome.YES, 0.3, D("0")),  # against the trade: no negative strength
        (Outcome.NO, 0.28, D("0.44")),
        (Outcome.NO, 0.0, D("1")),
        (Outcome.NO, 0.7, D("0")),
    ],
)
def test_strength(outcome: Outcome, value: float, expected: Decimal) -> None:
    assert owrr_strength(outcome, value) == expected


# --- rule order: the first failing rule names the skip --------------------------------------------


def test_kill_switch_beats_everything() -> None:
    d = entry(
        t=trade(market_closed=True, category="sports"),
        o=neutral_owrr("politics"),
        tun=Tunables(kill_switch=True),
    )
    assert_skip(d, ReasonCode.KILL_SWITCH)
    assert (d.slider, d.confidence) == (50, Confidence.INSUFFICIENT)  # known, so recorded


def test_the_kill_switch_stops_real_orders_and_lets_a_paper_strategy_go_on() -> None:
    on = Tunables(kill_switch=True)
    assert_skip(entry(s=strategy(paper=False), tun=on), ReasonCode.KILL_SWITCH)
    assert_copy(entry(s=strategy(paper=True), tun=on))
    # the other rules still apply to it
    assert_skip(entry(t=trade(category="sports"), s=strategy(paper=True), tun=on), ReasonCode.CATEGORY_NOT_TRACKED)


def test_staleness_boundary() -> None:
    limit = TUNABLES.staleness_limit_s
    at_limit = trade(traded_at=NOW - timedelta(seconds=limit))
    assert_copy(entry(t=at_limit))
    just_over = trade(traded_at=NOW - timedelta(seconds=limit, microseconds=1))
    d = entry(t=just_over)
    assert_skip(d, ReasonCode.STALE_TRADE)
    assert "staleness limit" in d.reason
    # the limit is the operator's tunable
    assert_copy(entry(t=just_over, tun=Tunables(kill_switch=False, staleness_limit_s=limit + 1)))


def test_future_timestamp_is_not_stale() -> None:
    assert_copy(entry(t=trade(traded_at=NOW + timedelta(seconds=5))))


def test_market_closed() -> None:
    assert_skip(entry(t=trade(market_closed=True)), ReasonCode.MARKET_CLOSED)


def test_markets_filter() -> None:
    assert_copy(entry(s=strategy(markets_filter=frozenset())))  # empty: every market
    assert_copy(entry(s=strategy(markets_filter=frozenset({CONDITION, "0xother"}))))
    assert_copy(entry(s=strategy(markets_filter=frozenset({CONDITION.upper()}))))
    assert_skip(entry(s=strategy(markets_filter=frozenset({"0xother"}))), ReasonCode.MARKET_NOT_IN_FILTER)


def test_category_tracking() -> None:
    assert_copy(entry(t=trade(category="Politics")))  # case-insensitive
    assert_skip(entry(t=trade(category="sports")), ReasonCode.CATEGORY_NOT_TRACKED)
    assert_skip(entry(t=trade(category=None)), ReasonCode.CATEGORY_NOT_TRACKED)
    assert_skip(entry(s=strategy(categories=frozenset())), ReasonCode.CATEGORY_NOT_TRACKED)


def test_yes_threshold_boundary() -> None:
    assert_copy(entry(o=owrr(0.60)))  # slider 60 = threshold
    d = entry(o=owrr(0.59))
    assert_skip(d, ReasonCode.OWRR_BELOW_THRESHOLD)
    assert d.reason == "OWRR 59 is below the YES threshold 60"
    assert d.slider == 59
    assert_copy(entry(o=owrr(0.59), s=strategy(owrr_threshold_yes=59)))


def test_no_threshold_boundary() -> None:
    no = trade(outcome=Outcome.NO)
    assert_copy(entry(t=no, o=owrr(0.40)))  # slider 40 = threshold
    d = entry(t=no, o=owrr(0.41))
    assert_skip(d, ReasonCode.OWRR_ABOVE_THRESHOLD)
    assert d.reason == "OWRR 41 is above the NO threshold 40"
    # a bullish consensus never passes a NO trade
    assert_skip(entry(t=no, o=owrr(0.72)), ReasonCode.OWRR_ABOVE_THRESHOLD)


def test_neutral_owrr_skips_and_says_why() -> None:
    d = entry(o=neutral_owrr("politics"))
    assert_skip(d, ReasonCode.OWRR_BELOW_THRESHOLD)
    assert "insufficient data" in d.reason
    # with a threshold the neutral slider passes, confidence still stops it
    d = entry(o=neutral_owrr("politics"), s=strategy(owrr_threshold_yes=50))
    assert_skip(d, ReasonCode.LOW_CONFIDENCE)
    assert "insufficient data" in d.reason


def test_confidence_boundary() -> None:
    assert_copy(entry(o=owrr(0.72, Confidence.MEDIUM)))
    assert_copy(entry(o=owrr(0.72, Confidence.HIGH)))
    d = entry(o=owrr(0.72, Confidence.LOW))
    assert_skip(d, ReasonCode.LOW_CONFIDENCE)
    assert d.reason == "OWRR confidence low is below the minimum medium"
    assert_copy(entry(o=owrr(0.72, Confidence.LOW), s=strategy(min_owrr_confidence=Confidence.LOW)))
    assert_skip(
        entry(o=owrr(0.72, Confidence.MEDIUM), s=strategy(min_owrr_confidence=Confidence.HIGH)),
        ReasonCode.LOW_CONFIDENCE,
    )


def test_insufficient_data_always_skips() -> None:
    s = strategy(min_owrr_confidence=Confidence.INSUFFICIENT)
    assert_skip(entry(o=owrr(0.72, Confidence.INSUFFICIENT), s=s), ReasonCode.LOW_CONFIDENCE)


def test_max_positions_boundary() -> None:
    s = strategy(max_positions=3)
    assert_copy(entry(s=s, p=portfolio("10000", "0", *others(2))))
    d = entry(s=s, p=portfolio("10000", "0", *others(3)))
    assert_skip(d, ReasonCode.MAX_POSITIONS)
    assert d.reason == "3 open positions, at the limit of 3"
    # adding to a token already held is not a new position
    assert_copy(entry(s=s, p=portfolio("10000", "0", *others(2), holding())))
    # a zero-share leftover does not count as held, nor as open
    assert_copy(entry(s=s, p=portfolio("10000", "0", *others(2), holding(shares="0", cost="0"))))
    # a pending entry (cost committed, no shares filled yet) is a position being opened: it counts,
    # and adding to it is not a new position
    assert_skip(entry(s=s, p=portfolio("10000", "0", *others(2), holding(token="9999", shares="0"))),
                ReasonCode.MAX_POSITIONS)  # fmt: skip
    assert_copy(entry(s=s, p=portfolio("10000", "0", *others(2), holding(shares="0"))))


def test_max_positions_takes_the_smaller_of_strategy_and_operator_limit() -> None:
    p = portfolio("10000", "0", *others(2))
    assert_skip(
        entry(p=p, tun=Tunables(kill_switch=False, max_open_positions_per_strategy=2)), ReasonCode.MAX_POSITIONS
    )


def test_capital_boundary_is_ten_percent_of_max_position() -> None:
    # max position $1,000 → $100 needed
    assert_copy(entry(p=portfolio("10000", "9900")))
    d = entry(p=portfolio("10000", "9900.01"))
    assert_skip(d, ReasonCode.INSUFFICIENT_CAPITAL)
    assert d.reason == "Available capital $99.99 is below $100 (10% of the max position size)"


# --- sizing ---------------------------------------------------------------------------------------


def test_size_minimum_boundary() -> None:
    fixed = SizingMode.FIXED
    assert assert_copy(entry(s=strategy(sizing_mode=fixed, fixed_size_usd=D("10")))).usd_amount == D("10")
    d = entry(s=strategy(sizing_mode=fixed, fixed_size_usd=D("9.99")))
    assert_skip(d, ReasonCode.SIZE_BELOW_MINIMUM)
    assert d.reason == "Size $9.99 rounds down to $9, below the $10 minimum order"
    assert d.details["size_usd"] == "9"


def test_size_rounds_down_to_whole_dollars() -> None:
    s = strategy(sizing_mode=SizingMode.FIXED, fixed_size_usd=D("10.99"))
    assert assert_copy(entry(s=s)).usd_amount == D("10")
    # OWRR mode: 0.7234 → multiplier 0.7234 → $361.70 → $361
    assert assert_copy(entry(o=owrr(0.7234))).usd_amount == D("361")


def test_fixed_and_proportional_modes() -> None:
    s = strategy(sizing_mode=SizingMode.FIXED, fixed_size_usd=D("125"))
    assert assert_copy(entry(s=s)).usd_amount == D("125")
    s = strategy(sizing_mode=SizingMode.PROPORTIONAL, proportional_fraction=D("0.05"))
    assert assert_copy(entry(s=s, t=trade(usd_value=D("4321")))).usd_amount == D("216")  # 216.05
    assert_skip(entry(s=s, t=trade(usd_value=D("199.99"))), ReasonCode.SIZE_BELOW_MINIMUM)  # 9.9995
    assert assert_copy(entry(s=s, t=trade(usd_value=D("200")))).usd_amount == D("10")
    # fixed mode left at its default $0 is a clear skip, not an order
    assert_skip(entry(s=strategy(sizing_mode=SizingMode.FIXED)), ReasonCode.SIZE_BELOW_MINIMUM)


def test_owrr_mode_spans_half_to_full_risk_budget() -> None:
    s = strategy(owrr_threshold_yes=50)
    assert assert_copy(entry(s=s, o=owrr(0.5))).usd_amount == D("250")
    assert assert_copy(entry(s=s, o=owrr(1.0))).usd_amount == D("500")


def test_per_position_cap_uses_the_smaller_limit_minus_what_is_held() -> None:
    d = entry(s=strategy(max_position_size_usd=D("200")))
    assert assert_copy(d).usd_amount == D("200")
    assert d.details["binding_cap"] == "per-position limit"
    # the operator's cap is lower than the strategy's
    assert assert_copy(entry(tun=Tunables(kill_switch=False, max_position_usd=D("150")))).usd_amount == D("150")
    # $1,000 limit, $700 already in this token → $300 room
    p = portfolio("10000", "0", holding(cost="700"))
    assert assert_copy(entry(p=p)).usd_amount == D("300")


def test_cap_that_makes_the_size_too_small_is_named() -> None:
    p = portfolio("10000", "0", holding(cost="995"))  # $5 room left
    d = entry(p=p)
    assert_skip(d, ReasonCode.SIZE_BELOW_MINIMUM)
    assert d.reason == "Size $360 was cut to $5 by the per-position limit, below the $10 minimum order"
    # position limit already exceeded: room is zero, never negative
    d = entry(p=portfolio("10000", "0", holding(cost="1200")))
    assert_skip(d, ReasonCode.SIZE_BELOW_MINIMUM)
    assert "cut to $0 by the per-position limit" in d.reason


def test_total_exposure_cap() -> None:
    tun = Tunables(kill_switch=False, max_total_exposure_usd=D("1000"))
    p = portfolio("10000", "0", holding(token="2222", cost="880"))  # $120 room
    d = entry(p=p, tun=tun)
    assert assert_copy(d).usd_amount == D("120")
    assert d.details["binding_cap"] == "total exposure cap"
    d = entry(p=portfolio("10000", "0", holding(token="2222", cost="991")), tun=tun)
    assert_skip(d, ReasonCode.SIZE_BELOW_MINIMUM)
    assert "total exposure cap" in d.reason


def test_available_capital_cap() -> None:
    d = entry(p=portfolio("10000", "9850.50"))  # $149.50 available
    assert assert_copy(d).usd_amount == D("149")
    assert d.details["binding_cap"] == "available capital"


def test_risk_budget_uses_the_portfolio_balance() -> None:
    # balance $2,000 → 5% = $100 × 0.72 = $72
    assert assert_copy(entry(p=portfolio("2000"))).usd_amount == D("72")


# --- prices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "slippage", "buy", "sell"),
    [
        (D("0.55"), D("0.02"), D("0.57"), D("0.53")),
        (D("0.985"), D("0.02"), D("0.99"), D("0.965")),  # never ≥ 1
        (D("0.015"), D("0.02"), D("0.035"), D("0.01")),  # never ≤ 0
        (D("0.999"), D("0"), D("0.99"), D("0.99")),
        (D("0.123456"), D("0.02"), D("0.1434"), D("0.1035")),  # grid: never widen the allowance
    ],
)
def test_worst_prices(price: Decimal, slippage: Decimal, buy: Decimal, sell: Decimal) -> None:
    assert worst_buy_price(price, slippage) == buy
    assert worst_sell_price(price, slippage) == sell


def test_copy_carries_the_strategy_order_style_and_slippage() -> None:
    s = strategy(order_style=OrderStyle.GTC, slippage_ceiling=D("0.05"))
    intent = assert_copy(entry(s=s))
    assert (intent.order_style, intent.worst_price) == (OrderStyle.GTC, D("0.60"))


def test_dispatcher_sends_buys_to_the_entry_rules() -> None:
    d = decide(trade(), strategy(), owrr(), portfolio(), TUNABLES, NOW)
    assert d == entry()
    assert_skip(
        decide(trade(), strategy(), owrr(0.5), portfolio(), TUNABLES, NOW, leader_shares_before=D("100")),
        ReasonCode.OWRR_BELOW_THRESHOLD,
    )


def test_decisions_are_pure() -> None:
    p = portfolio("10000", "0", holding())
    before = replace(p)
    assert entry(p=p) == entry(p=p)
    assert p == before
