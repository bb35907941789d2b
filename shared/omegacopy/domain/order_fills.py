"""What an order actually filled and paid, from the exchange's trade records (price per match,
not the limit; fees as charged)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from omegacopy.domain.clob_models import OrderRecord, Trade
from omegacopy.domain.exchange_replies import trade_failed
from omegacopy.domain.money import ZERO, to_micros

_BPS = Decimal(10_000)


def settled_fill(record: OrderRecord, trades: Iterable[Trade]) -> tuple[Decimal, Decimal]:
    """(shares, USD) that moved for `record`'s matched size: each match at its own price.

    A taker order's matches are trades it took; a resting order's are the maker legs that name it.
    A match whose settlement failed moved nothing and is left out. When the trade records do not
    account for the whole matched size (pagination, lag), the rest is valued at the order's limit
    price: the worst the order could have done, never better.
    """
    shares = failed = usd = ZERO
    for trade, matched, price in _matches(record.order_hash, trades):
        if trade_failed(trade.status):
            failed += matched
            continue
        shares += matched
        usd += matched * price
    remainder = record.size_matched - failed - shares
    if remainder > 0:
        usd += remainder * record.price
    return max(ZERO, record.size_matched - failed), to_micros(usd)


def fee_usd(order_hash: str, trade: Trade) -> Decimal:
    """What `order_hash` paid in fees on one match: the CTF exchange's rate x min(price, 1 - price)
    x shares at the fee rate the record gives its side (makers usually pay none); nothing on a
    match that failed to settle."""
    if trade_failed(trade.status):
        return ZERO
    fee = ZERO
    if trade.taker_order_id == order_hash:
        fee += trade.size * min(trade.price, 1 - trade.price) * trade.fee_rate_bps / _BPS
    for leg in trade.maker_orders:
        if leg.order_id == order_hash:
            fee += leg.matched_amount * min(leg.price, 1 - leg.price) * leg.fee_rate_bps / _BPS
    return to_micros(fee)


def _matches(order_hash: str, trades: Iterable[Trade]) -> Iterable[tuple[Trade, Decimal, Decimal]]:
    """(trade, shares matched, price) of each match of the order."""
    for trade in trades:
        if trade.taker_order_id == order_hash:
            yield trade, trade.size, trade.price
        for leg in trade.maker_orders:
            if leg.order_id == order_hash:
                yield trade, leg.matched_amount, leg.price
