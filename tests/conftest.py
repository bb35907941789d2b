"""Real services for the suite, started once per session and only when a test asks for them.

- PostgreSQL: a throwaway cluster (or DATABASE_URL); each test gets a fresh database cloned from a
  migrated template, so tests never see each other's rows.
- ClickHouse: chDB behind the ClickHouse HTTP interface; each test gets its own database.
- AWS: moto in server mode; boto3 finds it through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

# Powertools outside Lambda: no X-Ray daemon, a fixed namespace for EMF output.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "omegacopy")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OmegaCopy")

REPO = Path(__file__).resolve().parent.parent
INFRA = REPO / "infra"
TEMPLATE_DB = "omegacopy_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    from omegacopy.adapters.schema import migrate
    from omegacopy.devstack.postgres import start_postgres

    server = start_postgres()
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    migrate(_with_db(server.url, TEMPLATE_DB), INFRA / "postgres" / "migrations")
    yield server
    server.stop()


def _with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
def pg_url(pg_server: Any) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    yield _with_db(pg_server.url, name)
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def ch_server() -> Iterator[Any]:
    from omegacopy.devstack.clickhouse import start_clickhouse

    server = start_clickhouse()
    yield server
    server.stop()


@pytest.fixture
def ch_database(ch_server: Any) -> Iterator[str]:
    from omegacopy.adapters.schema import clickhouse_init

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = ch_server.client()
    admin.command(f"CREATE DATABASE {name}")
    clickhouse_init(ch_server.client(database=name), INFRA / "clickhouse")
    yield name
    admin.command(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def ch(ch_server: Any, ch_database: str) -> Any:
    return ch_server.client(database=ch_database)


@pytest.fixture
def ch_url(ch_server: Any, ch_database: str) -> str:
    return f"http://default:@{ch_server.host}:{ch_server.port}/{ch_database}"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    from omegacopy.devstack.aws import start_moto

    server = start_moto()
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    yield server
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


@pytest.fixture
def queues(moto_server: Any) -> Any:
    from omegacopy.devstack.aws import create_execution_queues

    return create_execution_queues(moto_server.client("sqs"), name=f"exec-{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def evm_node() -> Iterator[Any]:
    """A local Hardhat node (JSON-RPC on loopback) with the compiled ConditionalTokens source at hand.

    Skipped only when node or npm is not installed at all; anything else that fails is a failure.
    """
    from omegacopy.devstack.evm_node import compiled, ensure_installed, node_tools_missing, start_evm_node

    missing = node_tools_missing()
    if missing is not None:
        pytest.skip(missing)
    ensure_installed()
    contracts = compiled()
    node = start_evm_node()
    node.contracts = contracts  # type: ignore[attr-defined]
    yield node
    node.stop()
