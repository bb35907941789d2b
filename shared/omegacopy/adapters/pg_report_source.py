"""The live report's data from PostgreSQL: signals, intents, fills, positions and the indexer's
passes, as a `ReportModel`.

Read-only; every query is bounded by the optional [start, end) window (on the row's creation or
fill time). Latency is the leader's trade (`wallet_monitor_signals.traded_at`) to our order
(`order_intents.submitted_at`), iceberg slices included.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from omegacopy.domain import positions
from omegacopy.domain.money import ZERO
from omegacopy.reporting.formatting import money, num, pct, ratio, tone
from omegacopy.reporting.report_model import Card, Cell, DecisionPoint, ReportModel, Series, Table

# `(%(start)s IS NULL OR col >= %(start)s)`: one static text whether or not a bound is given.
_SIGNALS = """
SELECT strategy_id, decision, reason_code, action, slider, created_at
FROM wallet_monitor_signals
WHERE (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
ORDER BY created_at, signal_id
"""

_LATENCIES = """
SELECT EXTRACT(EPOCH FROM (i.submitted_at - s.traded_at))::float8
FROM order_intents i
JOIN wallet_monitor_signals s ON s.strategy_id = i.strategy_id AND s.source_trade_id = i.source_trade_id
WHERE i.submitted_at IS NOT NULL AND s.traded_at IS NOT NULL
  AND (%(start)s::timestamptz IS NULL OR i.created_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR i.created_at < %(end)s)
ORDER BY 1
"""

_REJECTIONS = """
SELECT COALESCE(NULLIF(reason_code, ''), 'unknown') AS reason, count(*)
FROM order_intents
WHERE state = 'REJECTED'
  AND (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
GROUP BY 1 ORDER BY 2 DESC, 1
"""

_REALIZED = """
SELECT strategy_id, filled_at,
       sum(realized_pnl_usd) OVER (PARTITION BY strategy_id ORDER BY filled_at, trade_row_id)
FROM strategy_trades
WHERE (%(start)s::timestamptz IS NULL OR filled_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR filled_at < %(end)s)
ORDER BY strategy_id, filled_at, trade_row_id
"""

_STRATEGIES = """
WITH sig AS (
    SELECT strategy_id, count(*) AS signals, count(*) FILTER (WHERE decision = 'COPY') AS copies
    FROM wallet_monitor_signals
    WHERE (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
    GROUP BY strategy_id
), ord AS (
    SELECT strategy_id, count(*) AS orders, count(*) FILTER (WHERE filled_shares > 0) AS filled,
           count(*) FILTER (WHERE state = 'REJECTED') AS rejected
    FROM order_intents
    WHERE (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
    GROUP BY strategy_id
), fills AS (
    SELECT strategy_id, COALESCE(sum(usd_value) FILTER (WHERE side = 'BUY'), 0) AS bought,
           sum(realized_pnl_usd) AS realized
    FROM strategy_trades
    WHERE (%(start)s::timestamptz IS NULL OR filled_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR filled_at < %(end)s)
    GROUP BY strategy_id
), pos AS (
    SELECT strategy_id, count(*) FILTER (WHERE shares > 0) AS open_positions
    FROM strategy_positions GROUP BY strategy_id
)
SELECT s.strategy_id, s.name, st.balance_usd, COALESCE(st.starting_balance_usd, st.balance_usd) AS starting,
       s.auto_execute_enabled AND s.paused_reason IS NULL AS active, s.paused_reason,
       COALESCE(sig.signals, 0) AS signals, COALESCE(sig.copies, 0) AS copies,
       COALESCE(ord.orders, 0) AS orders, COALESCE(ord.filled, 0) AS filled, COALESCE(ord.rejected, 0) AS rejected,
       COALESCE(fills.bought, 0) AS bought, COALESCE(fills.realized, 0) AS realized,
       COALESCE(pos.open_positions, 0) AS open_positions
FROM strategies s
JOIN strategy_settings st ON st.strategy_id = s.strategy_id
LEFT JOIN sig ON sig.strategy_id = s.strategy_id
LEFT JOIN ord ON ord.strategy_id = s.strategy_id
LEFT JOIN fills ON fills.strategy_id = s.strategy_id
LEFT JOIN pos ON pos.strategy_id = s.strategy_id
ORDER BY s.strategy_id
"""


# The indexer's newest passes in the window (their summaries: requests, rows written, lag).
_INDEXER_RUNS = """
SELECT run_id, started_at, status, summary
FROM indexer_runs
WHERE (%(start)s::timestamptz IS NULL OR started_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR started_at < %(end)s)
ORDER BY started_at DESC, run_id
LIMIT 48
"""
# What a pass wrote, by its summary's key, as the table's columns name it.
_WRITTEN = (("Trades", "trades_written"), ("Markets", "markets_written"), ("Holders", "holders_written"),
            ("Positions", "positions_written"), ("Metrics", "metric_rows_written"))  # fmt: skip


# Open positions at their last mark-to-market price (unrealized P&L is computed by the domain).
_MARKED_POSITIONS = """
SELECT strategy_id, shares, cost_usd, mark_price FROM strategy_positions WHERE shares > 0
"""


class PgReportSource:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def load(self, *, start: datetime | None, end: datetime | None, generated_at: datetime | None) -> ReportModel:
        window = {"start": start, "end": end}
        conn = self._conn
        signals = conn.execute(_SIGNALS, window).fetchall()
        latencies = [float(r[0]) for r in conn.execute(_LATENCIES, window).fetchall() if r[0] is not None]
        rejections = [(str(r[0]), int(r[1])) for r in conn.execute(_REJECTIONS, window).fetchall()]
        realized_rows = conn.execute(_REALIZED, window).fetchall()
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            strategies = cur.execute(_STRATEGIES, window).fetchall()
            index_runs = cur.execute(_INDEXER_RUNS, window).fetchall()
        open_pnl: dict[str, Decimal] = defaultdict(Decimal)
        for sid, shares, cost, mark in conn.execute(_MARKED_POSITIONS).fetchall():
            open_pnl[sid] += positions.unrealized(shares, cost, mark)
        for r in strategies:
            r["unrealized"] = open_pnl[r["strategy_id"]]

        names = {r["strategy_id"]: r["name"] or r["strategy_id"] for r in strategies}
        curves: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        for sid, at, cumulative in realized_rows:
            if start is not None and not curves[sid]:
                curves[sid].append((start, 0.0))
            curves[sid].append((at, float(cumulative)))
        series = tuple(
            Series(f"{names.get(sid, sid)} · realized", sid, tuple(points)) for sid, points in sorted(curves.items())
        )
        return ReportModel(
            title="OmegaCopy live report",
            subtitle=f"{len(strategies)} strategies · {len(signals):,} signals · from PostgreSQL",
            kind="live",
            period_start=start,
            period_end=end,
            generated_at=generated_at,
            cards=_cards(strategies, len(signals), rejections, latencies),
            decisions=tuple(
                DecisionPoint(at, sid, decision, reason, action, slider)
                for sid, decision, reason, action, slider, at in signals
            ),
            pnl=series,
            pnl_note=(
                "Realized P&L per strategy, from the recorded fills. The leaders' comparison needs the "
                "trade history: run `omegacopy backtest` for it."
            ),
            latencies_s=tuple(latencies),
            latency_note="Leader trade (block time) → order submitted to the exchange.",
            rejections=tuple(rejections),
            rejection_note="Order intents in state REJECTED, by reason_code.",
            tables=(_strategy_table(strategies), *((_indexer_table(index_runs),) if index_runs else ())),
            notes=(
                "Signals are bucketed by the time the monitor decided them; unrealized P&L uses the last "
                "mark-to-market price of each open position.",
            ),
        )


def _cards(
    strategies: list[dict[str, Any]], signals: int, rejections: list[tuple[str, int]], latencies: list[float]
) -> tuple[Card, ...]:
    realized = sum((Decimal(r["realized"]) for r in strategies), ZERO)
    unrealized = sum((Decimal(r["unrealized"]) for r in strategies), ZERO)
    copies = sum(int(r["copies"]) for r in strategies)
    orders = sum(int(r["orders"]) for r in strategies)
    filled = sum(int(r["filled"]) for r in strategies)
    median = sorted(latencies)[len(latencies) // 2] if latencies else None
    return (
        Card("Realized P&L", money(realized), "as the executor recorded it", tone(realized)),
        Card("Unrealized P&L", money(unrealized), "open positions at their marks", tone(unrealized)),
        Card("Signals", f"{signals:,}", f"{copies:,} copied, {signals - copies:,} skipped"),
        Card("Orders filled", f"{filled} / {orders}", f"fill rate {ratio(filled, orders)}"),
        Card("Rejected", f"{sum(c for _, c in rejections):,}", "order intents"),
        Card("Median latency", f"{median:.1f} s" if median is not None else "—", "leader trade → order"),
    )


def _strategy_table(strategies: list[dict[str, Any]]) -> Table:
    rows = []
    for r in strategies:
        realized = Decimal(r["realized"])
        unrealized = Decimal(r["unrealized"])
        starting = Decimal(r["starting"])
        total = realized + unrealized
        status = "active" if r["active"] else f"paused: {r['paused_reason']}" if r["paused_reason"] else "disabled"
        rows.append(
            (
                Cell(r["name"] or r["strategy_id"]),
                Cell(status, "" if r["active"] else "muted"),
                num(f"{r['signals']}"),
                num(f"{r['copies']}"),
                num(f"{r['orders']}"),
                num(ratio(int(r["filled"]), int(r["orders"]))),
                num(f"{r['rejected']}"),
                num(money(Decimal(r["bought"]))),
                num(money(realized), tone(realized)),
                num(money(unrealized), tone(unrealized)),
                num(pct(total / starting * 100) if starting > 0 else "—", tone(total)),
                num(money(Decimal(r["balance_usd"]))),
                num(f"{r['open_positions']}"),
            )
        )
    return Table(
        "Strategies",
        (
            "Strategy",
            "Status",
            "Signals",
            "Copies",
            "Orders",
            "Fill rate",
            "Rejected",
            "Bought",
            "Realized",
            "Unrealized",
            "P&L / start",
            "Balance",
            "Open",
        ),
        tuple(rows),
        "P&L / start: realized + unrealized over the strategy's starting balance.",
    )


def _indexer_table(runs: list[dict[str, Any]]) -> Table:
    """The indexer's passes, newest first: what each asked the public APIs and wrote to ClickHouse."""
    rows = []
    for r in runs:
        summary: dict[str, Any] = r["summary"] or {}
        calls: dict[str, Any] = summary.get("requests") or {}
        lag = summary.get("lag_s")
        duration = summary.get("duration_ms")
        rows.append(
            (
                Cell(r["started_at"].strftime("%Y-%m-%d %H:%M:%S")),
                Cell(str(r["status"]), "" if r["status"] == "ok" else "neg"),
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
