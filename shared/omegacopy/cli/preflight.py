"""The checks behind `omegacopy doctor`: every dependency of a deployment, each with its fix.

A `DoctorTarget` says where things are, in the functions' own environment names (so the local
stack's `local.env` and a deployment's settings both work). `Doctor.run()` returns one
`CheckResult` per dependency: ok, fail, warn (worth knowing, not blocking) or skip (could not be
checked because something it needs failed already). Nothing here prints a secret: URLs are shown
without their password, keys are unwrapped only to prove they open and wiped at once, CLOB
credentials are only used.

What each check does (the id is what `--skip` takes):
- postgres / migrations: connect; every migration file of `infra/postgres/migrations` applied;
- clickhouse: the monitor's tables exist and their newest row is recent (trades by `ingested_at`,
  metrics and markets by `updated_at`);
- tunables: every SSM tunable validates (`domain.models.Tunables`); kill-switch: its state (on is a
  warning: a fresh prod stack starts with it on);
- clock: `GET /time` of the CLOB against this machine's clock, within `clock_skew_limit_s`;
- geoblock: Polymarket's geoblock endpoint, from this machine;
- wallets: per follower wallet, the KMS envelope unwraps to the wallet's address; the CLOB accepts
  its API credentials; pUSD balance; the pUSD allowance of each exchange contract;
- indexer: the newest finished run in `indexer_runs` succeeded recently.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, ValidationError

from omegacopy.adapters.clock import SystemClock
from omegacopy.cli.errors import first_line, mask_secrets
from omegacopy.config import merge_tunables
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.models import Tunables
from omegacopy.domain.order_v2 import EXCHANGE_V2, EXCHANGE_V3, NEG_RISK_EXCHANGE_V2

Status = Literal["ok", "fail", "warn", "skip"]
CHECK_IDS = ("postgres", "migrations", "clickhouse", "tunables", "kill-switch", "clock", "geoblock", "wallets",
             "indexer")  # fmt: skip
DEFAULT_GEOBLOCK_URL = "https://polymarket.com/api/geoblock"
EXCHANGE_CONTRACTS = (
    ("CTF Exchange V2", EXCHANGE_V2),
    ("NegRisk CTF Exchange V2", NEG_RISK_EXCHANGE_V2),
    ("Exchange V3", EXCHANGE_V3),
)
_PUSD_UNIT = Decimal(10) ** 6
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_NO_TARGET_FIX = (
    "pass --stage STAGE for a deployment (AWS credentials needed), or --env-file <report folder>/local.env for the"
    " stack `omegacopy run --keep` leaves up"
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str  # the id `--skip` takes
    name: str  # what is shown
    status: Status
    detail: str
    fix: str | None = None


class DoctorTarget(BaseModel):
    """Where the dependencies are: the functions' environment variable names, lower-cased."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    stage: str = ""
    ssm_prefix: str = ""
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    clickhouse_url: SecretStr | None = None
    clickhouse_secret_arn: str | None = None
    trade_source: Literal["clickhouse", "data_api"] = "data_api"  # the monitor's default
    trades_table: str = "trades_raw"
    metrics_table: str = "wallet_metrics_by_category"
    markets_table: str = "markets"
    clob_url: str = "https://clob.polymarket.com"
    chain_id: int = 137
    clob_credentials_prefix: str = ""
    geoblock_url: str = DEFAULT_GEOBLOCK_URL
    trades_max_age_s: Annotated[int, Field(gt=0)] = 3600
    tables_max_age_s: Annotated[int, Field(gt=0)] = 86_400
    indexer_max_age_s: Annotated[int, Field(gt=0)] = 1800
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, stage: str | None = None, **overrides: Any) -> DoctorTarget:
        """The environment (`STAGE`, `SSM_PREFIX`, `DATABASE_URL`/`DATABASE_SECRET_ARN`, …); `stage`
        fills in a deployment's conventional names where the environment says nothing."""
        values: dict[str, Any] = {k.lower(): v for k, v in environ.items() if v != ""}
        if stage:
            values["stage"] = stage
            values.setdefault("ssm_prefix", f"/omegacopy/{stage}")
            if "database_url" not in values:
                values.setdefault("database_secret_arn", f"omegacopy/{stage}/database-url")
            if "clickhouse_url" not in values:
                values.setdefault("clickhouse_secret_arn", f"omegacopy/{stage}/clickhouse-url")
            values.setdefault("clob_credentials_prefix", f"omegacopy/{stage}/clob")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)


@dataclass
class _Context:
    """What earlier checks learnt that later ones need."""

    pg: Any = None
    tunables: Tunables | None = None
    pg_error: str | None = None


def _age(newest: datetime, now: datetime) -> float:
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    return (now - newest).total_seconds()


def _ago(seconds: float) -> str:
    seconds = max(seconds, 0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86_400:.1f} days ago"


def _bound(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds // 60} min"


class _GeoblockReply(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    blocked: StrictBool
    ip: str = ""
    country: str = ""
    region: str = ""


class Doctor:
    """Runs the checks against one target. `aws(service)` makes a boto3 client (injectable)."""

    def __init__(
        self,
        target: DoctorTarget,
        *,
        migrations_dir: Path | None,
        aws: Callable[[str], Any] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.target = target
        self._migrations_dir = migrations_dir
        self._aws_factory = aws
        self._now = now or SystemClock().now
        self._clients: dict[str, Any] = {}

    def _aws(self, service: str) -> Any:
        if service not in self._clients:
            if self._aws_factory is not None:
                self._clients[service] = self._aws_factory(service)
            else:
                import boto3  # noqa: PLC0415 - only when an AWS check runs

                self._clients[service] = boto3.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    # --- running ---------------------------------------------------------------------------------
    def run(self, skip: Sequence[str] = ()) -> list[CheckResult]:
        results: list[CheckResult] = []
        ctx = _Context()
        steps: list[tuple[str, Callable[[_Context], list[CheckResult]]]] = [
            ("postgres", self._postgres),
            ("migrations", self._migrations),
            ("clickhouse", self._clickhouse),
            ("tunables", self._tunables),
            ("clock", self._clock),
            ("geoblock", self._geoblock),
            ("wallets", self._wallets),
            ("indexer", self._indexer),
        ]
        with _quiet_logs():
            try:
                for check, step in steps:
                    if check in skip:
                        continue
                    try:
                        found = step(ctx)
                    except Exception as exc:  # a check that breaks is a failed check, never a crash
                        found = [CheckResult(check, check, "fail", f"the check itself failed: {_what(exc)}")]
                    results.extend(r for r in found if r.check not in skip)
            finally:
                if ctx.pg is not None:
                    with contextlib.suppress(Exception):
                        ctx.pg.close()
        return results

    # --- PostgreSQL --------------------------------------------------------------------------------
    def _secret(self, url: SecretStr | None, arn: str | None) -> str:
        if url is not None:
            return url.get_secret_value()
        if not arn:
            raise LookupError("not configured")
        value = self._aws("secretsmanager").get_secret_value(SecretId=arn).get("SecretString")
        if not isinstance(value, str) or not value.strip():
            raise LookupError(f"secret {arn} has no string value")
        return value.strip()

    def _postgres(self, ctx: _Context) -> list[CheckResult]:
        import psycopg  # noqa: PLC0415

        t = self.target
        try:
            url = self._secret(t.database_url, t.database_secret_arn)
        except LookupError as exc:
            ctx.pg_error = "no database configured"
            return [CheckResult("postgres", "PostgreSQL", "fail", f"no database URL ({exc})", _NO_TARGET_FIX)]
        except Exception as exc:
            ctx.pg_error = "database secret unreadable"
            return [
                CheckResult(
                    "postgres",
                    "PostgreSQL",
                    "fail",
                    f"cannot read the database secret {t.database_secret_arn}: {_what(exc)}",
                    "check AWS credentials and secretsmanager:GetSecretValue on it; set its value (runbook, step 3)",
                )
            ]
        try:
            ctx.pg = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(t.timeout_s)))
            version = ctx.pg.execute("SHOW server_version").fetchone()
        except psycopg.Error as exc:
            ctx.pg_error = "PostgreSQL unreachable"
            return [
                CheckResult(
                    "postgres",
                    "PostgreSQL",
                    "fail",
                    f"cannot connect to {_safe_url(url)}: {first_line(exc)}",
                    "check the URL (DATABASE_URL or the database secret), that the server is up, and the network path",
                )
            ]
        return [
            CheckResult("postgres", "PostgreSQL", "ok", f"{_safe_url(url)} (server {version[0] if version else '?'})")
        ]

    def _migrations(self, ctx: _Context) -> list[CheckResult]:
        name = "PostgreSQL migrations"
        if ctx.pg is None:
            return [CheckResult("migrations", name, "skip", f"not checked: {ctx.pg_error}")]
        if self._migrations_dir is None or not self._migrations_dir.is_dir():
            return [
                CheckResult(
                    "migrations", name, "fail", "cannot find infra/postgres/migrations", "run it from a checkout"
                )
            ]
        wanted = sorted(p.stem for p in self._migrations_dir.glob("*.sql") if re.match(r"^\d{4}_", p.name))
        exists = ctx.pg.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
        applied = set()
        if exists:
            applied = {r[0] for r in ctx.pg.execute("SELECT version FROM schema_migrations").fetchall()}
        missing = [v for v in wanted if v not in applied]
        if missing:
            return [
                CheckResult(
                    "migrations",
                    name,
                    "fail",
                    f"{len(missing)} of {len(wanted)} not applied: {', '.join(missing)}",
                    "omegacopy db migrate (with DATABASE_URL set to this database)",
                )
            ]
        unknown = sorted(applied - set(wanted))
        if unknown:
            return [
                CheckResult(
                    "migrations",
                    name,
                    "warn",
                    f"all {len(wanted)} applied; the database also has {', '.join(unknown)}, unknown to this checkout",
                    "update this checkout",
                )
            ]
        return [CheckResult("migrations", name, "ok", f"all {len(wanted)} applied")]

    # --- ClickHouse ---------------------------------------------------------------------------------
    def _clickhouse(self, ctx: _Context) -> list[CheckResult]:
        import clickhouse_connect  # noqa: PLC0415

        t = self.target
        try:
            url = self._secret(t.clickhouse_url, t.clickhouse_secret_arn)
        except LookupError as exc:
            return [CheckResult("clickhouse", "ClickHouse", "fail", f"no ClickHouse URL ({exc})", _NO_TARGET_FIX)]
        except Exception as exc:
            return [
                CheckResult(
                    "clickhouse",
                    "ClickHouse",
                    "fail",
                    f"cannot read the ClickHouse secret {t.clickhouse_secret_arn}: {_what(exc)}",
                    "check AWS credentials and secretsmanager:GetSecretValue on it; set its value (runbook, step 3)",
                )
            ]
        try:
            client = clickhouse_connect.get_client(
                dsn=url, connect_timeout=t.timeout_s, send_receive_timeout=max(t.timeout_s, 10.0)
            )
            present = {r[0] for r in client.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
                       .result_rows}  # fmt: skip
        except Exception as exc:
            return [
                CheckResult(
                    "clickhouse",
                    "ClickHouse",
                    "fail",
                    f"cannot query {_safe_url(url)}: {_what(exc)}",
                    "check CLICKHOUSE_URL (or the ClickHouse secret), that the server is up, and the network path",
                )
            ]
        results = [CheckResult("clickhouse", "ClickHouse", "ok", _safe_url(url))]
        now = self._now()
        tables = (
            # with the Data API as the trade source, trades_raw is the indexer's history of the leaders
            (t.trades_table, "ingested_at", t.trades_max_age_s, "leader trades"),
            (t.markets_table, "updated_at", t.tables_max_age_s, "the markets dimension"),
            (t.metrics_table, "updated_at", t.tables_max_age_s, "wallet metrics (OWRR)"),
        )
        for table, column, bound, what in tables:
            label = f"ClickHouse {table}"
            if not _IDENTIFIER.fullmatch(table):
                results.append(CheckResult("clickhouse", label, "fail", "not a table name", "fix the *_TABLE setting"))
                continue
            if table not in present:
                results.append(
                    CheckResult(
                        "clickhouse",
                        label,
                        "fail",
                        f"missing ({what})",
                        "omegacopy db clickhouse-init (or point *_TABLE at the indexer's table)",
                    )
                )
                continue
            count, newest = client.query(f"SELECT count(), max({column}) FROM `{table}`").result_rows[0]  # noqa: S608
            if not count:
                results.append(
                    CheckResult("clickhouse", label, "fail", f"empty ({what})", "check the indexer that fills it")
                )
                continue
            age = _age(newest, now)
            if age > bound:
                results.append(
                    CheckResult(
                        "clickhouse",
                        label,
                        "fail",
                        f"stale: newest {column} {_ago(age)} (bound {_bound(bound)}), {count} rows",
                        "check the indexer that fills it (its logs, the indexer check below)",
                    )
                )
            else:
                results.append(CheckResult("clickhouse", label, "ok", f"{count} rows, newest {column} {_ago(age)}"))
        with contextlib.suppress(Exception):
            client.close()
        return results

    # --- SSM tunables ---------------------------------------------------------------------------------
    def _tunables(self, ctx: _Context) -> list[CheckResult]:
        prefix = self.target.ssm_prefix.rstrip("/")
        if not prefix:
            return [
                CheckResult("tunables", "SSM tunables", "fail", "no SSM prefix", _NO_TARGET_FIX),
                CheckResult("kill-switch", "kill switch", "skip", "not checked: no SSM prefix"),
            ]
        path = f"{prefix}/tunables"
        raw: dict[str, str] = {}
        try:
            pages = (
                self._aws("ssm")
                .get_paginator("get_parameters_by_path")
                .paginate(Path=path, Recursive=False, WithDecryption=False)
            )
            for page in pages:
                for p in page.get("Parameters", []):
                    raw[str(p["Name"]).rsplit("/", 1)[-1]] = str(p.get("Value", ""))
        except Exception as exc:
            return [
                CheckResult(
                    "tunables",
                    "SSM tunables",
                    "fail",
                    f"cannot read {path}: {_what(exc)}",
                    "check AWS credentials, the region and ssm:GetParametersByPath",
                ),
                CheckResult("kill-switch", "kill switch", "skip", "not checked: SSM unreadable"),
            ]
        if not raw:
            return [
                CheckResult(
                    "tunables",
                    "SSM tunables",
                    "fail",
                    f"none under {path}",
                    "check the stage / SSM_PREFIX; the stack creates them on deploy",
                ),
                CheckResult("kill-switch", "kill switch", "skip", "not checked: no tunables"),
            ]
        merged, errors = merge_tunables(raw, Tunables())
        ctx.tunables = merged
        known = set(Tunables.model_fields)
        unknown = sorted(set(raw) - known)
        results: list[CheckResult] = []
        if errors:
            listed = "; ".join(f"{name}={raw[name]!r}: {message}" for name, message in sorted(errors.items()))
            results.append(
                CheckResult(
                    "tunables",
                    "SSM tunables",
                    "fail",
                    f"invalid (the functions keep the last good value): {listed}",
                    f"aws ssm put-parameter --overwrite --name {path}/<name> --value <valid value>",
                )
            )
        elif unknown:
            results.append(
                CheckResult(
                    "tunables",
                    "SSM tunables",
                    "warn",
                    f"{len(raw) - len(unknown)} valid; unknown names ignored by the functions: {', '.join(unknown)}",
                    "a typo? rename or delete them",
                )
            )
        else:
            results.append(CheckResult("tunables", "SSM tunables", "ok", f"{len(raw)} valid under {path}"))
        kill = raw.get("kill_switch")
        if "kill_switch" in errors:
            fix = f"aws ssm put-parameter --overwrite --name {path}/kill_switch --value true"
            results.append(CheckResult("kill-switch", "kill switch", "fail", f"unreadable value {kill!r}", fix))
        elif merged.kill_switch:
            results.append(
                CheckResult(
                    "kill-switch",
                    "kill switch",
                    "warn",
                    "ON: no order is placed (expected on a fresh prod stack)",
                    f"release it when ready: aws ssm put-parameter --overwrite --name {path}/kill_switch --value false",
                )
            )
        else:
            results.append(CheckResult("kill-switch", "kill switch", "ok", "off: orders are placed"))
        return results

    # --- the exchange ----------------------------------------------------------------------------------
    def _clock(self, ctx: _Context) -> list[CheckResult]:
        from omegacopy.adapters.clob.client import ClobClient  # noqa: PLC0415
        from omegacopy.adapters.clob.errors import ClockSkewError  # noqa: PLC0415

        limit = (ctx.tunables or Tunables()).clock_skew_limit_s
        url = self.target.clob_url
        try:
            with ClobClient(url, chain_id=self.target.chain_id, max_clock_skew_s=limit) as clob:
                skew = clob.check_clock_skew()
        except ClockSkewError as exc:
            return [CheckResult("clock", "clock skew", "fail", str(exc), "sync this machine's clock (NTP / chrony)")]
        except Exception as exc:
            return [
                CheckResult(
                    "clock",
                    "clock skew",
                    "fail",
                    f"cannot read the time of the CLOB at {url}: {_what(exc)}",
                    "check CLOB_URL and the network",
                )
            ]
        return [CheckResult("clock", "clock skew", "ok", f"{skew:+.1f} s against the CLOB at {url} (limit {limit} s)")]

    def _geoblock(self, ctx: _Context) -> list[CheckResult]:
        import httpx  # noqa: PLC0415

        url = self.target.geoblock_url
        name = "geoblock (this machine)"
        try:
            reply = httpx.get(url, timeout=self.target.timeout_s, follow_redirects=True)
            reply.raise_for_status()
            status = _GeoblockReply.model_validate(reply.json())
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            return [
                CheckResult(
                    "geoblock",
                    name,
                    "fail",
                    f"cannot read {url}: {_what(exc)}",
                    "check the network (offline?), or set GEOBLOCK_URL / --geoblock-url to a reachable endpoint",
                )
            ]
        where = "/".join(p for p in (status.country, status.region) if p) or "unknown"
        if status.blocked:
            return [
                CheckResult(
                    "geoblock",
                    name,
                    "fail",
                    f"blocked: {status.ip or 'this IP'} ({where}) may not place orders",
                    "place orders from an allowed region: deploy the executor in eu-west-1 (the template's region)",
                )
            ]
        return [CheckResult("geoblock", name, "ok", f"not blocked ({status.ip or '?'}, {where})")]

    # --- follower wallets ---------------------------------------------------------------------------------
    def _wallets(self, ctx: _Context) -> list[CheckResult]:
        if ctx.pg is None:
            return [CheckResult("wallets", "follower wallets", "skip", f"not checked: {ctx.pg_error}")]
        from omegacopy.adapters.pg_wallets import load_wallet  # noqa: PLC0415

        ids = [r[0] for r in ctx.pg.execute("SELECT wallet_id FROM wallets ORDER BY wallet_id").fetchall()]
        if not ids:
            return [
                CheckResult(
                    "wallets",
                    "follower wallets",
                    "fail",
                    "none imported",
                    "omegacopy wallet import --wallet-id w1 --funder 0x… --signature-type N --kms-key-id alias/… "
                    "--derive-credentials",
                )
            ]
        results: list[CheckResult] = []
        for wallet_id in ids:
            row = load_wallet(ctx.pg, wallet_id)
            if row is None:
                continue
            results.extend(self._wallet(row, ctx))
        return results

    def _wallet(self, row: Any, ctx: _Context) -> list[CheckResult]:
        from omegacopy.adapters.clob.client import ClobClient  # noqa: PLC0415
        from omegacopy.adapters.clob.errors import ClobAuthError  # noqa: PLC0415
        from omegacopy.adapters.clob_credentials import (  # noqa: PLC0415
            CredentialsError,
            credentials_secret_name,
            load_credentials,
        )
        from omegacopy.adapters.wallet_keys import KeyUnwrapError, KmsKeyUnwrapper  # noqa: PLC0415

        w = row.wallet_id
        results: list[CheckResult] = []
        if row.envelope is None:
            results.append(
                CheckResult(
                    "wallets",
                    f"wallet {w} key",
                    "fail",
                    "no key stored",
                    f"omegacopy wallet import --wallet-id {w} --replace …",
                )
            )
        else:
            try:
                with KmsKeyUnwrapper(self._aws("kms")).signer_for(row) as signer:
                    address = signer.address  # proven against the row inside the unwrap
                results.append(
                    CheckResult("wallets", f"wallet {w} key", "ok", f"unwraps with KMS, and is the key of {address}")
                )
            except KeyUnwrapError as exc:
                results.append(
                    CheckResult(
                        "wallets",
                        f"wallet {w} key",
                        "fail",
                        str(exc),
                        "KMS must allow kms:Decrypt to whoever runs this (only the executor role, or"
                        " WalletAdminPrincipalArn); a damaged row needs a re-import",
                    )
                )
        prefix = self.target.clob_credentials_prefix
        name = row.credentials_ref or (credentials_secret_name(prefix, w) if prefix else None)
        label = f"wallet {w} CLOB credentials"
        if name is None:
            results.append(CheckResult("wallets", label, "fail", "no credentials secret", _NO_TARGET_FIX))
            return results
        try:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415

            creds = load_credentials(name, provider=SecretsProvider(boto3_client=self._aws("secretsmanager")),
                                     force_fetch=True)  # fmt: skip
        except CredentialsError as exc:
            results.append(
                CheckResult(
                    "wallets",
                    label,
                    "fail",
                    str(exc),
                    f"omegacopy wallet import --wallet-id {w} --replace --derive-credentials (or --api-key)",
                )
            )
            return results
        try:
            with ClobClient(
                self.target.clob_url,
                address=to_checksum_address(row.address),
                credentials=creds,
                chain_id=self.target.chain_id,
                signature_type=row.signature_type,
            ) as clob:
                funds = clob.balance_allowance("COLLATERAL")
        except ClobAuthError as exc:
            results.append(
                CheckResult(
                    "wallets",
                    label,
                    "fail",
                    f"the CLOB refused them: {first_line(exc)}",
                    f"derive them again: omegacopy wallet import --wallet-id {w} --replace --derive-credentials",
                )
            )
            return results
        except Exception as exc:
            results.append(
                CheckResult(
                    "wallets",
                    label,
                    "fail",
                    f"GET /balance-allowance failed: {_what(exc)}",
                    "check CLOB_URL and the network",
                )
            )
            return results
        results.append(CheckResult("wallets", label, "ok", f"accepted by the CLOB ({name})"))
        results.append(self._balance(w, row, funds))
        results.append(self._allowances(w, row, funds))
        return results

    @staticmethod
    def _balance(w: str, row: Any, funds: Any) -> CheckResult:
        pusd = Decimal(funds.balance) / _PUSD_UNIT
        if funds.balance <= 0:
            return CheckResult(
                "wallets",
                f"wallet {w} balance",
                "fail",
                "0 pUSD collateral",
                f"deposit pUSD to {to_checksum_address(row.funder)}, then GET /balance-allowance/update",
            )
        return CheckResult("wallets", f"wallet {w} balance", "ok", f"{pusd:f} pUSD")

    @staticmethod
    def _allowances(w: str, row: Any, funds: Any) -> CheckResult:
        allowances = {k.lower(): v for k, v in funds.allowances.items()}
        missing: list[str] = []
        low: list[str] = []
        for label, contract in EXCHANGE_CONTRACTS:
            amount = allowances.get(contract.lower(), 0)
            if amount <= 0:
                missing.append(f"{label} {contract}")
            elif amount < funds.balance:
                low.append(f"{label} ({Decimal(amount) / _PUSD_UNIT:f} pUSD)")
        fix = (
            f"approve pUSD for each exchange contract from {to_checksum_address(row.funder)} (Polymarket's UI does it"
            " on the first trade), then GET /balance-allowance/update"
        )
        if missing:
            return CheckResult("wallets", f"wallet {w} allowances", "fail", f"none for {'; '.join(missing)}", fix)
        if low:
            return CheckResult("wallets", f"wallet {w} allowances", "warn", f"below the balance: {'; '.join(low)}", fix)
        return CheckResult(
            "wallets", f"wallet {w} allowances", "ok", f"pUSD approved for all {len(EXCHANGE_CONTRACTS)} exchanges"
        )

    # --- the indexer -------------------------------------------------------------------------------------
    def _indexer(self, ctx: _Context) -> list[CheckResult]:
        name = "indexer"
        if ctx.pg is None:
            return [CheckResult("indexer", name, "skip", f"not checked: {ctx.pg_error}")]
        fix = "check the indexer function (schedule, logs), or --skip indexer when another system fills ClickHouse"
        if not ctx.pg.execute("SELECT to_regclass('indexer_runs') IS NOT NULL").fetchone()[0]:
            return [CheckResult("indexer", name, "fail", "no indexer run yet (no indexer_runs table)", fix)]
        row = ctx.pg.execute(
            "SELECT run_id, status, finished_at FROM indexer_runs WHERE finished_at IS NOT NULL"
            " ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return [CheckResult("indexer", name, "fail", "no indexer run yet", fix)]
        run_id, status, finished = row
        age = _age(finished, self._now())
        if status not in ("ok", "budget"):
            return [CheckResult("indexer", name, "fail", f"last run {run_id} ended {status!r}, {_ago(age)}", fix)]
        if age > self.target.indexer_max_age_s:
            return [
                CheckResult(
                    "indexer",
                    name,
                    "fail",
                    f"lagging: last run finished {_ago(age)} (bound {_bound(self.target.indexer_max_age_s)})",
                    fix,
                )
            ]
        return [CheckResult("indexer", name, "ok", f"last run {run_id} {status}, {_ago(age)}")]


def _what(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return str(response["Error"].get("Code", type(exc).__name__))
    text = first_line(exc)
    return mask_secrets(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]


def _safe_url(url: str) -> str:
    return mask_secrets(url)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """The shared Powertools logger would print JSON lines between the ✓/✗ lines: hush it."""
    from omegacopy.observability import SERVICE  # noqa: PLC0415

    log = logging.getLogger(SERVICE)
    before = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(before)


__all__ = ["CHECK_IDS", "DEFAULT_GEOBLOCK_URL", "CheckResult", "Doctor", "DoctorTarget"]
