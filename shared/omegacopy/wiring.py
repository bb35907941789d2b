"""Composition root: builds the adapters a function needs from its environment, once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

import boto3
import clickhouse_connect
from aws_lambda_powertools.utilities import parameters

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
from omegacopy.adapters.pg_executor_store import PgExecutorStore, PgPortfolioStore
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.execute_intent import ExecutorDeps, ExecutorSettings
from omegacopy.app.run_tick import MonitorSettings, TickDeps
from omegacopy.config import ExecutorEnv, MonitorEnv
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.ports import TradeSource


def _secret_or_url(url: object, secret_arn: str | None, what: str) -> str:
    if url is not None:
        return str(url.get_secret_value())  # type: ignore[attr-defined]
    if secret_arn:
        # Secrets Manager, cached by Powertools for the container's life (rotations: max_age)
        return str(parameters.get_secret(secret_arn, max_age=300))
    raise RuntimeError(f"{what}: set its URL or secret ARN in the environment")


def build_monitor_deps(environ: Mapping[str, str]) -> TickDeps:
    env = MonitorEnv.from_environ(environ)
    db_url = _secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = _secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
    ch = clickhouse_connect.get_client(
        dsn=ch_url, connect_timeout=env.source_timeout_s, send_receive_timeout=env.source_timeout_s
    )
    tables = TableNames(env.trades_table, env.metrics_table, env.markets_table)
    source: TradeSource
    if env.trade_source == "data_api":
        source = DataApiTradeSource(
            env.data_api_url, markets=ClickHouseMarketLookup(ch, tables), timeout_s=env.source_timeout_s
        )
    else:
        source = ClickHouseTradeSource(ch, tables)
    return TickDeps(
        store=PgMonitorStore(db_url, statement_timeout_ms=env.db_statement_timeout_ms),
        source=source,
        owrr_inputs=ClickHouseOwrrInputs(ch, tables),
        queue=SqsIntentQueue(boto3.client("sqs"), env.execution_queue_url),
        tunables=SsmTunables(env.ssm_prefix, max_age_s=env.tunables_max_age_s, ssm_client=boto3.client("ssm")),
        clock=SystemClock(),
        telemetry=PowertoolsTelemetry(),
        settings=MonitorSettings(
            overlap_s=env.overlap_s,
            initial_lookback_s=env.initial_lookback_s,
            outbox_batch_limit=env.outbox_batch_limit,
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
