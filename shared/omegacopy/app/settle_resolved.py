"""Settle positions in resolved markets: once each, at the payout, and free their slots.

Each run (off the trade path, on its schedule):
1. the markets we hold or have live orders in are looked up in the markets dimension (resolved,
   payouts); a held market in which the exchange cancelled an order of ours as market-resolved is
   settled at the chain's payout vector when the dimension has none yet;
2. our live orders in each resolved market are cancelled (the reconciler then records their end);
3. every open position in it is settled (`domain.positions.settle`): realized P&L, proceeds
   credited to the strategy's capital, shares to 0 (it stops counting against max_positions), a
   settlement row, and the wallet's redemption row. A position whose order is still in flight
   waits for that order to end, so no fill lands on a settled position.

Exactly once: settlement happens under the positions' row locks and moves their shares to 0; a
second run finds nothing left to pay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from omegacopy.app.ctf_reads import chain_resolution
from omegacopy.domain.money import ZERO
from omegacopy.domain.positions import settle
from omegacopy.domain.redemption import RouteCandidates
from omegacopy.domain.resolution import MarketResolution
from omegacopy.ports import (
    Chain,
    ChainError,
    Exchanges,
    ResolutionReader,
    SettlementStore,
    Telemetry,
)


@dataclass
class SettlementDeps:
    store: SettlementStore
    markets: ResolutionReader
    exchanges: Exchanges
    telemetry: Telemetry
    chain: Chain | None = None  # without one, a market only the exchange reports closed waits
    routes: RouteCandidates = field(default_factory=RouteCandidates)


@dataclass
class SettlementSummary:
    resolved_markets: int = 0
    settled_positions: int = 0
    proceeds_usd: Decimal = ZERO
    realized_pnl_usd: Decimal = ZERO
    deferred_positions: int = 0
    awaiting_payouts: int = 0
    orders_cancelled: int = 0
    invalid: int = 0


def settle_resolved(deps: SettlementDeps) -> SettlementSummary:
    summary = SettlementSummary()
    held = deps.store.held_markets()
    if held:
        read = deps.markets.resolutions(held)
        for bad in read.invalid:
            summary.invalid += 1
            deps.telemetry.warning("resolution refused", condition_id=bad.key, source=bad.source, reason=bad.reason)
        resolved = dict(read.resolved)
        for condition_id in deps.store.exchange_resolved_markets():
            if condition_id not in resolved:
                found = _from_chain(deps, condition_id)
                if found is None:
                    summary.awaiting_payouts += 1
                else:
                    resolved[condition_id] = found
        for condition_id in sorted(resolved):
            summary.resolved_markets += 1
            summary.orders_cancelled += _cancel_live_orders(deps, condition_id)
            _settle_market(deps, resolved[condition_id], summary)
    _publish(deps.telemetry, summary)
    return summary


def _from_chain(deps: SettlementDeps, condition_id: str) -> MarketResolution | None:
    """The exchange says the market resolved but the dimension has no payouts: ask the chain."""
    if deps.chain is None:
        return None
    tokens = deps.store.held_tokens(condition_id)
    if not tokens:
        return None
    try:
        # neg-risk is not known without the dimension: the CTF routes are tried, then the adapters'
        return chain_resolution(deps.chain, deps.routes, condition_id, tokens, neg_risk=False) or chain_resolution(
            deps.chain, deps.routes, condition_id, tokens, neg_risk=True
        )
    except ChainError as exc:
        deps.telemetry.warning("chain unavailable for a resolution", condition_id=condition_id, error=str(exc))
        return None


def _cancel_live_orders(deps: SettlementDeps, condition_id: str) -> int:
    cancelled = 0
    for order in deps.store.live_orders(condition_id):
        try:
            deps.exchanges.for_wallet(order.wallet_id).cancel_order(order.order_hash)
            cancelled += 1
        except Exception as exc:  # one failed cancel never stops the settlement of the others
            deps.telemetry.count("ResolvedOrderCancelFailed")
            deps.telemetry.warning("cancel in a resolved market failed", intent_id=order.intent_id,
                                   error=type(exc).__name__)  # fmt: skip
    return cancelled


def _settle_market(deps: SettlementDeps, resolution: MarketResolution, summary: SettlementSummary) -> None:
    with deps.store.settling(resolution.condition_id) as tx:
        for held in tx.positions():
            if held.busy:
                summary.deferred_positions += 1
                continue
            payout = resolution.payout_of(held.token_id)
            if payout is None:
                summary.invalid += 1
                deps.telemetry.error("position token not in its resolved market", strategy_id=held.strategy_id,
                                     token_id=held.token_id, condition_id=resolution.condition_id)  # fmt: skip
                continue
            settlement = settle(held.position, payout)
            if settlement is None:
                continue
            tx.record(held, settlement, resolution)
            summary.settled_positions += 1
            summary.proceeds_usd += settlement.proceeds_usd
            summary.realized_pnl_usd += settlement.realized_pnl_usd
            deps.telemetry.info(
                "position settled",
                strategy_id=held.strategy_id,
                token_id=held.token_id,
                condition_id=resolution.condition_id,
                payout=str(payout),
                proceeds_usd=str(settlement.proceeds_usd),
                realized_pnl_usd=str(settlement.realized_pnl_usd),
                source=resolution.source.value,
            )


def _publish(telemetry: Telemetry, summary: SettlementSummary) -> None:
    telemetry.count("PositionsSettled", summary.settled_positions)
    telemetry.count("SettlementsDeferred", summary.deferred_positions)
    telemetry.count("ResolutionsAwaitingPayouts", summary.awaiting_payouts)
    telemetry.count("ResolutionsRefused", summary.invalid)
    telemetry.count("ResolvedOrdersCancelled", summary.orders_cancelled)
