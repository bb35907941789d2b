"""The daily summary's numbers from PostgreSQL, read in one repeatable-read transaction (so the
parts agree with one another): per strategy, realized P&L of the fills in the window, unrealized
P&L of the open positions at their last marks, copies, skips and fills (paper strategies marked as
such: their P&L stays out of the totals); skips by reason; and per
leader the copies and skips of their trades and what our fills of those copies bought and realized.

A fill is its leader's through its intent's source trade (`order_intents.source_trade_id` →
`wallet_monitor_signals`); an exit our own stop-loss or take-profit made has no leader and counts
for its strategy only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.domain import positions
from omegacopy.domain.money import ZERO
from omegacopy.domain.notifications import DailySummary, LeaderDay, StrategyDay, top_leaders

_STRATEGIES = """
WITH sig AS (
    SELECT strategy_id, count(*) FILTER (WHERE decision = 'COPY') AS copies,
           count(*) FILTER (WHERE decision = 'SKIP') AS skips
    FROM wallet_monitor_signals WHERE created_at >= %(start)s AND created_at < %(end)s
    GROUP BY strategy_id
), fills AS (
    SELECT strategy_id, count(*) AS fills, sum(realized_pnl_usd) AS realized
    FROM strategy_trades WHERE filled_at >= %(start)s AND filled_at < %(end)s
    GROUP BY strategy_id
)
SELECT s.strategy_id, s.name, s.auto_execute_enabled AS enabled, s.paused_reason, st.mode = 'paper' AS paper,
       COALESCE(st.starting_balance_usd, st.balance_usd, 0) AS capital,
       COALESCE(sig.copies, 0) AS copies, COALESCE(sig.skips, 0) AS skips,
       COALESCE(fills.fills, 0) AS fills, COALESCE(fills.realized, 0) AS realized
FROM strategies s
LEFT JOIN strategy_settings st ON st.strategy_id = s.strategy_id
LEFT JOIN sig ON sig.strategy_id = s.strategy_id
LEFT JOIN fills ON fills.strategy_id = s.strategy_id
WHERE s.auto_execute_enabled OR sig.strategy_id IS NOT NULL OR fills.strategy_id IS NOT NULL
ORDER BY s.strategy_id
"""

_OPEN_POSITIONS = "SELECT strategy_id, shares, cost_usd, mark_price FROM strategy_positions WHERE shares > 0"

_SKIP_REASONS = """
SELECT reason_code, count(*) AS n FROM wallet_monitor_signals
WHERE decision = 'SKIP' AND created_at >= %(start)s AND created_at < %(end)s
GROUP BY reason_code ORDER BY n DESC, reason_code
"""

_LEADER_SIGNALS = """
SELECT leader_wallet, count(*) FILTER (WHERE decision = 'COPY') AS copies,
       count(*) FILTER (WHERE decision = 'SKIP') AS skips
FROM wallet_monitor_signals WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY leader_wallet
"""

_LEADER_FILLS = """
SELECT sg.leader_wallet,
       COALESCE(sum(t.usd_value) FILTER (WHERE t.side = 'BUY'), 0) AS bought,
       COALESCE(sum(t.realized_pnl_usd), 0) AS realized
FROM strategy_trades t
JOIN order_intents i ON i.intent_id = t.intent_id
JOIN wallet_monitor_signals sg ON sg.strategy_id = i.strategy_id AND sg.source_trade_id = i.source_trade_id
WHERE t.filled_at >= %(start)s AND t.filled_at < %(end)s
GROUP BY sg.leader_wallet
"""


class PgDailySummary:
    def __init__(self, url: str, *, statement_timeout_ms: int = 15_000, connect_timeout_s: int = 5) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)

    def daily_summary(self, start: datetime, end: datetime) -> DailySummary:
        conn = self._pg.get()
        try:
            return read_summary(conn, start, end)
        except BaseException:
            self._pg.close()  # start clean next time
            raise


def read_summary(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> DailySummary:
    window = {"start": start, "end": end}
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        strategies = cur.execute(_STRATEGIES, window).fetchall()
        open_positions = cur.execute(_OPEN_POSITIONS).fetchall()
        reasons = cur.execute(_SKIP_REASONS, window).fetchall()
        leader_signals = cur.execute(_LEADER_SIGNALS, window).fetchall()
        leader_fills = cur.execute(_LEADER_FILLS, window).fetchall()
    unrealized: dict[str, Decimal] = defaultdict(Decimal)
    for p in open_positions:
        unrealized[p["strategy_id"]] += positions.unrealized(p["shares"], p["cost_usd"], p["mark_price"])
    days = tuple(
        StrategyDay(
            strategy_id=r["strategy_id"],
            name=r["name"] or r["strategy_id"],
            state=_state(r["enabled"], r["paused_reason"]),
            capital_usd=Decimal(r["capital"]),
            realized_pnl_usd=Decimal(r["realized"]),
            unrealized_pnl_usd=unrealized.get(r["strategy_id"], ZERO),
            copies=int(r["copies"]),
            skips=int(r["skips"]),
            fills=int(r["fills"]),
            paper=bool(r["paper"]),
        )
        for r in strategies
    )
    signals = {r["leader_wallet"]: r for r in leader_signals}
    fills = {r["leader_wallet"]: r for r in leader_fills}  # a copy decided before the window may fill in it
    leaders = [
        LeaderDay(
            wallet=wallet,
            copies=int(signals[wallet]["copies"]) if wallet in signals else 0,
            skips=int(signals[wallet]["skips"]) if wallet in signals else 0,
            bought_usd=Decimal(fills[wallet]["bought"]) if wallet in fills else ZERO,
            realized_pnl_usd=Decimal(fills[wallet]["realized"]) if wallet in fills else ZERO,
        )
        for wallet in signals.keys() | fills.keys()
    ]
    return DailySummary(
        start=start,
        end=end,
        strategies=days,
        skip_reasons=tuple((str(r["reason_code"]), int(r["n"])) for r in reasons),
        leaders=top_leaders(leaders),
    )


def _state(enabled: bool, paused_reason: str | None) -> str:
    if not enabled:
        return "disabled"
    return f"paused: {paused_reason}" if paused_reason else "active"
