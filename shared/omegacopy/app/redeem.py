"""Redeem settled markets on chain, exactly once per (wallet, condition), reconciled like orders.

Each run: SUBMITTED redemptions first (receipt by hash → CONFIRMED / FAILED; no receipt → the same
signed bytes again, unless the nonce was used by another transaction), then NEW and BLOCKED ones.

A NEW redemption of an EOA wallet: the route is read from the chain (`ctf_reads.find_route`), the
wallet's balances of the market's tokens (nothing held → NOT_NEEDED), the payouts must be reported,
gas is estimated and capped, fees planned under the caps (`domain.redemption.plan_fees`). Then,
under the row lock and the wallet's nonce lock, the nonce is taken (the node's pending count, or one
past our highest transaction still in flight), the transaction signed with the KMS-unwrapped key
(only inside the `with`), and its bytes and hash committed as SUBMITTED before the broadcast. A
proxy or Safe wallet's redemption is BLOCKED (see `RELAYER_REQUIRED_MESSAGE`) until its tokens are
gone on chain.

Signing needs `redemptions_enabled` and the kill switch off; reconciling what was sent never stops.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from omegacopy.app.ctf_reads import balances, find_route, payouts_reported
from omegacopy.domain import ctf_calls
from omegacopy.domain.evm_tx import TxRequest, sign_transaction
from omegacopy.domain.models import Tunables
from omegacopy.domain.order_v2 import SignatureType
from omegacopy.domain.redemption import (
    GWEI,
    RELAYER_REQUIRED_MESSAGE,
    FeeRefusedError,
    GasPolicy,
    RedemptionReason,
    RedemptionRoute,
    RedemptionState,
    RouteCandidates,
    plan_fees,
)
from omegacopy.ports import (
    BroadcastOutcome,
    Chain,
    ChainError,
    ChainRevertError,
    Clock,
    KeyVault,
    Receipt,
    RedemptionRow,
    RedemptionStore,
    Telemetry,
    TunablesSource,
)


@dataclass
class RedemptionDeps:
    store: RedemptionStore
    chain: Chain
    keys: KeyVault
    tunables: TunablesSource
    clock: Clock
    telemetry: Telemetry
    chain_id: int = 137
    routes: RouteCandidates = field(default_factory=RouteCandidates)
    batch_limit: int = 50


@dataclass
class RedemptionSummary:
    examined: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    overdue: int = 0


class WrongChainError(RuntimeError):
    """The RPC endpoint serves another chain than configured: nothing is signed (fail closed)."""


def redeem(deps: RedemptionDeps) -> RedemptionSummary:
    summary = RedemptionSummary()
    tunables = deps.tunables.get()
    served = deps.chain.chain_id()
    if served != deps.chain_id:
        deps.telemetry.count("RedemptionErrors")
        raise WrongChainError(f"the RPC endpoint serves chain {served}, not {deps.chain_id}")
    for row in deps.store.open_redemptions(deps.batch_limit):
        summary.examined += 1
        try:
            outcome = _one(deps, tunables, row)
        except ChainError as exc:  # the node failed: nothing decided, next run tries again
            outcome = "chain_error"
            deps.telemetry.count("RedemptionErrors")
            deps.telemetry.warning("redemption waits for the node", wallet_id=row.wallet_id,
                                   condition_id=row.condition_id, error=str(exc))  # fmt: skip
        summary.outcomes[outcome] += 1
    stuck_before = deps.clock.now() - timedelta(seconds=tunables.redemption_stuck_after_s)
    summary.overdue = deps.store.overdue(stuck_before)
    deps.telemetry.count("RedemptionsStuck", summary.overdue)
    for name, metric in (("submitted", "RedemptionsSubmitted"), ("confirmed", "RedemptionsConfirmed"),
                         ("failed", "RedemptionsFailed"), ("blocked", "RedemptionsBlocked")):  # fmt: skip
        deps.telemetry.count(metric, summary.outcomes.get(name, 0))
    return summary


def _one(deps: RedemptionDeps, tunables: Tunables, row: RedemptionRow) -> str:  # noqa: PLR0911 - one exit per state
    if row.state is RedemptionState.SUBMITTED:
        return _reconcile(deps, row)
    identity = deps.keys.identity(row.wallet_id)
    holder = identity.funder if identity.signature_type != SignatureType.EOA else identity.address
    route = find_route(deps.chain, deps.routes, row.condition_id, row.token_ids, neg_risk=row.neg_risk)
    if route is None:
        return _wait(deps, row, RedemptionReason.NO_ROUTE, "no known contract route holds this market's tokens")
    held = balances(deps.chain, deps.routes.ctf, holder, route.position_ids)
    if not any(held):
        blocked = row.state is RedemptionState.BLOCKED
        reason = RedemptionReason.REDEEMED_ELSEWHERE if blocked else RedemptionReason.NOTHING_HELD
        return _finish(deps, row, RedemptionState.NOT_NEEDED, reason, "the wallet holds none of its tokens on chain")
    if row.state is RedemptionState.BLOCKED:
        return "blocked"
    if identity.signature_type != SignatureType.EOA:
        _finish(deps, row, RedemptionState.BLOCKED, RedemptionReason.RELAYER_REQUIRED, RELAYER_REQUIRED_MESSAGE)
        return "blocked"
    if not payouts_reported(deps.chain, deps.routes.ctf, row.condition_id):
        return _wait(deps, row, RedemptionReason.NOT_REPORTED, "the oracle has not reported payouts on chain yet")
    if tunables.kill_switch or not tunables.redemptions_enabled:
        return _wait(deps, row, RedemptionReason.DISABLED, "redemptions_enabled is false or the kill switch is on")
    return _submit(deps, tunables, row, route, sender=identity.address, held=held)


def _submit(
    deps: RedemptionDeps, tunables: Tunables, row: RedemptionRow, route: RedemptionRoute, *, sender: str,
    held: tuple[int, ...],
) -> str:  # fmt: skip
    data = route.calldata(row.condition_id, held)
    try:
        estimate = deps.chain.estimate_gas(sender, route.target, data)
    except ChainRevertError as exc:
        return _wait(deps, row, RedemptionReason.ESTIMATE_FAILED, str(exc))
    quote = deps.chain.fee_quote()
    policy = GasPolicy(tunables.redemption_gas_limit_cap, tunables.redemption_max_fee_gwei * GWEI)
    try:
        fees = plan_fees(estimate=estimate, base_fee=quote.base_fee, priority_fee=quote.priority_fee, policy=policy)
    except FeeRefusedError as exc:
        deps.telemetry.count("RedemptionFeeRefused")
        return _wait(deps, row, exc.reason, str(exc))
    with deps.store.locked(row.wallet_id, row.condition_id) as tx:
        if tx is None or tx.row.state is not RedemptionState.NEW:
            return "raced"  # another run got there first
        in_flight = tx.highest_pending_nonce(sender)
        nonce = max(deps.chain.nonce(sender, pending=True), -1 if in_flight is None else in_flight + 1)
        request = TxRequest(
            chain_id=deps.chain_id,
            nonce=nonce,
            to=route.target,
            data=data,
            gas_limit=fees.gas_limit,
            max_fee_per_gas=fees.max_fee_per_gas,
            max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
        )
        with deps.keys.signer(row.wallet_id) as signer:
            signed = sign_transaction(request, signer)
        if signed.sender.lower() != sender.lower():
            raise RuntimeError("the wallet's key signs for another address than its identity")
        tx.mark_submitted(route, signed, nonce, fees)
    # committed: from here on only these bytes are ever broadcast for this redemption
    deps.telemetry.info("redemption signed", wallet_id=row.wallet_id, condition_id=row.condition_id,
                        tx_hash=signed.tx_hash, nonce=nonce, route=route.kind.value)  # fmt: skip
    _broadcast(deps, row.wallet_id, row.condition_id, signed.raw)
    return "submitted"


def _broadcast(deps: RedemptionDeps, wallet_id: str, condition_id: str, raw: bytes) -> None:
    result = deps.chain.send_raw_transaction(raw)
    with deps.store.locked(wallet_id, condition_id) as tx:
        if tx is not None:
            tx.note_broadcast(None if result.outcome is BroadcastOutcome.ACCEPTED else result.message)
    if result.outcome is not BroadcastOutcome.ACCEPTED:
        deps.telemetry.warning("redemption broadcast unclear", wallet_id=wallet_id, condition_id=condition_id,
                               outcome=result.outcome.value, detail=result.message)  # fmt: skip


def _reconcile(deps: RedemptionDeps, row: RedemptionRow) -> str:
    assert row.tx_hash is not None and row.raw_tx is not None and row.nonce is not None and row.sender is not None
    receipt = deps.chain.receipt(row.tx_hash)
    if receipt is None and deps.chain.nonce(row.sender, pending=False) > row.nonce:
        # the nonce is spent: ours was mined just now, or another transaction took the nonce
        receipt = deps.chain.receipt(row.tx_hash)
        if receipt is None:
            deps.telemetry.error(
                "redemption dropped: its nonce was used by another transaction",
                wallet_id=row.wallet_id,
                condition_id=row.condition_id,
                tx_hash=row.tx_hash,
            )
            message = f"nonce {row.nonce} was used by another transaction of {row.sender}"
            return _finish(deps, row, RedemptionState.FAILED, RedemptionReason.DROPPED, message)
    if receipt is None:
        _broadcast(deps, row.wallet_id, row.condition_id, row.raw_tx)  # the same bytes, never new ones
        return "pending"
    if receipt.status != 1:
        deps.telemetry.error("redemption reverted", wallet_id=row.wallet_id, condition_id=row.condition_id,
                             tx_hash=row.tx_hash)  # fmt: skip
        message = f"reverted in block {receipt.block_number}"
        return _finish(deps, row, RedemptionState.FAILED, RedemptionReason.REVERTED, message, receipt=receipt)
    paid = _payout(receipt, row.condition_id)
    message = f"mined in block {receipt.block_number}, paid {paid} base units"
    return _finish(deps, row, RedemptionState.CONFIRMED, RedemptionReason.CONFIRMED, message, receipt=receipt,
                   payout_units=paid)  # fmt: skip


def _payout(receipt: Receipt, condition_id: str) -> int:
    total = 0
    for log in receipt.logs:
        event = ctf_calls.payout_redemption(log.topics, log.data)
        if event is not None and event.condition_id == condition_id.lower():
            total += event.payout
    return total


def _wait(deps: RedemptionDeps, row: RedemptionRow, reason: RedemptionReason, message: str) -> str:
    with deps.store.locked(row.wallet_id, row.condition_id) as tx:
        if tx is not None:
            tx.wait(reason, message)
    return f"waiting_{reason.value}"


def _finish(
    deps: RedemptionDeps,
    row: RedemptionRow,
    state: RedemptionState,
    reason: RedemptionReason,
    message: str,
    *,
    receipt: Receipt | None = None,
    payout_units: int | None = None,
) -> str:
    with deps.store.locked(row.wallet_id, row.condition_id) as tx:
        if tx is None or tx.row.state is not row.state:
            return "raced"
        tx.finish(state, reason, message, receipt=receipt, payout_units=payout_units)
    return state.value.lower()
