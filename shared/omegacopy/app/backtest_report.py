"""A backtest's result as a report model (rendered by `omegacopy.reporting.html_report`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

from omegacopy.app.backtest import BacktestResult, BookResult, StrategyResult, leaders_scale
from omegacopy.reporting.formatting import money, num, pct, ratio, tone
from omegacopy.reporting.report_model import Card, Cell, DecisionPoint, ReportModel, Series, Table

_ZERO = Decimal("0")


def backtest_report(result: BacktestResult, *, generated_at: datetime | None = None) -> ReportModel:
    cfg = result.config
    strategies = result.strategies
    total = sum((s.book.total for s in strategies), _ZERO)
    orders = sum(s.book.orders for s in strategies)
    filled = sum(s.book.filled + s.book.partial for s in strategies)
    copies = sum(s.copies for s in strategies)
    signals = sum(s.signals for s in strategies)
    shadow_total = sum((x.book.total for s in strategies for x in s.shadows), _ZERO)
    leaders_total = sum((s.leaders_book.total for s in strategies), _ZERO)
    leaders_bought = sum((s.leaders_book.bought_usd for s in strategies), _ZERO)
    bought = sum((s.book.bought_usd for s in strategies), _ZERO)
    worst_dd = max(strategies, key=lambda s: s.book.max_drawdown_usd, default=None)
    cards = (
        Card("Strategy P&L", money(total), f"{pct(total / bought * 100) if bought else '—'} of $ bought", tone(total)),
        Card("Orders filled", f"{filled} / {orders}", f"fill rate {ratio(filled, orders)}"),
        Card("Signals", f"{signals:,}", f"{copies:,} copied, {signals - copies:,} skipped"),
        Card(
            "Leaders, copied blindly",
            pct(leaders_total / leaders_bought * 100) if leaders_bought else "—",
            f"{money(leaders_total)} on {money(leaders_bought)} bought",
            tone(leaders_total),
        ),
        Card(
            "Shadow P&L of skips",
            money(shadow_total),
            "what the skipped trades would have made",
            tone(shadow_total),
        ),
        Card(
            "Max drawdown",
            money(worst_dd.book.max_drawdown_usd) if worst_dd else "—",
            f"{worst_dd.name} ({pct(worst_dd.book.max_drawdown_pct)} of peak)" if worst_dd else "",
        ),
    )
    pnl: list[Series] = []
    for s in strategies:
        label = s.name or s.strategy_id
        pnl.append(Series(label, s.strategy_id, tuple((t, float(v)) for t, v in s.book.curve)))
        k = leaders_scale(s)
        scale = k if k is not None else Decimal("1")
        suffix = f" (scaled ×{scale:.3g} to the same $ bought)" if k is not None else ""
        pnl.append(
            Series(
                f"{label} · leaders{suffix}",
                s.strategy_id,
                tuple((t, float(v * scale)) for t, v in s.leaders_book.curve),
                dashed=True,
            )
        )
    rejections = Counter(o.fill.reason for o in result.orders if o.fill.status == "rejected")
    return ReportModel(
        title="OmegaCopy backtest",
        subtitle=(
            f"{len(strategies)} strateg{'y' if len(strategies) == 1 else 'ies'} · {result.ticks:,} ticks of "
            f"{cfg.tick_s} s · {result.trades_seen:,} leader trades · latency {cfg.latency_s} s · slippage "
            f"{cfg.fill.slippage} · fees {cfg.fill.fee_bps} bps"
        ),
        kind="backtest",
        period_start=cfg.start,
        period_end=cfg.end,
        generated_at=generated_at,
        cards=cards,
        decisions=tuple(
            DecisionPoint(p.at, p.strategy_id, p.decision, p.reason_code, p.action, p.slider) for p in result.signals
        ),
        pnl=tuple(pnl),
        pnl_note=(
            "Strategy P&L (solid; cash + positions at the last traded price, resolutions paid $1/$0) and its "
            "leaders' trades copied blindly through the same fill model (dashed), scaled to the strategy's $ bought."
        ),
        latencies_s=tuple(o.latency_s for o in result.orders if o.latency_s is not None),
        latency_note=f"Simulated: detection at the next {cfg.tick_s} s tick, then {cfg.latency_s} s to the order.",
        rejections=tuple(sorted(rejections.items(), key=lambda kv: (-kv[1], kv[0]))),
        rejection_note="Simulated orders that did not fill, by the fill model's reason.",
        tables=(_strategy_table(strategies), _shadow_table(strategies), _leaders_table(strategies)),
        notes=NOTES,
    )


NOTES = (
    "Fill model: an order is placed one latency after the tick that sent it; with a book snapshot it walks "
    "the depth up to its worst price, otherwise it fills at the leader's price plus the slippage (minus for "
    "sells), on the tick grid, and not at all past the worst price; fees in bps of notional.",
    "Shadow sizes: a skip from the sizing rule (size_below_minimum) is copied at the size that rule gave; every "
    "other skipped entry at the leader's notional capped at the strategy's max position size. Shadow and "
    "leader books exit when the leader sells (same fraction) and are paid at resolution.",
    "Replays see the rows that had arrived by each tick; OWRR reads open positions traded by then. Lifetime "
    "wallet metrics and the trades' is_closed flags are today's values (a known look-ahead).",
)


# The columns of `_book_cells`, in its order.
_BOOK_COLUMNS = (
    "Orders", "Fill rate", "Bought", "Realized", "Resolution", "Unrealized", "Total P&L", "Return", "Max drawdown",
)  # fmt: skip


def _book_cells(b: BookResult) -> tuple[Cell, ...]:
    return (
        num(f"{b.orders}"),
        num(ratio(b.filled + b.partial, b.orders)),
        num(money(b.bought_usd)),
        num(money(b.realized), tone(b.realized)),
        num(money(b.resolution), tone(b.resolution)),
        num(money(b.unrealized), tone(b.unrealized)),
        num(money(b.total), tone(b.total)),
        num(pct(b.return_pct) if b.return_pct is not None else "—", tone(b.total)),
        num(f"{money(b.max_drawdown_usd)} ({pct(b.max_drawdown_pct)})"),
    )


def _strategy_table(strategies: tuple[StrategyResult, ...]) -> Table:
    rows = []
    for s in strategies:
        lb = s.leaders_book
        rows.append(
            (
                Cell(s.name or s.strategy_id),
                num(f"{s.signals}"),
                num(f"{s.copies}"),
                *_book_cells(s.book),
                num(pct(lb.return_pct) if lb.return_pct is not None else "—", tone(lb.total)),
            )
        )
    return Table(
        "Strategies",
        ("Strategy", "Signals", "Copies", *_BOOK_COLUMNS, "Leaders' return"),
        tuple(rows),
        "Return is total P&L per $ bought. Max drawdown: the largest fall of equity from a running peak.",
    )


def _shadow_table(strategies: tuple[StrategyResult, ...]) -> Table:
    rows = []
    for s in strategies:
        for x in s.shadows:
            b = x.book
            if b.total < 0:
                verdict, t = f"helped: avoided {money(-b.total)}", "pos"
            elif b.total > 0:
                verdict, t = f"cost {money(b.total)} of gains", "neg"
            else:
                verdict, t = "no effect", "muted"
            rows.append(
                (
                    Cell(s.name or s.strategy_id),
                    Cell(x.reason_code),
                    num(f"{x.signals}"),
                    num(f"{b.orders}"),
                    num(ratio(b.filled + b.partial, b.orders)),
                    num(money(b.bought_usd)),
                    num(money(b.total), tone(b.total)),
                    num(pct(b.return_pct) if b.return_pct is not None else "—", tone(b.total)),
                    Cell(x.size_rule, "muted"),
                    Cell(verdict, t),
                )
            )
    return Table(
        "Did the filters help? Shadow P&L of skipped entries, by skip reason",
        (
            "Strategy",
            "Skip reason",
            "Skipped",
            "Orders",
            "Fill rate",
            "Bought",
            "Shadow P&L",
            "Return",
            "Size rule",
            "Filter",
        ),
        tuple(rows),
        "A negative shadow P&L is a loss the filter avoided; a positive one is a gain it gave up.",
    )


def _leaders_table(strategies: tuple[StrategyResult, ...]) -> Table:
    rows = []
    for s in strategies:
        rows.append((Cell(s.name or s.strategy_id), num(f"{len(s.leaders)}"), *_book_cells(s.leaders_book)))
    return Table(
        "Leaders copied blindly (every trade of the watched wallets, at their size, same fill model)",
        ("Strategy", "Leaders", *_BOOK_COLUMNS),
        tuple(rows),
    )
