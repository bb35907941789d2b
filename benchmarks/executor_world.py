"""An executor world for the executor benchmarks (soak, latency): real services, edge wrappers.

Real PostgreSQL (migrated), moto (KMS, Secrets Manager) and the paper exchange; follower wallets
imported the production way (a KMS envelope in `wallets`, CLOB credentials in Secrets Manager);
intents written the way the monitor's tick writes them. The executor gets the production adapters
(`PgExecutorStore`, `PgKmsKeyVault`, `ClobClient`) behind thin edge wrappers that only observe:

- `EdgeExchange` wraps the real `ClobClient`: it stamps `time.perf_counter()` the moment
  `post_order` is called and, when armed, raises `SimulatedCrash` right after the POST returned
  (the Lambda dies: nothing after the POST runs);
- `TimedKeyVault` / `TimedStore` time the KMS unwrap, the row lock, the risk inputs and the commit.

One deliberate difference from `wiring.executor.build_executor_deps`: the clients get a lifted client-side
per-signer rate limiter (production: 5 orders/s per signer, which would make a 10,000-order run
last half an hour and measure the limiter, not the executor).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob.resilience import SignerRateLimiter
from omegacopy.adapters.clob_credentials import credentials_secret_name, store_credentials
from omegacopy.adapters.clob_exchanges import ClobExchanges
from omegacopy.adapters.fixed_tunables import FixedTunables
from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.pg_executor_store import PgExecutorStore
from omegacopy.adapters.pg_monitor_store import PgMonitorSession
from omegacopy.adapters.pg_wallets import WalletRow, save_wallet
from omegacopy.adapters.schema import find_infra_dir, migrate
from omegacopy.adapters.wallet_keys import wrap_private_key
from omegacopy.app.execute_intent import ExecutorDeps, ExecutorSettings
from omegacopy.devstack.aws import MotoServer, start_moto
from omegacopy.devstack.paper import PaperExchange, start_paper_exchange
from omegacopy.devstack.postgres import PostgresServer, start_postgres
from omegacopy.devstack.seed import StrategySeed, insert_strategies
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.domain.clob_models import OrderBook, OrderRecord, PostResult, Trade
from omegacopy.domain.intent import Intent, IntentProgress, IntentState, Submission
from omegacopy.domain.models import Tunables
from omegacopy.domain.positions import BookedFill, Position
from omegacopy.domain.signer import LocalKeySigner, Signer, new_private_key
from omegacopy.observability import PowertoolsTelemetry, logger, metrics
from omegacopy.ports import (
    Exchange,
    IntentTransaction,
    KeyVault,
    RiskInputs,
    TickWrite,
    WalletIdentity,
)

CENT = Decimal("0.01")
LIFTED_RATE_PER_S = 1_000_000.0


class SimulatedCrash(BaseException):
    """The executor died right after the POST returned (BaseException: no `except Exception` stops it)."""


# --- clock and tunables ---------------------------------------------------------------------------
class ControlledClock:
    """Wall clock plus an offset the harness moves forward (reconcile's grace period, ages)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self._offset.total_seconds()

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


# --- the exchange edge ------------------------------------------------------------------------------
@dataclass
class PostProbe:
    """Shared by every `EdgeExchange`: what the current execution did at the POST edge."""

    crash_armed: bool = False
    post_called_at: float | None = None
    book_s: float = 0.0
    posts: int = 0
    crashes: int = 0

    def reset(self, *, crash: bool = False) -> None:
        self.crash_armed = crash
        self.post_called_at = None
        self.book_s = 0.0


class EdgeExchange:
    """The `Exchange` port around the real `ClobClient`: observe the POST, optionally die after it."""

    def __init__(self, inner: ClobClient, probe: PostProbe) -> None:
        self._inner = inner
        self._probe = probe

    @property
    def api_key(self) -> str:
        return self._inner.api_key

    def order_book(self, token_id: str) -> OrderBook:
        started = time.perf_counter()
        book = self._inner.order_book(token_id)
        self._probe.book_s += time.perf_counter() - started
        return book

    def post_order(self, body: bytes, *, order_hash: str) -> PostResult:
        if self._probe.post_called_at is None:
            self._probe.post_called_at = time.perf_counter()
        self._probe.posts += 1
        result = self._inner.post_order(body, order_hash=order_hash)
        if self._probe.crash_armed:
            self._probe.crash_armed = False
            self._probe.crashes += 1
            raise SimulatedCrash(f"killed right after POST of {order_hash}")
        return result

    def get_order(self, order_hash: str) -> OrderRecord | None:
        return self._inner.get_order(order_hash)

    def cancel_order(self, order_hash: str) -> object:
        return self._inner.cancel_order(order_hash)

    def trades(self, *, token_id: str | None = None, after: int | None = None) -> list[Trade]:
        return self._inner.trades(token_id=token_id, after=after)

    def __getattr__(self, name: str) -> Any:
        # the port may grow while this harness stays put: anything else goes to the real client
        return getattr(self._inner, name)


class EdgeExchanges:
    """`Exchanges`: the production `ClobExchanges` (one client per wallet, credentials from Secrets
    Manager) with the client-side rate limit lifted, each client wrapped at the edge."""

    def __init__(self, base_url: str, *, prefix: str, identities: KeyVault, sm_client: Any, probe: PostProbe) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._inner = ClobExchanges(
            base_url,
            credentials_prefix=prefix,
            identities=identities,
            secrets_provider=SecretsProvider(boto3_client=sm_client),
            rate_limiter=SignerRateLimiter(rate_per_s=LIFTED_RATE_PER_S, burst=LIFTED_RATE_PER_S),
        )
        self._probe = probe
        self._edges: dict[str, EdgeExchange] = {}

    def for_wallet(self, wallet_id: str) -> Exchange:
        edge = self._edges.get(wallet_id)
        if edge is None:
            edge = self._edges[wallet_id] = EdgeExchange(self._inner.for_wallet(wallet_id), self._probe)
        return edge

    def close(self) -> None:
        self._inner.close()
        self._edges.clear()


# --- timing wrappers (latency breakdown) ------------------------------------------------------------
@dataclass
class StepTimes:
    """Seconds spent in each pre-POST step of the current execution (first occurrence only)."""

    lock_s: float | None = None
    risk_inputs_s: float | None = None
    identity_s: float | None = None
    unwrap_s: float | None = None
    sign_s: float | None = None
    commit_s: float | None = None

    def reset(self) -> None:
        self.lock_s = self.risk_inputs_s = self.identity_s = self.unwrap_s = self.sign_s = self.commit_s = None


class TimedKeyVault:
    """`KeyVault` around `PgKmsKeyVault`: times the unwrap (row read + KMS Decrypt + AES-GCM) and the block."""

    def __init__(self, inner: PgKmsKeyVault, times: StepTimes) -> None:
        self._inner = inner
        self._times = times

    def identity(self, wallet_id: str) -> WalletIdentity:
        started = time.perf_counter()
        identity = self._inner.identity(wallet_id)
        if self._times.identity_s is None:
            self._times.identity_s = time.perf_counter() - started
        return identity

    @contextlib.contextmanager
    def signer(self, wallet_id: str) -> Iterator[Signer]:
        started = time.perf_counter()
        with self._inner.signer(wallet_id) as signer:
            entered = time.perf_counter()
            if self._times.unwrap_s is None:
                self._times.unwrap_s = entered - started
            yield signer
            if self._times.sign_s is None:
                self._times.sign_s = time.perf_counter() - entered


class _TimedTransaction:
    def __init__(self, inner: IntentTransaction, times: StepTimes) -> None:
        self._inner = inner
        self._times = times

    @property
    def intent(self) -> Intent:
        return self._inner.intent

    @property
    def progress(self) -> IntentProgress:
        return self._inner.progress

    def risk_inputs(self) -> RiskInputs:
        started = time.perf_counter()
        inputs = self._inner.risk_inputs()
        if self._times.risk_inputs_s is None:
            self._times.risk_inputs_s = time.perf_counter() - started
        return inputs

    def position(self) -> Position:
        return self._inner.position()

    def position_is_paper(self) -> bool | None:
        return self._inner.position_is_paper()

    def mark_submitting(self, submission: Submission) -> None:
        self._inner.mark_submitting(submission)

    def finish(self, state: IntentState, *, reason_code: str, message: str, exchange_status: str | None = None) -> None:
        self._inner.finish(state, reason_code=reason_code, message=message, exchange_status=exchange_status)

    def record_fill(self, booked: BookedFill, *, exchange_status: str | None, fee_usd: Decimal = Decimal(0)) -> None:
        self._inner.record_fill(booked, exchange_status=exchange_status, fee_usd=fee_usd)

    def note_reconcile_miss(self) -> int:
        return self._inner.note_reconcile_miss()


class TimedStore:
    """`ExecutorStore` around `PgExecutorStore`: times the row lock (enter) and the commit (exit)."""

    def __init__(self, inner: PgExecutorStore, times: StepTimes) -> None:
        self._inner = inner
        self._times = times

    @contextlib.contextmanager
    def locked(self, intent_id: str) -> Iterator[IntentTransaction | None]:
        first = self._times.lock_s is None
        started = time.perf_counter()
        with self._inner.locked(intent_id) as tx:
            if first:
                self._times.lock_s = time.perf_counter() - started
            yield None if tx is None else _TimedTransaction(tx, self._times)
            leaving = time.perf_counter()
        if first:
            self._times.commit_s = time.perf_counter() - leaving

    def reconcilable(self, *, older_than: datetime, limit: int) -> list[str]:
        return self._inner.reconcilable(older_than=older_than, limit=limit)

    def stale_new(self, *, created_before: datetime, limit: int) -> list[str]:
        return self._inner.stale_new(created_before=created_before, limit=limit)

    def postpone(self, intent_id: str) -> None:
        self._inner.postpone(intent_id)


# --- the world ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Market:
    condition_id: str
    tokens: tuple[str, str]
    mids: tuple[Decimal, Decimal]


@dataclass
class World:
    pg_server: PostgresServer
    moto: MotoServer
    exchange: PaperExchange
    conn: psycopg.Connection[Any]
    kms_key_id: str
    creds_prefix: str
    wallets: dict[str, str] = field(default_factory=dict)  # wallet id -> address
    markets: list[Market] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.pg_server.url

    def add_wallet(self, wallet_id: str, *, pusd: Decimal) -> str:
        key = new_private_key()
        with LocalKeySigner(bytearray(key)) as signer:
            address = signer.address
        envelope = wrap_private_key(
            self.moto.client("kms"), self.kms_key_id, wallet_id=wallet_id, address=address, private_key=key
        )
        save_wallet(self.conn, WalletRow(wallet_id, address, address, 0, envelope))
        creds = self.exchange.add_account(address, signature_type=0, pusd=pusd)
        store_credentials(
            self.moto.client("secretsmanager"),
            credentials_secret_name(self.creds_prefix, wallet_id),
            ApiCredentials(*creds),
        )
        self.wallets[wallet_id] = address
        return address

    def add_strategy(self, strategy_id: str, wallet_id: str, *, balance_usd: Decimal, mode: str = "live") -> None:
        insert_strategies(self.conn, [StrategySeed(strategy_id, wallet_id, [], balance_usd=balance_usd, mode=mode)])

    def rotate_credentials(self, wallet_id: str) -> None:
        """The operator rotates a wallet's API key: the exchange revokes the old one (401 from now
        on) and the secret gets the new one; running clients still hold the old one."""
        fresh = self.exchange.rotate_credentials(self.wallets[wallet_id])
        store_credentials(
            self.moto.client("secretsmanager"),
            credentials_secret_name(self.creds_prefix, wallet_id),
            ApiCredentials(*fresh),
        )

    def add_market(
        self, index: int, *, yes_mid: Decimal, depth: Decimal, levels: int = 5, fee_rate_bps: int = 0
    ) -> Market:
        condition_id = "0x" + hashlib.sha256(f"bench-market-{index}".encode()).hexdigest()
        yes, no = (_token_id(f"bench-{index}-{outcome}") for outcome in ("yes", "no"))
        self.exchange.add_market(
            condition_id, tokens=[yes, no], tick_size=Decimal("0.01"), min_size=Decimal("5"), fee_rate_bps=fee_rate_bps
        )
        mids = (yes_mid, Decimal(1) - yes_mid)
        for token, mid in zip((yes, no), mids, strict=True):
            self.exchange.set_book(
                token,
                bids=[(mid - CENT * k, depth) for k in range(1, levels + 1)],
                asks=[(mid + CENT * k, depth) for k in range(1, levels + 1)],
            )
        market = Market(condition_id, (yes, no), mids)
        self.markets.append(market)
        return market

    def write_intents(self, rows: Sequence[Intent], *, chunk: int = 2_000) -> None:
        """Insert NEW intents the way the monitor's tick does (one transaction per chunk)."""
        session = PgMonitorSession(self.conn)
        now = datetime.now(UTC)
        for start in range(0, len(rows), chunk):
            part = list(rows[start : start + chunk])
            tick_id = f"bench-{uuid.uuid4().hex[:8]}"
            session.write_tick(TickWrite(tick_id=tick_id, started_at=now, source="bench", watermark=now, intents=part))

    def deps(
        self, *, tunables: Tunables, clock: ControlledClock, probe: PostProbe, times: StepTimes | None = None
    ) -> tuple[ExecutorDeps, EdgeExchanges]:
        vault = PgKmsKeyVault(self.url, self.moto.client("kms"))
        store = PgExecutorStore(self.url)
        exchanges = EdgeExchanges(
            self.exchange.url,
            prefix=self.creds_prefix,
            identities=vault,
            sm_client=self.moto.client("secretsmanager"),
            probe=probe,
        )
        deps = ExecutorDeps(
            store=store if times is None else TimedStore(store, times),
            exchanges=exchanges,
            keys=vault if times is None else TimedKeyVault(vault, times),
            tunables=FixedTunables(tunables),
            clock=clock,
            telemetry=PowertoolsTelemetry(),
            settings=ExecutorSettings(),
        )
        return deps, exchanges


@contextlib.contextmanager
def executor_world(*, seed: int) -> Iterator[World]:
    """PostgreSQL + moto + the paper exchange, migrated and ready; everything stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with contextlib.ExitStack() as stack:
        pg_server = stack.enter_context(start_postgres())
        migrate(pg_server.url, find_infra_dir() / "postgres" / "migrations")
        moto = stack.enter_context(start_moto())
        exchange = stack.enter_context(start_paper_exchange(seed=seed))
        conn = stack.enter_context(psycopg.connect(pg_server.url, autocommit=True))
        key_id = moto.client("kms").create_key(Description="wallet keys (benchmark)")["KeyMetadata"]["Arn"]
        yield World(
            pg_server=pg_server,
            moto=moto,
            exchange=exchange,
            conn=conn,
            kms_key_id=key_id,
            creds_prefix=f"omegacopy/bench{uuid.uuid4().hex[:8]}/clob",
        )


def _token_id(seed: str) -> str:
    return str(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") >> 2)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Benchmarks print `name: value unit` only: Powertools logs WARNING+ (as POWERTOOLS_LOG_LEVEL=WARNING
    would) to stderr, and EMF output is dropped.

    (Powertools Metrics prints a flush to stdout every 100 values of a metric; nothing here
    publishes metrics, so they are discarded.)
    """
    previous_level = logger.log_level
    logger.setLevel(logging.WARNING)
    handler = logger.registered_handler
    stream = getattr(handler, "stream", None)
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            yield
    finally:
        metrics.clear_metrics()
        logger.setLevel(previous_level)
        if isinstance(handler, logging.StreamHandler) and stream is not None:
            handler.setStream(stream)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]
