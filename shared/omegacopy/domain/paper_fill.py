"""Paper fills: what the exchange would have given an order, from the live order book, without
the order ever being sent.

The fill model is the backtest's (`domain.backtest.simulate_fill`): the executor's own plan (price
on the market's tick, size at or above the market's minimum, both checked by pre-trade risk first)
walks the opposite side of the book from the best level while the level's price is within the
limit; a FOK that cannot fill whole does not fill, anything else keeps what it got (FAK; a GTC/GTD
is taken as marketable at its limit, its rest cancelled: a paper order never rests). The fee is
`fee_bps` of the filled notional. The latency is real: the book is read when the intent executes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from omegacopy.domain.backtest import BookSnapshot, FillParams, SimFill, SimOrder, simulate_fill
from omegacopy.domain.clob_models import OrderBook
from omegacopy.domain.order_plan import OrderPlan
from omegacopy.domain.positions import CumulativeFill

PAPER_ORDER_PREFIX: Final = "paper:"  # a paper fill's `order_hash` in the trade rows: no order exists


@dataclass(frozen=True, slots=True)
class PaperFill:
    """The fill model's answer: what filled (`fill`), and its cumulative form for booking."""

    fill: SimFill
    ordered: Decimal

    @property
    def filled(self) -> bool:
        return self.fill.shares > 0

    @property
    def complete(self) -> bool:
        return self.fill.shares >= self.ordered

    def cumulative(self) -> CumulativeFill:
        return CumulativeFill(self.fill.shares, self.fill.notional, ())


def snapshot(book: OrderBook, at: datetime) -> BookSnapshot:
    """The exchange's book (served worst → best) as the fill model reads it: best level first."""
    bids = sorted(book.bids, key=lambda level: level.price, reverse=True)
    asks = sorted(book.asks, key=lambda level: level.price)
    return BookSnapshot(
        token_id=book.token_id,
        ts=at,
        bids=tuple(level for level in bids if level.size > 0),
        asks=tuple(level for level in asks if level.size > 0),
    )


def paper_fill(plan: OrderPlan, book: OrderBook, *, fee_bps: Decimal, at: datetime) -> PaperFill:
    """Fill `plan` against `book` by the fill model."""
    order = SimOrder(plan.side, plan.price, plan.size, all_or_nothing=plan.order_type == "FOK")
    params = FillParams(fee_bps=fee_bps, tick_size=book.tick_size, min_size=book.min_order_size)
    fill = simulate_fill(order, plan.price, snapshot(book, at), params)
    return PaperFill(fill, plan.size)
