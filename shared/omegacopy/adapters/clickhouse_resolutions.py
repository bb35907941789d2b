"""The markets dimension's resolutions, read from ClickHouse (`markets`: resolved, payouts,
token_ids) for mark-to-market: what a share of a resolved market pays.

The connection is made on first use: ClickHouse being away must not stop the reconciler (its
caller falls back, and a position it cannot price is reported as such)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore


class ClickHouseMarketResolutions:
    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._markets: ClickHouseIndexStore | None = None

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        """token id -> payout per share, for the markets among these that resolved."""
        if not condition_ids:
            return {}
        if self._markets is None:
            self._markets = ClickHouseIndexStore(self._connect())
        out: dict[str, Decimal] = {}
        for stored in self._markets.stored_markets(condition_ids).values():
            market = stored.market
            if market.resolution is None:
                continue
            payouts = market.resolution.payouts
            for outcome in market.outcomes:
                if outcome.index < len(payouts):
                    out[outcome.token_id] = payouts[outcome.index]
        return out
