"""Settlement's adapters: PostgreSQL, the markets dimension in ClickHouse, the chain (JSON-RPC),
wallet keys (KMS) to sign redemptions, the CLOB and the tunables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

import boto3

from omegacopy.adapters.clickhouse_client import connect_clickhouse
from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.pg_redemptions import PgRedemptionStore
from omegacopy.adapters.pg_settlements import PgSettlementStore
from omegacopy.adapters.polygon_rpc import JsonRpcChain
from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.app.redeem import RedemptionDeps
from omegacopy.app.settle_resolved import SettlementDeps
from omegacopy.config import SettlementEnv
from omegacopy.domain.redemption import RouteCandidates
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.wiring.clob import clob_exchanges
from omegacopy.wiring.secrets import secret_or_url


def _addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip().lower() for a in text.split(",") if a.strip())


def build_settlement_deps(environ: Mapping[str, str]) -> tuple[SettlementDeps, RedemptionDeps]:
    env = SettlementEnv.from_environ(environ)
    db_url = secret_or_url(env.database_url, env.database_secret_arn, "database")
    ch_url = secret_or_url(env.clickhouse_url, env.clickhouse_secret_arn, "clickhouse")
    rpc_url = secret_or_url(env.polygon_rpc_url, env.polygon_rpc_secret_arn, "polygon rpc")
    ch = connect_clickhouse(ch_url, connect_timeout=10, send_receive_timeout=30)
    vault = PgKmsKeyVault(db_url, boto3.client("kms"))
    chain = JsonRpcChain(rpc_url, timeout_s=env.rpc_timeout_s)
    routes = RouteCandidates(
        ctf=env.ctf_address.lower(),
        collaterals=_addresses(env.collateral_addresses),
        neg_risk_adapters=_addresses(env.neg_risk_adapter_addresses),
    )
    telemetry = PowertoolsTelemetry()
    exchanges = clob_exchanges(env, vault)
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
