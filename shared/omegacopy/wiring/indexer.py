"""The indexer's adapters: Polymarket's public APIs, ClickHouse, its PostgreSQL books, the tunables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache

import boto3

from omegacopy.adapters.clickhouse_client import connect_clickhouse
from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget, public_data_from_env
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.index_run import IndexDeps, index_settings
from omegacopy.config import IndexerEnv
from omegacopy.domain.models import Tunables
from omegacopy.ports import TunablesUnavailableError
from omegacopy.wiring.secrets import secret_or_url


def build_indexer_deps(environ: Mapping[str, str], *, public: PolymarketPublicData | None = None) -> IndexDeps:
    env = IndexerEnv.from_environ(environ)
    db_url = secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
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
