"""`apply_fill`: shares, cost basis (average entry) and realized P&L.

A SELL releases the cost of what it sells at the average entry (so the average entry of what is
left does not move) and realizes proceeds minus that cost. Selling more than is held is capped at
the shares held; the proceeds are all realized, so the books keep the identity
    Σ sell proceeds − Σ buy costs = realized P&L − cost still held
that the executor's balance bookkeeping relies on (cash moves by the full proceeds).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.order_amounts import OrderSide
from omegacopy.domain.positions import Position, apply_fill

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_a_first_buy_opens_the_position_at_its_price() -> None:
    p = apply_fill(Position(), BUY, D("10"), D("4"))
    assert (p.shares, p.cost_usd, p.realized_pnl_usd) == (D("10"), D("4"), D("0"))
    assert p.avg_entry_price == D("0.4")


def test_buys_average_the_entry_price_by_shares() -> None:
    p = apply_fill(Position(), BUY, D("10"), D("4"))  # 10 @ 0.40
    p = apply_fill(p, BUY, D("30"), D("18"))  # 30 @ 0.60
    assert (p.shares, p.cost_usd) == (D("40"), D("22"))
    assert p.avg_entry_price == D("0.55")  # not (0.40 + 0.60) / 2
    assert p.realized_pnl_usd == 0


def test_a_partial_sell_realizes_against_the_average_entry_and_keeps_it() -> None:
    p = Position(shares=D("40"), cost_usd=D("22"))  # avg 0.55
    p = apply_fill(p, SELL, D("10"), D("7"))  # sold @ 0.70
    assert p.shares == D("30")
    assert p.cost_usd == D("16.5")  # 22 − 10 × 0.55
    assert p.realized_pnl_usd == D("1.5")  # 7 − 5.5
    assert p.avg_entry_price == D("0.55")


def test_a_losing_partial_sell_realizes_a_loss() -> None:
    p = apply_fill(Position(shares=D("40"), cost_usd=D("22")), SELL, D("20"), D("8"))  # @ 0.40
    assert (p.shares, p.cost_usd, p.realized_pnl_usd) == (D("20"), D("11"), D("-3"))


def test_a_full_sell_closes_the_position() -> None:
    p = Position(shares=D("30"), cost_usd=D("16.5"), realized_pnl_usd=D("1.5"))
    p = apply_fill(p, SELL, D("30"), D("12"))  # @ 0.40
    assert (p.shares, p.cost_usd) == (D("0"), D("0"))
    assert p.realized_pnl_usd == D("-3.0")  # 1.5 + (12 − 16.5)
    assert p.avg_entry_price == 0


def test_closing_after_a_partial_sell_leaves_exactly_no_cost() -> None:
    p = apply_fill(Position(), BUY, D("3"), D("1"))  # avg 0.333…
    p = apply_fill(p, SELL, D("1"), D("0.5"))
    p = apply_fill(p, SELL, D("2"), D("1"))  # closes it
    assert p.shares == 0
    assert p.cost_usd == 0
    assert p.realized_pnl_usd == D("0.5")  # 1.5 in, 1 out


def test_selling_more_than_held_is_capped_at_the_shares_held() -> None:
    p = apply_fill(Position(shares=D("10"), cost_usd=D("5")), SELL, D("15"), D("9"))
    assert p.shares == D("0")  # never short
    assert p.cost_usd == D("0")  # never more cost released than was held
    assert p.realized_pnl_usd == D("4")  # all proceeds in, the held cost out


def test_selling_with_nothing_held_releases_no_cost() -> None:
    p = apply_fill(Position(realized_pnl_usd=D("1")), SELL, D("5"), D("2"))
    assert (p.shares, p.cost_usd, p.realized_pnl_usd) == (D("0"), D("0"), D("3"))


@pytest.mark.parametrize("shares", [D("0"), D("-1")])
@pytest.mark.parametrize("side", [BUY, SELL])
def test_an_empty_fill_changes_nothing(side: OrderSide, shares: Decimal) -> None:
    before = Position(shares=D("10"), cost_usd=D("5"), realized_pnl_usd=D("1"))
    assert apply_fill(before, side, shares, D("3")) == before


fills = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.integers(1, 100_000).map(lambda n: D(n).scaleb(-2)),  # 0.01 .. 1,000 shares
        st.integers(1, 99).map(lambda n: D(n).scaleb(-2)),  # price 0.01 .. 0.99
    ),
    max_size=30,
)


# Decimal's 28 significant digits: partial reductions can leave this much dust
DUST = D("1e-18")


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(fills)
def test_books_balance_and_never_go_short(sequence: list[tuple[OrderSide, Decimal, Decimal]]) -> None:
    p = Position()
    cash = D("0")
    for side, shares, price in sequence:
        usd = (shares * price).quantize(D("0.000001"))
        avg_before, held_before = p.avg_entry_price, p.shares
        p = apply_fill(p, side, shares, usd)
        cash += usd if side is SELL else -usd
        assert p.shares >= 0
        assert p.cost_usd >= -DUST
        if side is SELL:
            assert p.shares == max(D("0"), held_before - shares)
            if p.shares > 0:  # what is left keeps its average entry
                assert abs(p.avg_entry_price - avg_before) < DUST
        # cash in minus cash out equals what was realized minus the cost still on the books
        assert abs(cash - (p.realized_pnl_usd - p.cost_usd)) < DUST
