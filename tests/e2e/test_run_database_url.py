"""`omegacopy run` honours DATABASE_URL: a database of its own on that server, dropped on exit."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import psycopg

from omegacopy.devstack.local_run import LocalStack
from tests.conftest import REPO


def databases(server_url: str) -> set[str]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'omegacopy_run_%'")}


def test_the_stack_runs_on_the_given_server_and_leaves_nothing_there(pg_server: Any) -> None:
    before = databases(pg_server.url)
    with LocalStack(stage=f"u{uuid.uuid4().hex[:6]}", database_url=pg_server.url) as stack:
        (created,) = databases(pg_server.url) - before
        assert stack.pg_url.rsplit("/", 1) == [pg_server.url.rsplit("/", 1)[0], created]
        applied = {r[0] for r in stack.pg_connect().execute("SELECT version FROM schema_migrations")}
        assert "0007_strategy_admin" in applied
        assert stack.services()["postgres_pid"] is None  # nothing of ours to stop but the database
        assert stack.tool_env()["DATABASE_URL"] == stack.pg_url
    assert databases(pg_server.url) == before


def test_an_unusable_database_url_is_one_line_with_the_way_out() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/x"}
    result = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "run", "--ticks", "1", "--speed", "0"],
        capture_output=True, text=True, cwd=REPO, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("omegacopy run:")]
    assert line.startswith("omegacopy run: DATABASE_URL: cannot create the run's database there (OperationalError:")
    assert line.endswith("or unset DATABASE_URL for a throwaway cluster")
    assert "secret" not in result.stdout + result.stderr and "Traceback" not in result.stderr
