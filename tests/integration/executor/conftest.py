"""An executor world: real PostgreSQL, moto (KMS, Secrets Manager, SSM, SQS) and the paper exchange.

The follower wallet is imported the production way (KMS envelope in `wallets`, CLOB credentials
in Secrets Manager); intents are written the way the monitor writes them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from omegacopy.adapters.clob_credentials import credentials_secret_name, store_credentials
from omegacopy.adapters.intent_message import IntentMessage
from omegacopy.adapters.pg_monitor_store import PgMonitorSession
from omegacopy.adapters.pg_wallets import WalletRow, save_wallet
from omegacopy.adapters.wallet_keys import wrap_private_key
from omegacopy.app.execute_intent import ExecutorDeps
from omegacopy.devstack.paper import PaperExchange, start_paper_exchange
from omegacopy.devstack.seed import StrategySeed, insert_strategies
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.signer import LocalKeySigner, new_private_key
from omegacopy.ports import TickWrite
from omegacopy.wiring.executor import build_executor_deps

CONDITION = "0x" + hashlib.sha256(b"executor-market").hexdigest()
YES = str(int.from_bytes(hashlib.sha256(b"executor-yes").digest(), "big") >> 2)
NO = str(int.from_bytes(hashlib.sha256(b"executor-no").digest(), "big") >> 2)
WALLET_ID = "w-follower"
STRATEGY_ID = "s-exec"


@dataclass
class ExecutorWorld:
    pg: psycopg.Connection[Any]
    exchange: PaperExchange
    env: dict[str, str]
    sqs: Any
    queue_url: str
    dlq_url: str
    ssm_prefix: str
    ssm: Any
    address: str
    sm: Any = None  # Secrets Manager (the CLOB credentials)
    canaries: list[str] = field(default_factory=list)
    _seq: int = 0

    def deps(self, **overrides: str) -> ExecutorDeps:
        return build_executor_deps({**self.env, **overrides})

    def intent(
        self,
        *,
        action: str = "BUY",
        usd: Decimal | None = Decimal("60"),
        shares: Decimal | None = None,
        worst: Decimal = Decimal("0.62"),
        leader: Decimal = Decimal("0.60"),
        style: str = "FAK",
        is_exit: bool = False,
        token: str = YES,
        condition: str = CONDITION,
        created_at: datetime | None = None,
        wallet_id: str = WALLET_ID,
        strategy_id: str = STRATEGY_ID,
        paper: bool = False,
    ) -> str:
        """Write one NEW intent (and its COPY signal) exactly as the monitor's tick does."""
        self._seq += 1
        trade_id = f"leader-trade-{self._seq}-{uuid.uuid4().hex[:6]}"
        intent_id = intent_id_for(strategy_id, trade_id)
        draft = IntentDraft(
            TradeAction(action), token, condition, leader, worst, usd, shares, OrderStyle(style), is_exit
        )
        row = Intent(intent_id, strategy_id, wallet_id, trade_id, f"c-{self._seq}", draft, paper=paper)
        session = PgMonitorSession(self.pg)
        now = datetime.now(UTC)
        session.write_tick(
            TickWrite(tick_id=f"t-{self._seq}", started_at=now, source="test", watermark=now, intents=[row])
        )
        if created_at is not None:
            self.pg.execute("UPDATE order_intents SET created_at = %s WHERE intent_id = %s", (created_at, intent_id))
        return intent_id

    def message(self, intent_id: str) -> str:
        return IntentMessage(intent_id=uuid.UUID(intent_id), correlation_id="c-test", schema_version=1).body()

    def row(self, intent_id: str) -> dict[str, Any]:
        with self.pg.cursor(row_factory=dict_row) as cur:
            found = cur.execute("SELECT * FROM order_intents WHERE intent_id = %s", (intent_id,)).fetchone()
        assert found is not None
        return found

    def position(self) -> dict[str, Any] | None:
        with self.pg.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                "SELECT * FROM strategy_positions WHERE strategy_id = %s AND token_id = %s", (STRATEGY_ID, YES)
            ).fetchone()

    def balance(self) -> Decimal:
        row = self.pg.execute(
            "SELECT balance_usd FROM strategy_settings WHERE strategy_id = %s", (STRATEGY_ID,)
        ).fetchone()
        assert row is not None
        return Decimal(row[0])

    def orders_for(self, intent_id: str) -> list[Any]:
        order_hash = self.row(intent_id)["order_hash"]
        return [o for o in self.exchange.ledger() if o.order_hash == order_hash]

    def rotate_credentials(self) -> str:
        """The operator rotates the wallet's API key: the exchange revokes the old one and the
        secret gets the new one. Returns the new API key."""
        fresh = self.exchange.rotate_credentials(self.address)
        name = credentials_secret_name(self.env["CLOB_CREDENTIALS_PREFIX"], WALLET_ID)
        store_credentials(self.sm, name, ApiCredentials(*fresh))
        return fresh.api_key

    def set_tunable(self, name: str, value: str) -> None:
        self.ssm.put_parameter(Name=f"{self.ssm_prefix}/tunables/{name}", Value=value, Type="String", Overwrite=True)


def seed_book(exchange: PaperExchange) -> None:
    exchange.set_book(
        YES,
        bids=[(Decimal("0.55"), Decimal("1000")), (Decimal("0.58"), Decimal("1000"))],
        asks=[(Decimal("0.62"), Decimal("1000")), (Decimal("0.60"), Decimal("1000"))],
    )


@pytest.fixture
def world(pg: Any, pg_url: str, moto_server: Any, queues: Any) -> Iterator[ExecutorWorld]:
    kms = moto_server.client("kms")
    sm = moto_server.client("secretsmanager")
    key_id = kms.create_key(Description="wallet keys (test)")["KeyMetadata"]["Arn"]
    key = new_private_key()
    with LocalKeySigner(bytearray(key)) as signer:
        address = signer.address
    envelope = wrap_private_key(kms, key_id, wallet_id=WALLET_ID, address=address, private_key=bytearray(key))
    save_wallet(pg, WalletRow(WALLET_ID, address, address, 0, envelope))
    insert_strategies(pg, [StrategySeed(STRATEGY_ID, WALLET_ID, [], balance_usd=Decimal("1000"))])

    exchange = start_paper_exchange(seed=7)
    exchange.add_market(CONDITION, tokens=[YES, NO], tick_size=Decimal("0.01"), min_size=Decimal("5"))
    seed_book(exchange)
    creds = exchange.add_account(address, signature_type=0, pusd=Decimal("1000"))
    prefix = f"omegacopy/t{uuid.uuid4().hex[:8]}/clob"
    store_credentials(sm, credentials_secret_name(prefix, WALLET_ID), ApiCredentials(*creds))
    ssm_prefix = f"/omegacopy/t{uuid.uuid4().hex[:8]}"
    env = {
        "STAGE": "test",
        "SSM_PREFIX": ssm_prefix,
        "DATABASE_URL": pg_url,
        "CLOB_URL": exchange.url,
        "CLOB_CREDENTIALS_PREFIX": prefix,
        "TUNABLES_MAX_AGE_S": "0",
        **moto_server.env,
    }
    w = ExecutorWorld(
        pg=pg,
        exchange=exchange,
        env=env,
        sqs=moto_server.client("sqs"),
        queue_url=queues.queue_url,
        dlq_url=queues.dlq_url,
        ssm_prefix=ssm_prefix,
        ssm=moto_server.client("ssm"),
        address=address,
        sm=sm,
        canaries=[bytes(key).hex(), creds.secret, creds.passphrase],
    )
    w.set_tunable("kill_switch", "false")  # a fresh stack's kill switch is ON: the operator releases it
    yield w
    exchange.stop()


def direct_event(bodies: list[tuple[str, str]]) -> dict[str, Any]:
    """An SQS FIFO batch (body, group) without going through the queue."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {
                    "MessageGroupId": group,
                    "MessageDeduplicationId": hashlib.sha256(body.encode()).hexdigest(),
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's own checksum, not security
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:omegacopy-execution.fifo",
                "awsRegion": "eu-west-1",
            }
            for i, (body, group) in enumerate(bodies)
        ]
    }


def old(seconds: int) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


@pytest.fixture
def fill_topic(moto_server: Any) -> Iterator[tuple[str, str]]:
    """A fill topic with a queue subscribed to it, as the notifier's subscription would see messages."""
    sns, sqs = moto_server.client("sns"), moto_server.client("sqs")
    name = f"fills-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    yield topic, queue_url
