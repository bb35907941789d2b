"""Execute one order intent: at most one exchange order, whatever fails on the way.

State machine (`domain.intent`, every move checked by `next_state`): NEW → SUBMITTING → ACCEPTED /
FILLED / PARTIALLY_FILLED / REJECTED / CANCELLED / EXPIRED, with UNKNOWN for ambiguous submits and
replies (reconciled by order hash, never blindly re-posted) and FAILED for an intent that cannot
trade (no order book, a closed market): it ends, releasing its capital and its FIFO group. Fills
are booked by `domain.positions.book_fill` and persisted as booked; a reported fill that cannot be
(`domain.exchange_replies.impossible_fill`) is never booked: the intent is reconciled instead.
Once committed, each booked fill is announced (`FillEvents`, best effort: the books already hold it,
so a failed announcement is counted and logged, never retried into a second order).

Paper intents (a strategy in mode `paper`) take the same road up to the order: the live book is
read, the order planned and checked by pre-trade risk; then, instead of signing and posting, the
fill model (`domain.paper_fill`) fills it against that book and the fill is booked as paper, in the
same transaction. No key is unwrapped and nothing is posted. A position holds paper shares or real
ones, never both: an intent whose mode differs from its position's is refused.

Why it is exactly-once:
- the order is signed with a salt and timestamp derived from the intent, and its exact bytes and
  hash are committed (state SUBMITTING) BEFORE the first POST;
- any later attempt (redelivery, reconcile) first looks the hash up at the exchange and only ever
  re-sends that same order (its body's `owner` follows the wallet's current API key), which the
  exchange answers as a duplicate if it already has it; with the kill switch engaged it is not
  re-sent at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from omegacopy.domain.clob_models import OrderBook, OrderRecord, PostOutcome, PostReason, PostResult
from omegacopy.domain.exchange_replies import impossible_fill, state_for_exchange_status
from omegacopy.domain.intent import (
    IN_FLIGHT_STATES,
    Intent,
    IntentReason,
    IntentState,
    Submission,
    can_move,
    next_state,
)
from omegacopy.domain.models import Tunables
from omegacopy.domain.money import ZERO
from omegacopy.domain.notifications import FillEvent
from omegacopy.domain.order_amounts import OrderRejected
from omegacopy.domain.order_fills import settled_fill
from omegacopy.domain.order_plan import OrderPlan, plan_order
from omegacopy.domain.order_request import order_body, order_terms, serialize_body
from omegacopy.domain.order_v2 import (
    SignatureType,
    build_order,
    exchange_domain,
    exchange_version_for_token,
    salt_from_id,
    sign_order,
)
from omegacopy.domain.paper_fill import paper_fill
from omegacopy.domain.positions import BookedFill, CumulativeFill, book_fill
from omegacopy.domain.pre_trade_risk import RiskContext, check_pre_trade
from omegacopy.domain.timestamps import epoch_ms, epoch_s
from omegacopy.ports import (
    Clock,
    Exchanges,
    ExecutorStore,
    FillEvents,
    IntentTransaction,
    KeyVault,
    NoOrderBookError,
    Telemetry,
    TunablesSource,
)


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
    paper_fee_bps: Decimal = ZERO  # the fee a paper fill pays, in bps of its notional (the fill model's)


@dataclass
class ExecutorDeps:
    store: ExecutorStore
    exchanges: Exchanges
    keys: KeyVault
    tunables: TunablesSource
    clock: Clock
    telemetry: Telemetry
    settings: ExecutorSettings = field(default_factory=ExecutorSettings)
    halted_until: datetime | None = None  # container-local circuit breaker after a HALTED reply
    fill_events: FillEvents | None = None  # where booked fills are announced (None: nowhere)


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    intent_id: str
    state: IntentState
    detail: str = ""


def execute_intent(deps: ExecutorDeps, intent_id: str, remaining_ms: Callable[[], int]) -> ExecutionResult:
    try:
        result = _execute(deps, intent_id, remaining_ms)
    except Exception:
        # the alarm's failure rate: anything that left the intent undecided (retried by SQS)
        deps.telemetry.count("ExecutionFailed")
        raise
    deps.telemetry.count("IntentsExecuted")
    return result


def _execute(deps: ExecutorDeps, intent_id: str, remaining_ms: Callable[[], int]) -> ExecutionResult:
    now = deps.clock.now()
    if deps.halted_until is not None and now < deps.halted_until:
        raise ExchangeHaltedError("exchange halted recently: not taking new intents")
    tunables = deps.tunables.get()
    with deps.store.locked(intent_id) as tx:
        if tx is None:
            raise LookupError(f"intent {intent_id} does not exist")
        intent, state = tx.intent, tx.progress.state
        if state.is_terminal or state is IntentState.ACCEPTED:
            return ExecutionResult(intent_id, state, "already done")
        on_paper: _PaperFilled | None = None
        if state in IN_FLIGHT_STATES:
            submission = tx.progress.submission
        else:
            prepared = _prepare_new(deps, tx, tunables, now, remaining_ms)
            if isinstance(prepared, ExecutionResult):
                return prepared
            if isinstance(prepared, _PaperFilled):
                on_paper, submission = prepared, None
            else:
                submission = prepared
    if on_paper is not None:
        _announce(deps, intent, on_paper.booked)  # after the commit, as a live fill is
        return on_paper.result
    assert submission is not None
    exchange = deps.exchanges.for_wallet(intent.wallet_id)
    if state in IN_FLIGHT_STATES:
        # A previous attempt may have reached the exchange: look before any re-send.
        existing = exchange.get_order(submission.order_hash)
        if existing is not None:
            return record_existing(deps, intent_id, existing)
        if tunables.kill_switch:
            # signed before the switch was thrown: not sent again (reconcile keeps looking for it)
            deps.telemetry.count("KillSwitchEngaged")
            return ExecutionResult(intent_id, state, IntentReason.NOT_RESENT)
    _deadline_guard(deps, remaining_ms)
    result = exchange.post_order(submission.order_body.encode(), order_hash=submission.order_hash)
    return apply_post_result(deps, intent_id, result)


@dataclass(frozen=True, slots=True)
class _PaperFilled:
    result: ExecutionResult
    booked: BookedFill | None


def _prepare_new(
    deps: ExecutorDeps, tx: IntentTransaction, tunables: Tunables, now: datetime, remaining_ms: Callable[[], int]
) -> Submission | ExecutionResult | _PaperFilled:
    if tunables.kill_switch and not tx.intent.paper:  # a paper intent sends nothing: it goes on
        deps.telemetry.count("KillSwitchEngaged")
        return _finish(tx, IntentState.CANCELLED, IntentReason.KILL_SWITCH, "kill switch engaged: not executed")
    age_s = (now - tx.progress.created_at).total_seconds()
    if age_s > tunables.intent_max_age_s:
        message = f"intent {age_s:.0f}s old: never executed late"
        return _finish(tx, IntentState.EXPIRED, IntentReason.INTENT_TOO_OLD, message)
    _deadline_guard(deps, remaining_ms)

    exchange = deps.exchanges.for_wallet(tx.intent.wallet_id)
    try:
        book = exchange.order_book(tx.intent.draft.token_id)
    except NoOrderBookError as exc:
        # the market cannot trade: the intent ends (its capital and its FIFO group released)
        deps.telemetry.count("IntentsFailed")
        return _finish(tx, IntentState.FAILED, IntentReason.NO_ORDER_BOOK, f"no order book: {exc}")
    plan = _checked_plan(deps, tx, tunables, book, now)
    if isinstance(plan, ExecutionResult):
        return plan
    if tx.intent.paper:
        return _fill_on_paper(deps, tx, plan, book, now)
    return _signed(deps, tx, plan, owner=exchange.api_key, neg_risk=book.neg_risk)


def _signed(
    deps: ExecutorDeps, tx: IntentTransaction, plan: OrderPlan, *, owner: str, neg_risk: bool
) -> Submission | ExecutionResult:
    """The order signed and committed (SUBMITTING) before anything is sent."""
    try:
        submission = _sign(deps, tx.intent, tx.progress.created_at, plan, owner=owner, neg_risk=neg_risk)
    except OrderRejected as exc:  # refused before anything was signed: a final answer, with its reason
        return _reject(deps, tx, IntentReason.ORDER_INVALID, str(exc))
    next_state(tx.progress.state, IntentState.SUBMITTING)
    tx.mark_submitting(submission)
    return submission


def _fill_on_paper(
    deps: ExecutorDeps, tx: IntentTransaction, plan: OrderPlan, book: OrderBook, now: datetime
) -> _PaperFilled:
    """The fill model's answer to the plan, booked as paper: nothing is signed or sent."""
    paper = paper_fill(plan, book, fee_bps=deps.settings.paper_fee_bps, at=now)
    deps.telemetry.count("PaperIntents")
    if not paper.filled:
        reason = paper.fill.reason or "no_fill"
        target = next_state(tx.progress.state, IntentState.CANCELLED, paper=True)
        tx.finish(target, reason_code=f"paper_{reason}", message=f"paper: not filled against the live book ({reason})")
        return _PaperFilled(ExecutionResult(tx.intent.intent_id, target, reason), None)
    booked = book_fill(
        tx.intent.draft.action, booked=tx.progress.filled, observed=paper.cumulative(), position=tx.position()
    )
    if booked is not None:
        tx.record_fill(booked, exchange_status=None, fee_usd=paper.fill.fee)
        deps.telemetry.count("PaperFills")
    state = IntentState.FILLED if paper.complete else IntentState.PARTIALLY_FILLED
    target = next_state(tx.progress.state, state, paper=True)
    message = f"paper: filled {paper.fill.shares} of {plan.size} against the live book"
    tx.finish(target, reason_code=IntentReason.PAPER_FILL, message=message)
    return _PaperFilled(ExecutionResult(tx.intent.intent_id, target, IntentReason.PAPER_FILL), booked)


def _checked_plan(
    deps: ExecutorDeps, tx: IntentTransaction, tunables: Tunables, book: OrderBook, now: datetime
) -> OrderPlan | ExecutionResult:
    """The order to sign (or fill on paper), once it passed pre-trade risk; else the intent, refused."""
    intent = tx.intent
    held_paper = tx.position_is_paper()
    if held_paper is not None and held_paper != intent.paper:
        held, wanted = ("paper", "real") if held_paper else ("real", "paper")
        return _reject(deps, tx, IntentReason.MIXED_BOOKS, f"the position holds {held} shares: no {wanted} order")
    try:
        plan = plan_order(intent.draft, tick_size=book.tick_size, min_size=book.min_order_size, now_s=epoch_s(now))
    except OrderRejected as exc:
        return _reject(deps, tx, IntentReason.ORDER_INVALID, str(exc))
    books = tx.risk_inputs()
    best_bid, best_ask = book.best_bid, book.best_ask
    ctx = RiskContext(
        balance_usd=books.balance_usd - books.reserved_usd,  # what resting and in-flight orders hold is spent
        position_shares=books.shares_held - books.reserved_shares,
        market_exposure_usd=books.market_cost_usd,
        realized_pnl_today_usd=books.realized_today_usd,
        best_bid=best_bid.price if best_bid else None,
        best_ask=best_ask.price if best_ask else None,
        capital_base_usd=books.starting_balance_usd,
    )
    verdict = check_pre_trade(plan, is_exit=intent.draft.is_exit, ctx=ctx, tunables=tunables)
    if not verdict.ok:
        return _reject(deps, tx, verdict.reason_code, verdict.message)
    return plan


def _sign(
    deps: ExecutorDeps, intent: Intent, created_at: datetime, plan: OrderPlan, *, owner: str, neg_risk: bool
) -> Submission:
    identity = deps.keys.identity(intent.wallet_id)
    salt = salt_from_id(intent.intent_id)
    # a "Protocol V2" market (position ids) trades on ExchangeV3, under its own domain
    version = exchange_version_for_token(intent.draft.token_id)
    # The intent's creation time is the order timestamp: re-signing the intent reproduces the hash.
    timestamp_ms = epoch_ms(created_at)
    order = build_order(
        token_id=intent.draft.token_id,
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
        exchange_version=version,
    )
    domain = exchange_domain(deps.settings.chain_id, neg_risk=neg_risk, exchange_version=version)
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


def _reject(deps: ExecutorDeps, tx: IntentTransaction, code: str, message: str) -> ExecutionResult:
    deps.telemetry.count("IntentsRejectedPreTrade")
    return _finish(tx, IntentState.REJECTED, code, message)


def _finish(
    tx: IntentTransaction, state: IntentState, code: str, message: str, exchange_status: str | None = None
) -> ExecutionResult:
    """Move the intent to `state` if its state machine allows it (IllegalTransitionError if not)."""
    target = next_state(tx.progress.state, state, paper=tx.intent.paper)
    tx.finish(target, reason_code=code, message=message, exchange_status=exchange_status)
    return ExecutionResult(tx.intent.intent_id, target, exchange_status or code)


def apply_post_result(deps: ExecutorDeps, intent_id: str, result: PostResult) -> ExecutionResult:
    outcome = result.outcome
    deps.telemetry.count(f"Post_{outcome.value}")
    if outcome is PostOutcome.ACCEPTED:
        return _record(deps, intent_id, result)
    if outcome is PostOutcome.DUPLICATE:
        if result.existing is not None:
            return record_existing(deps, intent_id, result.existing)
        message = "exchange says the order exists; reconcile by hash"
        return _mark(deps, intent_id, IntentState.UNKNOWN, IntentReason.DUPLICATE, message)
    if outcome is PostOutcome.REJECTED:
        message = result.message or "rejected by the exchange"
        if result.reason is PostReason.MARKET_CLOSED:  # the market cannot trade: ended, with why
            deps.telemetry.count("IntentsFailed")
            return _mark(deps, intent_id, IntentState.FAILED, IntentReason.MARKET_CLOSED, message)
        deps.telemetry.count("OrdersRejected")
        return _mark(deps, intent_id, IntentState.REJECTED, result.reason.value, message)
    if outcome is PostOutcome.UNKNOWN:
        deps.telemetry.count("OrdersUnknown")
        return _mark(deps, intent_id, IntentState.UNKNOWN, result.reason.value, "no definite reply: reconcile by hash")
    if outcome is PostOutcome.HALTED:
        deps.telemetry.count("ExchangeHalted")
        # until the exchange said (post-only mode ends at a known time), else a fixed pause
        pause_s = result.retry_after_s if result.retry_after_s is not None else deps.settings.halt_pause_s
        deps.halted_until = deps.clock.now() + timedelta(seconds=pause_s)
        deps.telemetry.error("exchange halted: pausing new intents", reason=result.reason.value, pause_s=pause_s)
        raise ExchangeHaltedError(f"exchange halted ({result.reason.value}) for {pause_s:.0f} s")
    # NOT_SENT / THROTTLED: provably not processed; the same bytes go out on redelivery.
    raise RetryLaterError(f"order not processed ({outcome.value}): retry later")


def _record(deps: ExecutorDeps, intent_id: str, result: PostResult) -> ExecutionResult:
    status = result.status or "live"
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        observed = CumulativeFill.from_post_reply(
            tx.intent.draft.action, making=result.making_amount, taking=result.taking_amount, trade_ids=result.trade_ids
        )
        outcome, booked = _book(
            deps, tx, observed, status=status, reason=IntentReason.EXCHANGE_REPLY, message=f"exchange status {status}"
        )
        intent = tx.intent
    _announce(deps, intent, booked)  # after the commit: only what the books hold is announced
    return outcome


def record_existing(deps: ExecutorDeps, intent_id: str, record: OrderRecord) -> ExecutionResult:
    """Book what the exchange says an order of ours did (found by hash)."""
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        intent, progress = tx.intent, tx.progress
        shares, usd = record.size_matched, ZERO
        if record.size_matched > 0:
            since = epoch_s(progress.submitted_at or progress.created_at) - 60
            trades = deps.exchanges.for_wallet(intent.wallet_id).trades(token_id=intent.draft.token_id, after=since)
            shares, usd = settled_fill(record, trades)
        observed = CumulativeFill(shares, usd, record.associate_trades)
        message = f"reconciled: exchange status {record.status}"
        outcome, booked = _book(
            deps, tx, observed, status=record.status, reason=IntentReason.EXCHANGE_RECORD, message=message
        )
    _announce(deps, intent, booked)
    return outcome


def _book(
    deps: ExecutorDeps,
    tx: IntentTransaction,
    observed: CumulativeFill,
    *,
    status: str,
    reason: IntentReason,
    message: str,
) -> tuple[ExecutionResult, BookedFill | None]:
    """Book what `observed` adds to the intent's fills, then move it where the exchange's status says.
    A terminal intent keeps its state (a stale reply never reopens it); a fill that cannot be is not
    booked: the intent is reconciled by hash instead."""
    submission = tx.progress.submission
    if submission is not None:
        problem = impossible_fill(observed, order_terms(submission.order_body), status)
        if problem is not None:
            deps.telemetry.count("ImpossibleFills")
            deps.telemetry.error("impossible fill reported: not booked", problem=problem, exchange_status=status)
            return _unclear(tx, IntentReason.IMPOSSIBLE_FILL, problem, status), None
    booked = book_fill(tx.intent.draft.action, booked=tx.progress.filled, observed=observed, position=tx.position())
    if booked is not None:
        tx.record_fill(booked, exchange_status=status)
    if tx.progress.state.is_terminal:
        return ExecutionResult(tx.intent.intent_id, tx.progress.state, status), booked
    ordered = submission.order_size if submission is not None else ZERO
    state = state_for_exchange_status(status, filled=observed.total_shares, ordered=ordered)
    if state is IntentState.UNKNOWN:
        deps.telemetry.count("UnknownExchangeStatus")
        return _unclear(tx, IntentReason.UNKNOWN_STATUS, f"undocumented status {status!r}", status), booked
    return _finish(tx, state, reason, message, exchange_status=status), booked


def _announce(deps: ExecutorDeps, intent: Intent, booked: BookedFill | None) -> None:
    if booked is None or deps.fill_events is None:
        return
    event = FillEvent(
        strategy_id=intent.strategy_id,
        intent_id=intent.intent_id,
        correlation_id=intent.correlation_id,
        side=booked.side.wire,
        token_id=intent.draft.token_id,
        condition_id=intent.draft.condition_id,
        shares=booked.shares,
        price=booked.price,
        usd=booked.usd,
        realized_pnl_usd=booked.realized_pnl_usd,
        position_shares=booked.position.shares,
        is_exit=intent.draft.is_exit,
        trade_id=booked.trade_id,
        filled_at=deps.clock.now(),
        paper=intent.paper,
    )
    try:
        deps.fill_events.publish(event)
    except Exception as exc:  # the fill is booked; a lost announcement must not fail the intent
        deps.telemetry.count("FillEventsFailed")
        deps.telemetry.warning("fill booked but not announced", intent_id=intent.intent_id, error=type(exc).__name__)


def _unclear(tx: IntentTransaction, reason: IntentReason, problem: str, status: str) -> ExecutionResult:
    """An answer that makes no sense: UNKNOWN (reconciled by hash) where the state machine allows;
    a settled intent stays settled and a resting one stays ACCEPTED (reconciled all the same)."""
    if not can_move(tx.progress.state, IntentState.UNKNOWN):
        return ExecutionResult(tx.intent.intent_id, tx.progress.state, status)
    return _finish(tx, IntentState.UNKNOWN, reason, problem, exchange_status=status)


def _mark(deps: ExecutorDeps, intent_id: str, state: IntentState, code: str, message: str) -> ExecutionResult:
    with deps.store.locked(intent_id) as tx:
        assert tx is not None
        if tx.progress.state.is_terminal:  # settled meanwhile (another delivery, reconcile): it stays so
            return ExecutionResult(intent_id, tx.progress.state, code)
        return _finish(tx, state, code, message)
