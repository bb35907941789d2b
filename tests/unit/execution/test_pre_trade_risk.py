"""`check_pre_trade`: every limit at its boundary, and exits never blocked by entry limits.

Each limit is exercised twice from a context that passes everything else: exactly at the limit
(allowed) and one cent / one tick beyond it (refused with that limit's reason code). The daily
loss limit is the one "reached" rule: a loss equal to the limit already stops new entries.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.domain.models import Tunables
from omegacopy.domain.order_amounts import OrderKind, OrderSide
from omegacopy.domain.order_plan import OrderPlan
from omegacopy.domain.pre_trade_risk import RiskContext, RiskVerdict, check_pre_trade

D = Decimal
CENT = D("0.01")
TICK = D("0.01")
TUNABLES = Tunables()  # max order $1,000, market exposure $2,500, daily loss 10 %, collar 0.05


def _max_order(usd: str) -> Tunables:
    return Tunables(**{**dict(TUNABLES), "max_order_usd": D(usd)})


def order(
    side: OrderSide = OrderSide.BUY,
    *,
    price: Decimal = Decimal("0.50"),
    size: Decimal = Decimal("100"),
    order_type: str = "FAK",
) -> OrderPlan:
    return OrderPlan(
        side=side, kind=OrderKind.LIMIT, price=price, size=size, order_type=order_type, expiration=0, tick_size=TICK
    )


def context(**overrides: Any) -> RiskContext:
    base = RiskContext(
        balance_usd=D("100000"),
        position_shares=D("0"),
        market_exposure_usd=D("0"),
        realized_pnl_today_usd=D("0"),
        best_bid=D("0.49"),
        best_ask=D("0.50"),
    )
    return replace(base, **overrides)


def check(plan: OrderPlan, ctx: RiskContext, *, is_exit: bool = False, tunables: Tunables = TUNABLES) -> RiskVerdict:
    return check_pre_trade(plan, is_exit=is_exit, ctx=ctx, tunables=tunables)


def assert_ok(verdict: RiskVerdict) -> None:
    assert verdict.ok, f"refused: {verdict.reason_code} ({verdict.message})"
    assert verdict.reason_code == "ok"


def assert_refused(verdict: RiskVerdict, code: str) -> None:
    assert not verdict.ok
    assert verdict.reason_code == code, verdict.message
    assert verdict.message


def test_the_baseline_passes() -> None:
    assert_ok(check(order(), context()))


# --- max order value ---------------------------------------------------------------------------------
def test_max_order_value_exactly_is_allowed_one_cent_more_is_refused() -> None:
    at = order(price=D("0.50"), size=D("2000"))  # $1,000.00
    beyond = order(price=D("0.50"), size=D("2000.02"))  # $1,000.01
    assert at.notional_usd == TUNABLES.max_order_usd
    assert_ok(check(at, context()))
    assert_refused(check(beyond, context()), "max_order_value")


def test_max_order_value_follows_the_tunable() -> None:
    plan = order(price=D("0.50"), size=D("200"))  # $100
    assert_ok(check(plan, context(), tunables=_max_order("100")))
    assert_refused(check(plan, context(), tunables=_max_order("99.99")), "max_order_value")


# --- balance -----------------------------------------------------------------------------------------
def test_balance_exactly_enough_is_allowed_one_cent_short_is_refused() -> None:
    plan = order(price=D("0.50"), size=D("100"))  # $50
    assert_ok(check(plan, context(balance_usd=D("50"))))
    assert_refused(check(plan, context(balance_usd=D("49.99"))), "insufficient_balance")


# --- market exposure ---------------------------------------------------------------------------------
def test_market_exposure_up_to_the_limit_is_allowed_one_cent_beyond_is_refused() -> None:
    plan = order(price=D("0.50"), size=D("100"))  # $50
    assert_ok(check(plan, context(market_exposure_usd=D("2450"))))  # 2,450 + 50 = 2,500 exactly
    assert_refused(check(plan, context(market_exposure_usd=D("2450.01"))), "market_exposure")


def test_market_exposure_counts_the_new_order_alone_too() -> None:
    plan = order(price=D("0.50"), size=D("5000.02"))  # $2,500.01 with nothing held
    assert_refused(
        check(plan, context(), tunables=_max_order("10000")),
        "market_exposure",
    )


# --- daily loss --------------------------------------------------------------------------------------
def test_daily_loss_below_the_limit_is_allowed_reaching_it_is_refused() -> None:
    # 10 % of a $1,000 balance: $100 of realized loss today stops new entries
    ctx = context(balance_usd=D("1000"))
    assert_ok(check(order(), replace(ctx, realized_pnl_today_usd=D("-99.99"))))
    assert_refused(check(order(), replace(ctx, realized_pnl_today_usd=D("-100"))), "daily_loss_limit")
    assert_refused(check(order(), replace(ctx, realized_pnl_today_usd=D("-100.01"))), "daily_loss_limit")


def test_a_profitable_day_never_trips_the_loss_limit() -> None:
    assert_ok(check(order(), context(balance_usd=D("1000"), realized_pnl_today_usd=D("500"))))


# --- collar ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order_type", ["FAK", "FOK", "GTC", "GTD"])
def test_buy_collar_exactly_is_allowed_one_tick_beyond_is_refused(order_type: str) -> None:
    plan = order(price=D("0.60"), order_type=order_type)
    assert_ok(check(plan, context(best_ask=D("0.55"), best_bid=D("0.50"))))  # 0.05 from the ask
    assert_refused(check(plan, context(best_ask=D("0.54"), best_bid=D("0.50"))), "price_collar")


@pytest.mark.parametrize("order_type", ["FAK", "FOK", "GTC", "GTD"])
def test_sell_collar_exactly_is_allowed_one_tick_beyond_is_refused(order_type: str) -> None:
    plan = order(OrderSide.SELL, price=D("0.40"), order_type=order_type)
    ctx = context(position_shares=D("100"))
    assert_ok(check(plan, replace(ctx, best_bid=D("0.45"), best_ask=D("0.50"))))  # 0.05 from the bid
    assert_refused(check(plan, replace(ctx, best_bid=D("0.46"), best_ask=D("0.50"))), "price_collar")


def test_passive_buy_far_below_the_ask_is_collared() -> None:
    plan = order(price=D("0.40"), order_type="GTC")
    assert_ok(check(plan, context(best_ask=D("0.45"))))
    assert_refused(check(plan, context(best_ask=D("0.46"))), "price_collar")


# --- price moved (marketable orders) -----------------------------------------------------------------
@pytest.mark.parametrize("order_type", ["FAK", "FOK"])
def test_buy_best_ask_at_the_worst_price_is_allowed_one_tick_above_is_refused(order_type: str) -> None:
    plan = order(price=D("0.50"), order_type=order_type)
    assert_ok(check(plan, context(best_ask=D("0.50"))))
    assert_refused(check(plan, context(best_ask=D("0.51"))), "price_moved")


@pytest.mark.parametrize("order_type", ["FAK", "FOK"])
def test_sell_best_bid_at_the_worst_price_is_allowed_one_tick_below_is_refused(order_type: str) -> None:
    plan = order(OrderSide.SELL, price=D("0.49"), order_type=order_type)
    ctx = context(position_shares=D("100"))
    assert_ok(check(plan, replace(ctx, best_bid=D("0.49"))))
    assert_refused(check(plan, replace(ctx, best_bid=D("0.48"))), "price_moved")


@pytest.mark.parametrize("order_type", ["GTC", "GTD"])
def test_a_resting_order_below_the_ask_is_not_price_moved(order_type: str) -> None:
    assert_ok(check(order(price=D("0.48"), order_type=order_type), context(best_ask=D("0.50"))))


def test_price_moved_is_checked_before_the_collar() -> None:
    # the ask ran 0.10 above a FAK's worst price: it cannot trade, whatever the collar says
    assert_refused(check(order(price=D("0.50")), context(best_ask=D("0.60"))), "price_moved")


# --- no book -----------------------------------------------------------------------------------------
def test_a_buy_without_asks_is_refused_even_with_bids() -> None:
    assert_refused(check(order(), context(best_ask=None, best_bid=D("0.49"))), "no_book")


def test_a_sell_without_bids_is_refused_even_with_asks() -> None:
    plan = order(OrderSide.SELL, price=D("0.49"))
    assert_refused(check(plan, context(best_bid=None, best_ask=D("0.50"), position_shares=D("100"))), "no_book")


def test_a_buy_needs_no_bids_and_a_sell_needs_no_asks() -> None:
    assert_ok(check(order(), context(best_bid=None)))
    assert_ok(check(order(OrderSide.SELL, price=D("0.49")), context(best_ask=None, position_shares=D("100"))))


def test_no_book_wins_over_every_money_limit() -> None:
    broke = context(best_ask=None, balance_usd=D("0"), market_exposure_usd=D("99999"))
    assert_refused(check(order(), broke), "no_book")


# --- shares held (sells) -----------------------------------------------------------------------------
@pytest.mark.parametrize("is_exit", [True, False])
def test_selling_exactly_the_shares_held_is_allowed_one_cent_more_is_refused(is_exit: bool) -> None:
    ctx = context(position_shares=D("100"))
    assert_ok(check(order(OrderSide.SELL, price=D("0.49"), size=D("100")), ctx, is_exit=is_exit))
    assert_refused(
        check(order(OrderSide.SELL, price=D("0.49"), size=D("100.01")), ctx, is_exit=is_exit), "insufficient_shares"
    )


def test_a_buy_does_not_need_shares() -> None:
    assert_ok(check(order(size=D("100")), context(position_shares=D("0"))))


# --- exits skip the entry-only limits ----------------------------------------------------------------
def _over_every_entry_limit() -> RiskContext:
    return context(
        balance_usd=D("1000"),
        market_exposure_usd=D("100000"),
        realized_pnl_today_usd=D("-5000"),
        position_shares=D("5000"),
        best_bid=D("0.49"),
        best_ask=D("0.50"),
    )


@pytest.mark.parametrize("is_exit", [True, False])  # any SELL reduces a position: entry limits never apply
def test_an_exit_is_never_blocked_by_entry_limits(is_exit: bool) -> None:
    big_exit = order(OrderSide.SELL, price=D("0.49"), size=D("5000"))  # $2,450: above max order and balance
    ctx = _over_every_entry_limit()
    assert big_exit.notional_usd > TUNABLES.max_order_usd
    assert big_exit.notional_usd > ctx.balance_usd
    assert_ok(check(big_exit, ctx, is_exit=is_exit))


def test_the_same_limits_do_block_an_entry() -> None:
    entry = order(price=D("0.50"), size=D("100"))  # $50: small, but the market exposure is blown
    assert_refused(check(entry, _over_every_entry_limit()), "market_exposure")


@pytest.mark.parametrize(
    ("ctx_overrides", "size", "code"),
    [
        ({"best_bid": None}, D("10"), "no_book"),
        ({"best_bid": D("0.48")}, D("10"), "price_moved"),
        ({"best_bid": D("0.55"), "best_ask": D("0.56")}, D("10"), "price_collar"),
        ({}, D("5000.01"), "insufficient_shares"),
    ],
)
def test_an_exit_is_still_stopped_by_the_book_and_the_shares_held(
    ctx_overrides: dict[str, Any], size: Decimal, code: str
) -> None:
    ctx = replace(_over_every_entry_limit(), **ctx_overrides)
    assert_refused(check(order(OrderSide.SELL, price=D("0.49"), size=size), ctx, is_exit=True), code)
