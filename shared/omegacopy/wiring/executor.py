"""The executor's adapters: PostgreSQL, wallet keys (KMS), the CLOB, the tunables, fill events."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

import boto3
from botocore.config import Config

from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.pg_executor_store import PgExecutorStore
from omegacopy.adapters.sns_fill_events import SnsFillEvents
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.execute_intent import ExecutorDeps, ExecutorSettings
from omegacopy.config import ExecutorEnv
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.wiring.clob import clob_exchanges
from omegacopy.wiring.secrets import secret_or_url


def build_executor_deps(environ: Mapping[str, str]) -> ExecutorDeps:
    env = ExecutorEnv.from_environ(environ)
    db_url = secret_or_url(env.database_url, env.database_secret_arn, "database")
    vault = PgKmsKeyVault(db_url, boto3.client("kms"))
    fill_events = None
    if env.fill_topic_arn:
        # short timeouts, few retries: an announcement must not eat the time an order needs
        sns = boto3.client("sns", config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2}))
        fill_events = SnsFillEvents(sns, env.fill_topic_arn)
    return ExecutorDeps(
        store=PgExecutorStore(db_url),
        exchanges=clob_exchanges(env, vault),
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
    """Per-container singleton: connections stay warm across invocations."""
    return build_executor_deps(os.environ)
