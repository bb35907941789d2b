"""Strategies, their settings and their leaders in PostgreSQL, for the operator's commands.

Reads return `StoredStrategy` (a row that does not validate is returned with the reason, so it can
be shown and fixed); writes take validated `StrategySpec`/`StrategySettings` only. The caller owns
the transaction: `apply` plans and writes inside one, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from pydantic import ValidationError

from omegacopy.domain.intent import TERMINAL_STATES
from omegacopy.strategy_settings import (
    SETTING_NAMES,
    StoredStrategy,
    StrategySettings,
    StrategySpec,
    describe_errors,
    settings_from_row,
    settings_input_from_row,
)

_SETTINGS_COLUMNS = (*SETTING_NAMES, "all_categories")
_SELECT = f"""
SELECT s.strategy_id, s.name, s.wallet_id, s.auto_execute_enabled, s.paused_reason, s.created_at,
       st.strategy_id IS NOT NULL AS has_settings, st.starting_balance_usd,
       {", ".join(f"st.{c}" for c in _SETTINGS_COLUMNS)},
       COALESCE((SELECT array_agg(w.wallet_address ORDER BY w.added_at, w.wallet_address)
                 FROM strategy_watchlist_items w
                 WHERE w.strategy_id = s.strategy_id AND w.status = 'WATCHING'), '{{}}') AS leaders
FROM strategies s
LEFT JOIN strategy_settings st ON st.strategy_id = s.strategy_id
"""  # noqa: S608 - column names are constants


class StrategyNotFoundError(LookupError):
    """No strategy with this id."""


class StrategyInUseError(Exception):
    """The strategy has history (signals, orders, positions) that must not be deleted."""


@dataclass(frozen=True, slots=True)
class StrategyHistory:
    signals: int
    intents: int
    fills: int
    open_positions: int

    @property
    def empty(self) -> bool:
        return not (self.signals or self.intents or self.fills or self.open_positions)


@dataclass(frozen=True, slots=True)
class LeaderRow:
    strategy_id: str
    address: str
    status: str


def _stored(row: dict[str, Any]) -> StoredStrategy:
    settings: StrategySettings | None = None
    error: str | None = None
    raw: dict[str, Any] | None = None
    if row["has_settings"]:
        raw = settings_input_from_row(row)
        try:
            settings = settings_from_row(row)
        except ValidationError as exc:
            error = describe_errors(exc)
    else:
        error = "no strategy_settings row"
    cash = row["balance_usd"]
    return StoredStrategy(
        strategy_id=row["strategy_id"],
        name=row["name"],
        wallet_id=row["wallet_id"],
        enabled=bool(row["auto_execute_enabled"]),
        paused_reason=row["paused_reason"],
        settings=settings,
        settings_error=error,
        leaders=tuple(row["leaders"]),
        cash_usd=cash,
        capital_usd=row["starting_balance_usd"] if row["starting_balance_usd"] is not None else cash,
        raw_settings=raw,
        created_at=row["created_at"],
    )


class PgStrategyStore:
    """Reads and writes over one connection; transactions are the caller's."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    # --- reads ---------------------------------------------------------------------------------------
    def load(self, strategy_ids: Sequence[str] | None = None, *, for_update: bool = False) -> dict[str, StoredStrategy]:
        """Strategies by id (all of them when `strategy_ids` is None), in id order."""
        sql = _SELECT
        params: tuple[Any, ...] = ()
        if strategy_ids is not None:
            sql += " WHERE s.strategy_id = ANY(%s::text[])"
            params = (list(strategy_ids),)
        sql += " ORDER BY s.strategy_id"
        if for_update:
            sql += " FOR UPDATE OF s"
        with self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sql, params).fetchall()  # type: ignore[arg-type]
        return {r["strategy_id"]: _stored(r) for r in rows}

    def get(self, strategy_id: str, *, for_update: bool = False) -> StoredStrategy:
        found = self.load([strategy_id], for_update=for_update).get(strategy_id)
        if found is None:
            raise StrategyNotFoundError(strategy_id)
        return found

    def wallet_ids(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT wallet_id FROM wallets").fetchall()}

    def leaders(self, strategy_id: str | None = None, *, include_removed: bool = False) -> list[LeaderRow]:
        sql = "SELECT strategy_id, wallet_address, status FROM strategy_watchlist_items WHERE true"
        params: list[Any] = []
        if strategy_id is not None:
            sql += " AND strategy_id = %s"
            params.append(strategy_id)
        if not include_removed:
            sql += " AND status = 'WATCHING'"
        sql += " ORDER BY strategy_id, added_at, wallet_address"
        return [LeaderRow(*r) for r in self._conn.execute(sql, params).fetchall()]  # type: ignore[arg-type]

    def history(self, strategy_id: str) -> StrategyHistory:
        row = self._conn.execute(
            "SELECT (SELECT count(*) FROM wallet_monitor_signals WHERE strategy_id = %(id)s),"
            " (SELECT count(*) FROM order_intents WHERE strategy_id = %(id)s),"
            " (SELECT count(*) FROM strategy_trades WHERE strategy_id = %(id)s),"
            " (SELECT count(*) FROM strategy_positions WHERE strategy_id = %(id)s AND shares > 0)",
            {"id": strategy_id},
        ).fetchone()
        assert row is not None
        return StrategyHistory(*(int(v) for v in row))

    # --- writes --------------------------------------------------------------------------------------
    def create(self, spec: StrategySpec) -> None:
        """Insert the strategy, its settings and its leaders. The capital is the starting cash."""
        self._conn.execute(
            "INSERT INTO strategies (strategy_id, name, wallet_id, auto_execute_enabled) VALUES (%s, %s, %s, %s)",
            (spec.id, spec.display_name, spec.wallet, spec.enabled),
        )
        row = spec.settings().to_row()
        columns = [*row, "starting_balance_usd"]
        self._conn.execute(
            f"INSERT INTO strategy_settings (strategy_id, {', '.join(columns)})"  # noqa: S608 - constant names
            f" VALUES (%s, {', '.join(['%s'] * len(columns))})",
            (spec.id, *row.values(), spec.balance_usd),
        )
        self.follow(spec.id, spec.leaders)

    def update(self, strategy_id: str, *, name: str, wallet_id: str, enabled: bool, settings: StrategySettings) -> None:
        """Overwrite what the spec says. `settings.balance_usd` is the capital: the cash moves by
        the difference to the stored capital, so fills are never overwritten."""
        self._conn.execute(
            "UPDATE strategies SET name = %s, wallet_id = %s, auto_execute_enabled = %s WHERE strategy_id = %s",
            (name, wallet_id, enabled, strategy_id),
        )
        row = settings.to_row()
        capital = row.pop("balance_usd")
        columns = list(row)
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        self._conn.execute(
            f"INSERT INTO strategy_settings (strategy_id, balance_usd, starting_balance_usd, {', '.join(columns)})"  # noqa: S608
            f" VALUES (%s, %s, %s, {', '.join(['%s'] * len(columns))})"
            f" ON CONFLICT (strategy_id) DO UPDATE SET {assignments},"
            " balance_usd = strategy_settings.balance_usd"
            " + (EXCLUDED.starting_balance_usd - COALESCE(strategy_settings.starting_balance_usd,"
            " strategy_settings.balance_usd)),"
            " starting_balance_usd = EXCLUDED.starting_balance_usd, updated_at = now()",
            (strategy_id, capital, capital, *row.values()),
        )

    def mode_blocker(self, strategy_id: str) -> str | None:
        """What keeps a strategy from changing mode: open positions or unfinished intents (its paper
        and real books must not mix), described; None when nothing does."""
        row = self._conn.execute(
            "SELECT (SELECT count(*) FROM strategy_positions WHERE strategy_id = %(s)s AND shares > 0),"
            " (SELECT count(*) FROM order_intents WHERE strategy_id = %(s)s AND NOT state = ANY(%(over)s))",
            {"s": strategy_id, "over": sorted(TERMINAL_STATES)},
        ).fetchone()
        positions, intents = (int(v) for v in row) if row else (0, 0)
        parts = [f"{positions} open position(s)"] if positions else []
        parts += [f"{intents} unfinished order intent(s)"] if intents else []
        return " and ".join(parts) or None

    def restart_cash(self, strategy_id: str) -> None:
        """Going live: the cash is the capital again, and the equity marks start over (paper P&L
        was never money)."""
        self._one(
            "UPDATE strategy_settings SET balance_usd = COALESCE(starting_balance_usd, balance_usd),"
            " peak_equity_usd = NULL, day_start_equity_usd = NULL, day_started_on = NULL, updated_at = now()"
            " WHERE strategy_id = %s",
            (strategy_id,),
        )

    def set_enabled(self, strategy_id: str, enabled: bool) -> None:
        self._one("UPDATE strategies SET auto_execute_enabled = %s WHERE strategy_id = %s", (enabled, strategy_id))

    def pause(self, strategy_id: str, reason: str) -> None:
        self._one("UPDATE strategies SET paused_reason = %s WHERE strategy_id = %s", (reason, strategy_id))

    def resume(self, strategy_id: str) -> None:
        self._one("UPDATE strategies SET paused_reason = NULL WHERE strategy_id = %s", (strategy_id,))

    def follow(self, strategy_id: str, addresses: Iterable[str]) -> list[str]:
        """Watch these (lower-case) addresses. Returns those that were not watched before."""
        added: list[str] = []
        for address in addresses:
            row = self._conn.execute(
                "INSERT INTO strategy_watchlist_items (strategy_id, wallet_address, status) VALUES (%s, %s, 'WATCHING')"
                " ON CONFLICT (strategy_id, wallet_address) DO UPDATE SET status = 'WATCHING', added_at = now()"
                " WHERE strategy_watchlist_items.status <> 'WATCHING'"
                " RETURNING wallet_address",
                (strategy_id, address),
            ).fetchone()
            if row is not None:
                added.append(row[0])
        return added

    def unfollow(self, strategy_id: str, addresses: Iterable[str]) -> list[str]:
        """Stop watching; the row stays (REMOVED) as a record. Returns those that were watched."""
        rows = self._conn.execute(
            "UPDATE strategy_watchlist_items SET status = 'REMOVED' WHERE strategy_id = %s"
            " AND wallet_address = ANY(%s::text[]) AND status <> 'REMOVED' RETURNING wallet_address",
            (strategy_id, list(addresses)),
        ).fetchall()
        return sorted(r[0] for r in rows)

    def delete(self, strategy_id: str) -> None:
        """Delete a strategy without history (its settings and watchlist go with it)."""
        history = self.history(strategy_id)
        if not history.empty:
            raise StrategyInUseError(
                f"strategy {strategy_id} has history ({history.signals} signals, {history.intents} intents,"
                f" {history.fills} fills, {history.open_positions} open positions)"
            )
        try:
            self._one("DELETE FROM strategies WHERE strategy_id = %s", (strategy_id,))
        except pg_errors.ForeignKeyViolation:  # history written meanwhile
            raise StrategyInUseError(f"strategy {strategy_id} has history") from None

    def _one(self, sql: str, params: tuple[Any, ...]) -> None:
        if self._conn.execute(sql, params).rowcount != 1:  # type: ignore[arg-type]
            raise StrategyNotFoundError(params[-1])


def capital_change(stored: StoredStrategy, capital: Decimal) -> Decimal:
    """How much cash a new capital adds (negative: withdraws)."""
    return capital - (stored.capital_usd if stored.capital_usd is not None else Decimal("0"))


__all__ = [
    "LeaderRow",
    "PgStrategyStore",
    "StrategyHistory",
    "StrategyInUseError",
    "StrategyNotFoundError",
    "capital_change",
]
