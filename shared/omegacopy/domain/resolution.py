"""A market's resolution as settlement needs it: the payout per share of each outcome token.

Two sources say a market resolved: the markets dimension (the indexer's `resolved` and `payouts`,
aligned with `token_ids`) and the exchange (an order of ours cancelled with the market-resolved
status). The chain's payout vector (`payoutNumerators / payoutDenominator` of the Conditional
Tokens contract) is the truth redemption pays by; the exchange's word alone carries no payouts,
so such a market is settled once the chain (or the dimension) has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from omegacopy.domain.money import CONTEXT, MICRO, ONE, ZERO

# `GET /data/order/{hash}` status of an order the exchange cancelled because its market resolved
# (ORDER_STATUS_CANCELED_MARKET_RESOLVED, lower-cased and without its prefix, as stored).
MARKET_RESOLVED_ORDER_STATUS: Final = "canceled_market_resolved"


class ResolutionSource(StrEnum):
    MARKETS = "markets"  # the markets dimension (ClickHouse, filled by the indexer)
    CHAIN = "chain"  # the Conditional Tokens contract's payout vector


class InvalidResolutionError(ValueError):
    """A payout vector that cannot be settled by (wrong length, outside 0..1, not summing to 1)."""


@dataclass(frozen=True, slots=True)
class MarketResolution:
    condition_id: str  # lower-case 0x hex
    payouts: Mapping[str, Decimal]  # outcome token id -> payout per share (0..1)
    source: ResolutionSource
    neg_risk: bool = False
    resolved_at: datetime | None = None
    token_ids: tuple[str, ...] = field(default=())  # by outcome index

    def payout_of(self, token_id: str) -> Decimal | None:
        return self.payouts.get(token_id)


def resolution_from_vector(
    condition_id: str,
    token_ids: Sequence[str],
    payouts: Sequence[Decimal],
    *,
    source: ResolutionSource,
    neg_risk: bool = False,
    resolved_at: datetime | None = None,
) -> MarketResolution:
    """Pair each outcome token with its payout (both by outcome index), refusing what cannot be right.

    A vector from floats may sum to 1 only within a micro-dollar per outcome; anything further off
    is refused rather than settled at a wrong price.
    """
    if not token_ids or len(token_ids) != len(payouts):
        raise InvalidResolutionError(f"{len(payouts)} payouts for {len(token_ids)} outcome tokens")
    if len(set(token_ids)) != len(token_ids) or any(not t for t in token_ids):
        raise InvalidResolutionError("outcome token ids are empty or repeated")
    if any(not p.is_finite() or p < ZERO or p > ONE for p in payouts):
        raise InvalidResolutionError("a payout per share is outside 0..1")
    if abs(sum(payouts, ZERO) - ONE) > MICRO * len(payouts):
        raise InvalidResolutionError(f"payouts sum to {sum(payouts, ZERO)}, not 1")
    return MarketResolution(
        condition_id=condition_id.lower(),
        payouts=dict(zip(token_ids, payouts, strict=True)),
        source=source,
        neg_risk=neg_risk,
        resolved_at=resolved_at,
        token_ids=tuple(token_ids),
    )


def payouts_from_numerators(numerators: Sequence[int], denominator: int) -> tuple[Decimal, ...]:
    """The Conditional Tokens contract's payout vector as payouts per share.

    `denominator` 0 means the oracle has not reported: InvalidResolutionError.
    """
    if denominator <= 0:
        raise InvalidResolutionError("the condition has no reported payouts")
    if any(n < 0 for n in numerators) or sum(numerators) != denominator:
        raise InvalidResolutionError("payout numerators do not add up to their denominator")
    return tuple(CONTEXT.divide(Decimal(n), Decimal(denominator)) for n in numerators)
