"""One chDB-backed ClickHouse HTTP server for this folder; each test gets its own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from omegacopy.devstack.clickhouse import ClickHouseServer, start_clickhouse


@pytest.fixture(scope="package")
def server() -> Iterator[ClickHouseServer]:
    with start_clickhouse() as running:
        yield running


@dataclass
class Db:
    """A fresh database on the shared server and a client bound to it."""

    server: ClickHouseServer
    name: str
    client: Any

    def new_client(self, **kw: Any) -> Any:
        return self.server.client(database=self.name, **kw)


@pytest.fixture
def db(server: ClickHouseServer) -> Iterator[Db]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = server.client()
    admin.command(f"CREATE DATABASE {name}")
    yield Db(server, name, server.client(database=name))
    admin.command(f"DROP DATABASE IF EXISTS {name}")
