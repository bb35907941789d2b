"""Strategy commands against the real PostgreSQL, run in-process through `omegacopy.cli.main`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from omegacopy.cli import main
from omegacopy.devstack.seed import insert_wallet

# the monitor's seeded world (markets, consensus, SQS, SSM) and its handler, for the tick tests
from tests.integration.monitor.conftest import invoke, world  # noqa: F401

FOLLOWER = "0x" + "e0" * 20


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def omegacopy(pg_url: str, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`omegacopy …` against this test's database; returns the exit code, stdout and stderr."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main([*args, "--database-url", pg_url])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def wallet(pg: psycopg.Connection[Any]) -> str:
    insert_wallet(pg, "w1", FOLLOWER)
    return "w1"


def rows(pg: psycopg.Connection[Any], sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return pg.execute(sql, params).fetchall()
