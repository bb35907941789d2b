"""Property tests of the amount rules, against an independent exact-fraction oracle.

* never off-grid: limit and SELL amounts encode the limit price exactly;
* never beyond the server's precision rules;
* a BUY never pays more than its limit price: a limit BUY pays exactly `price` per share; a
  market BUY spends at most its USD amount and its ratio maker/taker stays in
  [price, price + 0.0001): at or above `price` so an ask resting there can be lifted (the SDK's
  rounding), below the next price any market can quote, so no fill happens above `price`;
* a SELL never receives less than its limit price per share (exactly `price`).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omegacopy.domain.order_amounts import (
    MAX_ORDER_QUANTITY,
    MIN_TICK_SIZE,
    ROUNDING,
    OrderKind,
    OrderRejected,
    OrderSide,
    check_precision,
    order_amounts,
)

TICKS = list(ROUNDING)
UNIT = 10**6


@st.composite
def tick_and_price(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    tick = draw(st.sampled_from(TICKS))
    steps = int(1 / tick)
    return tick, tick * draw(st.integers(1, steps - 1))


# Up to 10^9 with up to 4 decimals, biased toward realistic tickets.
quantities = st.one_of(
    st.integers(1, 10**7).map(lambda n: Decimal(n).scaleb(-2)),
    st.integers(1, 10**13).map(lambda n: Decimal(n).scaleb(-4)),
    st.integers(1, 5_000).map(Decimal),
)


def _decimals(units: int) -> int:
    """Decimals of a base-unit integer written in whole units."""
    d = 6
    while d > 0 and units % 10 == 0:
        units //= 10
        d -= 1
    return d


def _floor_to(value: Fraction, decimals: int) -> Fraction:
    scale = 10**decimals
    return Fraction(math.floor(value * scale), scale)


@settings(max_examples=600, deadline=None)
@given(tp=tick_and_price(), size=quantities, side=st.sampled_from(list(OrderSide)))
def test_limit_orders_encode_the_price_exactly(tp: tuple[Decimal, Decimal], size: Decimal, side: OrderSide) -> None:
    tick, price = tp
    shares = _floor_to(Fraction(size), 2)
    if shares == 0:
        with pytest.raises(OrderRejected, match="zero"):
            order_amounts(side, OrderKind.LIMIT, price, tick, size=size)
    else:
        result = order_amounts(side, OrderKind.LIMIT, price, tick, size=size)
        assert result.shares == shares * UNIT
        # On the grid: collateral / shares == price exactly, for both sides.
        assert Fraction(result.collateral, result.shares) == Fraction(price)
        if side is OrderSide.BUY:
            assert Fraction(result.maker_amount, result.taker_amount) <= Fraction(price)
            assert _decimals(result.taker_amount) <= 2
        else:
            assert Fraction(result.taker_amount, result.maker_amount) >= Fraction(price)
        check_precision(side, OrderKind.LIMIT, result.maker_amount, result.taker_amount)


@settings(max_examples=400, deadline=None)
@given(tp=tick_and_price(), size=quantities)
def test_market_sell_receives_exactly_its_price(tp: tuple[Decimal, Decimal], size: Decimal) -> None:
    tick, price = tp
    assume(_floor_to(Fraction(size), 2) > 0)
    result = order_amounts(OrderSide.SELL, OrderKind.MARKET, price, tick, size=size)
    assert Fraction(result.taker_amount, result.maker_amount) == Fraction(price)
    assert _decimals(result.maker_amount) <= 2


@settings(max_examples=1_000, deadline=None)
@given(tp=tick_and_price(), amount=quantities)
def test_market_buy_against_an_exact_oracle(tp: tuple[Decimal, Decimal], amount: Decimal) -> None:
    tick, price = tp
    config = ROUNDING[tick]
    spend = _floor_to(Fraction(amount), 2)
    # The SDK's rounding, derived independently: shares round down at `amount` decimals (the
    # round-up-at-+4 step can never land on the grid here: the quotient's denominator is < 10^4).
    shares = _floor_to(spend / Fraction(price), config.amount)
    expect_reject = (
        spend == 0
        or shares == 0
        or _decimals(int(shares * UNIT)) > 4  # FOK/FAK BUY taker ≤ 4 decimals
        or spend / shares >= Fraction(price) + Fraction(MIN_TICK_SIZE)  # would reach next tick
    )
    if expect_reject:
        with pytest.raises(OrderRejected):
            order_amounts(OrderSide.BUY, OrderKind.MARKET, price, tick, amount=amount)
    else:
        result = order_amounts(OrderSide.BUY, OrderKind.MARKET, price, tick, amount=amount)
        assert result.maker_amount == spend * UNIT
        assert result.taker_amount == shares * UNIT
        assert Fraction(result.maker_amount, UNIT) <= Fraction(amount)  # never spends more
        ratio = Fraction(result.maker_amount, result.taker_amount)
        assert Fraction(price) <= ratio < Fraction(price) + Fraction(MIN_TICK_SIZE)
        assert _decimals(result.maker_amount) <= 2
        assert _decimals(result.taker_amount) <= 4
        check_precision(OrderSide.BUY, "FAK", result.maker_amount, result.taker_amount)


@settings(max_examples=300, deadline=None)
@given(
    tp=tick_and_price(),
    nudge=st.integers(1, 9),
    side=st.sampled_from(list(OrderSide)),
    kind=st.sampled_from(list(OrderKind)),
)
def test_off_grid_prices_are_refused(tp: tuple[Decimal, Decimal], nudge: int, side: OrderSide, kind: OrderKind) -> None:
    tick, price = tp
    off = price + tick * Decimal(nudge) / 10
    kwargs = {"amount": Decimal(10)} if (kind, side) == (OrderKind.MARKET, OrderSide.BUY) else {"size": Decimal(10)}
    with pytest.raises(OrderRejected):
        order_amounts(side, kind, off, tick, **kwargs)


@pytest.mark.parametrize(
    ("price", "match"),
    [
        (Decimal("0"), "between"),
        (Decimal("1"), "between"),
        (Decimal("-0.5"), "between"),
        (Decimal("1.5"), "between"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("0.005"), "between"),  # < tick
        (Decimal("0.995"), "between"),  # > 1 - tick
        (Decimal("0.555"), "grid"),
        (0.5, "float"),
        ("abc", "not a decimal"),
    ],
)
def test_bad_prices(price: object, match: str) -> None:
    with pytest.raises(OrderRejected, match=match):
        order_amounts(OrderSide.BUY, OrderKind.LIMIT, price, Decimal("0.01"), size=Decimal(10))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size", "match"),
    [
        (Decimal(0), "positive"),
        (Decimal(-1), "positive"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (MAX_ORDER_QUANTITY + 1, "sanity maximum"),
        (Decimal("0.009"), "zero"),
        (None, "required"),
        (1.5, "float"),
        (True, "bool"),
    ],
)
def test_bad_sizes(size: object, match: str) -> None:
    with pytest.raises(OrderRejected, match=match):
        order_amounts(OrderSide.SELL, OrderKind.LIMIT, Decimal("0.5"), Decimal("0.01"), size=size)  # type: ignore[arg-type]


def test_wrong_quantity_kind_and_unknown_tick() -> None:
    with pytest.raises(OrderRejected, match="amount"):
        order_amounts(OrderSide.BUY, OrderKind.MARKET, Decimal("0.5"), Decimal("0.01"), size=Decimal(1))
    with pytest.raises(OrderRejected, match="size"):
        order_amounts(OrderSide.BUY, OrderKind.LIMIT, Decimal("0.5"), Decimal("0.01"), amount=Decimal(1))
    with pytest.raises(OrderRejected, match="tick size"):
        order_amounts(OrderSide.BUY, OrderKind.LIMIT, Decimal("0.5"), Decimal("0.02"), size=Decimal(1))


def test_accepts_int_and_string_quantities_and_equivalent_tick_spellings() -> None:
    a = order_amounts(OrderSide.BUY, OrderKind.LIMIT, Decimal("0.29"), Decimal("0.01"), size=Decimal("0.29"))
    b = order_amounts(OrderSide.BUY, OrderKind.LIMIT, "0.290", "0.010", size="0.29")  # type: ignore[arg-type]
    assert a == b
    assert (a.maker_amount, a.taker_amount) == (84_100, 290_000)  # the float clients sign 0.28


def test_independent_of_the_callers_decimal_context() -> None:
    expected = order_amounts(
        OrderSide.BUY, OrderKind.MARKET, Decimal("0.03"), Decimal("0.01"), amount=Decimal("123456.78")
    )
    with localcontext() as ctx:
        ctx.prec = 4
        ctx.rounding = "ROUND_UP"
        again = order_amounts(
            OrderSide.BUY, OrderKind.MARKET, Decimal("0.03"), Decimal("0.01"), amount=Decimal("123456.78")
        )
    assert again == expected


@pytest.mark.parametrize(
    ("side", "kind_or_type", "maker", "taker", "ok"),
    [
        (OrderSide.BUY, "GTC", 1_234_567, 2_000_000, True),  # limit BUY: maker unrestricted
        (OrderSide.BUY, "GTC", 1_000_000, 2_001_000, False),  # limit BUY taker 3 decimals
        (OrderSide.BUY, OrderKind.LIMIT, 1_000_000, 2_010_000, True),
        (OrderSide.BUY, "FAK", 1_010_000, 2_000_100, True),  # 2 / 4 decimals
        (OrderSide.BUY, "FOK", 1_001_000, 2_000_000, False),  # maker 3 decimals
        (OrderSide.BUY, OrderKind.MARKET, 1_000_000, 2_000_010, False),  # taker 5 decimals
        (OrderSide.SELL, "FOK", 1_000_000, 123_457, True),  # no SELL rule enforced
        (OrderSide.SELL, "GTC", 0, 1, False),  # non-positive
    ],
)
def test_check_precision(side: OrderSide, kind_or_type: OrderKind | str, maker: int, taker: int, ok: bool) -> None:
    if ok:
        check_precision(side, kind_or_type, maker, taker)
    else:
        with pytest.raises(OrderRejected):
            check_precision(side, kind_or_type, maker, taker)


def test_check_precision_unknown_type() -> None:
    with pytest.raises(OrderRejected, match="unknown order kind"):
        check_precision(OrderSide.BUY, "IOC", 1, 1)
