"""One wallet-monitor tick: new leader trades → OWRR → COPY/SKIP per strategy → intents → SQS.

OWRR is computed only for markets some following strategy reads it for (its gate, or owrr_scaled
sizing), and the leaders' track records only for the trades a Kelly-sized strategy follows: one
batched read each.

Order of effects matters for the invariants:
- everything the tick decides (signals, intents, seen trades, cursor) commits in ONE transaction,
  so a failure anywhere before leaves nothing half-written and the next tick redoes the window;
- only then are NEW intents sent (outbox): a failed send leaves them NEW for the next tick, and
  SQS FIFO's deduplication id (= intent id) absorbs a resend of one that did get through.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from omegacopy.app.owrr_lookup import OwrrLookup, OwrrOrigin, lookup_owrr
from omegacopy.domain.decisions import Decision, config_unavailable, decide, invalid_source
from omegacopy.domain.iceberg import slice_amounts
from omegacopy.domain.intent import Intent, intent_id_for, slice_intent_id
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.models import (
    DecisionAction,
    InvalidTrade,
    LeaderTrade,
    SizingMode,
    TradeAction,
    Tunables,
)
from omegacopy.domain.owrr import neutral_owrr
from omegacopy.domain.portfolio_book import PortfolioBook
from omegacopy.ports import (
    Clock,
    FollowedStrategy,
    IntentQueue,
    MonitorSession,
    MonitorStore,
    OwrrInputs,
    SaleRef,
    SignalRow,
    SourceUnavailableError,
    Telemetry,
    TickWrite,
    TrackRecords,
    TradeSource,
    TunablesSource,
    TunablesUnavailableError,
)


def correlation_id_for(tick_id: str, source_trade_id: str) -> str:
    digest = hashlib.sha256(f"{tick_id}\x1f{source_trade_id}".encode()).hexdigest()
    return f"c-{digest[:24]}"


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    overlap_s: int = 120
    initial_lookback_s: int = 300
    outbox_batch_limit: int = 2_000
    # how far ahead of our clock a source's time may be; the cursor never passes now + this
    future_skew_s: int = 30


@dataclass
class TickDeps:
    store: MonitorStore
    source: TradeSource
    owrr_inputs: OwrrInputs
    queue: IntentQueue
    tunables: TunablesSource
    clock: Clock
    telemetry: Telemetry
    settings: MonitorSettings = field(default_factory=MonitorSettings)
    # the leaders' track records, for Kelly sizing (None: Kelly-sized strategies skip every entry)
    track_records: TrackRecords | None = None


@dataclass
class TickSummary:
    tick_id: str
    status: str = "ok"
    strategies: int = 0
    wallets: int = 0
    trades_seen: int = 0
    invalid_rows: int = 0
    signals_written: int = 0
    copies: int = 0
    skips: int = 0
    intents_created: int = 0
    intents_queued: int = 0
    send_failures: int = 0
    owrr_markets: int = 0
    owrr_cache_hits: int = 0
    owrr_fallbacks: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    duration_ms: float = 0.0


def run_tick(deps: TickDeps, tick_id: str) -> TickSummary:
    started = deps.clock.monotonic()
    summary = TickSummary(tick_id=tick_id)
    try:
        with deps.store.session() as db:
            if not db.try_lock():
                summary.status = "overlap"
                deps.telemetry.count("TickOverlapSkipped")
                deps.telemetry.info("tick skipped: another tick holds the lock", tick_id=tick_id)
                return summary
            _decide_and_record(deps, db, tick_id, summary)
            _send_outbox(deps, db, summary)
    except Exception:
        summary.status = "failed"
        deps.telemetry.count("TickFailed")
        raise
    finally:
        summary.duration_ms = round((deps.clock.monotonic() - started) * 1000, 1)
        _emit(deps.telemetry, summary)
    return summary


@dataclass
class _Tick:
    """The working state of one tick."""

    tick_id: str
    now: datetime
    tunables: Tunables | None  # None: unreadable at cold start, so every trade SKIPs (fail closed)
    followers: dict[str, list[FollowedStrategy]]
    portfolios: dict[str, PortfolioBook]
    write: TickWrite
    summary: TickSummary
    reasons: Counter[str] = field(default_factory=Counter)


def _decide_and_record(deps: TickDeps, session: MonitorSession, tick_id: str, summary: TickSummary) -> None:
    now = deps.clock.now()
    strategies = session.load_strategies()
    followers: dict[str, list[FollowedStrategy]] = defaultdict(list)
    for strat in strategies:
        for wallet in strat.watched_wallets:
            followers[wallet.lower()].append(strat)  # sources report addresses lower-cased
    summary.strategies, summary.wallets = len(strategies), len(followers)
    # A cursor is never ahead of now + skew: one row stamped in the future must not make the monitor
    # skip what arrives on time after it (a cursor poisoned before this rule heals here).
    ceiling = now + timedelta(seconds=deps.settings.future_skew_s)
    stored = session.get_cursor(deps.source.name)
    cursor = min(stored, ceiling) if stored else now - timedelta(seconds=deps.settings.initial_lookback_s)
    try:
        tunables: Tunables | None = deps.tunables.get()
    except TunablesUnavailableError:
        tunables = None
        summary.status = "config_unavailable"
    if tunables is None or tunables.kill_switch:
        deps.telemetry.count("KillSwitchEngaged")  # every tick while nothing may trade
    tick = _Tick(
        tick_id=tick_id,
        now=now,
        tunables=tunables,
        followers=followers,
        portfolios={s.config.strategy_id: PortfolioBook(s.portfolio) for s in strategies},
        write=TickWrite(tick_id=tick_id, started_at=now, source=deps.source.name, watermark=cursor),
        summary=summary,
    )
    if followers:
        trades, invalid = _read_new_trades(deps, session, tick, cursor)
        for bad in invalid:
            _record_invalid(tick, bad)
        _decide_trades(deps, session, tick, trades)
    summary.skips = sum(tick.reasons.values())
    summary.skip_reasons = dict(tick.reasons)
    result = session.write_tick(tick.write)
    summary.signals_written = result.signals_written
    summary.intents_created = result.intents_created


def _read_new_trades(
    deps: TickDeps, session: MonitorSession, tick: _Tick, cursor: datetime
) -> tuple[list[LeaderTrade], list[InvalidTrade]]:
    # Re-read an overlap behind the cursor: rows that became visible late are still seen once.
    since = cursor - timedelta(seconds=deps.settings.overlap_s)
    try:
        batch = deps.source.fetch_new_trades(sorted(tick.followers), since)
    except SourceUnavailableError:
        deps.telemetry.count("SourceErrors")
        raise
    if batch.watermark is not None:
        ceiling = tick.now + timedelta(seconds=deps.settings.future_skew_s)
        tick.write.watermark = min(max(cursor, batch.watermark), ceiling)
    all_ids = [t.trade_id for t in batch.trades] + [t.trade_id for t in batch.invalid]
    unseen = session.unseen(deps.source.name, all_ids) if all_ids else set()
    # A trade id seen twice in one batch (duplicate row) is decided once.
    trades = _first_each([t for t in batch.trades if t.trade_id in unseen])
    invalid = _first_each([t for t in batch.invalid if t.trade_id in unseen])
    tick.write.seen_trade_ids = sorted({t.trade_id for t in trades} | {t.trade_id for t in invalid})
    tick.summary.trades_seen, tick.summary.invalid_rows = len(trades), len(invalid)
    if invalid:
        deps.telemetry.count("InvalidSourceRows", len(invalid))
    return trades, invalid


def _record_invalid(tick: _Tick, bad: InvalidTrade) -> None:
    for strat in tick.followers.get(bad.wallet, ()):
        decision = invalid_source(bad.detail)
        tick.write.signals.append(_invalid_signal(bad, strat, decision, tick.tick_id))
        tick.reasons[decision.reason_code] += 1


def _decide_trades(deps: TickDeps, session: MonitorSession, tick: _Tick, trades: list[LeaderTrade]) -> None:
    tunables = tick.tunables
    if tunables is None:
        _skip_all_unconfigured(tick, trades)
        return
    entry_markets = {
        t.condition_id: t.category
        for t in trades
        if t.action is TradeAction.BUY and any(s.config.needs_owrr for s in tick.followers.get(t.wallet, ()))
    }
    lookup = lookup_owrr(
        entry_markets, session, deps.owrr_inputs, tick.now, tunables.owrr_cache_ttl_s, telemetry=deps.telemetry
    )
    tick.summary.owrr_markets = len(entry_markets)
    tick.summary.owrr_cache_hits = lookup.count(OwrrOrigin.CACHE)
    tick.summary.owrr_fallbacks = lookup.count(OwrrOrigin.STALE) + lookup.count(OwrrOrigin.NEUTRAL)
    sales = [
        SaleRef(t.trade_id, t.wallet, t.condition_id, t.token_id, t.traded_at)
        for t in trades
        if t.action is TradeAction.SELL
    ]
    shares_before = deps.source.leader_shares_before(sales) if sales else {}
    records = _track_records(deps, tick, trades)

    # Chronological, so a COPY reserves capital and position slots before later trades are sized.
    for trade in sorted(trades, key=lambda t: (t.traded_at, t.trade_id)):
        corr = correlation_id_for(tick.tick_id, trade.trade_id)
        owrr = lookup.results.get(trade.condition_id) or neutral_owrr(trade.category)
        for strat in tick.followers.get(trade.wallet, ()):
            sid = strat.config.strategy_id
            book = tick.portfolios[sid]
            decision = decide(
                trade,
                strat.config,
                owrr,
                book,
                tunables,
                tick.now,
                leader_shares_before=shares_before.get(trade.trade_id),
                track_record=records.get(_record_key(trade)),
            )
            intent_id = None
            if decision.action is DecisionAction.COPY and decision.intent is not None:
                intent_id = intent_id_for(sid, trade.trade_id)
                tick.write.intents.extend(_iceberg(_intent_row(intent_id, trade, strat, decision, corr), tunables))
                book.apply(decision.intent)
                tick.summary.copies += 1
            else:
                tick.reasons[decision.reason_code] += 1
            tick.write.signals.append(_signal(trade, strat, decision, corr=corr, lookup=lookup, intent_id=intent_id))


def _record_key(trade: LeaderTrade) -> tuple[str, str]:
    return trade.wallet.lower(), (trade.category or "").strip().lower()


def _track_records(deps: TickDeps, tick: _Tick, trades: list[LeaderTrade]) -> dict[tuple[str, str], TrackRecord]:
    """The records Kelly sizing needs this tick, in one read. Unreadable: none, so those entries
    SKIP (`no_track_record`) and every other strategy trades on."""
    keys = {
        _record_key(t)
        for t in trades
        if t.action is TradeAction.BUY
        and t.category
        and any(s.config.sizing_mode is SizingMode.KELLY for s in tick.followers.get(t.wallet, ()))
    }
    if not keys:
        return {}
    if deps.track_records is None:
        deps.telemetry.warning("kelly sizing has no track-record source: its entries skip", leaders=len(keys))
        return {}
    try:
        batch = deps.track_records.load(sorted(keys))
    except Exception as exc:  # fail closed for Kelly only: the tick goes on
        deps.telemetry.count("TrackRecordsUnavailable")
        deps.telemetry.warning("track records unavailable: kelly entries skip", error=type(exc).__name__)
        return {}
    if batch.rejected:
        reasons = Counter(r.reason for r in batch.rejected)
        deps.telemetry.count("InvalidTrackRecordRows", len(batch.rejected))
        deps.telemetry.warning("track-record rows rejected: no record", reasons=dict(reasons.most_common(10)))
    return batch.records


def _skip_all_unconfigured(tick: _Tick, trades: list[LeaderTrade]) -> None:
    """No valid tunables: every interested strategy records why nothing was copied."""
    decision = config_unavailable()
    for trade in trades:
        corr = correlation_id_for(tick.tick_id, trade.trade_id)
        for strat in tick.followers.get(trade.wallet, ()):
            tick.write.signals.append(_signal(trade, strat, decision, corr=corr, lookup=None, intent_id=None))
            tick.reasons[decision.reason_code] += 1


def _send_outbox(deps: TickDeps, session: MonitorSession, summary: TickSummary) -> None:
    pending = session.pending_intents(deps.settings.outbox_batch_limit)
    if not pending:
        return
    result = deps.queue.send(pending)
    if result.sent:
        session.mark_sent(result.sent, deps.clock.now())
    summary.intents_queued = len(result.sent)
    summary.send_failures = len(result.failed)
    if result.failed:
        deps.telemetry.count("IntentSendFailed", len(result.failed))
        deps.telemetry.warning("intents not queued, retried next tick", failed=len(result.failed))


_Row = TypeVar("_Row", LeaderTrade, InvalidTrade)


def _first_each(items: list[_Row]) -> list[_Row]:
    seen: set[str] = set()
    out: list[_Row] = []
    for item in items:
        if item.trade_id not in seen:
            seen.add(item.trade_id)
            out.append(item)
    return out


def _intent_row(intent_id: str, trade: LeaderTrade, strat: FollowedStrategy, decision: Decision, corr: str) -> Intent:
    assert decision.intent is not None
    return Intent(
        intent_id=intent_id,
        strategy_id=strat.config.strategy_id,
        wallet_id=strat.config.follower_wallet_id,
        source_trade_id=trade.trade_id,
        correlation_id=corr,
        draft=decision.intent,
        neg_risk=trade.neg_risk,
        paper=strat.config.paper,
    )


def _iceberg(intent: Intent, tunables: Tunables) -> list[Intent]:
    """An entry above the slice size becomes slices (`domain.iceberg`), each its own intent with an
    id derived from the first: the book is not swept at once, and every slice is still
    exactly-once on its own."""
    usd = intent.draft.usd_amount
    if intent.draft.is_exit or usd is None:
        return [intent]
    amounts = slice_amounts(
        usd,
        slice_usd=tunables.iceberg_slice_usd,
        min_slice_usd=tunables.min_order_usd,
        max_slices=tunables.iceberg_max_slices,
    )
    if len(amounts) == 1:
        return [intent]

    def sized(amount: Decimal) -> Intent:
        return dataclasses.replace(intent, draft=dataclasses.replace(intent.draft, usd_amount=amount))

    slices = [sized(amounts[0])]
    for index, amount in enumerate(amounts[1:], start=1):
        child_id = slice_intent_id(intent.intent_id, index)
        slices.append(dataclasses.replace(sized(amount), intent_id=child_id, parent_intent_id=intent.intent_id))
    return slices


def _signal(
    trade: LeaderTrade,
    strat: FollowedStrategy,
    decision: Decision,
    *,
    corr: str,
    lookup: OwrrLookup | None,
    intent_id: str | None,
) -> SignalRow:
    owrr = lookup.results.get(trade.condition_id) if lookup and trade.action is TradeAction.BUY else None
    return SignalRow(
        strategy_id=strat.config.strategy_id,
        source_trade_id=trade.trade_id,
        leader_wallet=trade.wallet,
        decision=decision.action.value,
        reason_code=decision.reason_code,
        reason=decision.reason,
        correlation_id=corr,
        condition_id=trade.condition_id,
        token_id=trade.token_id,
        outcome=trade.outcome.value,
        action=trade.action.value,
        leader_price=trade.price,
        leader_shares=trade.shares,
        leader_usd=trade.usd_value,
        traded_at=trade.traded_at,
        owrr=owrr.owrr if owrr else None,
        slider=decision.slider if decision.slider is not None else (owrr.slider if owrr else None),
        confidence=(decision.confidence.value if decision.confidence else None),
        intent_id=intent_id,
    )


def _invalid_signal(bad: InvalidTrade, strat: FollowedStrategy, decision: Decision, tick_id: str) -> SignalRow:
    return SignalRow(
        strategy_id=strat.config.strategy_id,
        source_trade_id=bad.trade_id,
        leader_wallet=bad.wallet,
        decision=decision.action.value,
        reason_code=decision.reason_code,
        reason=decision.reason,
        correlation_id=correlation_id_for(tick_id, bad.trade_id),
    )


def _emit(telemetry: Telemetry, summary: TickSummary) -> None:
    telemetry.measure("TickDurationMs", summary.duration_ms, "Milliseconds")
    telemetry.count("TradesSeen", summary.trades_seen)
    telemetry.count("SignalsCopy", summary.copies)
    telemetry.count("SignalsSkip", summary.skips)
    telemetry.count("IntentsQueued", summary.intents_queued)
    telemetry.count("OwrrCacheHits", summary.owrr_cache_hits)
    telemetry.count("OwrrCacheMisses", summary.owrr_markets - summary.owrr_cache_hits)
    for reason, count in summary.skip_reasons.items():
        # one metric per reason keeps dimensions low-cardinality (reason codes are a closed set)
        telemetry.count(f"Skip_{reason}", count)
    telemetry.info("tick summary", tick=_as_dict(summary))


def _as_dict(summary: TickSummary) -> dict[str, object]:
    return {k: getattr(summary, k) for k in summary.__dataclass_fields__}


__all__ = ["MonitorSettings", "TickDeps", "TickSummary", "run_tick"]
