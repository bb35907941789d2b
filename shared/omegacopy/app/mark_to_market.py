"""Mark-to-market: price open positions, measure losses, pause what breaches. Never blind.

A position is marked at its book's mid; without a two-sided book, at what its market resolved to
(the markets dimension), else at its last trade; with none of these it is unpriced: valued at
nothing and counted as a breach, so its strategy pauses (fail closed) and `UnpricedPositions`
raises its alarm. A resolved market's winning shares are marked at $1, its losing ones at $0.

Each strategy's equity is its cash plus its positions at their marks. Drawdown is measured from the
highest equity it has had (its capital, at first); the day's loss from its equity at the day's first
mark, so it includes unrealized losses. Breaching either limit pauses the strategy (the monitor
then copies no entries for it; exits still execute). Runs with reconcile each tick, off the
monitor's critical path; one position that cannot be read never stops the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from omegacopy.domain.exit_triggers import exit_trigger
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction, Tunables
from omegacopy.domain.money import HUNDRED, ZERO, to_micros, to_share_step
from omegacopy.domain.positions import unrealized
from omegacopy.ports import (
    Clock,
    Exchanges,
    MarketResolutions,
    NoOrderBookError,
    NoResolutions,
    OpenPosition,
    PortfolioStore,
    PositionMark,
    StrategyBook,
    Telemetry,
    TunablesSource,
)


@dataclass
class MarkSummary:
    positions: int = 0
    unpriced: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    paused: list[str] = field(default_factory=list)
    exits_queued: int = 0
    max_strategy_drawdown_pct: Decimal = ZERO
    max_daily_loss_pct: Decimal = ZERO
    max_position_drawdown_pct: Decimal = ZERO


def mark_to_market(
    store: PortfolioStore,
    exchanges: Exchanges,
    tunables: TunablesSource,
    telemetry: Telemetry,
    *,
    clock: Clock,
    resolutions: MarketResolutions | None = None,
) -> MarkSummary:
    limits = tunables.get()
    summary = MarkSummary()
    positions = store.open_positions()
    marks = _marks(positions, exchanges, resolutions or NoResolutions(), telemetry)
    value: dict[str, Decimal] = defaultdict(Decimal)
    unpriced: dict[str, list[str]] = defaultdict(list)
    for pos in positions:
        summary.positions += 1
        mark = marks[(pos.strategy_id, pos.token_id)]
        summary.by_source[mark.source] = summary.by_source.get(mark.source, 0) + 1
        if mark.price is None:
            summary.unpriced += 1
            unpriced[pos.strategy_id].append(pos.token_id)  # valued at nothing: the worst it can be
            continue
        gain = unrealized(pos.shares, pos.cost_usd, mark.price)
        value[pos.strategy_id] += pos.cost_usd + gain
        if mark.source != "resolution" and _queue_exit_if_triggered(store, telemetry, pos, mark.price):
            summary.exits_queued += 1
        if pos.cost_usd > 0:
            summary.max_position_drawdown_pct = max(summary.max_position_drawdown_pct, -gain / pos.cost_usd * HUNDRED)
    if marks:
        store.save_marks(marks)
    today = clock.now().date()
    for book in store.strategy_books():
        equity = book.balance_usd + value.get(book.strategy_id, ZERO)
        reason = _measure(store, summary, book, limits, equity=equity, unpriced=unpriced[book.strategy_id], day=today)
        if reason and store.pause_strategy(book.strategy_id, reason):
            summary.paused.append(book.strategy_id)
            telemetry.count("StrategyAutoPaused")
            telemetry.warning("strategy paused", strategy_id=book.strategy_id, reason=reason)
    if summary.exits_queued:
        telemetry.count("ExitTriggersQueued", summary.exits_queued)
    # published every run, zeros included: an alarm must never read a quiet metric as "fine"
    telemetry.measure("StrategyDrawdownPct", float(summary.max_strategy_drawdown_pct), "Percent")
    telemetry.measure("DailyLossPct", float(summary.max_daily_loss_pct), "Percent")
    telemetry.measure("PositionDrawdownPct", float(summary.max_position_drawdown_pct), "Percent")
    telemetry.count("UnpricedPositions", summary.unpriced)
    return summary


def _marks(
    positions: Sequence[OpenPosition], exchanges: Exchanges, resolutions: MarketResolutions, telemetry: Telemetry
) -> dict[tuple[str, str], PositionMark]:
    """Each position's mark: the book's mid, else the resolution, else the last trade, else none."""
    marks: dict[tuple[str, str], PositionMark] = {}
    bookless: list[OpenPosition] = []
    for pos in positions:
        try:
            mid = exchanges.for_wallet(pos.wallet_id).order_book(pos.token_id).midpoint
        except NoOrderBookError:
            mid = None
        except Exception as exc:  # unreadable now: the fallbacks decide, and an alarm says why
            telemetry.warning("order book unreadable", token_id=pos.token_id, error=type(exc).__name__)
            mid = None
        if mid is not None:
            marks[(pos.strategy_id, pos.token_id)] = PositionMark(mid, "book")
        else:
            bookless.append(pos)
    if not bookless:
        return marks
    try:
        payouts = resolutions.payouts(sorted({p.condition_id for p in bookless if p.condition_id}))
    except Exception as exc:
        telemetry.warning("market resolutions unreadable", error=type(exc).__name__)
        payouts = {}
    for pos in bookless:
        payout = payouts.get(pos.token_id)
        if payout is not None:
            marks[(pos.strategy_id, pos.token_id)] = PositionMark(payout, "resolution")
            continue
        try:
            last = exchanges.for_wallet(pos.wallet_id).last_trade_price(pos.token_id)
        except Exception as exc:
            telemetry.warning("last trade price unreadable", token_id=pos.token_id, error=type(exc).__name__)
            last = None
        marks[(pos.strategy_id, pos.token_id)] = (
            PositionMark(last, "last_trade") if last is not None else PositionMark(None, "unpriced")
        )
    return marks


def _measure(
    store: PortfolioStore,
    summary: MarkSummary,
    book: StrategyBook,
    limits: Tunables,
    *,
    equity: Decimal,
    unpriced: list[str],
    day: date,
) -> str | None:
    """Drawdown from the peak and the day's loss from the day's first mark; why to pause, if so."""
    start = book.starting_balance_usd
    if start <= 0:
        return None
    peak = max(start, book.peak_equity_usd or start, equity)
    day_start = book.day_start_equity_usd if book.day_started_on == day and book.day_start_equity_usd else equity
    store.save_equity(book.strategy_id, peak_usd=to_micros(peak), day_start_usd=to_micros(day_start), day=day)
    drawdown = max(ZERO, (peak - equity) / peak * HUNDRED)
    daily_loss = max(ZERO, (day_start - equity) / start * HUNDRED)
    summary.max_strategy_drawdown_pct = max(summary.max_strategy_drawdown_pct, drawdown)
    summary.max_daily_loss_pct = max(summary.max_daily_loss_pct, daily_loss)
    if unpriced:
        return f"{len(unpriced)} position(s) cannot be priced (no book, no last trade, no resolution)"
    if daily_loss >= limits.daily_loss_limit_pct:
        return f"daily loss {daily_loss:.1f}% reached the {limits.daily_loss_limit_pct}% limit"
    if drawdown >= limits.drawdown_limit_pct:
        return f"drawdown {drawdown:.1f}% from its peak reached the {limits.drawdown_limit_pct}% limit"
    return None


def _queue_exit_if_triggered(store: PortfolioStore, telemetry: Telemetry, pos: OpenPosition, mark: Decimal) -> bool:
    trigger = exit_trigger(
        avg_entry=pos.cost_usd / pos.shares,
        mark=mark,
        stop_loss_pct=pos.stop_loss_pct,
        take_profit_pct=pos.take_profit_pct,
        slippage=pos.slippage_ceiling,
    )
    if trigger is None:
        return False
    # One exit per (position, size): while it is pending the same id is re-derived and nothing is
    # added; after a partial fill the size differs and the rest gets its own exit.
    source = f"{trigger.kind}:{pos.token_id}:{pos.shares.normalize()}"
    intent_id = intent_id_for(pos.strategy_id, source)
    intent = Intent(
        intent_id=intent_id,
        strategy_id=pos.strategy_id,
        wallet_id=pos.wallet_id,
        source_trade_id=source,
        correlation_id=f"c-{trigger.kind.replace('_', '-')}-{intent_id[:8]}",
        draft=IntentDraft(
            action=TradeAction.SELL,
            token_id=pos.token_id,
            condition_id=pos.condition_id,
            leader_price=mark,
            worst_price=trigger.worst_price,
            usd_amount=None,
            shares=to_share_step(pos.shares),
            order_style=OrderStyle.FAK,
            is_exit=True,
        ),
        paper=pos.paper,  # a paper position is sold on paper
    )
    queued = store.queue_exit(intent)
    if queued:
        telemetry.info("exit triggered", strategy_id=pos.strategy_id, kind=trigger.kind, reason=trigger.reason)
    return queued
