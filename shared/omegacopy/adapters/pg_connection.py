"""One PostgreSQL connection per adapter, opened lazily, kept across warm Lambda invocations and
reopened after it breaks. Autocommit: transactions are explicit (`with conn.transaction()`)."""

from __future__ import annotations

from typing import Any

import psycopg


class PgConnection:
    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        self._url = url
        self._statement_timeout_ms = statement_timeout_ms
        self._connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:  # the URL may carry a password
        return "PgConnection()"

    def get(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=self._connect_timeout_s,
                options=f"-c statement_timeout={self._statement_timeout_ms}",
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
