"""Fees, booked from the exchange's trade records: each match of one of our orders that charged a
fee becomes a fee row of its strategy (`strategy_trades`, `fee_usd`, realized as a loss) and leaves
its cash, exactly once (the row is keyed by the match).

The fills themselves are booked from the order's replies and records (`execute_intent`); a POST
reply says nothing of fees, so they are read here, per wallet, from where the last read stopped
(with an overlap: a match recorded late is still read once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from omegacopy.domain.money import ZERO
from omegacopy.domain.order_fills import fee_usd
from omegacopy.domain.timestamps import epoch_s
from omegacopy.ports import BalanceStore, Clock, Exchanges, Telemetry

OVERLAP_S: Final = 300  # matches are re-read this far behind the cursor
FIRST_LOOKBACK_S: Final = 86_400  # a wallet never read before: its last day


@dataclass
class FeeSummary:
    wallets: int = 0
    trades_read: int = 0
    fees_booked: int = 0
    fees_usd: Decimal = ZERO
    errors: dict[str, str] = field(default_factory=dict)


def book_fees(store: BalanceStore, exchanges: Exchanges, clock: Clock, telemetry: Telemetry) -> FeeSummary:
    summary = FeeSummary()
    now_s = epoch_s(clock.now())
    for books in store.wallet_books():
        wallet = books.wallet_id
        summary.wallets += 1
        after = store.trade_cursor(wallet)
        if after is None:
            after = now_s - FIRST_LOOKBACK_S
        try:
            trades = exchanges.for_wallet(wallet).trades(after=after)
        except Exception as exc:  # one wallet's failure never stops the others; read again next time
            summary.errors[wallet] = type(exc).__name__
            telemetry.count("FeeReadErrors")
            telemetry.warning("trade records unreadable", wallet_id=wallet, error=type(exc).__name__)
            continue
        newest = after
        for trade in trades:
            summary.trades_read += 1
            newest = max(newest, trade.match_time)
            for order_hash in {trade.taker_order_id, *(leg.order_id for leg in trade.maker_orders)} - {""}:
                fee = fee_usd(order_hash, trade)
                if fee > 0 and store.book_fee(order_hash, trade.trade_id, fee, trade.price):
                    summary.fees_booked += 1
                    summary.fees_usd += fee
        store.save_trade_cursor(wallet, max(after, newest - OVERLAP_S))
    if summary.fees_booked:
        telemetry.count("FeesBooked", summary.fees_booked)
    return summary
