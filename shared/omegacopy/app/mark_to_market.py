"""Mark-to-market: price open positions at the book's mid, measure losses, pause what breaches.

Runs with reconcile each tick, off the monitor's critical path. Breaching the daily-loss or
drawdown limit pauses the strategy (the monitor stops copying for it; exits still execute) and
raises the metrics the alarms watch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from omegacopy.domain.exit_triggers import exit_trigger
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.money import HUNDRED, ZERO, to_share_step
from omegacopy.domain.positions import unrealized
from omegacopy.ports import Exchanges, OpenPosition, PortfolioStore, Telemetry, TunablesSource


@dataclass
class MarkSummary:
    positions: int = 0
    unpriced: int = 0
    paused: list[str] = field(default_factory=list)
    exits_queued: int = 0
    max_strategy_drawdown_pct: Decimal = ZERO
    max_daily_loss_pct: Decimal = ZERO
    max_position_drawdown_pct: Decimal = ZERO


def mark_to_market(
    store: PortfolioStore, exchanges: Exchanges, tunables: TunablesSource, telemetry: Telemetry
) -> MarkSummary:
    limits = tunables.get()
    summary = MarkSummary()
    marks: dict[tuple[str, str], Decimal] = {}
    value: dict[str, Decimal] = defaultdict(Decimal)
    for pos in store.open_positions():
        summary.positions += 1
        book = exchanges.for_wallet(pos.wallet_id).order_book(pos.token_id)
        mid = book.midpoint
        gain = unrealized(pos.shares, pos.cost_usd, mid)
        value[pos.strategy_id] += pos.cost_usd + gain  # no two-sided book: valued at cost, not guessed
        if mid is None:
            summary.unpriced += 1
            continue
        marks[(pos.strategy_id, pos.token_id)] = mid
        if _queue_exit_if_triggered(store, telemetry, pos, mid):
            summary.exits_queued += 1
        if pos.cost_usd > 0:
            drop = -gain / pos.cost_usd * HUNDRED
            summary.max_position_drawdown_pct = max(summary.max_position_drawdown_pct, drop)
    if marks:
        store.save_marks(marks)
    for book_row in store.strategy_books():
        start = book_row.starting_balance_usd
        if start <= 0:
            continue
        equity = book_row.balance_usd + value.get(book_row.strategy_id, ZERO)
        drawdown = max(ZERO, (start - equity) / start * HUNDRED)
        daily_loss = max(ZERO, -book_row.realized_today_usd / start * HUNDRED)
        summary.max_strategy_drawdown_pct = max(summary.max_strategy_drawdown_pct, drawdown)
        summary.max_daily_loss_pct = max(summary.max_daily_loss_pct, daily_loss)
        reason = None
        if daily_loss >= limits.daily_loss_limit_pct:
            reason = f"daily loss {daily_loss:.1f}% reached the {limits.daily_loss_limit_pct}% limit"
        elif drawdown >= limits.drawdown_limit_pct:
            reason = f"drawdown {drawdown:.1f}% reached the {limits.drawdown_limit_pct}% limit"
        if reason and store.pause_strategy(book_row.strategy_id, reason):
            summary.paused.append(book_row.strategy_id)
            telemetry.count("StrategyAutoPaused")
            telemetry.warning("strategy paused", strategy_id=book_row.strategy_id, reason=reason)
    if summary.exits_queued:
        telemetry.count("ExitTriggersQueued", summary.exits_queued)
    telemetry.measure("StrategyDrawdownPct", float(summary.max_strategy_drawdown_pct), "Percent")
    telemetry.measure("DailyLossPct", float(summary.max_daily_loss_pct), "Percent")
    telemetry.measure("PositionDrawdownPct", float(summary.max_position_drawdown_pct), "Percent")
    return summary


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
    )
    queued = store.queue_exit(intent)
    if queued:
        telemetry.info("exit triggered", strategy_id=pos.strategy_id, kind=trigger.kind, reason=trigger.reason)
    return queued
