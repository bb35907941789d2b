"""The live numbers' rows from PostgreSQL: signals, intents, fills, settlements, positions, leaders
and the indexer's passes, as `reporting.live_numbers.LiveRows` (what they mean is computed there,
how they look is `reporting.live_report`'s).

Read-only; every query is bounded by the optional [start, end) window (on the row's creation, fill
or settlement time); positions are as they are now. Latency is the leader's trade
(`wallet_monitor_signals.traded_at`) to our order (`order_intents.submitted_at`), iceberg slices
included.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from omegacopy.reporting.live_numbers import IndexRunRow, LeaderPnl, LiveRows, MarkedPosition, StrategyRow
from omegacopy.reporting.report_model import DecisionPoint

# `(%(start)s IS NULL OR col >= %(start)s)`: one static text whether or not a bound is given.
_SIGNALS = """
SELECT strategy_id, decision, reason_code, action, slider, created_at
FROM wallet_monitor_signals
WHERE (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
ORDER BY created_at, signal_id
"""

# A paper intent never reaches the exchange: its "order" is the fill model's answer (when it ended).
_LATENCIES = """
SELECT EXTRACT(EPOCH FROM (COALESCE(i.submitted_at, CASE WHEN i.paper THEN i.terminal_at END) - s.traded_at))::float8
FROM order_intents i
JOIN wallet_monitor_signals s ON s.strategy_id = i.strategy_id AND s.source_trade_id = i.source_trade_id
WHERE (i.submitted_at IS NOT NULL OR (i.paper AND i.filled_shares > 0)) AND s.traded_at IS NOT NULL
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

# Realized P&L: the fills' (fee rows included) and the settlements' (a resolved position paid out).
_REALIZED_EVENTS = """
SELECT strategy_id, filled_at AS at, realized_pnl_usd AS pnl FROM strategy_trades
WHERE (%(start)s::timestamptz IS NULL OR filled_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR filled_at < %(end)s)
UNION ALL
SELECT strategy_id, settled_at, realized_pnl_usd FROM position_settlements
WHERE (%(start)s::timestamptz IS NULL OR settled_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR settled_at < %(end)s)
"""
_REALIZED = f"""
SELECT strategy_id, at, sum(pnl) OVER (PARTITION BY strategy_id ORDER BY at ROWS UNBOUNDED PRECEDING)
FROM ({_REALIZED_EVENTS}) e
ORDER BY strategy_id, at
"""  # noqa: S608 - constant text

_STRATEGIES = f"""
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
    SELECT strategy_id, COALESCE(sum(usd_value) FILTER (WHERE side = 'BUY'), 0) AS bought
    FROM strategy_trades
    WHERE (%(start)s::timestamptz IS NULL OR filled_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR filled_at < %(end)s)
    GROUP BY strategy_id
), realized AS (
    SELECT strategy_id, sum(pnl) AS realized FROM ({_REALIZED_EVENTS}) e GROUP BY strategy_id
)
SELECT s.strategy_id, s.name, st.mode = 'paper' AS paper,
       s.auto_execute_enabled AND s.paused_reason IS NULL AS active, s.paused_reason,
       st.balance_usd AS cash, COALESCE(st.starting_balance_usd, st.balance_usd) AS starting,
       COALESCE(sig.signals, 0) AS signals, COALESCE(sig.copies, 0) AS copies,
       COALESCE(ord.orders, 0) AS orders, COALESCE(ord.filled, 0) AS filled, COALESCE(ord.rejected, 0) AS rejected,
       COALESCE(fills.bought, 0) AS bought, COALESCE(realized.realized, 0) AS realized
FROM strategies s
JOIN strategy_settings st ON st.strategy_id = s.strategy_id
LEFT JOIN sig ON sig.strategy_id = s.strategy_id
LEFT JOIN ord ON ord.strategy_id = s.strategy_id
LEFT JOIN fills ON fills.strategy_id = s.strategy_id
LEFT JOIN realized ON realized.strategy_id = s.strategy_id
ORDER BY s.strategy_id
"""  # noqa: S608 - constant text

# Per leader of each strategy: its signals, our copies, and what the fills of those copies bought
# and realized (an exit is the leader's sale, so its realized P&L is that leader's).
_LEADERS = """
WITH sig AS (
    SELECT strategy_id, lower(leader_wallet) AS leader, count(*) AS signals,
           count(*) FILTER (WHERE decision = 'COPY') AS copies
    FROM wallet_monitor_signals
    WHERE (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
    GROUP BY 1, 2
), fills AS (
    SELECT s.strategy_id, lower(s.leader_wallet) AS leader,
           COALESCE(sum(t.usd_value) FILTER (WHERE t.side = 'BUY'), 0) AS bought, sum(t.realized_pnl_usd) AS realized
    FROM strategy_trades t
    JOIN order_intents i ON i.intent_id = t.intent_id
    JOIN wallet_monitor_signals s ON s.strategy_id = i.strategy_id AND s.source_trade_id = i.source_trade_id
    WHERE (%(start)s::timestamptz IS NULL OR t.filled_at >= %(start)s)
      AND (%(end)s::timestamptz IS NULL OR t.filled_at < %(end)s)
    GROUP BY 1, 2
)
SELECT sig.strategy_id, sig.leader, sig.signals, sig.copies, COALESCE(fills.bought, 0), COALESCE(fills.realized, 0)
FROM sig LEFT JOIN fills USING (strategy_id, leader)
ORDER BY 1, 6 DESC, 2
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


# Every position (open ones at their last mark-to-market price).
_POSITIONS = """
SELECT strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd, realized_pnl_usd, mark_price,
       mark_source, paper
FROM strategy_positions ORDER BY strategy_id, token_id
"""


class PgReportSource:
    """Reads the rows the live numbers are computed from (`reporting.live_numbers`); nothing more."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def rows(self, *, start: datetime | None = None, end: datetime | None = None) -> LiveRows:
        window = {"start": start, "end": end}
        conn = self._conn
        signals = conn.execute(_SIGNALS, window).fetchall()
        latencies = [float(r[0]) for r in conn.execute(_LATENCIES, window).fetchall() if r[0] is not None]
        rejections = [(str(r[0]), int(r[1])) for r in conn.execute(_REJECTIONS, window).fetchall()]
        realized = conn.execute(_REALIZED, window).fetchall()
        leaders = conn.execute(_LEADERS, window).fetchall()
        positions = conn.execute(_POSITIONS).fetchall()
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            strategies = cur.execute(_STRATEGIES, window).fetchall()
            index_runs = cur.execute(_INDEXER_RUNS, window).fetchall()
        return LiveRows(
            start=start,
            end=end,
            decisions=tuple(
                DecisionPoint(at, sid, decision, reason, action, slider)
                for sid, decision, reason, action, slider, at in signals
            ),
            latencies_s=tuple(latencies),
            rejections=tuple(rejections),
            realized_points=tuple((sid, at, Decimal(v)) for sid, at, v in realized),
            strategies=tuple(
                StrategyRow(
                    strategy_id=r["strategy_id"],
                    name=r["name"] or r["strategy_id"],
                    paper=bool(r["paper"]),
                    active=bool(r["active"]),
                    paused_reason=r["paused_reason"],
                    cash_usd=Decimal(r["cash"]),
                    starting_usd=Decimal(r["starting"]),
                    signals=int(r["signals"]),
                    copies=int(r["copies"]),
                    orders=int(r["orders"]),
                    filled=int(r["filled"]),
                    rejected=int(r["rejected"]),
                    bought_usd=Decimal(r["bought"]),
                    realized_usd=Decimal(r["realized"]),
                )
                for r in strategies
            ),
            positions=tuple(MarkedPosition(*r) for r in positions),
            leaders=tuple(LeaderPnl(sid, w, int(n), int(c), Decimal(b), Decimal(p)) for sid, w, n, c, b, p in leaders),
            index_runs=tuple(
                IndexRunRow(r["run_id"], r["started_at"], str(r["status"]), r["summary"] or {}) for r in index_runs
            ),
        )
