"""PostgreSQL as the indexer's bookkeeping: what to index, checkpoints, runs and refused rows.

One indexer pass at a time: a session advisory lock held for the run (a Lambda that dies mid-run
releases it when its connection drops).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.domain.public_data import InvalidRecord
from omegacopy.ports import Checkpoint

INDEX_LOCK_KEY = 0x0C0_0002


class PgIndexBooks:
    def __init__(self, url: str, *, statement_timeout_ms: int = 10_000) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms)
        self._locked = False

    def tracked_wallets(self) -> list[str]:
        # every wallet some strategy follows, paused strategies included (their exits still copy)
        rows = self._pg.get().execute(
            "SELECT DISTINCT lower(w.wallet_address) FROM strategy_watchlist_items w"
            " JOIN strategies s ON s.strategy_id = w.strategy_id WHERE w.status = 'WATCHING' ORDER BY 1"
        )
        return [r[0] for r in rows.fetchall()]

    def held_markets(self) -> list[str]:
        rows = self._pg.get().execute(
            "SELECT DISTINCT lower(condition_id) FROM strategy_positions WHERE shares > 0 ORDER BY 1"
        )
        return [r[0] for r in rows.fetchall()]

    def checkpoints(self, stream: str, keys: Sequence[str]) -> dict[str, Checkpoint]:
        if not keys:
            return {}
        rows = self._pg.get().execute(
            "SELECT key, watermark, cursor, refreshed_at FROM indexer_checkpoints WHERE stream = %s AND key = ANY(%s)",
            (stream, list(keys)),
        )
        return {key: Checkpoint(watermark, cursor, refreshed) for key, watermark, cursor, refreshed in rows.fetchall()}

    def save_checkpoint(self, stream: str, key: str, checkpoint: Checkpoint) -> None:
        self._pg.get().execute(
            "INSERT INTO indexer_checkpoints (stream, key, watermark, cursor, refreshed_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (stream, key) DO UPDATE SET watermark = EXCLUDED.watermark, cursor = EXCLUDED.cursor,"
            " refreshed_at = EXCLUDED.refreshed_at, updated_at = now()",
            (stream, key, checkpoint.watermark, checkpoint.cursor, checkpoint.refreshed_at),
        )

    def save_checkpoints(self, stream: str, checkpoints: Mapping[str, Checkpoint]) -> None:
        if not checkpoints:
            return
        conn = self._pg.get()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO indexer_checkpoints (stream, key, watermark, cursor, refreshed_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (stream, key) DO UPDATE SET watermark = EXCLUDED.watermark,"
                " cursor = EXCLUDED.cursor, refreshed_at = EXCLUDED.refreshed_at, updated_at = now()",
                [(stream, k, c.watermark, c.cursor, c.refreshed_at) for k, c in checkpoints.items()],
            )

    def record_rejects(self, rejects: Sequence[InvalidRecord]) -> int:
        if not rejects:
            return 0
        conn = self._pg.get()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO public_data_rejects (source, key, reason) VALUES (%s, %s, %s)"
                " ON CONFLICT (source, key) DO UPDATE SET reason = EXCLUDED.reason, last_seen = now(),"
                " times_seen = public_data_rejects.times_seen + 1",
                [(r.source, r.key[:300], r.reason[:1000]) for r in rejects],
            )
        return len(rejects)

    def start_run(self, run_id: str, at: datetime) -> bool:
        conn = self._pg.get()
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (INDEX_LOCK_KEY,)).fetchone()
        self._locked = bool(row and row[0])
        if self._locked:
            conn.execute(
                "INSERT INTO indexer_runs (run_id, started_at, status) VALUES (%s, %s, 'running')"
                " ON CONFLICT (run_id) DO UPDATE SET started_at = EXCLUDED.started_at, status = 'running'",
                (run_id, at),
            )
        return self._locked

    def finish_run(self, run_id: str, status: str, summary: Mapping[str, object], at: datetime) -> None:
        conn = self._pg.get()
        try:
            conn.execute(
                "UPDATE indexer_runs SET finished_at = %s, status = %s, summary = %s::jsonb WHERE run_id = %s",
                (at, status, json.dumps(dict(summary), default=str), run_id),
            )
        finally:
            if self._locked:
                conn.execute("SELECT pg_advisory_unlock(%s)", (INDEX_LOCK_KEY,))
                self._locked = False

    def close(self) -> None:
        self._pg.close()
