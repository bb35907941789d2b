"""The markets a tick's trades are in: the ClickHouse dimension first, Gamma for what it lacks.

A leader's first trade in a market the indexer has not seen yet is decided on the market's real
category and state, within the tick (one Gamma request for the tick's unknown markets), instead of
being refused as an unknown market until the next indexer pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegacopy.adapters.data_api_source import MarketInfo, MarketLookup
from omegacopy.domain.public_data import NO_INDEX, YES_INDEX, MarketRecord
from omegacopy.observability import logger, metrics
from omegacopy.ports import PublicData, PublicDataError


def market_info(market: MarketRecord) -> MarketInfo:
    yes, no = market.token(YES_INDEX), market.token(NO_INDEX)
    return MarketInfo(
        category=market.category,
        closed=market.closed,
        neg_risk=market.neg_risk,
        yes_token_id=yes.token_id if yes else None,
        no_token_id=no.token_id if no else None,
    )


class GammaBackedMarketLookup:
    def __init__(self, stored: MarketLookup, data: PublicData) -> None:
        self._stored = stored
        self._data = data

    def __call__(self, condition_ids: Sequence[str]) -> dict[str, MarketInfo]:
        ids = sorted({c.lower() for c in condition_ids})
        found = self._stored(ids)
        missing = [c for c in ids if c not in found]
        if not missing:
            return found
        try:
            page = self._data.markets(missing)
        except PublicDataError as exc:
            # the trades stay "unknown market" (recorded as invalid) rather than failing the tick
            metrics.add_metric(name="MarketLookupFailed", unit="Count", value=1)
            logger.warning("gamma lookup of unknown markets failed", extra={"markets": len(missing), "error": str(exc)})
            return found
        metrics.add_metric(name="MarketsLookedUpLive", unit="Count", value=len(page.rows))
        return {**found, **{m.condition_id: market_info(m) for m in page.rows if m.condition_id in missing}}
