"""The markets dimension's resolutions, read from ClickHouse (`markets`: resolved, payouts,
token_ids) for mark-to-market: what a share of a resolved market pays."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore


class ClickHouseMarketResolutions:
    def __init__(self, client: Any) -> None:
        self._markets = ClickHouseIndexStore(client)

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        """token id -> payout per share, for the markets among these that resolved."""
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
