"""Redemption rows in PostgreSQL, changed only under their row lock and their wallet's nonce lock.

`locked(wallet, condition)` takes a transaction-scoped advisory lock per wallet first: two runs
can never pick a nonce for the same wallet at once, and the signed bytes, hash and nonce are
committed together (SUBMITTED) before the caller broadcasts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.domain.evm_tx import SignedTx
from omegacopy.domain.redemption import (
    FeePlan,
    RedemptionReason,
    RedemptionRoute,
    RedemptionState,
    next_redemption_state,
)
from omegacopy.ports import Receipt, RedemptionRow

_COLUMNS = (
    "wallet_id, condition_id, state, neg_risk, token_ids, expected_usd, created_at, sender, nonce, tx_hash, raw_tx,"
    " broadcasts"
)
_OPEN = [RedemptionState.NEW.value, RedemptionState.SUBMITTED.value, RedemptionState.BLOCKED.value]


def _row(r: dict[str, Any]) -> RedemptionRow:
    return RedemptionRow(
        wallet_id=r["wallet_id"],
        condition_id=r["condition_id"],
        state=RedemptionState(r["state"]),
        neg_risk=r["neg_risk"],
        token_ids=tuple(r["token_ids"]),
        expected_usd=r["expected_usd"],
        created_at=r["created_at"],
        sender=r["sender"],
        nonce=r["nonce"],
        tx_hash=r["tx_hash"],
        raw_tx=bytes(r["raw_tx"]) if r["raw_tx"] is not None else None,
        broadcasts=r["broadcasts"],
    )


class PgRedemptionTransaction:
    def __init__(self, conn: psycopg.Connection[Any], row: RedemptionRow) -> None:
        self._conn = conn
        self._row = row

    @property
    def row(self) -> RedemptionRow:
        return self._row

    def _where(self) -> tuple[str, str]:
        return self._row.wallet_id, self._row.condition_id

    def highest_pending_nonce(self, sender: str) -> int | None:
        found = self._conn.execute(
            "SELECT max(nonce) FROM redemptions WHERE sender = %s AND state = %s",
            (sender.lower(), RedemptionState.SUBMITTED.value),
        ).fetchone()
        return None if found is None or found[0] is None else int(found[0])

    def mark_submitted(self, route: RedemptionRoute, signed: SignedTx, nonce: int, fees: FeePlan) -> None:
        state = next_redemption_state(self._row.state, RedemptionState.SUBMITTED)
        self._conn.execute(
            "UPDATE redemptions SET state = %s, route = %s, target = %s, collateral = %s, sender = %s, nonce = %s,"
            " tx_hash = %s, raw_tx = %s, gas_limit = %s, max_fee_per_gas = %s, reason_code = NULL, last_error = NULL,"
            " submitted_at = now(), updated_at = now() WHERE wallet_id = %s AND condition_id = %s",
            (state.value, route.kind.value, route.target.lower(), route.collateral.lower(), signed.sender.lower(),
             nonce, signed.tx_hash, signed.raw, fees.gas_limit, fees.max_fee_per_gas, *self._where()),
        )  # fmt: skip
        self._row = replace(
            self._row, state=state, sender=signed.sender.lower(), nonce=nonce, tx_hash=signed.tx_hash, raw_tx=signed.raw
        )

    def note_broadcast(self, message: str | None) -> None:
        self._conn.execute(
            "UPDATE redemptions SET broadcasts = broadcasts + 1, last_error = COALESCE(%s, last_error),"
            " updated_at = now() WHERE wallet_id = %s AND condition_id = %s",
            (message[:1000] if message else None, *self._where()),
        )

    def wait(self, reason: RedemptionReason, message: str) -> None:
        self._conn.execute(
            "UPDATE redemptions SET attempts = attempts + 1, reason_code = %s, last_error = %s, updated_at = now()"
            " WHERE wallet_id = %s AND condition_id = %s",
            (reason.value, message[:1000], *self._where()),
        )

    def finish(
        self,
        state: RedemptionState,
        reason: RedemptionReason,
        message: str,
        *,
        receipt: Receipt | None = None,
        payout_units: int | None = None,
    ) -> None:
        target = next_redemption_state(self._row.state, state)
        self._conn.execute(
            "UPDATE redemptions SET state = %s, reason_code = %s, last_error = %s, block_number = %s, gas_used = %s,"
            " payout_units = %s, updated_at = now(), terminal_at = CASE WHEN %s THEN now() ELSE terminal_at END"
            " WHERE wallet_id = %s AND condition_id = %s",
            (target.value, reason.value, message[:1000], receipt.block_number if receipt else None,
             receipt.gas_used if receipt else None, payout_units, target.is_terminal, *self._where()),
        )  # fmt: skip
        self._row = replace(self._row, state=target)


class PgRedemptionStore:
    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)

    def __repr__(self) -> str:
        return "PgRedemptionStore()"

    def open_redemptions(self, limit: int) -> list[RedemptionRow]:
        with self._pg.get().cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {_COLUMNS} FROM redemptions WHERE state = ANY(%s)"  # noqa: S608 - constant columns
                " ORDER BY state <> 'SUBMITTED', updated_at LIMIT %s",
                (_OPEN, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    @contextmanager
    def locked(self, wallet_id: str, condition_id: str) -> Iterator[PgRedemptionTransaction | None]:
        conn = self._pg.get()
        try:
            with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"redemption-nonce:{wallet_id}",))
                found = cur.execute(
                    f"SELECT {_COLUMNS} FROM redemptions WHERE wallet_id = %s AND condition_id = %s"  # noqa: S608
                    " FOR UPDATE",
                    (wallet_id, condition_id),
                ).fetchone()
                yield PgRedemptionTransaction(conn, _row(found)) if found else None
        except psycopg.OperationalError:
            self._pg.close()
            raise

    def overdue(self, older_than: datetime) -> int:
        found = (
            self._pg.get()
            .execute("SELECT count(*) FROM redemptions WHERE state = ANY(%s) AND created_at < %s", (_OPEN, older_than))
            .fetchone()
        )
        return int(found[0]) if found else 0

    def close(self) -> None:
        self._pg.close()
