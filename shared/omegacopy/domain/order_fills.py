"""What an order actually filled, from the exchange's trade records (price per match, not the limit)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from omegacopy.domain.clob_models import OrderRecord, Trade
from omegacopy.domain.money import ZERO, to_micros


def filled_usd(record: OrderRecord, trades: Iterable[Trade]) -> Decimal:
    """USD that moved for `record`'s matched size: each match at its own price.

    A taker order's matches are trades it took; a resting order's are the maker legs that name it.
    When the trade records do not account for the whole matched size (pagination, lag), the rest is
    valued at the order's limit price: the worst the order could have done, never better.
    """
    shares = ZERO
    usd = ZERO
    for trade in trades:
        if trade.taker_order_id == record.order_hash:
            shares += trade.size
            usd += trade.size * trade.price
            continue
        for leg in trade.maker_orders:
            if leg.order_id == record.order_hash:
                shares += leg.matched_amount
                usd += leg.matched_amount * leg.price
    remainder = record.size_matched - shares
    if remainder > 0:
        usd += remainder * record.price
    return to_micros(usd)
