"""One PostgreSQL connection per adapter, opened lazily, kept across warm Lambda invocations and
reopened after it breaks. Autocommit: transactions are explicit (`with conn.transaction()`).

`connect` is the only way this code base opens a PostgreSQL connection: a failure leaves as a
`SecretSafeError` whose text has the URL's password scrubbed (libpq quotes a password holding a
`%` back in its error, and the Lambda error message would carry it out).
"""

from __future__ import annotations

from typing import Any

import psycopg

from omegacopy.redaction import register, scrubbed


def connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    register(url)
    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.Error as exc:
        raise scrubbed(exc, "PostgreSQL connection failed") from None


class PgConnection:
    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        register(url)
        self._url = url
        self._statement_timeout_ms = statement_timeout_ms
        self._connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:  # the URL may carry a password
        return "PgConnection()"

    def get(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = connect(
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
