"""The executor's PostgreSQL: intent rows under a row lock, fills, positions, balances, signals.

Every state change of an intent happens in a transaction that holds `SELECT … FOR UPDATE` on its
row, so two deliveries of the same message serialise instead of racing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.domain.order_amounts import OrderSide
from omegacopy.domain.positions import Position, apply_fill
from omegacopy.ports import Fill, IntentRecord, IntentRow, OpenPosition, StrategyBook, Submission

_ZERO = Decimal("0")

_INTENT_COLUMNS = """
intent_id::text AS intent_id, strategy_id, wallet_id, source_trade_id, correlation_id, action, is_exit, token_id,
condition_id, neg_risk, usd_amount, shares, leader_price, worst_price, order_style, state, created_at, updated_at,
order_hash, order_body, order_type, order_size, expiration, filled_shares, filled_usd, reconcile_attempts,
submitted_at
"""


class PgIntentTransaction:
    def __init__(self, conn: psycopg.Connection[Any], intent: IntentRecord) -> None:
        self._conn = conn
        self.intent = intent

    def risk_inputs(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        i = self.intent
        row = self._conn.execute(
            """
            SELECT st.balance_usd, COALESCE(st.starting_balance_usd, st.balance_usd),
              COALESCE((SELECT shares FROM strategy_positions
                        WHERE strategy_id = %(s)s AND token_id = %(t)s), 0),
              COALESCE((SELECT sum(cost_usd) FROM strategy_positions
                        WHERE strategy_id = %(s)s AND condition_id = %(c)s), 0),
              COALESCE((SELECT sum(realized_pnl_usd) FROM strategy_trades
                        WHERE strategy_id = %(s)s AND filled_at >= date_trunc('day', now())), 0)
            FROM strategy_settings st WHERE st.strategy_id = %(s)s
            """,
            {"s": i.strategy_id, "t": i.token_id, "c": i.condition_id},
        ).fetchone()
        if row is None:
            raise LookupError(f"strategy {i.strategy_id} has no settings")
        return row[0], row[1], row[2], row[3], row[4]

    def mark_submitting(self, submission: Submission) -> None:
        self._conn.execute(
            "UPDATE order_intents SET state = 'SUBMITTING', order_hash = %s, order_body = %s, signed_order = %s::jsonb,"
            " order_type = %s, order_size = %s, expiration = %s, salt = %s, order_timestamp_ms = %s,"
            " submitted_at = now(), attempts = attempts + 1, updated_at = now() WHERE intent_id = %s",
            (
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
        self._set_signal_status("SUBMITTING")

    def finish(self, state: str, *, reason_code: str, message: str, exchange_status: str | None = None) -> None:
        terminal = state in ("FILLED", "PARTIALLY_FILLED", "REJECTED", "CANCELLED", "EXPIRED")
        self._conn.execute(
            "UPDATE order_intents SET state = %s, reason_code = %s, last_error = %s,"
            " exchange_status = COALESCE(%s, exchange_status), updated_at = now(),"
            " terminal_at = CASE WHEN %s THEN now() ELSE terminal_at END WHERE intent_id = %s",
            (state, reason_code, message[:1000], exchange_status, terminal, self.intent.intent_id),
        )
        self._set_signal_status(state)

    def _set_signal_status(self, state: str) -> None:
        self._conn.execute(
            "UPDATE wallet_monitor_signals SET execution_status = %s WHERE intent_id = %s",
            (state, self.intent.intent_id),
        )

    def record_fill(self, fill: Fill, *, exchange_status: str | None) -> Decimal:
        """Apply what `fill` adds beyond what is recorded: idempotent by construction (the delta of
        a cumulative observation), so a reply and a later reconcile never count a fill twice."""
        i = self.intent
        new_shares = fill.total_shares - i.filled_shares
        new_usd = fill.total_usd - i.filled_usd
        if new_shares <= 0:
            return _ZERO
        side = OrderSide.SELL if i.action == "SELL" else OrderSide.BUY
        pos_row = self._conn.execute(
            "SELECT shares, cost_usd, realized_pnl_usd FROM strategy_positions"
            " WHERE strategy_id = %s AND token_id = %s FOR UPDATE",
            (i.strategy_id, i.token_id),
        ).fetchone()
        before = Position(*pos_row) if pos_row else Position()
        after = apply_fill(before, side, new_shares, new_usd)
        realized = after.realized_pnl_usd - before.realized_pnl_usd
        self._conn.execute(
            "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd,"
            " realized_pnl_usd) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (strategy_id, token_id) DO UPDATE SET shares = EXCLUDED.shares,"
            " avg_entry_price = EXCLUDED.avg_entry_price, cost_usd = EXCLUDED.cost_usd,"
            " realized_pnl_usd = EXCLUDED.realized_pnl_usd, updated_at = now()",
            (
                i.strategy_id,
                i.token_id,
                i.condition_id,
                after.shares,
                after.avg_entry_price.quantize(Decimal("0.000001")),
                after.cost_usd,
                after.realized_pnl_usd,
            ),
        )
        cash = -new_usd if side is OrderSide.BUY else new_usd
        self._conn.execute(
            "UPDATE strategy_settings SET balance_usd = balance_usd + %s, updated_at = now() WHERE strategy_id = %s",
            (cash, i.strategy_id),
        )
        self._conn.execute(
            "INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side, price,"
            " shares, usd_value, realized_pnl_usd) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                i.strategy_id,
                i.intent_id,
                i.order_hash,
                f"{i.order_hash}#{fill.total_shares}",
                i.token_id,
                i.action,
                (new_usd / new_shares).quantize(Decimal("0.000001")),
                new_shares,
                new_usd,
                realized,
            ),
        )
        self._conn.execute(
            "UPDATE order_intents SET filled_shares = %s, filled_usd = %s,"
            " exchange_status = COALESCE(%s, exchange_status), updated_at = now() WHERE intent_id = %s",
            (fill.total_shares, fill.total_usd, exchange_status, i.intent_id),
        )
        self.intent = _replace_fill(i, fill)
        return new_shares

    def note_reconcile_miss(self) -> int:
        row = self._conn.execute(
            "UPDATE order_intents SET reconcile_attempts = reconcile_attempts + 1, updated_at = now()"
            " WHERE intent_id = %s RETURNING reconcile_attempts",
            (self.intent.intent_id,),
        ).fetchone()
        return int(row[0]) if row else 0


def _replace_fill(intent: IntentRecord, fill: Fill) -> IntentRecord:
    from dataclasses import replace  # noqa: PLC0415

    return replace(intent, filled_shares=fill.total_shares, filled_usd=fill.total_usd)


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
                    f"SELECT {_INTENT_COLUMNS} FROM order_intents WHERE intent_id = %s::uuid FOR UPDATE",  # noqa: S608
                    (intent_id,),
                ).fetchone()
                yield PgIntentTransaction(conn, IntentRecord(**row)) if row else None
        except psycopg.OperationalError:
            self.close()
            raise

    def reconcilable(self, *, older_than: datetime, limit: int) -> list[str]:
        rows = (
            self.connection()
            .execute(
                # In-flight orders first: their fate is unknown, resting ones only need fills pulled.
                "SELECT intent_id::text FROM order_intents WHERE state IN ('SUBMITTING', 'UNKNOWN', 'ACCEPTED', 'LOST')"
                " AND updated_at < %s ORDER BY state NOT IN ('SUBMITTING', 'UNKNOWN'), updated_at LIMIT %s",
                (older_than, limit),
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


class PgPortfolioStore:
    """Marks, equity inputs and auto-pause for mark-to-market (shares the executor's connection)."""

    def __init__(self, store: PgExecutorStore) -> None:
        self._store = store

    def open_positions(self) -> list[OpenPosition]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT p.strategy_id, s.wallet_id, p.token_id, p.shares, p.cost_usd, p.condition_id,"
                " st.stop_loss_pct, st.take_profit_pct, st.slippage_ceiling FROM strategy_positions p"
                " JOIN strategies s ON s.strategy_id = p.strategy_id"
                " JOIN strategy_settings st ON st.strategy_id = p.strategy_id WHERE p.shares > 0 ORDER BY 1, 3"
            )
            .fetchall()
        )
        return [OpenPosition(*r) for r in rows]

    def strategy_books(self) -> list[StrategyBook]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT st.strategy_id, st.balance_usd, COALESCE(st.starting_balance_usd, st.balance_usd),"
                " COALESCE((SELECT sum(realized_pnl_usd) FROM strategy_trades t WHERE t.strategy_id = st.strategy_id"
                " AND t.filled_at >= date_trunc('day', now())), 0)"
                " FROM strategy_settings st JOIN strategies s ON s.strategy_id = st.strategy_id ORDER BY 1"
            )
            .fetchall()
        )
        return [StrategyBook(*r) for r in rows]

    def save_marks(self, marks: Mapping[tuple[str, str], Decimal]) -> None:
        conn = self._store.connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "UPDATE strategy_positions SET mark_price = %s, updated_at = now()"
                " WHERE strategy_id = %s AND token_id = %s",
                [(price, sid, token) for (sid, token), price in marks.items()],
            )

    def queue_exit(self, intent: IntentRow) -> bool:
        cur = self._store.connection().execute(
            "INSERT INTO order_intents (intent_id, strategy_id, wallet_id, source_trade_id, correlation_id, action,"
            " is_exit, token_id, condition_id, neg_risk, usd_amount, shares, leader_price, worst_price, order_style)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                intent.intent_id, intent.strategy_id, intent.wallet_id, intent.source_trade_id,
                intent.correlation_id, intent.action, intent.is_exit, intent.token_id, intent.condition_id,
                intent.neg_risk, intent.usd_amount, intent.shares, intent.leader_price, intent.worst_price,
                intent.order_style,
            ),
        )  # fmt: skip
        return cur.rowcount == 1

    def pause_strategy(self, strategy_id: str, reason: str) -> bool:
        cur = self._store.connection().execute(
            "UPDATE strategies SET paused_reason = %s WHERE strategy_id = %s AND paused_reason IS NULL",
            (reason, strategy_id),
        )
        return cur.rowcount == 1
