"""`book_fill`: the delta of a cumulative fill observation, the side, the sign of cash, realized
P&L and the trade row's name; `unrealized`: one definition of open P&L."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.models import TradeAction
from omegacopy.domain.order_amounts import OrderSide
from omegacopy.domain.positions import CumulativeFill, Position, book_fill, unrealized

D = Decimal
BUY, SELL = TradeAction.BUY, TradeAction.SELL
NOTHING = CumulativeFill()


def test_a_buy_books_its_shares_at_cost_and_spends_cash() -> None:
    booked = book_fill(BUY, booked=NOTHING, observed=CumulativeFill(D("100"), D("60"), ("t1",)), position=Position())
    assert booked is not None
    assert (booked.side, booked.shares, booked.usd, booked.price) == (OrderSide.BUY, D("100"), D("60"), D("0.600000"))
    assert booked.cash_usd == D("-60")
    assert booked.position == Position(D("100"), D("60"), D("0"))
    assert booked.realized_pnl_usd == 0
    assert booked.trade_id == "t1"
    assert booked.filled == CumulativeFill(D("100"), D("60"), ("t1",))


def test_a_sell_receives_cash_and_realizes_against_the_average_entry() -> None:
    held = Position(D("100"), D("60"))  # avg 0.60
    booked = book_fill(SELL, booked=NOTHING, observed=CumulativeFill(D("40"), D("28"), ("s1",)), position=held)
    assert booked is not None
    assert booked.side is OrderSide.SELL and booked.cash_usd == D("28")
    assert booked.realized_pnl_usd == D("4")  # 28 − 40 × 0.60
    assert booked.position == Position(D("60"), D("36"), D("4"))
    assert booked.avg_entry_price == D("0.600000")


def test_only_what_is_new_is_booked_and_named_by_its_new_trades() -> None:
    first = CumulativeFill(D("10"), D("5"), ("a",))
    later = CumulativeFill(D("25"), D("13"), ("c", "a", "b"))
    booked = book_fill(BUY, booked=first, observed=later, position=Position(D("10"), D("5")))
    assert booked is not None
    assert (booked.shares, booked.usd) == (D("15"), D("8"))
    assert booked.trade_id == "b,c"  # the exchange's ids of the trades new in this observation
    assert booked.filled == CumulativeFill(D("25"), D("13"), ("a", "b", "c"))


def test_an_observation_without_new_trade_ids_gets_our_deterministic_name() -> None:
    booked = book_fill(
        BUY,
        booked=CumulativeFill(D("10"), D("5"), ("a",)),
        observed=CumulativeFill(D("12.50"), D("6.25"), ("a",)),
        position=Position(D("10"), D("5")),
    )
    assert booked is not None and booked.trade_id == "cumulative:12.5"
    again = book_fill(BUY, booked=NOTHING, observed=CumulativeFill(D("100"), D("60")), position=Position())
    assert again is not None and again.trade_id == "cumulative:100"  # never "1E+2"


def test_the_same_observation_twice_books_nothing_the_second_time() -> None:
    observed = CumulativeFill(D("10"), D("6"), ("t",))
    booked = book_fill(BUY, booked=NOTHING, observed=observed, position=Position())
    assert booked is not None
    assert book_fill(BUY, booked=booked.filled, observed=observed, position=booked.position) is None
    # an older, smaller observation after a newer one books nothing either
    assert book_fill(BUY, booked=booked.filled, observed=CumulativeFill(D("4"), D("2")), position=Position()) is None


def test_a_post_reply_maps_making_and_taking_by_side() -> None:
    buy = CumulativeFill.from_post_reply(BUY, making=D("59.83"), taking=D("96.5"), trade_ids=("t",))
    sell = CumulativeFill.from_post_reply(SELL, making=D("96.5"), taking=D("55"), trade_ids=())
    assert (buy.total_shares, buy.total_usd, buy.trade_ids) == (D("96.5"), D("59.83"), ("t",))
    assert (sell.total_shares, sell.total_usd) == (D("96.5"), D("55"))


amounts = st.integers(1, 10**8).map(lambda n: D(n).scaleb(-2))


@settings(deadline=None)
@given(st.lists(st.tuples(amounts, amounts), min_size=1, max_size=8))
def test_booking_any_sequence_of_observations_sums_to_the_last_one(steps: list[tuple[Decimal, Decimal]]) -> None:
    """Cumulative observations arriving in any order: what is booked adds up to the largest seen."""
    booked, position, cash = NOTHING, Position(), D("0")
    for index, (shares, usd) in enumerate(steps):
        result = book_fill(BUY, booked=booked, observed=CumulativeFill(shares, usd, (f"t{index}",)), position=position)
        if result is None:
            continue
        booked, position, cash = result.filled, result.position, cash + result.cash_usd
    top = max(s for s, _ in steps)
    assert booked.total_shares == position.shares == top
    assert cash == -position.cost_usd


def test_unrealized_is_open_shares_at_the_mark_minus_their_cost() -> None:
    assert unrealized(D("100"), D("60"), D("0.52")) == D("-8.00")
    assert unrealized(D("100"), D("60"), D("0.75")) == D("15.00")
    assert unrealized(D("100"), D("60"), None) == 0  # no mark: valued at cost
    assert unrealized(D("0"), D("0"), D("0.9")) == 0  # flat
