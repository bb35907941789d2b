"""Configuration models: one environment model per function, and the SSM tunables.

Environment is parsed once per container with pydantic; tunables come from SSM every tick
(Powertools Parameters, short max age) and are validated value by value against the one model
that defines them (`omegacopy.domain.models.Tunables`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from omegacopy.domain.models import Tunables


class _Env(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        return cls.model_validate({k.lower(): v for k, v in environ.items()})


class MonitorEnv(_Env):
    """Wallet-monitor environment. Secrets arrive as references (ARNs) in AWS, as URLs locally."""

    stage: str = "dev"
    ssm_prefix: str = "/omegacopy/dev"
    execution_queue_url: str
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    clickhouse_url: SecretStr | None = None  # http://user:pass@host:port
    clickhouse_secret_arn: str | None = None
    trade_source: Literal["clickhouse", "data_api"] = "data_api"
    # where OWRR finds each market's open positions: the indexer's holder snapshots, or the open
    # BUY rows of trades_raw (an external indexer that fills only trades_raw)
    owrr_positions: Literal["holders", "trades"] = "holders"
    data_api_url: str = "https://data-api.polymarket.com"
    # TRADE_SOURCE=data_api re-reads this far back each tick: a trade published this late is still seen
    data_api_lookback_s: Annotated[int, Field(ge=0, le=86_400)] = 600
    trades_table: str = "trades_raw"
    metrics_table: str = "wallet_metrics_by_category"
    markets_table: str = "markets"
    overlap_s: Annotated[int, Field(ge=0, le=3600)] = 120
    initial_lookback_s: Annotated[int, Field(ge=0, le=86_400)] = 300
    source_timeout_s: Annotated[float, Field(gt=0, le=60)] = 8.0
    db_statement_timeout_ms: Annotated[int, Field(gt=0, le=60_000)] = 5_000
    outbox_batch_limit: Annotated[int, Field(gt=0, le=10_000)] = 2_000
    tunables_max_age_s: Annotated[int, Field(ge=0, le=300)] = 30
    # how far a source's clock may run ahead of ours: rows that arrived later than now + this wait
    # for their time, and a trade time beyond it makes the row invalid
    future_skew_s: Annotated[int, Field(ge=0, le=300)] = 30


class PublicApiEnv(_Env):
    """Polymarket's public APIs (Gamma, Data API v2) as the indexer and the Data API source read them."""

    data_api_url: str = "https://data-api.polymarket.com"
    gamma_api_url: str = "https://gamma-api.polymarket.com"
    public_api_timeout_s: Annotated[float, Field(gt=0, le=60)] = 8.0
    public_api_max_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    # share of the published rate limits this function may use (functions behind one egress split them)
    public_api_rate_fraction: Annotated[float, Field(gt=0, le=1)] = 0.95
    # the published limits times this: only for a local emulator that enforces the same multiplied
    # limits (the dev stack sets it so a compressed run does not wait on Polymarket's numbers)
    public_api_limit_multiplier: Annotated[float, Field(ge=1, le=1000)] = 1.0
    public_api_future_skew_s: Annotated[float, Field(ge=0, le=3600)] = 300.0


def tunable_pattern(name: str) -> str:
    """The text an SSM value of tunable `name` must be: also the parameter's AllowedPattern in the
    template, so CloudFormation and `aws ssm put-parameter` refuse what the adapter would refuse."""
    info = Tunables.model_fields[name]
    kind = info.annotation
    if kind is bool:
        return "^(true|false)$"
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return "^(" + "|".join(re.escape(member.value) for member in kind) + ")$"
    upper = next(m.le for m in info.metadata if hasattr(m, "le"))
    digits = len(str(int(upper)))
    if kind is int:
        return f"^[0-9]{{1,{digits}}}$"
    if kind is Decimal:
        return f"^[0-9]{{1,{digits}}}(\\.[0-9]{{1,6}})?$"
    raise TypeError(f"tunable {name} has no SSM text form")  # a new kind of tunable needs one here


def tunable_text(name: str, value: object) -> str:
    """A tunable's value as its SSM text (what `tunable_pattern` accepts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


_PATTERNS = {name: re.compile(tunable_pattern(name)) for name in Tunables.model_fields}


def merge_tunables(raw: Mapping[str, str], last_good: Tunables) -> tuple[Tunables, dict[str, str]]:
    """Validate each raw SSM value alone; an invalid one keeps its last good value.

    Returns the merged tunables and {name: error} for the values that were refused. Error texts
    never quote the value (a misplaced secret must not reach a log).
    """
    values = dict(last_good)
    errors: dict[str, str] = {}
    for name, text in raw.items():
        pattern = _PATTERNS.get(name)
        if pattern is None:
            continue
        cleaned = text.strip()
        if pattern.fullmatch(cleaned) is None:
            errors[name] = f"must match {pattern.pattern}"
            continue
        try:
            candidate = Tunables.model_validate({**values, name: cleaned})
        except ValidationError as exc:
            errors[name] = exc.errors(include_input=False, include_url=False)[0]["msg"]
            continue
        values[name] = getattr(candidate, name)
    return Tunables.model_validate(values), errors


class ExecutorEnv(_Env):
    """Executor environment. Wallet keys are KMS envelopes in PostgreSQL; CLOB API credentials are
    Secrets Manager secrets named `<clob_credentials_prefix>/<wallet_id>`."""

    stage: str = "dev"
    ssm_prefix: str = "/omegacopy/dev"
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    clob_url: str = "https://clob.polymarket.com"
    chain_id: int = 137
    clob_credentials_prefix: str = "omegacopy/dev/clob"
    http_timeout_s: Annotated[float, Field(gt=0, le=30)] = 5.0
    # never start a POST unless this much of the Lambda's time is left
    deadline_margin_ms: Annotated[int, Field(ge=500, le=60_000)] = 4_000
    tunables_max_age_s: Annotated[int, Field(ge=0, le=300)] = 30
    builder_code: str = "0x" + "0" * 64
    # the SNS topic booked fills are announced on (the notifier's); unset: not announced
    fill_topic_arn: str | None = None
    # what a paper fill pays in fees, in bps of its notional (the fill model's `fee_bps`)
    paper_fee_bps: Annotated[Decimal, Field(ge=0, le=1_000, allow_inf_nan=False)] = Decimal("0")
    # the reconciler's markets dimension (resolutions, for marks without a book); none set: no
    # resolution is known, and a position with neither book nor last trade is unpriced
    clickhouse_url: SecretStr | None = None
    clickhouse_secret_arn: str | None = None


class WalletCliEnv(_Env):
    """`omegacopy wallet`: the executor's own settings (same variable names, same defaults: the
    fields are ExecutorEnv's), plus the key that encrypts a newly created credentials secret."""

    database_url: SecretStr | None = ExecutorEnv.model_fields["database_url"].default
    clob_url: str = ExecutorEnv.model_fields["clob_url"].default
    chain_id: int = ExecutorEnv.model_fields["chain_id"].default
    clob_credentials_prefix: str = ExecutorEnv.model_fields["clob_credentials_prefix"].default
    clob_credentials_kms_key_id: str | None = None


class IndexerEnv(_Env):
    """Indexer environment: where to write (ClickHouse, PostgreSQL bookkeeping). What to index and
    how much a pass may spend are SSM tunables (`indexer_*` in `domain.models.Tunables`); the public
    APIs are configured by `PublicApiEnv`."""

    stage: str = "dev"
    ssm_prefix: str = "/omegacopy/dev"
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    clickhouse_url: SecretStr | None = None
    clickhouse_secret_arn: str | None = None
    http_timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0
    workers: Annotated[int, Field(ge=1, le=32)] = 4
    tunables_max_age_s: Annotated[int, Field(ge=0, le=300)] = 30


class SettlementEnv(_Env):
    """Settlement function: resolved markets settled in the books, then redeemed on chain.

    Reads the markets dimension (ClickHouse), cancels our orders in resolved markets (the CLOB, with
    the executor's credentials), and signs redemptions with the wallets' KMS-wrapped keys, sent to a
    Polygon JSON-RPC endpoint whose URL (it carries the provider's key) is a secret.
    """

    stage: str = "dev"
    ssm_prefix: str = "/omegacopy/dev"
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    clickhouse_url: SecretStr | None = None
    clickhouse_secret_arn: str | None = None
    markets_table: str = "markets"
    clob_url: str = ExecutorEnv.model_fields["clob_url"].default
    chain_id: int = ExecutorEnv.model_fields["chain_id"].default
    clob_credentials_prefix: str = ExecutorEnv.model_fields["clob_credentials_prefix"].default
    http_timeout_s: Annotated[float, Field(gt=0, le=30)] = 5.0
    polygon_rpc_url: SecretStr | None = None
    polygon_rpc_secret_arn: str | None = None
    rpc_timeout_s: Annotated[float, Field(gt=0, le=30)] = 8.0
    tunables_max_age_s: Annotated[int, Field(ge=0, le=300)] = 30
    redemption_batch_limit: Annotated[int, Field(ge=1, le=1_000)] = 50
    # where redemptions may go (domain/redemption.py: the route is checked on chain); comma-separated
    ctf_address: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")] = "0x4d97dcd97ec945f40cf65f87097ace5ea0476045"
    collateral_addresses: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}(,0x[0-9a-fA-F]{40})*$")] = (
        "0xc011a7e12a19f7b1f670d46f03b03f3342e82dfb,0x2791bca1f2de4661ed88a30c99a7a9449aa84174"
    )
    neg_risk_adapter_addresses: Annotated[str, Field(pattern=r"^(0x[0-9a-fA-F]{40}(,0x[0-9a-fA-F]{40})*)?$")] = (
        "0xada2005600dec949baf300f4c6120000bdb6eaab,0xd91e80cf2e7be2e162c6513ced06f1dd0da35296"
    )


class NotifierEnv(_Env):
    """The notifier and the daily summary: where the channels' secret is (`NOTIFY_SECRET_ARN` in AWS,
    or the secret's JSON itself as `NOTIFY_CHANNELS` locally), and how patiently to post."""

    stage: str = "dev"
    notify_secret_arn: str | None = None
    notify_channels: SecretStr | None = None
    http_timeout_s: Annotated[float, Field(gt=0, le=30)] = 5.0
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    # a longer Retry-After is not waited for inside one invocation (Lambda retries it later)
    max_wait_s: Annotated[float, Field(ge=0, le=60)] = 10.0


class DailySummaryEnv(NotifierEnv):
    """The daily summary also reads PostgreSQL."""

    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
