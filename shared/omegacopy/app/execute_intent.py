"""Execute one order intent: at most one exchange order, whatever fails on the way.

State machine: NEW → SUBMITTING → ACCEPTED / FILLED / PARTIALLY_FILLED / REJECTED / CANCELLED /
EXPIRED, with UNKNOWN for ambiguous submits (reconciled by order hash, never blindly re-posted).

Why it is exactly-once:
- the order is signed with a salt and timestamp derived from the intent, and its exact bytes and
  hash are committed (state SUBMITTING) BEFORE the first POST;
- any later attempt (redelivery, reconcile) first looks the hash up at the exchange and only ever
  re-sends those same bytes, which the exchange answers as a duplicate if it already has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from omegacopy.domain.clob_models import OrderRecord, PostOutcome, PostResult
from omegacopy.domain.models import OrderStyle, TradeAction, Tunables
from omegacopy.domain.order_amounts import OrderRejected
from omegacopy.domain.order_fills import filled_usd
from omegacopy.domain.order_plan import IntentOrderSpec, OrderPlan, plan_order
from omegacopy.domain.order_request import order_body, serialize_body
from omegacopy.domain.order_v2 import SignatureType, build_order, exchange_domain, salt_from_id, sign_order
from omegacopy.domain.pre_trade_risk import RiskContext, check_pre_trade
from omegacopy.observability import logger, metrics
from omegacopy.ports import (
    Clock,
    Exchanges,
    ExecutorStore,
    Fill,
    IntentRecord,
    IntentTransaction,
    KeyVault,
    Submission,
    TunablesSource,
)

TERMINAL = frozenset({"FILLED", "PARTIALLY_FILLED", "REJECTED", "CANCELLED", "EXPIRED"})
IN_FLIGHT = frozenset({"SUBMITTING", "UNKNOWN", "LOST"})


class RetryLaterError(RuntimeError):
    """Nothing was decided: let the queue redeliver (the intent keeps its state)."""


class ExchangeHaltedError(RetryLaterError):
    """The exchange is halted or cancel-only: stop taking new intents for a while."""


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    chain_id: int = 137
    builder_code: str = "0x" + "0" * 64
    deadline_margin_ms: int = 4_000
    halt_pause_s: float = 60.0


@dataclass
class ExecutorDeps:
    store: ExecutorStore
    exchanges: Exchanges
    keys: KeyVault
    tunables: TunablesSource
    clock: Clock
    settings: ExecutorSettings = field(default_factory=ExecutorSettings)
    halted_until: datetime | None = None  # container-local circuit breaker after a HALTED reply


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    intent_id: str
    state: str
    detail: str = ""


def execute_intent(deps: ExecutorDeps, intent_id: str, remaining_ms: Callable[[], int]) -> ExecutionResult:
    try:
        result = _execute(deps, intent_id, remaining_ms)
    except Exception:
        # the alarm's failure rate: anything that left the intent undecided (retried by SQS)
        metrics.add_metric(name="ExecutionFailed", unit="Count", value=1)
        raise
    metrics.add_metric(name="IntentsExecuted", unit="Count", value=1)
    return result


def _execute(deps: ExecutorDeps, intent_id: str, remaining_ms: Callable[[], int]) -> ExecutionResult:
    now = deps.clock.now()
    if deps.halted_until is not None and now < deps.halted_until:
        raise ExchangeHaltedError("exchange halted recently: not taking new intents")
    tunables = deps.tunables.get()
    with deps.store.locked(intent_id) as tx:
        if tx is None:
            raise LookupError(f"intent {intent_id} does not exist")
        intent = tx.intent
        if intent.state in TERMINAL or intent.state == "ACCEPTED":
            return ExecutionResult(intent_id, intent.state, "already done")
        if intent.state in IN_FLIGHT:
            body, order_hash = intent.order_body, intent.order_hash
        else:
            prepared = _prepare_new(deps, tx, tunables, now, remaining_ms)
            if isinstance(prepared, ExecutionResult):
                return prepared
            body, order_hash = prepared.order_body, prepared.order_hash
    assert body is not None and order_hash is not None
    exchange = deps.exchanges.for_wallet(intent.wallet_id)
    if intent.state in IN_FLIGHT:
        # A previous attempt may have reached the exchange: look before any re-send.
        existing = exchange.get_order(order_hash)
        if existing is not None:
            return record_existing(deps, intent_id, existing)
    _deadline_guard(deps, remaining_ms)
    result = exchange.post_order(body.encode(), order_hash=order_hash)
    return apply_post_result(deps, intent_id, result)


def _prepare_new(
    deps: ExecutorDeps, tx: IntentTransaction, tunables: Tunables, now: datetime, remaining_ms: Callable[[], int]
) -> Submission | ExecutionResult:
    intent = tx.intent
    if tunables.kill_switch:
        metrics.add_metric(name="KillSwitchEngaged", unit="Count", value=1)
        tx.finish("CANCELLED", reason_code="kill_switch", message="kill switch engaged: not executed")
        return ExecutionResult(intent.intent_id, "CANCELLED", "kill_switch")
    age_s = (now - intent.created_at).total_seconds()
    if age_s > tunables.intent_max_age_s:
        tx.finish("EXPIRED", reason_code="intent_too_old", message=f"intent {age_s:.0f}s old: never executed late")
        return ExecutionResult(intent.intent_id, "EXPIRED", "intent_too_old")
    _deadline_guard(deps, remaining_ms)

    exchange = deps.exchanges.for_wallet(intent.wallet_id)
    book = exchange.order_book(intent.token_id)
    spec = IntentOrderSpec(
        action=TradeAction(intent.action),
        usd_amount=intent.usd_amount,
        shares=intent.shares,
        leader_price=intent.leader_price,
        worst_price=intent.worst_price,
        order_style=OrderStyle(intent.order_style),
    )
    try:
        plan = plan_order(spec, tick_size=book.tick_size, min_size=book.min_order_size, now_s=int(now.timestamp()))
    except OrderRejected as exc:
        return _reject(tx, "order_invalid", str(exc))
    balance, starting_balance, held_shares, market_cost, pnl_today = tx.risk_inputs()
    best_bid, best_ask = book.best_bid, book.best_ask
    ctx = RiskContext(
        balance_usd=balance,
        position_shares=held_shares,
        market_exposure_usd=market_cost,
        realized_pnl_today_usd=pnl_today,
        best_bid=best_bid.price if best_bid else None,
        best_ask=best_ask.price if best_ask else None,
        capital_base_usd=starting_balance,
    )
    verdict = check_pre_trade(plan, is_exit=intent.is_exit, ctx=ctx, tunables=tunables)
    if not verdict.ok:
        return _reject(tx, verdict.reason_code, verdict.message)

    submission = _sign(deps, intent, plan, exchange.api_key, book.neg_risk)
    tx.mark_submitting(submission)
    return submission


def _sign(deps: ExecutorDeps, intent: IntentRecord, plan: OrderPlan, owner: str, neg_risk: bool) -> Submission:
    identity = deps.keys.identity(intent.wallet_id)
    salt = salt_from_id(intent.intent_id)
    # The intent's creation time is the order timestamp: re-signing the intent reproduces the hash.
    timestamp_ms = int(intent.created_at.timestamp() * 1000)
    order = build_order(
        token_id=intent.token_id,
        side=plan.side,
        kind=plan.kind,
        price=plan.price,
        tick_size=plan.tick_size,
        size=plan.size,
        signature_type=SignatureType(identity.signature_type),
        signer_address=identity.address,
        funder=identity.funder,
        salt=salt,
        timestamp_ms=timestamp_ms,
        neg_risk=neg_risk,
        builder=deps.settings.builder_code,
        chain_id=deps.settings.chain_id,
    )
    domain = exchange_domain(deps.settings.chain_id, neg_risk=neg_risk)
    with deps.keys.signer(intent.wallet_id) as signer:
        signed = sign_order(order, domain, signer)
    body = order_body(signed, owner=owner, order_type=plan.order_type, expiration=plan.expiration)
    return Submission(
        order_hash=signed.order_hash,
        order_body=serialize_body(body).decode(),
        order_type=plan.order_type,
        order_size=plan.size,
        expiration=plan.expiration,
        salt=salt,
        timestamp_ms=timestamp_ms,
    )


def _deadline_guard(deps: ExecutorDeps, remaining_ms: Callable[[], int]) -> None:
    if remaining_ms() < deps.settings.deadline_margin_ms:
        raise RetryLaterError("too little Lambda time left to finish a POST: leaving it for redelivery")


def _reject(tx: IntentTransaction, code: str, message: str) -> ExecutionResult:
    metrics.add_metric(name="IntentsRejectedPreTrade", unit="Count", value=1)
    tx.finish("REJECTED", reason_code=code, message=message)
    return ExecutionResult(tx.intent.intent_id, "REJECTED", code)


def apply_post_result(deps: ExecutorDeps, intent_id: str, result: PostResult) -> ExecutionResult:
    outcome = result.outcome
    metrics.add_metric(name=f"Post_{outcome.value}", unit="Count", value=1)
    if outcome is PostOutcome.ACCEPTED:
        return _record(deps, intent_id, result)
    if outcome is PostOutcome.DUPLICATE:
        if result.existing is not None:
            return record_existing(deps, intent_id, result.existing)
        return _mark(deps, intent_id, "UNKNOWN", "duplicate", "exchange says the order exists; reconcile by hash")
    if outcome is PostOutcome.REJECTED:
        metrics.add_metric(name="OrdersRejected", unit="Count", value=1)
        return _mark(deps, intent_id, "REJECTED", result.reason.value, result.message or "rejected by the exchange")
    if outcome is PostOutcome.UNKNOWN:
        metrics.add_metric(name="OrdersUnknown", unit="Count", value=1)
        return _mark(deps, intent_id, "UNKNOWN", result.reason.value, "no definite reply: reconcile by hash")
    if outcome is PostOutcome.HALTED:
        metrics.add_metric(name="ExchangeHalted", unit="Count", value=1)
        deps.halted_until = deps.clock.now() + timedelta(seconds=deps.settings.halt_pause_s)
        logger.error("exchange halted: pausing new intents", extra={"reason": result.reason.value})
        raise ExchangeHaltedError(f"exchange halted ({result.reason.value})")
    # NOT_SENT / THROTTLED: provably not processed; the same bytes go out on redelivery.
    raise RetryLaterError(f"order not processed ({outcome.value}): retry later")


def _record(deps: ExecutorDeps, intent_id: str, result: PostResult) -> ExecutionResult:
    status = result.status or "live"
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        # makingAmount / takingAmount: what matched at once. A BUY makes USD and takes shares; a
        # SELL makes shares and takes USD.
        if tx.intent.action == "SELL":
            fill = Fill(total_shares=result.making_amount, total_usd=result.taking_amount)
        else:
            fill = Fill(total_shares=result.taking_amount, total_usd=result.making_amount)
        tx.record_fill(fill, exchange_status=status)
        state = _state_after(tx.intent, status, fill.total_shares)
        tx.finish(state, reason_code=status, message=f"exchange status {status}", exchange_status=status)
        return ExecutionResult(intent_id, state, status)


def record_existing(deps: ExecutorDeps, intent_id: str, record: OrderRecord) -> ExecutionResult:
    """Book what the exchange says an order of ours did (found by hash)."""
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        intent = tx.intent
        usd = Decimal("0")
        if record.size_matched > 0:
            since = int((intent.submitted_at or intent.created_at).timestamp()) - 60
            trades = deps.exchanges.for_wallet(intent.wallet_id).trades(token_id=intent.token_id, after=since)
            usd = filled_usd(record, trades)
        tx.record_fill(Fill(total_shares=record.size_matched, total_usd=usd), exchange_status=record.status)
        state = _state_after(tx.intent, record.status, record.size_matched)
        message = f"reconciled: exchange status {record.status}"
        tx.finish(state, reason_code=record.status, message=message, exchange_status=record.status)
        return ExecutionResult(intent_id, state, record.status)


def _state_after(intent: IntentRecord, status: str, filled: Decimal) -> str:
    """Where an order's exchange status leaves the intent. A FAK that matched part of its size
    is over (the rest was killed): PARTIALLY_FILLED is terminal for it."""
    ordered = intent.order_size or Decimal("0")
    if status == "matched":
        return "PARTIALLY_FILLED" if 0 < filled < ordered else "FILLED"
    if status in ("live", "delayed"):
        return "ACCEPTED"
    if status in ("canceled", "cancelled", "expired", "unmatched"):
        if filled > 0:
            return "PARTIALLY_FILLED"
        return "EXPIRED" if status == "expired" else "CANCELLED"
    return "ACCEPTED"


def _mark(deps: ExecutorDeps, intent_id: str, state: str, code: str, message: str) -> ExecutionResult:
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        tx.finish(state, reason_code=code, message=message)
    return ExecutionResult(intent_id, state, code)
