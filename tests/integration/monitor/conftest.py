"""A seeded world for the monitor: PostgreSQL strategies, ClickHouse markets/metrics/trades, SQS, SSM."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, LiteralString

import psycopg
import pytest

from omegacopy.devstack.seed import (
    MarketSeed,
    StrategySeed,
    insert_markets,
    insert_strategies,
    insert_wallet,
    seed_consensus,
)

if TYPE_CHECKING:
    from tests.support.lambda_runtime import Invoke

LEADER = "0x" + "a1" * 20
OTHER_LEADER = "0x" + "b2" * 20
FOLLOWER = "0x" + "f0" * 20

POLITICS = MarketSeed("0xpolitics01", "politics", "1001", "1002")
SPORTS = MarketSeed("0xsports01", "sports", "2001", "2002")
CLOSED = MarketSeed("0xclosed01", "politics", "3001", "3002", closed=True)


@dataclass
class MonitorWorld:
    pg: psycopg.Connection[Any]
    ch: Any
    sqs: Any
    ssm: Any
    queue_url: str
    ssm_prefix: str
    env: dict[str, str]
    now: datetime

    def signals(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT strategy_id, source_trade_id, decision, reason_code, reason, slider, intent_id::text"
            " FROM wallet_monitor_signals ORDER BY strategy_id, source_trade_id"
        )

    def intents(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT intent_id::text, strategy_id, source_trade_id, action, token_id, usd_amount, shares,"
            " worst_price, state, send_count, correlation_id FROM order_intents ORDER BY source_trade_id"
        )

    def _rows(self, sql: LiteralString) -> list[dict[str, Any]]:
        with self.pg.cursor(row_factory=psycopg.rows.dict_row) as cur:
            return cur.execute(sql).fetchall()

    def drain(self) -> list[dict[str, Any]]:
        """Every message on the queue (received and deleted), with its FIFO attributes."""
        out: list[dict[str, Any]] = []
        while True:
            reply = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            )
            msgs = reply.get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append({"body": json.loads(m["Body"]), **m["Attributes"]})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def set_tunable(self, name: str, value: str) -> None:
        self.ssm.put_parameter(Name=f"{self.ssm_prefix}/tunables/{name}", Value=value, Type="String", Overwrite=True)


@pytest.fixture
def world(pg: Any, pg_url: str, ch: Any, ch_url: str, moto_server: Any, queues: Any) -> Iterator[MonitorWorld]:
    now = datetime.now(UTC)
    insert_markets(ch, [POLITICS, SPORTS, CLOSED])
    seed_consensus(ch, POLITICS, yes_voters=20, no_voters=3, at=now)
    insert_wallet(pg, "w-follower", FOLLOWER)
    insert_strategies(
        pg,
        [
            StrategySeed("s-politics", "w-follower", [LEADER], categories=["politics"]),
            StrategySeed("s-sports", "w-follower", [LEADER], categories=["sports"]),
        ],
    )
    prefix = f"/omegacopy/t{uuid.uuid4().hex[:8]}"
    env = {
        "STAGE": "test",
        "SSM_PREFIX": prefix,
        "EXECUTION_QUEUE_URL": queues.queue_url,
        "DATABASE_URL": pg_url,
        "CLICKHOUSE_URL": ch_url,
        "TRADE_SOURCE": "clickhouse",  # these tests write leader trades into trades_raw
        "OWRR_POSITIONS": "trades",  # and consensus rows too (holder snapshots: tests/integration/indexer)
        **moto_server.env,
    }
    w = MonitorWorld(
        pg=pg,
        ch=ch,
        sqs=moto_server.client("sqs"),
        ssm=moto_server.client("ssm"),
        queue_url=queues.queue_url,
        ssm_prefix=prefix,
        env=env,
        now=now,
    )
    w.set_tunable("staleness_limit_s", "600")
    w.set_tunable("kill_switch", "false")  # a fresh stack's kill switch is ON: the operator releases it
    yield w


@pytest.fixture
def invoke(world: MonitorWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run the real handler with the world's environment (a fresh container per test)."""
    from tests.support.lambda_runtime import fresh_container

    with fresh_container("wallet_monitor", world.env, monkeypatch) as run:
        yield run
