"""`omegacopy db migrate` / `clickhouse-init`: explicit, idempotent schema commands."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import psycopg

from omegacopy.adapters.schema import ddl_statements
from tests.conftest import REPO


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", *args], capture_output=True, text=True, cwd=REPO, env=env, check=False
    )


def test_migrate_applies_once_then_nothing(pg_server: Any) -> None:
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cli_migrate")
        conn.execute("CREATE DATABASE cli_migrate")
    url = pg_server.url.rsplit("/", 1)[0] + "/cli_migrate"

    first = _run("db", "migrate", "--url", url)
    second = _run("db", "migrate", "--url", url)

    assert first.returncode == 0, first.stderr
    migrations = sorted(p.stem for p in (REPO / "infra" / "postgres" / "migrations").glob("*.sql"))
    assert json.loads(first.stdout)["applied"] == migrations
    assert json.loads(second.stdout) == {"applied": []}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM wallet_monitor_signals").fetchone() == (0,)


def test_migrate_without_a_url_is_a_clear_usage_error() -> None:
    result = _run("db", "migrate", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_clickhouse_init_is_idempotent(ch_server: Any) -> None:
    ch_server.client().command("CREATE DATABASE IF NOT EXISTS cli_init")
    url = f"http://default:@{ch_server.host}:{ch_server.port}/cli_init"

    first, second = _run("db", "clickhouse-init", "--url", url), _run("db", "clickhouse-init", "--url", url)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    expected = sum(len(ddl_statements(p.read_text())) for p in (REPO / "infra" / "clickhouse").glob("*.sql"))
    assert json.loads(first.stdout) == json.loads(second.stdout) == {"statements": expected}
    tables = {r[0] for r in ch_server.client(database="cli_init").query("SHOW TABLES").result_rows}
    assert {"trades_raw", "wallet_metrics_by_category", "markets"} <= tables
