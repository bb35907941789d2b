"""Composition root: builds the adapters a function needs from its environment, once per container."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import boto3
import httpx
from aws_lambda_powertools.utilities import parameters
from botocore.config import Config

from omegacopy.adapters import notify_channels
from omegacopy.adapters.clickhouse_client import connect_clickhouse
from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.clickhouse_source import (
    ClickHouseMarketLookup,
    ClickHouseOwrrInputs,
    ClickHouseTradeSource,
    TableNames,
)
from omegacopy.adapters.clickhouse_track_records import ClickHouseTrackRecords
from omegacopy.adapters.clob_exchanges import ClobExchanges
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.data_api_source import DataApiTradeSource
from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.market_lookup import GammaBackedMarketLookup
from omegacopy.adapters.pg_balances import PgBalanceStore
from omegacopy.adapters.pg_daily_summary import PgDailySummary
from omegacopy.adapters.pg_executor_store import PgExecutorStore, PgPortfolioStore
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.pg_redemptions import PgRedemptionStore
from omegacopy.adapters.pg_settlements import PgSettlementStore
from omegacopy.adapters.polygon_rpc import JsonRpcChain
from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget, public_data_from_env
from omegacopy.adapters.sns_fill_events import SnsFillEvents
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.adapters.webhook_post import PostPolicy, WebhookPoster
from omegacopy.app.execute_intent import ExecutorDeps, ExecutorSettings
from omegacopy.app.index_run import IndexDeps, index_settings
from omegacopy.app.redeem import RedemptionDeps
from omegacopy.app.run_tick import MonitorSettings, TickDeps
from omegacopy.app.settle_resolved import SettlementDeps
from omegacopy.config import DailySummaryEnv, ExecutorEnv, IndexerEnv, MonitorEnv, NotifierEnv, SettlementEnv
from omegacopy.domain.models import Tunables
from omegacopy.domain.redemption import RouteCandidates
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.ports import MarketResolutions, NoResolutions, NoticeChannel, TradeSource, TunablesUnavailableError
from omegacopy.redaction import register


def _secret_or_url(url: object, secret_arn: str | None, what: str) -> str:
    if url is not None:
        value = str(url.get_secret_value())  # type: ignore[attr-defined]
    elif secret_arn:
        # Secrets Manager, cached by Powertools for the container's life (rotations: max_age)
        value = str(parameters.get_secret(secret_arn, max_age=300))
    else:
        raise RuntimeError(f"{what}: set its URL or secret ARN in the environment")
    register(value)  # never in an error message or a log line from here on
    return value


def build_monitor_deps(environ: Mapping[str, str]) -> TickDeps:
    env = MonitorEnv.from_environ(environ)
    db_url = _secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = _secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
    ch = connect_clickhouse(ch_url, connect_timeout=env.source_timeout_s, send_receive_timeout=env.source_timeout_s)
    tables = TableNames(env.trades_table, env.metrics_table, env.markets_table)
    clock = SystemClock()
    source: TradeSource
    if env.trade_source == "data_api":
        # the source timeout applies to the Data API too, unless PUBLIC_API_TIMEOUT_S says otherwise
        public = public_data_from_env({"PUBLIC_API_TIMEOUT_S": str(env.source_timeout_s), **environ})
        source = DataApiTradeSource(
            public,
            markets=GammaBackedMarketLookup(ClickHouseMarketLookup(ch, tables), public),
            lookback_s=env.data_api_lookback_s,
            # two reads a tick at most (new fills, then history behind sales) inside the 25 s timeout
            call_deadline_s=10.0,
        )
    else:
        source = ClickHouseTradeSource(ch, tables, clock=clock, future_skew_s=env.future_skew_s)
    return TickDeps(
        store=PgMonitorStore(db_url, statement_timeout_ms=env.db_statement_timeout_ms),
        source=source,
        owrr_inputs=ClickHouseOwrrInputs(
            ch, tables, positions_from=env.owrr_positions, clock=clock, future_skew_s=env.future_skew_s
        ),
        queue=SqsIntentQueue(boto3.client("sqs"), env.execution_queue_url),
        tunables=SsmTunables(env.ssm_prefix, max_age_s=env.tunables_max_age_s, ssm_client=boto3.client("ssm")),
        clock=clock,
        telemetry=PowertoolsTelemetry(),
        track_records=ClickHouseTrackRecords(ch, tables),
        settings=MonitorSettings(
            overlap_s=env.overlap_s,
            initial_lookback_s=env.initial_lookback_s,
            outbox_batch_limit=env.outbox_batch_limit,
            future_skew_s=env.future_skew_s,
        ),
    )


@cache
def monitor_deps() -> TickDeps:
    """Per-container singleton: connections stay warm across invocations."""
    return build_monitor_deps(os.environ)


def build_executor_deps(environ: Mapping[str, str]) -> ExecutorDeps:
    env = ExecutorEnv.from_environ(environ)
    db_url = _secret_or_url(env.database_url, env.database_secret_arn, "database")
    vault = PgKmsKeyVault(db_url, boto3.client("kms"))
    fill_events = None
    if env.fill_topic_arn:
        # short timeouts, few retries: an announcement must not eat the time an order needs
        sns = boto3.client("sns", config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2}))
        fill_events = SnsFillEvents(sns, env.fill_topic_arn)
    return ExecutorDeps(
        store=PgExecutorStore(db_url),
        exchanges=ClobExchanges(
            env.clob_url,
            credentials_prefix=env.clob_credentials_prefix,
            identities=vault,
            chain_id=env.chain_id,
            timeout_s=env.http_timeout_s,
        ),
        keys=vault,
        tunables=SsmTunables(env.ssm_prefix, max_age_s=env.tunables_max_age_s, ssm_client=boto3.client("ssm")),
        clock=SystemClock(),
        telemetry=PowertoolsTelemetry(),
        settings=ExecutorSettings(
            chain_id=env.chain_id,
            builder_code=env.builder_code,
            deadline_margin_ms=env.deadline_margin_ms,
            paper_fee_bps=env.paper_fee_bps,
        ),
        fill_events=fill_events,
    )


@cache
def executor_deps() -> ExecutorDeps:
    return build_executor_deps(os.environ)


@cache
def portfolio_store() -> PgPortfolioStore:
    store = executor_deps().store
    assert isinstance(store, PgExecutorStore)
    return PgPortfolioStore(store)


@cache
def balance_store() -> PgBalanceStore:
    store = executor_deps().store
    assert isinstance(store, PgExecutorStore)
    return PgBalanceStore(store)


def build_market_resolutions(environ: Mapping[str, str]) -> MarketResolutions:
    """The markets dimension in ClickHouse when the reconciler is given one; else none is known."""
    env = ExecutorEnv.from_environ(environ)
    if env.clickhouse_url is None and not env.clickhouse_secret_arn:
        return NoResolutions()

    def connect() -> Any:  # on first use: ClickHouse away must not stop the reconciler
        url = _secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
        return connect_clickhouse(url, connect_timeout=3, send_receive_timeout=5)

    return ClickHouseResolutions(connect=connect)


@cache
def market_resolutions() -> MarketResolutions:
    return build_market_resolutions(os.environ)


def container_singletons() -> tuple[Any, ...]:
    """Every per-container singleton of this module (what a fresh container starts without): each
    function's builder cached with `functools.cache`, wherever in the module it is defined."""
    return tuple(v for v in globals().values() if callable(v) and hasattr(v, "cache_clear"))


def build_indexer_deps(environ: Mapping[str, str], *, public: PolymarketPublicData | None = None) -> IndexDeps:
    env = IndexerEnv.from_environ(environ)
    db_url = _secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = _secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
    ch = connect_clickhouse(ch_url, connect_timeout=10, send_receive_timeout=60)
    data = public or public_data_from_env({"PUBLIC_API_TIMEOUT_S": str(env.http_timeout_s), **environ})

    def requests_made() -> dict[str, int]:
        total = data.stats().total()
        return {"requests": total.requests, "throttled": total.throttled, "retries": total.retries,
                "errors": total.errors}  # fmt: skip

    return IndexDeps(
        data=data,
        store=ClickHouseIndexStore(ch),
        books=PgIndexBooks(db_url),
        clock=SystemClock(),
        settings=index_settings(Tunables(), workers=env.workers),
        requests_made=requests_made,
    )


@cache
def _indexer_container() -> tuple[IndexDeps, SsmTunables, int]:
    env = IndexerEnv.from_environ(os.environ)
    tunables = SsmTunables(env.ssm_prefix, max_age_s=env.tunables_max_age_s, ssm_client=boto3.client("ssm"))
    return build_indexer_deps(os.environ), tunables, env.workers


def indexer_deps(remaining_ms: Callable[[], int] | None = None) -> IndexDeps:
    """The container's indexer for one pass: settings from the tunables as they are now (the
    built-in defaults while none can be read: the indexer places no order, so it need not stop),
    its client given a fresh budget, never closer than 20 s to the Lambda's end."""
    deps, source, workers = _indexer_container()
    try:
        tunables = source.get()
    except TunablesUnavailableError:
        tunables = Tunables()
    deps.settings = index_settings(tunables, workers=workers)
    seconds = float(tunables.indexer_run_budget_s)
    if remaining_ms is not None:
        seconds = min(seconds, max(1.0, remaining_ms() / 1000 - 20))
    data = deps.data
    assert isinstance(data, PolymarketPublicData)
    data.begin_run(RunBudget.within(data.timer, seconds))
    return deps


def _addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip().lower() for a in text.split(",") if a.strip())


def build_settlement_deps(environ: Mapping[str, str]) -> tuple[SettlementDeps, RedemptionDeps]:
    env = SettlementEnv.from_environ(environ)
    db_url = _secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = _secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
    rpc_url = _secret_or_url(env.polygon_rpc_url, env.polygon_rpc_secret_arn, "polygon rpc")
    ch = connect_clickhouse(ch_url, connect_timeout=10, send_receive_timeout=30)
    vault = PgKmsKeyVault(db_url, boto3.client("kms"))
    chain = JsonRpcChain(rpc_url, timeout_s=env.rpc_timeout_s)
    routes = RouteCandidates(
        ctf=env.ctf_address.lower(),
        collaterals=_addresses(env.collateral_addresses),
        neg_risk_adapters=_addresses(env.neg_risk_adapter_addresses),
    )
    telemetry = PowertoolsTelemetry()
    exchanges = ClobExchanges(
        env.clob_url,
        credentials_prefix=env.clob_credentials_prefix,
        identities=vault,
        chain_id=env.chain_id,
        timeout_s=env.http_timeout_s,
    )
    settlement = SettlementDeps(
        store=PgSettlementStore(db_url),
        markets=ClickHouseResolutions(ch, markets_table=env.markets_table),
        exchanges=exchanges,
        telemetry=telemetry,
        chain=chain,
        routes=routes,
    )
    redemption = RedemptionDeps(
        store=PgRedemptionStore(db_url),
        chain=chain,
        keys=vault,
        tunables=SsmTunables(env.ssm_prefix, max_age_s=env.tunables_max_age_s, ssm_client=boto3.client("ssm")),
        clock=SystemClock(),
        telemetry=telemetry,
        chain_id=env.chain_id,
        routes=routes,
        batch_limit=env.redemption_batch_limit,
    )
    return settlement, redemption


@cache
def settlement_deps() -> tuple[SettlementDeps, RedemptionDeps]:
    return build_settlement_deps(os.environ)


# --- notifications ---------------------------------------------------------------------------------


def build_channels(environ: Mapping[str, str]) -> list[NoticeChannel]:
    """The channels the webhooks secret names (read through Powertools' cache, 5 minutes)."""
    env = NotifierEnv.from_environ(environ)
    if env.notify_channels is not None:
        text = env.notify_channels.get_secret_value()
    elif env.notify_secret_arn:
        text = str(parameters.get_secret(env.notify_secret_arn, max_age=300))
    else:
        raise RuntimeError("notifier: set NOTIFY_SECRET_ARN (or NOTIFY_CHANNELS) in the environment")
    poster = WebhookPoster(
        _http_client(env.http_timeout_s), PostPolicy(max_attempts=env.max_attempts, max_wait_s=env.max_wait_s)
    )
    return notify_channels.build_channels(notify_channels.channel_settings(text), poster)


@cache
def _http_client(timeout_s: float) -> httpx.Client:
    return httpx.Client(timeout=timeout_s, follow_redirects=False)


def notifier_channels() -> list[NoticeChannel]:
    """Per invocation: a rotated or newly filled-in secret is picked up within the cache's 5 minutes."""
    return build_channels(os.environ)


@cache
def daily_summary_source() -> PgDailySummary:
    env = DailySummaryEnv.from_environ(os.environ)
    return PgDailySummary(_secret_or_url(env.database_url, env.database_secret_arn, "database"))
