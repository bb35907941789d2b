"""The live report from `LiveNumbers`: cards, the P&L lines, the per-leader comparison and the
tables, as a `ReportModel` for `html_report`. Every number comes from `live_numbers.compute`, the
same the terminal summary of a run prints."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from omegacopy.reporting.formatting import money, num, pct, ratio, tone
from omegacopy.reporting.live_numbers import IndexRunRow, LiveNumbers, LiveRows, compute
from omegacopy.reporting.report_model import Card, Cell, ReportModel, Series, Table

# What a pass wrote, by its summary's key, as the table's columns name it.
_WRITTEN = (("Trades", "trades_written"), ("Markets", "markets_written"), ("Holders", "holders_written"),
            ("Positions", "positions_written"), ("Metrics", "metric_rows_written"))  # fmt: skip
_MAX_LEADERS = 12


def live_report(
    rows: LiveRows, *, generated_at: datetime | None = None, badge: str | None = None
) -> tuple[ReportModel, LiveNumbers]:
    """The report's model and the numbers it shows (for whoever prints them beside it)."""
    numbers = compute(rows)
    return live_report_model(numbers, generated_at=generated_at, badge=badge), numbers


def live_report_model(
    numbers: LiveNumbers, *, generated_at: datetime | None = None, badge: str | None = None
) -> ReportModel:
    rows = numbers.rows
    names = {s.strategy_id: s.name for s in rows.strategies}
    curves: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for sid, at, cumulative in rows.realized_points:
        if rows.start is not None and not curves[sid]:
            curves[sid].append((rows.start, 0.0))
        curves[sid].append((at, float(cumulative)))
    series = tuple(
        Series(f"{names.get(sid, sid)} · realized", sid, tuple(points)) for sid, points in sorted(curves.items())
    )
    # the chart's hint adds p50/p95 by `live_numbers.percentile`, over these same latencies
    latency_note = "Leader trade (block time) → order at the exchange (paper: the fill model's answer)."
    return ReportModel(
        title="OmegaCopy live report",
        subtitle=f"{len(rows.strategies)} strategies · {numbers.signals:,} signals · from PostgreSQL",
        kind="live",
        badge=badge or numbers.mode,
        period_start=rows.start,
        period_end=rows.end,
        generated_at=generated_at,
        cards=_cards(numbers),
        decisions=rows.decisions,
        pnl=series,
        pnl_note="Realized P&L per strategy: the fills (net of fees) and the settlements of resolved markets.",
        leader_pnl=_leader_bars(numbers),
        leader_note="Realized P&L of our copies of each leader (strategy · leader), best first.",
        latencies_s=rows.latencies_s,
        latency_note=latency_note,
        rejections=rows.rejections,
        rejection_note="Order intents in state REJECTED, by reason_code.",
        tables=(
            _strategy_table(numbers),
            *((_leader_table(numbers),) if rows.leaders else ()),
            *((_indexer_table(rows.index_runs),) if rows.index_runs else ()),
        ),
        notes=(
            "Signals are bucketed by the time the monitor decided them; unrealized P&L uses the last "
            "mark-to-market price of each open position (a position without one is valued at its cost).",
            "Paper strategies fill against the live order book by the fill model: their P&L is not money.",
        ),
    )


def _cards(n: LiveNumbers) -> tuple[Card, ...]:
    orders = sum(s.row.orders for s in n.strategies)
    filled = sum(s.row.filled for s in n.strategies)
    rejected = sum(c for _, c in n.rows.rejections)
    p50 = n.trade_to_order.p50
    # real money in the cards; paper P&L is named as such, never added to it
    if n.paper_totals is not None:
        realized_hint = f"live fills and settlements; paper {money(n.paper_totals['realized_usd'])} apart"
        unrealized_hint = f"live positions at their marks; paper {money(n.paper_totals['unrealized_usd'])} apart"
    elif n.totals_cover == "paper":
        realized_hint, unrealized_hint = "paper: the fill model's, not money", "paper positions at their marks"
    else:
        realized_hint, unrealized_hint = "fills and settlements", "open positions at their marks"
    return (
        Card("Realized P&L", money(n.realized_usd), realized_hint, tone(n.realized_usd)),
        Card("Unrealized P&L", money(n.unrealized_usd), unrealized_hint, tone(n.unrealized_usd)),
        Card("Signals", f"{n.signals:,}", f"{n.copies:,} copied, {n.signals - n.copies:,} skipped"),
        Card("Orders filled", f"{filled} / {orders}", f"fill rate {ratio(filled, orders)}"),
        Card("Rejected", f"{rejected:,}", "order intents"),
        Card("Trade → order p50", f"{_s(p50)} s" if p50 is not None else "—", "leader trade → order"),
    )


def _strategy_table(n: LiveNumbers) -> Table:
    # money first: on a narrow screen the counts give way (`narrow_hidden`), never the P&L
    columns = ("Strategy", "Mode", "Realized", "Unrealized", "P&L / start", "Cash", "Equity", "Status", "Signals",
               "Copies", "Orders", "Fill rate", "Rejected", "Bought", "Open")  # fmt: skip
    rows = []
    for s in n.strategies:
        r = s.row
        rows.append(
            (
                Cell(r.name),
                Cell("paper" if r.paper else "live", "muted" if r.paper else ""),
                num(money(s.realized_usd), tone(s.realized_usd)),
                num(money(s.unrealized_usd), tone(s.unrealized_usd)),
                num(pct(s.pnl_pct), tone(s.total_usd)),
                num(money(r.cash_usd)),
                num(money(s.equity_usd)),
                Cell(r.status, "" if r.active else "muted"),
                num(f"{r.signals}"),
                num(f"{r.copies}"),
                num(f"{r.orders}"),
                num(ratio(r.filled, r.orders)),
                num(f"{r.rejected}"),
                num(money(r.bought_usd)),
                num(f"{s.open_positions}"),
            )
        )
    return Table(
        "Strategies",
        columns,
        tuple(rows),
        "P&L / start: realized + unrealized over the strategy's capital. Equity: cash + open positions at their "
        "marks. Paper strategies' money is simulated.",
        narrow_hidden=tuple(range(7, len(columns))),
    )


def _leader_bars(n: LiveNumbers) -> tuple[tuple[str, float], ...]:
    names = {s.strategy_id: s.name for s in n.rows.strategies}
    ranked = sorted(n.rows.leaders, key=lambda r: (-r.realized_usd, -r.copies, r.strategy_id, r.leader))
    return tuple(
        (f"{names.get(r.strategy_id, r.strategy_id)} · {_short(r.leader)}", float(r.realized_usd))
        for r in ranked[:_MAX_LEADERS]
        if r.copies > 0
    )


def _leader_table(n: LiveNumbers) -> Table:
    names = {s.strategy_id: s.name for s in n.rows.strategies}
    rows = [
        (
            Cell(names.get(r.strategy_id, r.strategy_id)),
            Cell(_short(r.leader)),
            num(money(r.realized_usd), tone(r.realized_usd)),
            num(money(r.bought_usd)),
            num(f"{r.copies}"),
            num(f"{r.signals}"),
            num(ratio(r.copies, r.signals)),
        )
        for r in n.rows.leaders
    ]
    return Table(
        "Leaders",
        ("Strategy", "Leader", "Realized", "Bought", "Copies", "Signals", "Copy rate"),
        tuple(rows),
        "Per leader of each strategy: what our copies of its trades bought and realized (its exits included).",
        narrow_hidden=(5, 6),
    )


def _indexer_table(runs: tuple[IndexRunRow, ...]) -> Table:
    """The indexer's passes, newest first: what each asked the public APIs and wrote to ClickHouse."""
    rows = []
    for r in runs:
        summary: dict[str, Any] = dict(r.summary)
        calls: dict[str, Any] = summary.get("requests") or {}
        lag = summary.get("lag_s")
        duration = summary.get("duration_ms")
        rows.append(
            (
                Cell(r.started_at.strftime("%Y-%m-%d %H:%M:%S")),
                Cell(r.status, "" if r.status == "ok" else "neg"),
                num("—" if duration is None else f"{float(duration) / 1000:.1f} s"),
                num(f"{int(calls.get('requests') or 0):,}"),
                num(f"{int(calls.get('throttled') or 0):,}", "neg" if calls.get("throttled") else ""),
                *(num(f"{int(summary.get(key) or 0):,}") for _, key in _WRITTEN),
                num(f"{int(summary.get('rejected_rows') or 0):,}"),
                num("—" if lag is None else f"{float(lag):.0f} s"),
            )
        )
    return Table(
        "Indexer passes",
        ("Started (UTC)", "Status", "Duration", "Requests", "429s", *(c for c, _ in _WRITTEN), "Rejected", "Lag"),
        tuple(rows),
        "Newest first. Rows written to ClickHouse per table; rejected: public-API rows that failed validation "
        "(in public_data_rejects); lag: how long ago the stalest tracked wallet's trades were read through.",
    )


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.1f}" if seconds < 100 else f"{seconds:.0f}"


__all__ = ["live_report", "live_report_model"]
