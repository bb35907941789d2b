"""The executor's PostgreSQL: intent rows under a row lock, fills, positions, balances, signals.

Every state change of an intent happens in a transaction that holds `SELECT … FOR UPDATE` on its
row, so two deliveries of the same message serialise instead of racing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.adapters.pg_intent_rows import (
    INTENT_AND_PROGRESS_SELECT,
    INTENT_COLUMNS,
    intent_from_row,
    intent_values,
    progress_from_row,
)
from omegacopy.domain.intent import (
    RECONCILABLE_STATES,
    Intent,
    IntentProgress,
    IntentState,
    Submission,
)
from omegacopy.domain.money import ZERO
from omegacopy.domain.paper_fill import PAPER_ORDER_PREFIX
from omegacopy.domain.positions import BookedFill, Position
from omegacopy.ports import OpenPosition, PositionMark, RiskInputs, StrategyBook

_RECONCILABLE_SQL = ", ".join(f"'{s.value}'" for s in sorted(RECONCILABLE_STATES))
_UNSETTLED_SQL = ", ".join(f"'{s.value}'" for s in (IntentState.SUBMITTING, IntentState.UNKNOWN))
# Orders signed and at (or on their way to) the exchange: what they may still fill is spoken for.
_HOLDING_SQL = ", ".join(f"'{s.value}'" for s in (IntentState.SUBMITTING, IntentState.UNKNOWN, IntentState.ACCEPTED))
_INSERT_INTENT = (
    f"INSERT INTO order_intents ({', '.join(INTENT_COLUMNS)})"  # noqa: S608 - constant column names
    f" VALUES ({', '.join(f'%({c})s' for c in INTENT_COLUMNS)}) ON CONFLICT DO NOTHING"
)


class PgIntentTransaction:
    def __init__(self, conn: psycopg.Connection[Any], intent: Intent, progress: IntentProgress) -> None:
        self._conn = conn
        self.intent = intent
        self.progress = progress

    def risk_inputs(self) -> RiskInputs:
        i = self.intent
        row = self._conn.execute(
            f"""
            SELECT st.balance_usd, COALESCE(st.starting_balance_usd, st.balance_usd),
              COALESCE((SELECT shares FROM strategy_positions
                        WHERE strategy_id = %(s)s AND token_id = %(t)s), 0),
              COALESCE((SELECT sum(cost_usd) FROM strategy_positions
                        WHERE strategy_id = %(s)s AND condition_id = %(c)s), 0),
              COALESCE((SELECT sum(realized_pnl_usd) FROM strategy_trades
                        WHERE strategy_id = %(s)s AND filled_at >= date_trunc('day', now())), 0),
              COALESCE((SELECT sum(GREATEST(usd_amount - filled_usd, 0)) FROM order_intents
                        WHERE strategy_id = %(s)s AND action = 'BUY' AND state IN ({_HOLDING_SQL})
                          AND intent_id <> %(i)s), 0),
              COALESCE((SELECT sum(GREATEST(COALESCE(order_size, shares) - filled_shares, 0)) FROM order_intents
                        WHERE strategy_id = %(s)s AND action = 'SELL' AND token_id = %(t)s
                          AND state IN ({_HOLDING_SQL}) AND intent_id <> %(i)s), 0)
            FROM strategy_settings st WHERE st.strategy_id = %(s)s
            """,  # noqa: S608 - constant state names
            {"s": i.strategy_id, "t": i.draft.token_id, "c": i.draft.condition_id, "i": i.intent_id},
        ).fetchone()
        if row is None:
            raise LookupError(f"strategy {i.strategy_id} has no settings")
        return RiskInputs(*row)

    def _position_row(self) -> tuple[Any, ...] | None:
        return self._conn.execute(
            "SELECT shares, cost_usd, realized_pnl_usd, paper FROM strategy_positions"
            " WHERE strategy_id = %s AND token_id = %s FOR UPDATE",
            (self.intent.strategy_id, self.intent.draft.token_id),
        ).fetchone()

    def position(self) -> Position:
        row = self._position_row()
        if row is None or (row[3] != self.intent.paper and row[0] == 0):
            return Position()  # none yet, or a flat one of the other mode: this mode starts afresh
        return Position(row[0], row[1], row[2])

    def position_is_paper(self) -> bool | None:
        row = self._position_row()
        return bool(row[3]) if row is not None and row[0] > 0 else None

    def mark_submitting(self, submission: Submission) -> None:
        self._conn.execute(
            "UPDATE order_intents SET state = %s, order_hash = %s, order_body = %s, signed_order = %s::jsonb,"
            " order_type = %s, order_size = %s, expiration = %s, salt = %s, order_timestamp_ms = %s,"
            " submitted_at = now(), attempts = attempts + 1, updated_at = now() WHERE intent_id = %s",
            (
                IntentState.SUBMITTING,
                submission.order_hash,
                submission.order_body,
                submission.order_body,
                submission.order_type,
                submission.order_size,
                submission.expiration,
                submission.salt,
                submission.timestamp_ms,
                self.intent.intent_id,
            ),
        )
        self._set_signal_status(IntentState.SUBMITTING)
        self.progress = replace(self.progress, state=IntentState.SUBMITTING, submission=submission)

    def finish(self, state: IntentState, *, reason_code: str, message: str, exchange_status: str | None = None) -> None:
        self._conn.execute(
            "UPDATE order_intents SET state = %s, reason_code = %s, last_error = %s,"
            " exchange_status = COALESCE(%s, exchange_status), updated_at = now(),"
            " terminal_at = CASE WHEN %s THEN now() ELSE terminal_at END WHERE intent_id = %s",
            (state, reason_code, message[:1000], exchange_status, state.is_terminal, self.intent.intent_id),
        )
        self._set_signal_status(state)
        self.progress = replace(self.progress, state=state)

    def _set_signal_status(self, state: IntentState) -> None:
        self._conn.execute(
            "UPDATE wallet_monitor_signals SET execution_status = %s WHERE intent_id = %s",
            (state, self.intent.intent_id),
        )

    def record_fill(self, booked: BookedFill, *, exchange_status: str | None, fee_usd: Decimal = ZERO) -> None:
        i, after = self.intent, booked.position
        self._conn.execute(
            "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd,"
            " realized_pnl_usd, paper) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (strategy_id, token_id) DO UPDATE SET shares = EXCLUDED.shares,"
            " avg_entry_price = EXCLUDED.avg_entry_price, cost_usd = EXCLUDED.cost_usd,"
            " realized_pnl_usd = EXCLUDED.realized_pnl_usd, paper = EXCLUDED.paper, updated_at = now()",
            (
                i.strategy_id,
                i.draft.token_id,
                i.draft.condition_id,
                after.shares,
                booked.avg_entry_price,
                after.cost_usd,
                after.realized_pnl_usd,
                i.paper,
            ),
        )
        self._conn.execute(
            "UPDATE strategy_settings SET balance_usd = balance_usd + %s, updated_at = now() WHERE strategy_id = %s",
            (booked.cash_usd - fee_usd, i.strategy_id),
        )
        submission = self.progress.submission
        assert submission is not None or i.paper  # only a signed order fills, or the fill model
        self._conn.execute(
            "INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side, price,"
            " shares, usd_value, fee_usd, realized_pnl_usd, paper)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                i.strategy_id,
                i.intent_id,
                submission.order_hash if submission is not None else PAPER_ORDER_PREFIX + i.intent_id,
                booked.trade_id,
                i.draft.token_id,
                booked.side.wire,
                booked.price,
                booked.shares,
                booked.usd,
                fee_usd,
                booked.realized_pnl_usd - fee_usd,
                i.paper,
            ),
        )
        filled = booked.filled
        self._conn.execute(
            "UPDATE order_intents SET filled_shares = %s, filled_usd = %s, filled_trade_ids = %s,"
            " exchange_status = COALESCE(%s, exchange_status), updated_at = now() WHERE intent_id = %s",
            (filled.total_shares, filled.total_usd, list(filled.trade_ids), exchange_status, i.intent_id),
        )
        self.progress = replace(self.progress, filled=filled)

    def note_reconcile_miss(self) -> int:
        row = self._conn.execute(
            "UPDATE order_intents SET reconcile_attempts = reconcile_attempts + 1, updated_at = now()"
            " WHERE intent_id = %s RETURNING reconcile_attempts",
            (self.intent.intent_id,),
        ).fetchone()
        return int(row[0]) if row else 0


class PgExecutorStore:
    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)

    def connection(self) -> psycopg.Connection[Any]:
        return self._pg.get()

    @contextmanager
    def locked(self, intent_id: str) -> Iterator[PgIntentTransaction | None]:
        conn = self.connection()
        try:
            with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                row = cur.execute(
                    f"SELECT {INTENT_AND_PROGRESS_SELECT} FROM order_intents"  # noqa: S608 - constant columns
                    " WHERE intent_id = %s::uuid FOR UPDATE",
                    (intent_id,),
                ).fetchone()
                yield PgIntentTransaction(conn, intent_from_row(row), progress_from_row(row)) if row else None
        except psycopg.OperationalError:
            self.close()
            raise

    def reconcilable(self, *, older_than: datetime, limit: int) -> list[str]:
        rows = (
            self.connection()
            .execute(
                # In-flight orders first: their fate is unknown, resting ones only need fills pulled.
                f"SELECT intent_id::text FROM order_intents WHERE state IN ({_RECONCILABLE_SQL})"  # noqa: S608
                f" AND updated_at < %s ORDER BY state NOT IN ({_UNSETTLED_SQL}), updated_at LIMIT %s",
                (older_than, limit),
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def stale_new(self, *, created_before: datetime, limit: int) -> list[str]:
        rows = (
            self.connection()
            .execute(
                "SELECT intent_id::text FROM order_intents WHERE state = %s AND created_at < %s"
                " ORDER BY created_at LIMIT %s",
                (IntentState.NEW, created_before, limit),
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def postpone(self, intent_id: str) -> None:
        """Move a row that failed to reconcile to the back of the queue, so it cannot starve others."""
        self.connection().execute(
            "UPDATE order_intents SET updated_at = now() WHERE intent_id = %s::uuid", (intent_id,)
        )

    def close(self) -> None:
        self._pg.close()


_OPEN_POSITIONS = """
SELECT p.strategy_id, s.wallet_id, p.token_id, p.shares, p.cost_usd, p.condition_id,
       st.stop_loss_pct, st.take_profit_pct, st.slippage_ceiling, p.paper
FROM strategy_positions p
JOIN strategies s ON s.strategy_id = p.strategy_id
JOIN strategy_settings st ON st.strategy_id = p.strategy_id
WHERE p.shares > 0 ORDER BY 1, 3
"""
_STRATEGY_BOOKS = """
SELECT st.strategy_id, st.balance_usd, COALESCE(st.starting_balance_usd, st.balance_usd),
       COALESCE((SELECT sum(realized_pnl_usd) FROM strategy_trades t
                 WHERE t.strategy_id = st.strategy_id AND t.filled_at >= date_trunc('day', now())), 0),
       st.peak_equity_usd, st.day_start_equity_usd, st.day_started_on
FROM strategy_settings st JOIN strategies s ON s.strategy_id = st.strategy_id ORDER BY 1
"""


class PgPortfolioStore:
    """Marks, equity inputs and auto-pause for mark-to-market (shares the executor's connection)."""

    def __init__(self, store: PgExecutorStore) -> None:
        self._store = store

    def open_positions(self) -> list[OpenPosition]:
        return [OpenPosition(*r) for r in self._store.connection().execute(_OPEN_POSITIONS).fetchall()]

    def strategy_books(self) -> list[StrategyBook]:
        return [StrategyBook(*r) for r in self._store.connection().execute(_STRATEGY_BOOKS).fetchall()]

    def save_marks(self, marks: Mapping[tuple[str, str], PositionMark]) -> None:
        conn = self._store.connection()
        with conn.transaction(), conn.cursor() as cur:
            # an unpriced position keeps its last price on record, marked as such
            cur.executemany(
                "UPDATE strategy_positions SET mark_price = COALESCE(%s, mark_price), mark_source = %s,"
                " marked_at = now(), updated_at = now() WHERE strategy_id = %s AND token_id = %s",
                [(mark.price, mark.source, sid, token) for (sid, token), mark in marks.items()],
            )

    def save_equity(self, strategy_id: str, *, peak_usd: Decimal, day_start_usd: Decimal, day: date) -> None:
        self._store.connection().execute(
            "UPDATE strategy_settings SET peak_equity_usd = %s, day_start_equity_usd = %s, day_started_on = %s"
            " WHERE strategy_id = %s",
            (peak_usd, day_start_usd, day, strategy_id),
        )

    def queue_exit(self, intent: Intent) -> bool:
        cur = self._store.connection().execute(_INSERT_INTENT, intent_values(intent))
        return cur.rowcount == 1

    def pause_strategy(self, strategy_id: str, reason: str) -> bool:
        cur = self._store.connection().execute(
            "UPDATE strategies SET paused_reason = %s WHERE strategy_id = %s AND paused_reason IS NULL",
            (reason, strategy_id),
        )
        return cur.rowcount == 1
