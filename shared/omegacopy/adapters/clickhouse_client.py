"""The ClickHouse client (clickhouse-connect over HTTP) as every function and command opens it.

The DSN carries the password: it is registered for redaction, and a failure to connect leaves as
a `SecretSafeError` with scrubbed text and no chained cause.
"""

from __future__ import annotations

from typing import Any

import clickhouse_connect

from omegacopy.redaction import register, scrubbed


def connect_clickhouse(dsn: str, **kwargs: Any) -> Any:
    register(dsn)
    try:
        return clickhouse_connect.get_client(dsn=dsn, **kwargs)
    except Exception as exc:
        raise scrubbed(exc, "ClickHouse connection failed") from None
