"""What the chain says about a market: its redemption route, its payout vector, a holder's balances.

Reads only (eth_call); shared by settlement (a market the exchange closed is settled at the chain's
payouts) and redemption (the route and the amounts it redeems).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from omegacopy.domain import ctf_calls
from omegacopy.domain.ctf_calls import BINARY_INDEX_SETS
from omegacopy.domain.redemption import RedemptionRoute, RouteCandidates, RouteKind
from omegacopy.domain.resolution import (
    InvalidResolutionError,
    MarketResolution,
    ResolutionSource,
    payouts_from_numerators,
    resolution_from_vector,
)
from omegacopy.ports import Chain, ChainRevertError


def position_ids(chain: Chain, ctf: str, collateral: str, condition_id: str) -> tuple[int, ...]:
    """The ERC1155 ids of the condition's outcomes (index sets 1, 2) collateralised by `collateral`."""
    ids = []
    for index_set in BINARY_INDEX_SETS:
        collection = ctf_calls.as_bytes32(chain.call(ctf, ctf_calls.get_collection_id(condition_id, index_set)))
        ids.append(ctf_calls.as_uint(chain.call(ctf, ctf_calls.get_position_id(collateral, collection))))
    return tuple(ids)


def find_route(
    chain: Chain, candidates: RouteCandidates, condition_id: str, token_ids: Iterable[str], *, neg_risk: bool
) -> RedemptionRoute | None:
    """The candidate route whose position ids are the market's tokens; None when none is."""
    wanted = {int(t) for t in token_ids}
    options: list[tuple[RouteKind, str, str]] = []
    if neg_risk:
        for adapter in candidates.neg_risk_adapters:
            try:
                collateral = ctf_calls.as_address(chain.call(adapter, ctf_calls.wrapped_collateral()))
            except (ChainRevertError, ValueError):
                continue  # not a NegRisk adapter on this chain
            options.append((RouteKind.NEG_RISK, adapter, collateral))
    options += [(RouteKind.CTF, candidates.ctf, c) for c in candidates.collaterals]
    for kind, target, collateral in options:
        ids = position_ids(chain, candidates.ctf, collateral, condition_id)
        if wanted & set(ids):
            return RedemptionRoute(kind=kind, target=target, collateral=collateral, position_ids=ids)
    return None


def balances(chain: Chain, ctf: str, holder: str, ids: Sequence[int]) -> tuple[int, ...]:
    return ctf_calls.as_uint_list(chain.call(ctf, ctf_calls.balance_of_batch(holder, ids)))


def payouts_reported(chain: Chain, ctf: str, condition_id: str) -> bool:
    return ctf_calls.as_uint(chain.call(ctf, ctf_calls.payout_denominator(condition_id))) > 0


def chain_resolution(chain: Chain, candidates: RouteCandidates, condition_id: str, token_ids: Iterable[str],
                     *, neg_risk: bool) -> MarketResolution | None:  # fmt: skip
    """The market's payouts as the Conditional Tokens contract records them; None before the oracle
    reported, or when no candidate route holds these tokens."""
    route = find_route(chain, candidates, condition_id, token_ids, neg_risk=neg_risk)
    if route is None:
        return None
    denominator = ctf_calls.as_uint(chain.call(candidates.ctf, ctf_calls.payout_denominator(condition_id)))
    if denominator == 0:
        return None
    numerators = [
        ctf_calls.as_uint(chain.call(candidates.ctf, ctf_calls.payout_numerator(condition_id, i)))
        for i in range(len(route.position_ids))
    ]
    try:
        payouts = payouts_from_numerators(numerators, denominator)
    except InvalidResolutionError:
        return None
    return resolution_from_vector(
        condition_id,
        [str(p) for p in route.position_ids],
        payouts,
        source=ResolutionSource.CHAIN,
        neg_risk=neg_risk,
    )
