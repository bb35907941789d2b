"""The wallet monitor's adapters: PostgreSQL, ClickHouse (OWRR inputs, track records), the trade
source, the execution queue and the tunables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

import boto3

from omegacopy.adapters.clickhouse_client import connect_clickhouse
from omegacopy.adapters.clickhouse_source import (
    ClickHouseMarketLookup,
    ClickHouseOwrrInputs,
    ClickHouseTradeSource,
    TableNames,
)
from omegacopy.adapters.clickhouse_track_records import ClickHouseTrackRecords
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.data_api_source import DataApiTradeSource
from omegacopy.adapters.market_lookup import GammaBackedMarketLookup
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.polymarket import public_data_from_env
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.run_tick import MonitorSettings, TickDeps
from omegacopy.config import MonitorEnv
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.ports import TradeSource
from omegacopy.wiring.secrets import secret_or_url


def build_monitor_deps(environ: Mapping[str, str]) -> TickDeps:
    env = MonitorEnv.from_environ(environ)
    db_url = secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
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
