"""Composition root: builds the adapters a function needs from its environment, once per container."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters

from omegacopy.adapters.clickhouse_client import connect_clickhouse
from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clickhouse_resolutions import ClickHouseMarketResolutions
from omegacopy.adapters.clickhouse_source import (
    ClickHouseMarketLookup,
    ClickHouseOwrrInputs,
    ClickHouseTradeSource,
    TableNames,
)
from omegacopy.adapters.clob_exchanges import ClobExchanges
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.data_api_source import DataApiTradeSource
from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.market_lookup import GammaBackedMarketLookup
from omegacopy.adapters.pg_balances import PgBalanceStore
from omegacopy.adapters.pg_executor_store import PgExecutorStore, PgPortfolioStore
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget, public_data_from_env
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.execute_intent import ExecutorDeps, ExecutorSettings
from omegacopy.app.index_run import IndexDeps, IndexSettings
from omegacopy.app.run_tick import MonitorSettings, TickDeps
from omegacopy.config import ExecutorEnv, IndexerEnv, MonitorEnv
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.ports import MarketResolutions, NoResolutions, TradeSource
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
            chain_id=env.chain_id, builder_code=env.builder_code, deadline_margin_ms=env.deadline_margin_ms
        ),
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

    return ClickHouseMarketResolutions(connect)


@cache
def market_resolutions() -> MarketResolutions:
    return build_market_resolutions(os.environ)


def container_singletons() -> tuple[Any, ...]:
    """Every per-container singleton above (what a fresh container starts without)."""
    return (monitor_deps, executor_deps, portfolio_store, balance_store, market_resolutions)


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
        settings=IndexSettings(
            trade_lookback_s=env.trade_lookback_s,
            traded_window_days=env.traded_window_days,
            holders_max_age_s=env.holders_max_age_s,
            metrics_max_age_s=env.metrics_max_age_s,
            market_max_age_s=env.market_max_age_s,
            max_holder_markets=env.max_holder_markets,
            max_metric_wallets=env.max_metric_wallets,
            workers=env.workers,
        ),
        requests_made=requests_made,
    )


@cache
def _indexer_deps() -> IndexDeps:
    return build_indexer_deps(os.environ)


def indexer_deps(remaining_ms: Callable[[], int] | None = None) -> IndexDeps:
    """The container's indexer, its client given a fresh budget for this invocation: the pass's
    own budget, and never closer than 20 s to the Lambda's end."""
    deps = _indexer_deps()
    env = IndexerEnv.from_environ(os.environ)
    seconds = env.run_budget_s
    if remaining_ms is not None:
        seconds = min(seconds, max(1.0, remaining_ms() / 1000 - 20))
    data = deps.data
    assert isinstance(data, PolymarketPublicData)
    data.begin_run(RunBudget.within(data.timer, seconds))
    return deps
