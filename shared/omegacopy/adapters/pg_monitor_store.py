"""The wallet monitor's PostgreSQL: strategies, cursor, seen trades, OWRR cache, signals, intents.

One connection per tick, reused across warm invocations. The tick lock is a session-level
advisory lock, so a Lambda that dies mid-tick releases it when its connection drops.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import ValidationError

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.adapters.pg_intent_rows import (
    INTENT_COLUMNS,
    INTENT_SELECT,
    INTENT_TYPES,
    intent_from_row,
    intent_values,
)
from omegacopy.domain.intent import RESERVING_STATES, Intent, IntentState
from omegacopy.domain.models import PortfolioState, PositionHolding
from omegacopy.domain.owrr import OwrrResult
from omegacopy.observability import logger, metrics
from omegacopy.ports import (
    CachedOwrr,
    FollowedStrategy,
    TickWrite,
    TickWriteResult,
)
from omegacopy.strategy_settings import describe_errors, settings_from_row

TICK_LOCK_KEY = 0x0C0_7100  # one monitor tick at a time, per database
# Seen-trade ids are only needed for as long as the overlap window can re-read them.
SEEN_RETENTION = "1 day"

# One round trip; each side table is aggregated once (not per strategy), so the plan stays a few
# hash joins whatever the planner's statistics say.
_LOAD_STRATEGIES = """
WITH watched AS (
    SELECT strategy_id, array_agg(wallet_address) AS wallets
    FROM strategy_watchlist_items WHERE status = 'WATCHING' GROUP BY strategy_id
), holdings AS (
    SELECT strategy_id, json_agg(json_build_object(
        'token_id', token_id, 'condition_id', condition_id,
        'shares', shares::text, 'cost_usd', cost_usd::text)) AS items
    FROM strategy_positions WHERE shares > 0 GROUP BY strategy_id
), pending AS (
    SELECT strategy_id, json_agg(json_build_object(
        'token_id', token_id, 'condition_id', condition_id,
        'usd', GREATEST(usd_amount - filled_usd, 0)::text)) AS items
    FROM order_intents WHERE NOT is_exit AND state IN ({reserving}) GROUP BY strategy_id
)
SELECT s.strategy_id, s.name, s.wallet_id, s.paused_reason, st.*,
       COALESCE(w.wallets, '{}') AS watched,
       COALESCE(h.items, '[]') AS holdings,
       COALESCE(p.items, '[]') AS pending
FROM strategies s
JOIN strategy_settings st ON st.strategy_id = s.strategy_id
LEFT JOIN watched w ON w.strategy_id = s.strategy_id
LEFT JOIN holdings h ON h.strategy_id = s.strategy_id
LEFT JOIN pending p ON p.strategy_id = s.strategy_id
WHERE s.auto_execute_enabled  -- paused ones too: they still follow their leaders' exits
ORDER BY s.strategy_id
""".replace("{reserving}", ", ".join(f"'{s.value}'" for s in sorted(RESERVING_STATES)))

_SIGNAL_COLUMNS = (
    "strategy_id", "source_trade_id", "leader_wallet", "decision", "reason_code", "reason",
    "correlation_id", "condition_id", "token_id", "outcome", "action", "leader_price", "leader_shares",
    "leader_usd", "traded_at", "owrr", "slider", "confidence", "intent_id",
)  # fmt: skip
_SIGNAL_TYPES = (
    "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "numeric",
    "numeric", "numeric", "timestamptz", "float8", "int4", "text", "uuid",
)  # fmt: skip


def _recordset_insert(table: str, columns: Sequence[str], types: Sequence[str], conflict: str) -> str:
    # One JSON parameter per batch: json.dumps is C-fast, where psycopg's per-value array dumping
    # dominated the tick at thousands of rows.
    cols = ", ".join(columns)
    shape = ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
    return (
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM jsonb_to_recordset(%s::jsonb) AS r({shape})"  # noqa: S608 - constants
        f" ON CONFLICT {conflict} DO NOTHING"
    )


_INSERT_SIGNALS = _recordset_insert(
    "wallet_monitor_signals", _SIGNAL_COLUMNS, _SIGNAL_TYPES, "(strategy_id, source_trade_id)"
)
_INSERT_INTENTS = _recordset_insert("order_intents", INTENT_COLUMNS, INTENT_TYPES, "(intent_id)")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # Decimal keeps its exact text; PostgreSQL parses it as numeric


def _recordset(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(rows), default=_json_default)


class PgMonitorSession:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._locked = False

    def try_lock(self) -> bool:
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (TICK_LOCK_KEY,)).fetchone()
        self._locked = bool(row and row[0])
        return self._locked

    def release(self) -> None:
        if self._locked:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (TICK_LOCK_KEY,))
            self._locked = False

    def load_strategies(self) -> list[FollowedStrategy]:
        with self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(_LOAD_STRATEGIES).fetchall()
        followed: list[FollowedStrategy] = []
        for r in rows:
            try:
                followed.append(_followed(r))
            except ValidationError as exc:
                # a row the CLI would refuse (written by hand): skip it, loudly, and trade the others
                metrics.add_metric(name="StrategyInvalid", unit="Count", value=1)
                logger.error(
                    "strategy skipped: its settings do not validate",
                    extra={"strategy_id": r["strategy_id"], "error": describe_errors(exc)},
                )
        return followed

    def get_cursor(self, source: str) -> datetime | None:
        row = self._conn.execute("SELECT watermark FROM monitor_cursor WHERE source = %s", (source,)).fetchone()
        return row[0] if row else None

    def unseen(self, source: str, trade_ids: Sequence[str]) -> set[str]:
        rows = self._conn.execute(
            "SELECT t FROM unnest(%s::text[]) AS t WHERE NOT EXISTS ("
            " SELECT 1 FROM monitor_seen_trades s WHERE s.source = %s AND s.trade_id = t)",
            (list(trade_ids), source),
        ).fetchall()
        return {r[0] for r in rows}

    def cached_owrr(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], CachedOwrr]:
        rows = self._conn.execute(
            "SELECT o.condition_id, o.category, o.result, o.computed_at FROM owrr_snapshots o"
            " JOIN unnest(%s::text[], %s::text[]) AS k(cid, cat) ON o.condition_id = k.cid AND o.category = k.cat",
            ([k[0] for k in keys], [k[1] for k in keys]),
        ).fetchall()
        return {(r[0], r[1]): CachedOwrr(OwrrResult.from_dict(r[2]), r[3]) for r in rows}

    def store_owrr(self, rows: Sequence[tuple[str, str, OwrrResult]], computed_at: datetime) -> None:
        if not rows:
            return
        self._conn.execute(
            "INSERT INTO owrr_snapshots (condition_id, category, result, computed_at)"
            " SELECT cid, cat, res::jsonb, %s FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(cid, cat, res)"
            " ON CONFLICT (condition_id, category) DO UPDATE"
            " SET result = EXCLUDED.result, computed_at = EXCLUDED.computed_at",
            (
                computed_at,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [json.dumps(r[2].to_dict()) for r in rows],
            ),
        )

    def write_tick(self, write: TickWrite) -> TickWriteResult:
        with self._conn.transaction():
            intents = 0
            if write.intents:
                cur = self._conn.execute(_INSERT_INTENTS, (_recordset([intent_values(i) for i in write.intents]),))
                intents = max(cur.rowcount, 0)
            signals = 0
            if write.signals:
                signal_rows = [{c: getattr(sig, c) for c in _SIGNAL_COLUMNS} for sig in write.signals]
                cur = self._conn.execute(_INSERT_SIGNALS, (_recordset(signal_rows),))
                signals = max(cur.rowcount, 0)
            if write.seen_trade_ids:
                self._conn.execute(
                    "INSERT INTO monitor_seen_trades (source, trade_id)"
                    " SELECT %s, unnest(%s::text[]) ON CONFLICT DO NOTHING",
                    (write.source, write.seen_trade_ids),
                )
            # The tick holds the lock and computed the watermark (never past now + skew): written as
            # is, so a cursor once poisoned by a row from the future comes back down.
            self._conn.execute(
                "INSERT INTO monitor_cursor (source, watermark, updated_at) VALUES (%s, %s, now())"
                " ON CONFLICT (source) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()",
                (write.source, write.watermark),
            )
            self._conn.execute(
                "INSERT INTO monitor_ticks (tick_id, started_at, finished_at, status, trades_seen,"
                " signals_written, intents_created) VALUES (%s, %s, now(), 'ok', %s, %s, %s)"
                " ON CONFLICT (tick_id) DO UPDATE SET finished_at = now(), status = 'ok',"
                " trades_seen = EXCLUDED.trades_seen, signals_written = EXCLUDED.signals_written,"
                " intents_created = EXCLUDED.intents_created",
                (write.tick_id, write.started_at, len(write.seen_trade_ids), signals, intents),
            )
            self._conn.execute(
                f"DELETE FROM monitor_seen_trades WHERE seen_at < now() - interval '{SEEN_RETENTION}'"  # noqa: S608
            )
        return TickWriteResult(signals_written=signals, intents_created=intents)

    def pending_intents(self, limit: int) -> list[Intent]:
        # Exits first within a wallet's FIFO group: they must never wait behind entries.
        with self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {INTENT_SELECT} FROM order_intents"  # noqa: S608 - constant columns
                " WHERE state = %s AND last_sent_at IS NULL"
                " ORDER BY created_at, is_exit DESC, intent_id LIMIT %s",
                (IntentState.NEW, limit),
            ).fetchall()
        return [intent_from_row(r) for r in rows]

    def mark_sent(self, intent_ids: Sequence[str], at: datetime) -> None:
        self._conn.execute(
            "UPDATE order_intents SET last_sent_at = %s, send_count = send_count + 1, updated_at = now()"
            " WHERE intent_id = ANY(%s::uuid[])",
            (at, list(intent_ids)),
        )


def _followed(r: dict[str, Any]) -> FollowedStrategy:
    """Raises `ValidationError` when the settings row breaks a rule of `StrategySettings`."""
    # `balance_usd` here is the strategy's cash now, which is what sizing works from
    config = settings_from_row(r).to_config(strategy_id=r["strategy_id"], name=r["name"], wallet_id=r["wallet_id"])
    config = replace(config, paused_reason=r["paused_reason"])
    holdings: dict[str, PositionHolding] = {}
    for h in r["holdings"]:
        holdings[h["token_id"]] = PositionHolding(
            h["token_id"], h["condition_id"], Decimal(h["shares"]), Decimal(h["cost_usd"])
        )
    reserved = Decimal("0")
    for p in r["pending"]:
        usd = Decimal(p["usd"]) if p["usd"] is not None else Decimal("0")
        reserved += usd
        # A pending entry counts toward its token's cost basis and the position count, as a COPY
        # earlier in the same tick does (domain.decisions.apply_decision) — but adds no shares:
        # only filled shares can be sold.
        prev = holdings.get(p["token_id"])
        if prev is None:
            holdings[p["token_id"]] = PositionHolding(p["token_id"], p["condition_id"], Decimal("0"), usd)
        else:
            holdings[p["token_id"]] = PositionHolding(
                prev.token_id, prev.condition_id, prev.shares, prev.cost_usd + usd
            )
    portfolio = PortfolioState(balance_usd=r["balance_usd"], reserved_usd=reserved, holdings=tuple(holdings.values()))
    return FollowedStrategy(config=config, watched_wallets=frozenset(r["watched"]), portfolio=portfolio)


class PgMonitorStore:
    """Owns the (warm-reused) connection; each `session()` is one tick."""

    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)

    @contextmanager
    def session(self) -> Iterator[PgMonitorSession]:
        conn = self._pg.get()
        session = PgMonitorSession(conn)
        try:
            yield session
        except BaseException:
            # A failed tick may leave the connection mid-transaction or broken: start clean next time.
            self.close()
            raise
        finally:
            if not conn.closed:
                session.release()

    def close(self) -> None:
        self._pg.close()
