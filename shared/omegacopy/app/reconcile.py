"""Reconcile: settle every order whose fate is not yet known, off the critical path.

- SUBMITTING / UNKNOWN older than a grace period: looked up by hash. Found → recorded. Not found
  and still young enough to matter → the stored identical bytes are re-sent (a duplicate reply
  if the exchange had them after all). Not found after N lookups → LOST, still watched for fills
  (the lost-order rule: an order that never shows up may still show up).
- ACCEPTED (resting GTC/GTD): fills pulled in; past their life → cancelled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from omegacopy.app.execute_intent import ExecutorDeps, apply_post_result, record_existing
from omegacopy.observability import logger, metrics
from omegacopy.ports import IntentRecord


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
            metrics.add_metric(name="ReconcileErrors", unit="Count", value=1)
            deps.store.postpone(intent_id)
            logger.warning("reconcile failed", extra={"intent_id": intent_id, "error": type(exc).__name__})
    for outcome, count in summary.outcomes.items():
        metrics.add_metric(name=f"Reconciled_{outcome}", unit="Count", value=count)
    return summary


def _one(deps: ExecutorDeps, cfg: ReconcileSettings, intent_id: str) -> str:
    with deps.store.locked(intent_id) as tx:
        if tx is None:
            return "missing"
        intent = tx.intent
    if intent.order_hash is None or intent.order_body is None:
        return _unsigned(deps, intent)
    exchange = deps.exchanges.for_wallet(intent.wallet_id)
    record = exchange.get_order(intent.order_hash)
    if record is not None:
        if intent.state == "ACCEPTED" and record.status == "live" and _age_s(deps, intent) > cfg.resting_lifetime_s:
            exchange.cancel_order(intent.order_hash)
            record = exchange.get_order(intent.order_hash) or record
        return record_existing(deps, intent_id, record).state
    return _not_found(deps, cfg, intent)


def _unsigned(deps: ExecutorDeps, intent: IntentRecord) -> str:
    # SUBMITTING is only ever written together with the signed bytes; a row without them is corrupt.
    with deps.store.locked(intent.intent_id) as tx:
        assert tx is not None
        tx.finish("REJECTED", reason_code="no_signed_order", message="in flight without a stored order")
    return "REJECTED"


def _not_found(deps: ExecutorDeps, cfg: ReconcileSettings, intent: IntentRecord) -> str:
    with deps.store.locked(intent.intent_id) as tx:
        assert tx is not None
        misses = tx.note_reconcile_miss()
        young = _age_s(deps, intent) <= deps.tunables.get().intent_max_age_s
        if intent.state in ("SUBMITTING", "UNKNOWN") and young:
            resend = True
        else:
            resend = False
            if misses >= cfg.max_misses and intent.state != "LOST":
                tx.finish("LOST", reason_code="not_found", message=f"not at the exchange after {misses} lookups")
            elif intent.state == "LOST" and _age_s(deps, intent) > cfg.lost_watch_s:
                tx.finish("EXPIRED", reason_code="lost", message="never appeared at the exchange")
                return "EXPIRED"
    if not resend:
        return "LOST" if misses >= cfg.max_misses else intent.state
    # Identical bytes: if the first POST did land after all, this is answered as a duplicate.
    assert intent.order_body is not None and intent.order_hash is not None
    result = deps.exchanges.for_wallet(intent.wallet_id).post_order(
        intent.order_body.encode(), order_hash=intent.order_hash
    )
    metrics.add_metric(name="ReconcileResent", unit="Count", value=1)
    try:
        return apply_post_result(deps, intent.intent_id, result).state
    except Exception:
        return intent.state


def _age_s(deps: ExecutorDeps, intent: IntentRecord) -> float:
    return (deps.clock.now() - intent.created_at).total_seconds()
