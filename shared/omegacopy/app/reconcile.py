"""Reconcile: settle every order whose fate is not yet known, off the critical path.

- SUBMITTING / UNKNOWN older than a grace period: looked up by hash. Found → recorded. Not found
  and still young enough to matter → the stored identical order is re-sent (a duplicate reply
  if the exchange had it after all), unless the kill switch is engaged. Not found after N lookups
  → LOST, still watched for fills (the lost-order rule: an order that never shows up may still
  show up).
- ACCEPTED (resting GTC/GTD): fills pulled in; past their life → cancelled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from omegacopy.app.execute_intent import ExecutorDeps, apply_post_result, record_existing
from omegacopy.domain.intent import Intent, IntentProgress, IntentReason, IntentState, next_state
from omegacopy.ports import TunablesUnavailableError


@dataclass(frozen=True, slots=True)
class ReconcileSettings:
    grace_s: int = 20
    max_misses: int = 3
    batch_limit: int = 200
    resting_lifetime_s: int = 900
    lost_watch_s: int = 86_400


@dataclass
class ReconcileSummary:
    examined: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def reconcile(deps: ExecutorDeps, settings: ReconcileSettings | None = None) -> ReconcileSummary:
    cfg = settings or ReconcileSettings()
    now = deps.clock.now()
    summary = ReconcileSummary()
    for intent_id in deps.store.reconcilable(older_than=now - timedelta(seconds=cfg.grace_s), limit=cfg.batch_limit):
        summary.examined += 1
        try:
            summary.outcomes[_one(deps, cfg, intent_id)] += 1
        except Exception as exc:  # one bad order never stops the others
            summary.outcomes["error"] += 1
            deps.telemetry.count("ReconcileErrors")
            deps.store.postpone(intent_id)
            deps.telemetry.warning("reconcile failed", intent_id=intent_id, error=type(exc).__name__)
    if expired := _expire_stale_new(deps, cfg):
        summary.outcomes["expired_unsent"] += expired
    for outcome, count in summary.outcomes.items():
        deps.telemetry.count(f"Reconciled_{outcome}", count)
    return summary


def _expire_stale_new(deps: ExecutorDeps, cfg: ReconcileSettings) -> int:
    """A NEW intent older than `intent_max_age_s` can never execute (the executor would expire it),
    but if its message was dead-lettered it is never delivered again and would reserve its capital
    for good: end it here. NEW means nothing was signed, so nothing can reach the exchange."""
    try:
        tunables = deps.tunables.get()
    except TunablesUnavailableError:
        return 0  # without the age limit nothing is expired; the next run tries again
    now = deps.clock.now()
    before = now - timedelta(seconds=tunables.intent_max_age_s + cfg.grace_s)
    expired = 0
    for intent_id in deps.store.stale_new(created_before=before, limit=cfg.batch_limit):
        with deps.store.locked(intent_id) as tx:
            if tx is None or tx.progress.state is not IntentState.NEW:
                continue  # taken by a delivery meanwhile
            age = (now - tx.progress.created_at).total_seconds()
            tx.finish(
                IntentState.EXPIRED,
                reason_code=IntentReason.INTENT_TOO_OLD,
                message=f"intent {age:.0f}s old and never executed (its message did not come back)",
            )
            expired += 1
    return expired


def _one(deps: ExecutorDeps, cfg: ReconcileSettings, intent_id: str) -> str:
    with deps.store.locked(intent_id) as tx:
        if tx is None:
            return "missing"
        intent, progress = tx.intent, tx.progress
    submission = progress.submission
    if submission is None:
        return _unsigned(deps, intent)
    exchange = deps.exchanges.for_wallet(intent.wallet_id)
    record = exchange.get_order(submission.order_hash)
    if record is not None:
        resting = progress.state is IntentState.ACCEPTED and record.status == "live"
        if resting and _age_s(deps, progress) > cfg.resting_lifetime_s:
            exchange.cancel_order(submission.order_hash)
            record = exchange.get_order(submission.order_hash) or record
        return record_existing(deps, intent_id, record).state
    return _not_found(deps, cfg, intent, progress)


def _unsigned(deps: ExecutorDeps, intent: Intent) -> str:
    # SUBMITTING is only ever written together with the signed bytes; a row without them is corrupt.
    with deps.store.locked(intent.intent_id) as tx:
        assert tx is not None
        state = next_state(tx.progress.state, IntentState.REJECTED)
        tx.finish(state, reason_code=IntentReason.NO_SIGNED_ORDER, message="in flight without a stored order")
    return state


def _not_found(deps: ExecutorDeps, cfg: ReconcileSettings, intent: Intent, progress: IntentProgress) -> str:
    with deps.store.locked(intent.intent_id) as tx:
        assert tx is not None
        misses = tx.note_reconcile_miss()
        tunables = deps.tunables.get()
        young = _age_s(deps, progress) <= tunables.intent_max_age_s
        state = progress.state
        if tunables.kill_switch and state in (IntentState.SUBMITTING, IntentState.UNKNOWN):
            deps.telemetry.count("KillSwitchEngaged")  # signed before the switch: never sent again
        if state in (IntentState.SUBMITTING, IntentState.UNKNOWN) and young and not tunables.kill_switch:
            resend = True
        else:
            resend = False
            if misses >= cfg.max_misses and state is not IntentState.LOST:
                message = f"not at the exchange after {misses} lookups"
                tx.finish(
                    next_state(tx.progress.state, IntentState.LOST), reason_code=IntentReason.NOT_FOUND, message=message
                )
            elif state is IntentState.LOST and _age_s(deps, progress) > cfg.lost_watch_s:
                expired = next_state(tx.progress.state, IntentState.EXPIRED)
                tx.finish(expired, reason_code=IntentReason.NEVER_APPEARED, message="never appeared at the exchange")
                return IntentState.EXPIRED
    if not resend:
        return IntentState.LOST if misses >= cfg.max_misses else state
    # Identical bytes: if the first POST did land after all, this is answered as a duplicate.
    submission = progress.submission
    assert submission is not None
    result = deps.exchanges.for_wallet(intent.wallet_id).post_order(
        submission.order_body.encode(), order_hash=submission.order_hash
    )
    deps.telemetry.count("ReconcileResent")
    try:
        return apply_post_result(deps, intent.intent_id, result).state
    except Exception:
        return state


def _age_s(deps: ExecutorDeps, progress: IntentProgress) -> float:
    return (deps.clock.now() - progress.created_at).total_seconds()
