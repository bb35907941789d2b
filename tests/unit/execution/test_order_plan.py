"""`plan_order`: from an intent's draft to the exact price and size the executor signs.

Properties (hypothesis) and pinned examples:
* the price is on the tick grid and never on the wrong side of the worst price (a BUY never
  pays above it, a SELL never accepts below it), and at most one tick inside it;
* a marketable BUY's cost (size × price) is whole cents, never above the USD amount, and the
  size is the largest such size;
* the market's minimum size is enforced at its boundary;
* passive styles (GTC/GTD) rest at the leader's price, not the worst price;
* GTD expires at now + 900 s (the exchange wants ≥ now + 180 s), everything else has 0;
* SELL sizes are the intent's shares, rounded down to cents, never up.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.order_amounts import TICK_SIZES, OrderKind, OrderRejected, OrderSide
from omegacopy.domain.order_plan import (
    GTD_LIFETIME_S,
    OrderPlan,
    marketable_buy_shares,
    plan_order,
    snap_to_tick,
)

D = Decimal
CENT = D("0.01")
NOW_S = 1_763_700_000
GTD_MIN_LEAD_S = 180  # the exchange's rule for GTD expirations

ticks = st.sampled_from(sorted(TICK_SIZES))
styles = st.sampled_from(list(OrderStyle))
marketable_styles = st.sampled_from([OrderStyle.FAK, OrderStyle.FOK])
passive_styles = st.sampled_from([OrderStyle.GTC, OrderStyle.GTD])
# prices with up to 6 decimals, strictly inside (0, 1)
raw_prices = st.integers(1, 999_999).map(lambda n: D(n).scaleb(-6))
usd_amounts = st.integers(100, 500_000).map(lambda n: D(n).scaleb(-2))  # $1.00 .. $5,000.00
share_counts = st.integers(1, 10**8).map(lambda n: D(n).scaleb(-4))  # up to 4 decimals


def spec(
    action: TradeAction = TradeAction.BUY,
    *,
    usd: Decimal | None = Decimal("60"),
    shares: Decimal | None = None,
    leader: Decimal = Decimal("0.60"),
    worst: Decimal = Decimal("0.62"),
    style: OrderStyle = OrderStyle.FAK,
) -> IntentDraft:
    return IntentDraft(
        action=action, token_id="1", condition_id="0xc", leader_price=leader, worst_price=worst, usd_amount=usd,
        shares=shares, order_style=style,
    )  # fmt: skip


def plan(s: IntentDraft, *, tick: Decimal = CENT, min_size: Decimal = Decimal("5"), now_s: int = NOW_S) -> OrderPlan:
    return plan_order(s, tick_size=tick, min_size=min_size, now_s=now_s)


def on_grid(price: Decimal, tick: Decimal) -> bool:
    return price % tick == 0


# --- tick snapping ---------------------------------------------------------------------------------
@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tick=ticks, price=raw_prices)
def test_snap_to_tick_lands_on_the_grid_on_the_asked_side_within_one_tick(tick: Decimal, price: Decimal) -> None:
    down, up = snap_to_tick(price, tick, up=False), snap_to_tick(price, tick, up=True)
    assert on_grid(down, tick) and on_grid(up, tick)
    assert down <= price <= up
    assert price - down < tick and up - price < tick


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tick=ticks, worst=raw_prices, style=marketable_styles)
def test_buy_price_is_on_grid_never_above_worst_and_within_one_tick(
    tick: Decimal, worst: Decimal, style: OrderStyle
) -> None:
    s = spec(TradeAction.BUY, usd=D("5000"), leader=worst, worst=worst, style=style)
    try:
        p = plan(s, tick=tick, min_size=D("0"))
    except OrderRejected as exc:
        snapped = snap_to_tick(worst, tick, up=False)
        if tick <= snapped <= 1 - tick:
            # in range: only a fine-tick price with no whole-cent size is refused (tested below)
            assert "whole-cent" in str(exc)
    else:
        assert on_grid(p.price, tick)
        assert p.price <= worst
        assert worst - p.price < tick


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tick=ticks, worst=raw_prices, style=marketable_styles)
def test_sell_price_is_on_grid_never_below_worst_and_within_one_tick(
    tick: Decimal, worst: Decimal, style: OrderStyle
) -> None:
    s = spec(TradeAction.SELL, usd=None, shares=D("100"), leader=worst, worst=worst, style=style)
    try:
        p = plan(s, tick=tick, min_size=D("0"))
    except OrderRejected:
        snapped = snap_to_tick(worst, tick, up=True)
        assert not tick <= snapped <= 1 - tick
    else:
        assert on_grid(p.price, tick)
        assert p.price >= worst
        assert p.price - worst < tick


@pytest.mark.parametrize(
    ("action", "worst", "expected"),
    [
        (TradeAction.BUY, D("0.629"), D("0.62")),  # down: a BUY may not pay 0.63
        (TradeAction.SELL, D("0.621"), D("0.63")),  # up: a SELL may not accept 0.62
        (TradeAction.BUY, D("0.62"), D("0.62")),  # on the grid already: unchanged
        (TradeAction.SELL, D("0.62"), D("0.62")),
    ],
)
def test_snapping_direction(action: TradeAction, worst: Decimal, expected: Decimal) -> None:
    s = spec(action, usd=D("60") if action is TradeAction.BUY else None,
             shares=None if action is TradeAction.BUY else D("10"), leader=worst, worst=worst)  # fmt: skip
    assert plan(s).price == expected


@pytest.mark.parametrize(
    ("action", "worst"),
    [
        (TradeAction.BUY, D("0.009")),  # floors to 0.00: below the lowest tick
        (TradeAction.SELL, D("0.991")),  # ceils to 1.00: above 1 - tick
    ],
)
def test_prices_outside_the_market_range_are_rejected(action: TradeAction, worst: Decimal) -> None:
    s = spec(action, usd=D("60") if action is TradeAction.BUY else None,
             shares=None if action is TradeAction.BUY else D("10"), leader=worst, worst=worst)  # fmt: skip
    with pytest.raises(OrderRejected, match="outside the market's range"):
        plan(s)


def test_a_sell_worst_price_below_the_lowest_tick_rests_at_the_lowest_tick() -> None:
    s = spec(TradeAction.SELL, usd=None, shares=D("10"), leader=D("0.0005"), worst=D("0.0005"))
    assert plan(s).price == CENT


# --- marketable BUY cost ---------------------------------------------------------------------------
@st.composite
def grid_prices(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    tick = draw(ticks)
    steps = int(1 / tick)
    return tick, tick * draw(st.integers(1, steps - 1))


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tp=grid_prices(), usd=usd_amounts)
@example(tp=(CENT, D("0.62")), usd=D("60"))
def test_marketable_buy_cost_is_whole_cents_within_budget_and_maximal(
    tp: tuple[Decimal, Decimal], usd: Decimal
) -> None:
    _, price = tp
    try:
        shares = marketable_buy_shares(usd, price)
    except OrderRejected:
        # no size within a share of usd/price has a whole-cent cost (only fine ticks can do that)
        top = (usd / price).quantize(CENT, rounding=ROUND_DOWN)
        candidates = [top - CENT * k for k in range(101) if top - CENT * k > 0]
        assert all((c * price) % CENT != 0 for c in candidates)
    else:
        cost = shares * price
        assert shares > 0 and shares % CENT == 0
        assert cost % CENT == 0, f"cost {cost} is not whole cents"
        assert cost <= usd
        # maximal: no larger 2-decimal size within the budget has a whole-cent cost
        bigger = shares + CENT
        while bigger * price <= usd:
            assert (bigger * price) % CENT != 0, f"{bigger} shares would also fit"
            bigger += CENT


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tp=grid_prices(), usd=usd_amounts, style=marketable_styles)
def test_marketable_buy_plan_never_spends_more_than_the_intent(
    tp: tuple[Decimal, Decimal], usd: Decimal, style: OrderStyle
) -> None:
    tick, price = tp
    s = spec(TradeAction.BUY, usd=usd, leader=price, worst=price, style=style)
    try:
        p = plan(s, tick=tick, min_size=D("0"))
    except OrderRejected:
        assume(False)  # no whole-cent size exists: covered above
        raise
    assert p.notional_usd <= usd
    assert p.notional_usd % CENT == 0


def test_marketable_buy_steps_down_to_a_whole_cent_cost() -> None:
    # $60 at 0.62: 96.77 shares would cost $59.9974; 96.50 costs exactly $59.83
    p = plan(spec(usd=D("60"), worst=D("0.62")))
    assert (p.size, p.notional_usd) == (D("96.50"), D("59.8300"))
    assert (p.side, p.kind, p.order_type, p.tick_size) == (OrderSide.BUY, OrderKind.LIMIT, "FAK", CENT)


def test_a_fine_tick_price_with_no_whole_cent_size_is_rejected() -> None:
    # 0.0003 × shares is whole cents only for multiples of 100 shares: none within a share of 3,333.33
    with pytest.raises(OrderRejected, match="no whole-cent"):
        marketable_buy_shares(D("1"), D("0.0003"))


@pytest.mark.parametrize("usd", [D("0"), D("-5"), None])
def test_a_buy_needs_a_positive_usd_amount(usd: Decimal | None) -> None:
    with pytest.raises(OrderRejected, match="positive USD"):
        plan(spec(usd=usd))


# --- minimum size ----------------------------------------------------------------------------------
@pytest.mark.parametrize("style", list(OrderStyle))
def test_min_size_exactly_is_accepted_one_cent_below_is_rejected(style: OrderStyle) -> None:
    # BUY at 0.50: $2.50 buys exactly 5.00 shares; $2.49 buys 4.98
    at = spec(usd=D("2.50"), leader=D("0.50"), worst=D("0.50"), style=style)
    below = spec(usd=D("2.49"), leader=D("0.50"), worst=D("0.50"), style=style)
    assert plan(at, min_size=D("5")).size == D("5.00")
    with pytest.raises(OrderRejected, match="below the market minimum"):
        plan(below, min_size=D("5"))


def test_sell_min_size_boundary() -> None:
    at = spec(TradeAction.SELL, usd=None, shares=D("5"), worst=D("0.58"))
    below = spec(TradeAction.SELL, usd=None, shares=D("4.999"), worst=D("0.58"))  # rounds down to 4.99
    assert plan(at, min_size=D("5")).size == D("5.00")
    with pytest.raises(OrderRejected, match="below the market minimum"):
        plan(below, min_size=D("5"))


# --- passive styles --------------------------------------------------------------------------------
@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(tp=grid_prices(), usd=usd_amounts, style=passive_styles, slippage=st.integers(1, 5))
def test_passive_buy_rests_at_the_leader_price(
    tp: tuple[Decimal, Decimal], usd: Decimal, style: OrderStyle, slippage: int
) -> None:
    tick, leader = tp
    worst = min(leader + slippage * tick, 1 - tick)
    s = spec(TradeAction.BUY, usd=usd, leader=leader, worst=worst, style=style)
    try:
        p = plan(s, tick=tick, min_size=D("0"))
    except OrderRejected:
        assert (usd / leader).quantize(CENT, rounding=ROUND_DOWN) <= 0
    else:
        assert p.price == leader
        assert p.order_type == style.value
        # a resting BUY: as many 2-decimal shares as the amount buys at the leader's price
        assert p.size == (usd / leader).quantize(CENT, rounding=ROUND_DOWN)
        assert p.notional_usd <= usd


@pytest.mark.parametrize(
    ("action", "leader", "expected"),
    [(TradeAction.BUY, D("0.605"), D("0.60")), (TradeAction.SELL, D("0.605"), D("0.61"))],
)
@pytest.mark.parametrize("style", [OrderStyle.GTC, OrderStyle.GTD])
def test_passive_price_snaps_the_leader_price_to_the_safe_side(
    action: TradeAction, leader: Decimal, expected: Decimal, style: OrderStyle
) -> None:
    buy = action is TradeAction.BUY
    s = spec(action, usd=D("60") if buy else None, shares=None if buy else D("10"),
             leader=leader, worst=D("0.70") if buy else D("0.50"), style=style)  # fmt: skip
    assert plan(s).price == expected


# --- expiration ------------------------------------------------------------------------------------
@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(now_s=st.integers(1_600_000_000, 2_000_000_000), style=styles)
def test_gtd_expires_at_least_180_s_ahead_and_the_others_never(now_s: int, style: OrderStyle) -> None:
    p = plan(spec(style=style), now_s=now_s)
    if style is OrderStyle.GTD:
        assert p.expiration >= now_s + GTD_MIN_LEAD_S
        assert p.expiration == now_s + GTD_LIFETIME_S
    else:
        assert p.expiration == 0


# --- SELL sizes ------------------------------------------------------------------------------------
@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(shares=share_counts, style=styles)
def test_sell_size_is_the_shares_rounded_down_to_cents(shares: Decimal, style: OrderStyle) -> None:
    s = spec(TradeAction.SELL, usd=None, shares=shares, leader=D("0.58"), worst=D("0.56"), style=style)
    try:
        p = plan(s, min_size=D("0"))
    except OrderRejected:
        assert shares.quantize(CENT, rounding=ROUND_DOWN) == 0  # only a size that rounds to nothing
    else:
        assert p.side is OrderSide.SELL
        assert p.size <= shares
        assert shares - p.size < CENT
        assert p.size % CENT == 0


def test_sell_ignores_any_usd_amount() -> None:
    p = plan(spec(TradeAction.SELL, usd=D("1"), shares=D("12.349"), worst=D("0.56")))
    assert (p.side, p.size, p.price) == (OrderSide.SELL, D("12.34"), D("0.56"))


@pytest.mark.parametrize("shares", [D("0"), D("-1"), None])
def test_a_sell_needs_a_positive_share_count(shares: Decimal | None) -> None:
    with pytest.raises(OrderRejected, match="positive share count"):
        plan(spec(TradeAction.SELL, usd=None, shares=shares, worst=D("0.56")))
