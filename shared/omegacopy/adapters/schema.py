"""Applies the PostgreSQL migrations and the ClickHouse DDL shipped in `infra/`.

Explicit operator commands (`omegacopy db migrate`, `omegacopy db clickhouse-init`), never run at
a Lambda cold start.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from omegacopy.adapters.pg_connection import connect

# A fixed key: two operators migrating at once serialise instead of racing.
_MIGRATION_LOCK_KEY = 0x0C0_0001


def find_infra_dir(start: Path | None = None) -> Path:
    """`infra/` of the checkout: searched upward from `start` (cwd) then beside the package."""
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for base in candidates:
        for parent in [base, *base.parents]:
            infra = parent / "infra"
            if (infra / "postgres" / "migrations").is_dir():
                return infra
    raise FileNotFoundError("infra/postgres/migrations not found; pass --infra-dir")


def migrate(database_url: str, migrations_dir: Path) -> list[str]:
    """Apply every not-yet-applied `NNNN_name.sql`, each in its own transaction. Returns versions applied."""
    files = sorted(p for p in migrations_dir.glob("*.sql") if re.match(r"^\d{4}_", p.name))
    applied: list[str] = []
    with connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for path in files:
                version = path.stem
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text())  # type: ignore[call-overload]
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
    return applied


def ddl_statements(sql: str) -> list[str]:
    """Split a DDL file into statements: `--` comments dropped first, so a `;` in prose is harmless."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


def clickhouse_init(client: Any, ddl_dir: Path) -> int:
    """Run every statement of `infra/clickhouse/*.sql` (idempotent DDL). Returns the count."""
    count = 0
    for path in sorted(ddl_dir.glob("*.sql")):
        for stmt in ddl_statements(path.read_text()):
            client.command(stmt)
            count += 1
    return count
