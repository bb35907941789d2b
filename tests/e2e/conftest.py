"""A local stack left up for preflight and sample-event tests, like `omegacopy run --keep` leaves it.

Started once per test module, under a stage of its own (moto's state is shared by every server in
a process, so two stacks must not share names; the stack's environment is the process's while it
is up, so it must not outlive the module): PostgreSQL (migrated), ClickHouse with fresh markets, metrics and leader
trades, moto with the template's resources, the paper exchange; a follower wallet imported through
`omegacopy wallet import`; one finished indexer run. Tests that break a dependency put it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from omegacopy.devstack.seed import MarketSeed, TradeSeed, insert_markets, insert_metrics, insert_trades

# The indexer's run log, as its migration creates it (IF NOT EXISTS: the migration may be there).
INDEXER_RUNS = """
CREATE TABLE IF NOT EXISTS indexer_runs (
    run_id text PRIMARY KEY, started_at timestamptz NOT NULL, finished_at timestamptz,
    status text NOT NULL, summary jsonb)
"""
LEADER = "0x" + "a7" * 20


@dataclass
class KeptStack:
    stack: Any
    wallet: Any
    env: dict[str, str]
    env_file: Path
    pg: Any


@pytest.fixture(scope="module")
def kept_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeptStack]:
    from omegacopy.devstack.local_run import LocalStack, ReportPaths, how_to_reach, import_follower_wallet

    with LocalStack(stage=f"k{uuid.uuid4().hex[:6]}") as stack:
        wallet = import_follower_wallet(stack)
        now = datetime.now(UTC)
        market = MarketSeed("0x" + "5e" * 32, "politics", "7001", "7002")
        ch = stack.ch_client()
        insert_markets(ch, [market])
        insert_metrics(ch, [(LEADER, "politics", "lifetime", 2.0, 40)])
        insert_trades(ch, [TradeSeed("t-doctor", LEADER, market, block_time=now - timedelta(seconds=5))])
        pg = stack.pg_connect()
        pg.execute(INDEXER_RUNS)
        pg.execute(
            "INSERT INTO indexer_runs (run_id, started_at, finished_at, status) VALUES (%s, %s, %s, 'ok')",
            (f"run-{uuid.uuid4().hex[:6]}", now - timedelta(minutes=2), now - timedelta(minutes=1)),
        )
        env = {**stack.handler_env(), **stack.tool_env()}
        paths = ReportPaths.beside(tmp_path_factory.mktemp("kept") / "summary.json")
        how_to_reach(stack, paths)  # writes local.env as `omegacopy run --keep` does
        env_file = paths.env
        yield KeptStack(stack=stack, wallet=wallet, env=env, env_file=env_file, pg=pg)
