"""The reconciler's adapters: the executor's (same database, exchange and tunables), its portfolio
and balance views, and the markets dimension in ClickHouse when it is given one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.pg_balances import PgBalanceStore
from omegacopy.adapters.pg_executor_store import PgExecutorStore, PgPortfolioStore
from omegacopy.config import ExecutorEnv
from omegacopy.ports import MarketResolutions, NoResolutions
from omegacopy.wiring.executor import executor_deps
from omegacopy.wiring.secrets import secret_or_url


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
        # imported here too: the driver's import is paid on first use, not at every cold start
        from omegacopy.adapters.clickhouse_client import connect_clickhouse  # noqa: PLC0415

        url = secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
        return connect_clickhouse(url, connect_timeout=3, send_receive_timeout=5)

    return ClickHouseResolutions(connect=connect)


@cache
def market_resolutions() -> MarketResolutions:
    return build_market_resolutions(os.environ)
