"""`omegacopy run`: the whole system on this machine, end to end, without AWS or Docker.

`LocalStack` (a context manager) starts the embedded services on free loopback ports and creates
what template.yaml declares:

- PostgreSQL: a throwaway cluster, migrated (`infra/postgres/migrations`);
- ClickHouse: the HTTP endpoint backed by chDB (a child process), with `infra/clickhouse` applied;
- AWS: moto in server mode, holding the FIFO execution queue + DLQ, the wallet and platform KMS
  keys (with their aliases), the database / ClickHouse URL secrets and the SSM tunables (every
  `Tunables` field, default values unless the scenario sets one);
- the paper exchange (CLOB V2 imitation) in a thread;
- the Polymarket public-API emulator (Gamma and the Data API v2) in threads; every function reads
  it (`DATA_API_URL`, `GAMMA_API_URL`) and it enforces the rate limits the client is told.

On exit everything is stopped and reaped, temporary directories removed and the process
environment restored, also after Ctrl-C.

`LocalRun` then plays a `Scenario` against it the way production runs: the world (markets,
positions, the leaders' earlier fills) is published on the emulator, never written to ClickHouse;
the follower wallet is imported through the real `omegacopy wallet import` command (a subprocess,
key on stdin, CLOB credentials derived from the paper exchange and stored in Secrets Manager); the
indexer handler fills ClickHouse from the emulator once before the first tick and then every
`INDEX_EVERY_TICKS` ticks; each tick invokes the wallet-monitor handler with the Step Functions
payload (it reads the leaders' new fills from the Data API itself), polls SQS like the Lambda event
source does for the executor handler, and invokes the reconciler handler. Leader fills appear on
the Data API between ticks, stamped with the real time they happen. Handlers read their
configuration from os.environ (set here, as the template would) and their secrets from moto; they
run with the production defaults (`TRADE_SOURCE=data_api`, `OWRR_POSITIONS=holders`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import boto3
import psycopg
from psycopg import sql as pg_sql
from psycopg.conninfo import make_conninfo

from omegacopy.adapters.polymarket.limits import multiplied
from omegacopy.adapters.schema import clickhouse_init, find_infra_dir, migrate
from omegacopy.config import ExecutorEnv, IndexerEnv, MonitorEnv, PublicApiEnv, tunable_text
from omegacopy.devstack.aws import REGION, ExecutionQueues, MotoServer, create_execution_queues, start_moto
from omegacopy.devstack.clickhouse import ClickHouseServer, start_clickhouse
from omegacopy.devstack.clickhouse_audit import table_rows
from omegacopy.devstack.lambda_runtime import LocalLambda, reset_containers
from omegacopy.devstack.paper import PaperExchange, start_paper_exchange
from omegacopy.devstack.postgres import PostgresServer, start_postgres
from omegacopy.devstack.public_api import PUBLISHED_LIMITS, PublicApiEmulator, start_public_api
from omegacopy.devstack.run_records import FollowerWallet, IndexPass, TickRecord
from omegacopy.devstack.run_summary import build_summary, format_summary, live_numbers
from omegacopy.devstack.scenario import (
    FOLLOWER_PUSD,
    FOLLOWER_WALLET_ID,
    MIN_SIZE,
    STALENESS_LIMIT_S,
    TICK_SIZE,
    TICK_SPACING_S,
    Scenario,
)
from omegacopy.devstack.scenario_feed import LeaderFeed, WorldCounts, publish_world
from omegacopy.devstack.seed import insert_strategies
from omegacopy.domain.models import Tunables
from omegacopy.domain.signer import LocalKeySigner, new_private_key
from omegacopy.reporting.live_numbers import LiveNumbers

STAGE = "local"
CH_DATABASE = "omegacopy"
EXECUTOR_BATCH_SIZE = 5  # template.yaml: the executor's SQS event source BatchSize
MAX_BATCHES_PER_TICK = 50
# A fresh stack's kill switch is ON (the built-in default, as in the template): the scenario's
# operator releases it.
SCENARIO_TUNABLES = {"staleness_limit_s": str(STALENESS_LIMIT_S), "kill_switch": "false"}
# The emulator enforces Polymarket's published rate limits times this, and the functions' client is
# told the same (PUBLIC_API_LIMIT_MULTIPLIER): a compressed run must not wait on limits meant for
# Polymarket's servers, and a request over the multiplied limits still gets its 429.
PUBLIC_API_LIMIT_MULTIPLIER = 20
# The local run re-reads open markets on every indexer pass (the tunable indexer_market_max_age_s):
# its time is compressed, and a market that resolves between two passes a few seconds apart must
# reach the monitor at the next one.
LOCAL_MARKET_MAX_AGE_S = 0


# ==================================================================================================
# The stack
# ==================================================================================================
@dataclass
class StartupTimings:
    postgres_s: float = 0.0
    clickhouse_s: float = 0.0
    moto_s: float = 0.0
    paper_exchange_s: float = 0.0
    public_api_s: float = 0.0
    schema_s: float = 0.0
    aws_resources_s: float = 0.0
    total_s: float = 0.0


class LocalStack:
    """PostgreSQL, ClickHouse (chDB), moto, the paper exchange and the public-API emulator, wired
    like the template."""

    def __init__(
        self,
        *,
        stage: str = STAGE,
        tunables: Mapping[str, str] | None = None,
        exchange_seed: int | None = None,
        progress: Callable[[str], None] | None = None,
        database_url: str | None = None,
    ) -> None:
        self.stage = stage
        # a PostgreSQL server of the operator's (their DATABASE_URL): the run gets a database of
        # its own there, dropped on exit; None = a throwaway cluster
        self._server_url = database_url or None
        self._run_database: str | None = None
        self.ssm_prefix = f"/omegacopy/{stage}"
        self.credentials_prefix = f"omegacopy/{stage}/clob"
        # a local stack trades on the paper exchange: its kill switch starts released (a deployment's
        # starts engaged: the built-in default and the template's)
        self._tunable_overrides = {
            "kill_switch": "false",
            "indexer_market_max_age_s": str(LOCAL_MARKET_MAX_AGE_S),
            **(tunables or {}),
        }
        self._exchange_seed = exchange_seed
        self._progress = progress or (lambda _line: None)
        self.timings = StartupTimings()
        self.postgres: PostgresServer | None = None
        self.clickhouse: ClickHouseServer | None = None
        self.moto: MotoServer | None = None
        self.exchange_server: PaperExchange | None = None
        self.public_api_server: PublicApiEmulator | None = None
        self.queues: ExecutionQueues | None = None
        self.queue_arn = ""
        self.wallet_key_arn = ""
        self.wallet_key_alias = f"alias/omegacopy-{stage}-wallets"
        self.platform_key_arn = ""
        self.database_secret_arn = ""
        self.clickhouse_secret_arn = ""
        self.postgres_dir: Path | None = None
        self.postgres_pid: int | None = None
        self._saved_env: dict[str, str | None] = {}
        self._conns: list[psycopg.Connection[Any]] = []
        self._werkzeug_level: int | None = None
        self._stopped = False

    # --- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            for problem in self.stop():
                self._progress(f"warning: while stopping the stack: {problem}")
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for problem in self.stop():
            self._progress(f"warning: while stopping the stack: {problem}")

    def start(self) -> None:
        began = time.perf_counter()
        self._isolate_environment()
        infra = find_infra_dir()
        werkzeug = logging.getLogger("werkzeug")  # moto's HTTP server logs every request otherwise
        self._werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.WARNING)

        with _timed(self.timings, "postgres_s"):
            if self._server_url is None:
                self.postgres = _start_postgres_reaped()
                self.postgres_dir, self.postgres_pid = _postgres_process(self.postgres)
            else:
                self.postgres = self._database_on_server(self._server_url)
        where = "(a database of its own on DATABASE_URL's server, dropped on exit) " if self._server_url else ""
        self._progress(f"postgres        {mask_password(self.pg_url)}  {where}({self.timings.postgres_s:.1f} s)")
        with _timed(self.timings, "clickhouse_s"):
            self.clickhouse = start_clickhouse()
        self._progress(f"clickhouse      {self.ch_http}  pid {self.clickhouse.pid}  "
                       f"({self.timings.clickhouse_s:.1f} s)")  # fmt: skip
        with _timed(self.timings, "moto_s"):
            self.moto = start_moto()
        self._progress(f"moto (AWS)      {self.moto.endpoint}  ({self.timings.moto_s:.1f} s)")
        with _timed(self.timings, "paper_exchange_s"):
            self.exchange_server = start_paper_exchange(seed=self._exchange_seed)
        self._progress(f"paper exchange  {self.exchange_server.url}  ({self.timings.paper_exchange_s:.1f} s)")
        with _timed(self.timings, "public_api_s"):
            limits = {
                key: limit.max_requests
                for key, limit in multiplied(PUBLIC_API_LIMIT_MULTIPLIER).items()
                if key in PUBLISHED_LIMITS
            }  # the routes it serves: what the client is told, multiplied
            self.public_api_server = start_public_api(limits=limits)
        self._progress(f"public APIs     Data API {self.public_api_server.data_url} · Gamma "
                       f"{self.public_api_server.gamma_url} (Polymarket emulator, rate limits x"
                       f"{PUBLIC_API_LIMIT_MULTIPLIER}) ({self.timings.public_api_s:.1f} s)")  # fmt: skip

        with _timed(self.timings, "schema_s"):
            applied = migrate(self.pg_url, infra / "postgres" / "migrations")
            self.clickhouse.client().command(f"CREATE DATABASE IF NOT EXISTS {CH_DATABASE}")
            statements = clickhouse_init(self.ch_client(), infra / "clickhouse")
        self._progress(f"schema          {len(applied)} migrations, {statements} ClickHouse statements "
                       f"({self.timings.schema_s:.1f} s)")  # fmt: skip
        os.environ.update(self.moto.env)
        boto3.DEFAULT_SESSION = None  # a fresh default session: credentials and endpoint from the env above
        with _timed(self.timings, "aws_resources_s"):
            self._create_aws_resources()
        self._progress(f"aws resources   queue + DLQ, 2 KMS keys, 2 secrets, {len(Tunables.model_fields)} "
                       f"tunables ({self.timings.aws_resources_s:.1f} s)")  # fmt: skip
        os.environ.update(self.handler_env())
        reset_containers()
        self.timings.total_s = round(time.perf_counter() - began, 3)

    def stop(self) -> list[str]:
        """Stop everything started, in reverse order; idempotent. Returns what failed to stop."""
        if self._stopped:
            return []
        self._stopped = True
        errors: list[str] = []
        with _sigint_deferred():
            steps: list[tuple[str, Callable[[], None]]] = [
                ("handler connections", reset_containers),
                ("connections", self._close_connections),
                ("paper exchange", lambda: self.exchange_server.stop() if self.exchange_server else None),
                ("public API emulator", lambda: self.public_api_server.stop() if self.public_api_server else None),
                ("moto", lambda: self.moto.stop() if self.moto else None),
                ("clickhouse", lambda: self.clickhouse.stop() if self.clickhouse else None),
                ("postgres", self._stop_postgres),
                ("environment", self._restore_environment),
            ]
            for name, step in steps:
                try:
                    step()
                except Exception as exc:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}")
            boto3.DEFAULT_SESSION = None
            if self._werkzeug_level is not None:
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
        return errors

    # --- what the stack is --------------------------------------------------------------------------
    @property
    def pg_url(self) -> str:
        assert self.postgres is not None, "stack not started"
        return self.postgres.url

    @property
    def ch_http(self) -> str:
        assert self.clickhouse is not None, "stack not started"
        return f"http://{self.clickhouse.host}:{self.clickhouse.port}"

    @property
    def ch_url(self) -> str:
        """The DSN clickhouse-connect takes (what the ClickHouse secret holds)."""
        assert self.clickhouse is not None, "stack not started"
        return f"http://default:@{self.clickhouse.host}:{self.clickhouse.port}/{CH_DATABASE}"

    @property
    def exchange(self) -> PaperExchange:
        assert self.exchange_server is not None, "stack not started"
        return self.exchange_server

    @property
    def public_api(self) -> PublicApiEmulator:
        assert self.public_api_server is not None, "stack not started"
        return self.public_api_server

    @property
    def queue_url(self) -> str:
        assert self.queues is not None, "stack not started"
        return self.queues.queue_url

    @property
    def dlq_url(self) -> str:
        assert self.queues is not None, "stack not started"
        return self.queues.dlq_url

    def aws(self, service: str) -> Any:
        assert self.moto is not None, "stack not started"
        return self.moto.client(service)

    def pg_connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.pg_url, autocommit=True)
        self._conns.append(conn)
        return conn

    def ch_client(self) -> Any:
        assert self.clickhouse is not None, "stack not started"
        return self.clickhouse.client(database=CH_DATABASE)

    def handler_env(self) -> dict[str, str]:
        """The functions' environment as template.yaml sets it (secrets by ARN, not by value)."""
        assert self.moto is not None and self.queues is not None
        return {
            **self.moto.env,
            "STAGE": self.stage,
            "SSM_PREFIX": self.ssm_prefix,
            "DATABASE_SECRET_ARN": self.database_secret_arn,
            "CLICKHOUSE_SECRET_ARN": self.clickhouse_secret_arn,
            "EXECUTION_QUEUE_URL": self.queues.queue_url,
            # TRADE_SOURCE and OWRR_POSITIONS stay unset: the production defaults (data_api, holders)
            "DATA_API_URL": self.public_api.data_url,
            "GAMMA_API_URL": self.public_api.gamma_url,
            "PUBLIC_API_LIMIT_MULTIPLIER": str(PUBLIC_API_LIMIT_MULTIPLIER),
            "CLOB_URL": self.exchange.url,
            "CHAIN_ID": str(self.exchange.chain_id),
            "CLOB_CREDENTIALS_PREFIX": self.credentials_prefix,
            "POWERTOOLS_SERVICE_NAME": "omegacopy",
            "POWERTOOLS_METRICS_NAMESPACE": "OmegaCopy",
            "POWERTOOLS_TRACE_DISABLED": "1",
        }

    def services(self) -> dict[str, Any]:
        return {
            "postgres_url": self.pg_url,
            "postgres_pid": self.postgres_pid,
            "postgres_dir": str(self.postgres_dir) if self.postgres_dir else None,
            "clickhouse_http": self.ch_http,
            "clickhouse_database": CH_DATABASE,
            "clickhouse_pid": self.clickhouse.pid if self.clickhouse else None,
            "moto_endpoint": self.moto.endpoint if self.moto else None,
            "paper_exchange_url": self.exchange.url,
            "data_api_url": self.public_api.data_url,
            "gamma_api_url": self.public_api.gamma_url,
            "queue_url": self.queue_url,
            "dlq_url": self.dlq_url,
            "ssm_prefix": self.ssm_prefix,
            "wallet_kms_key": self.wallet_key_alias,
            "database_secret_arn": self.database_secret_arn,
            "clickhouse_secret_arn": self.clickhouse_secret_arn,
        }

    def tool_env(self) -> dict[str, str]:
        """What the operator's commands need beside the functions' environment (local.env): the
        URLs themselves, so `omegacopy strategy …`, `report` and `doctor` work after sourcing it."""
        return {
            "DATABASE_URL": self.pg_url,
            "CLICKHOUSE_URL": self.ch_url,
            "GEOBLOCK_URL": f"{self.exchange.url}/api/geoblock",
        }

    # --- internals -----------------------------------------------------------------------------------
    def _database_on_server(self, server_url: str) -> PostgresServer:
        name = f"omegacopy_run_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(pg_sql.SQL("CREATE DATABASE {}").format(pg_sql.Identifier(name)))
        except psycopg.Error as exc:
            raise RuntimeError(
                f"DATABASE_URL: cannot create the run's database there ({type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); it needs a reachable server and the"
                " CREATEDB privilege, or unset DATABASE_URL for a throwaway cluster"
            ) from None
        self._run_database = name
        return PostgresServer(url=_with_database(server_url, name))

    def _stop_postgres(self) -> None:
        if self._run_database is not None and self._server_url is not None:
            with psycopg.connect(self._server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pg_sql.Identifier(self._run_database)))  # fmt: skip
            self._run_database = None
        elif self.postgres is not None:
            self.postgres.stop()

    def _isolate_environment(self) -> None:
        """Nothing of the operator's shell may point the handlers elsewhere (a real database, a real
        AWS account): variables the functions read are removed, AWS config files hidden."""
        names = {n.upper() for n in (*MonitorEnv.model_fields, *ExecutorEnv.model_fields, *IndexerEnv.model_fields,
                                     *PublicApiEnv.model_fields)}  # fmt: skip
        names |= {n for n in os.environ if n.startswith(("AWS_", "PG"))}  # AWS profiles; libpq's PGHOST, PGSSLMODE…
        names |= {"DATABASE_URL", "CLICKHOUSE_URL", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE",
                  "POWERTOOLS_TRACE_DISABLED", "CLOB_CREDENTIALS_KMS_KEY_ID"}  # fmt: skip
        for name in names:
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ.pop(name, None)
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ[name] = os.devnull
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"

    def _restore_environment(self) -> None:
        for name in [*self.handler_env_names(), *self._saved_env]:
            original = self._saved_env.get(name)
            if original is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = original
        self._saved_env.clear()

    @staticmethod
    def handler_env_names() -> list[str]:
        return ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
                "STAGE", "SSM_PREFIX", "DATABASE_SECRET_ARN", "CLICKHOUSE_SECRET_ARN", "EXECUTION_QUEUE_URL",
                "DATA_API_URL", "GAMMA_API_URL", "PUBLIC_API_LIMIT_MULTIPLIER",
                "CLOB_URL", "CHAIN_ID", "CLOB_CREDENTIALS_PREFIX",
                "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_TRACE_DISABLED",
                "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]  # fmt: skip

    def _close_connections(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._conns.clear()

    def _create_aws_resources(self) -> None:
        kms, sm, ssm, sqs = self.aws("kms"), self.aws("secretsmanager"), self.aws("ssm"), self.aws("sqs")
        self.wallet_key_arn = kms.create_key(Description=f"omegacopy-{self.stage} wallet signing keys")["KeyMetadata"][
            "Arn"
        ]
        kms.create_alias(AliasName=self.wallet_key_alias, TargetKeyId=self.wallet_key_arn)
        self.platform_key_arn = kms.create_key(Description=f"omegacopy-{self.stage} platform key")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=f"alias/omegacopy-{self.stage}-platform", TargetKeyId=self.platform_key_arn)
        self.database_secret_arn = sm.create_secret(
            Name=f"omegacopy/{self.stage}/database-url", SecretString=self.pg_url, KmsKeyId=self.platform_key_arn
        )["ARN"]
        self.clickhouse_secret_arn = sm.create_secret(
            Name=f"omegacopy/{self.stage}/clickhouse-url", SecretString=self.ch_url, KmsKeyId=self.platform_key_arn
        )["ARN"]
        values = {**_tunable_texts(Tunables()), **self._tunable_overrides}
        for name, value in values.items():
            ssm.put_parameter(Name=f"{self.ssm_prefix}/tunables/{name}", Value=value, Type="String", Overwrite=True)
        self.queues = create_execution_queues(sqs, name=f"omegacopy-{self.stage}-execution")
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queues.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]


def _with_database(url: str, name: str) -> str:
    """The same server, another database: a URL stays a URL, a keyword string stays one."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{name}"))
    return make_conninfo(url, dbname=name)


def mask_password(url: str) -> str:
    return re.sub(r"(://[^:/@\s]*:)[^\s/]+@", r"\1***@", url)


def _tunable_texts(model: Tunables) -> dict[str, str]:
    return {name: tunable_text(name, value) for name, value in model}


@contextlib.contextmanager
def _timed(timings: StartupTimings, name: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        setattr(timings, name, round(time.perf_counter() - began, 3))


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """A second Ctrl-C while the stack stops must not leave half of it running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_postgres_reaped() -> PostgresServer:
    """`start_postgres` (a throwaway cluster), and if it is interrupted half-way (Ctrl-C during
    initdb or pg_ctl start) the cluster it left behind is shut down and its directory removed."""
    pattern = os.path.join(tempfile.gettempdir(), "omegacopy-pg-*")
    before = set(glob.glob(pattern))
    try:
        return start_postgres()
    except BaseException:
        for leftover in set(glob.glob(pattern)) - before:
            _kill_postmaster(Path(leftover) / "data")
            shutil.rmtree(leftover, ignore_errors=True)
        raise


def _postgres_process(server: PostgresServer) -> tuple[Path | None, int | None]:
    """The cluster's directory and postmaster pid (from postmaster.pid), for the orphan checks."""
    root = server._data_dir
    if root is None:
        return None, None
    try:
        return root, int((root / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return root, None


def _kill_postmaster(data_dir: Path) -> None:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)


def pid_running(pid: int | None) -> bool:
    """True while `pid` is a live (not zombie) process."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


# ==================================================================================================
# The follower wallet, through the operator's command
# ==================================================================================================
def import_follower_wallet(stack: LocalStack, *, wallet_id: str = FOLLOWER_WALLET_ID,
                           pusd: Decimal = FOLLOWER_PUSD) -> FollowerWallet:  # fmt: skip
    """A fresh key (from `secrets`, never the scenario seed) registered at the paper exchange with
    pUSD, then imported with `omegacopy wallet import --derive-credentials`: the key goes in on stdin,
    is KMS-wrapped into PostgreSQL, and the CLOB credentials derived with an L1 signature at the paper
    exchange land in Secrets Manager, exactly as an operator would do it."""
    key = new_private_key()
    with LocalKeySigner(key) as signer:
        address = signer.address
    stack.exchange.add_account(address, signature_type=0, pusd=pusd)
    command = [
        sys.executable, "-m", "omegacopy.cli", "wallet", "import",
        "--wallet-id", wallet_id, "--funder", address, "--signature-type", "0",
        "--kms-key-id", stack.wallet_key_alias, "--database-url", stack.pg_url,
        "--credentials-prefix", stack.credentials_prefix, "--credentials-kms-key-id", stack.platform_key_arn,
        "--derive-credentials", "--clob-url", stack.exchange.url, "--chain-id", str(stack.exchange.chain_id),
    ]  # fmt: skip
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    began = time.perf_counter()
    stdin = bytearray(key.hex().encode()) + b"\n"
    try:
        done = subprocess.run(command, input=bytes(stdin), capture_output=True, env=env, timeout=120, check=False)
    finally:
        key[:] = bytes(len(key))
        stdin[:] = bytes(len(stdin))
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"omegacopy wallet import failed ({done.returncode}): {detail}")
    summary = json.loads(done.stdout)
    if summary.get("address", "").lower() != address.lower() or not summary.get("credentials_ref"):
        raise RuntimeError(f"omegacopy wallet import stored an unexpected wallet: {summary}")
    return FollowerWallet(wallet_id, address, summary["credentials_ref"], round(time.perf_counter() - began, 3))


# ==================================================================================================
# The run
# ==================================================================================================
# The indexer summary's row counts, by the ClickHouse table they went to.
WRITTEN_TABLES = {
    "trades_raw": "trades_written",
    "markets": "markets_written",
    "market_holders": "holders_written",
    "wallet_positions": "positions_written",
    "wallet_metrics_by_category": "metric_rows_written",
}


class LocalRun:
    """Publishes `scenario` on a started `LocalStack`'s public APIs, then drives the indexer and the
    ticks like the schedules would."""

    def __init__(
        self,
        stack: LocalStack,
        scenario: Scenario,
        *,
        speed: float = 30.0,
        out: Callable[[str], None] = print,
        log: TextIO | None = None,
    ) -> None:
        self.stack = stack
        self.scenario = scenario
        self.speed = speed
        self.out = out
        self.log = log
        self.wallet: FollowerWallet | None = None
        self.records: list[TickRecord] = []
        self.index_passes: list[IndexPass] = []
        self.trade_ids: dict[str, str] = {}  # a fill's transaction hash -> its trade id (monitor's and indexer's)
        self.arrived_at: dict[str, datetime] = {}  # trade id -> when the Data API started showing it
        self.block_time: dict[str, datetime] = {}  # trade id -> the fill's own time
        self.published = Counter[str]()  # leader fills published during the run, by kind
        self.world: WorldCounts | None = None
        self.clickhouse_before: dict[str, int] = {}  # every table's rows before the first indexer pass
        self.setup_s = 0.0
        self.ticks_s = 0.0
        self.db = stack.pg_connect()
        self._ch = stack.ch_client()
        self._sqs = stack.aws("sqs")
        self._feed = LeaderFeed(stack.public_api, scenario)
        self._signal_mark = 0
        self._handlers: dict[str, LocalLambda] = {}
        self._epoch = datetime.now(UTC).replace(second=0, microsecond=0)

    # --- setup ------------------------------------------------------------------------------------------
    def setup(self) -> None:
        """The world on the public APIs, the paper exchange's markets, the follower wallet, the
        strategies; then the indexer's first pass (ClickHouse is empty until it runs)."""
        began = time.perf_counter()
        sc = self.scenario
        self.world = publish_world(self.stack.public_api, sc, datetime.now(UTC))
        exchange = self.stack.exchange
        for m in sc.markets:
            if not m.closed:
                exchange.add_market(m.condition_id, tokens=[m.yes_token, m.no_token], tick_size=TICK_SIZE,
                                    neg_risk=m.neg_risk, min_size=MIN_SIZE)  # fmt: skip
        self._set_books(0)
        self.wallet = import_follower_wallet(self.stack)
        insert_strategies(self.db, sc.strategies)
        self.clickhouse_before = table_rows(self._ch)
        w = self.world
        self.out(
            f"published       {w.markets} markets on Gamma ({w.resolved_markets} resolved), {w.positions} positions "
            f"of {len(sc.leaders)} wallets, {w.leader_fills} earlier leader fills and {w.boards} boards on the Data "
            f"API; {len(sc.strategies)} strategies; ClickHouse holds {sum(self.clickhouse_before.values())} rows"
        )
        self.out(
            f"follower wallet {self.wallet.address} imported by `omegacopy wallet import` "
            f"({self.wallet.import_s:.1f} s), {FOLLOWER_PUSD} pUSD, CLOB credentials in {self.wallet.credentials_ref}"
        )
        reset_containers()
        functions = ("indexer", "wallet_monitor", "executor", "reconciler")
        self._handlers = {f: LocalLambda(f, log=self.log) for f in functions}
        self._index(0)
        self.setup_s = round(time.perf_counter() - began, 3)

    # --- ticks --------------------------------------------------------------------------------------------
    def run(self) -> list[TickRecord]:
        gap = TICK_SPACING_S / self.speed if self.speed > 0 else 0.0
        began = time.monotonic()
        for index in range(self.scenario.ticks):
            record = TickRecord(tick=index + 1)
            if index > 0:
                self._set_books(index)
                for market in self.scenario.resolutions(index):
                    self._resolve(market.key)
                if self.scenario.index_before(index):
                    record.index_pass = self._index(index).number
            record.published = self._arrive(index)
            wait = began + index * gap - time.monotonic()
            if wait > 0:
                record.waited_s = round(wait, 3)
                time.sleep(wait)
            self._tick(record)
            self.records.append(record)
            self.out(_tick_line(record, self.scenario.ticks))
        self.ticks_s = round(time.monotonic() - began, 3)
        return self.records

    def _tick(self, record: TickRecord) -> None:
        index = record.tick - 1
        slot = self._epoch + timedelta(minutes=index // 2)
        record.event = {"scheduled_time": slot.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset_s": TICK_SPACING_S * (index % 2)}
        ledger_before = len(self.stack.exchange.ledger())
        tick_began = time.perf_counter()

        monitor = self._handlers["wallet_monitor"].invoke(dict(record.event))
        record.monitor_ms = round(monitor.duration_ms, 1)
        if monitor.error is not None:
            record.status, record.error = "failed", f"monitor: {type(monitor.error).__name__}: {monitor.error}"
        else:
            record.tick_id, record.status = monitor.result["tick_id"], monitor.result["status"]
        new_intents = self._count_signals(record)

        exec_began = time.perf_counter()
        self._drain_queue(record)
        record.executor_ms = round((time.perf_counter() - exec_began) * 1000, 1)
        states = self.db.execute(
            "SELECT state, count(*) FROM order_intents WHERE intent_id = ANY(%s::uuid[])"
            " OR parent_intent_id = ANY(%s::uuid[]) GROUP BY state ORDER BY state",
            (new_intents, new_intents),
        ).fetchall()
        record.intent_states = {state: int(n) for state, n in states}

        reconciler = self._handlers["reconciler"].invoke(dict(record.event))
        record.reconciler_ms = round(reconciler.duration_ms, 1)
        if reconciler.error is not None:
            record.reconciler = {"error": f"{type(reconciler.error).__name__}: {reconciler.error}"}
        else:
            record.reconciler = dict(reconciler.result)
        record.tick_ms = round((time.perf_counter() - tick_began) * 1000, 1)
        record.orders_posted = len(self.stack.exchange.ledger()) - ledger_before

    def _count_signals(self, record: TickRecord) -> list[str]:
        """Signals written since the last tick (COPY/SKIP and reasons); returns the new intents' ids."""
        if record.tick_id:
            row = self.db.execute(
                "SELECT trades_seen, intents_created FROM monitor_ticks WHERE tick_id = %s", (record.tick_id,)
            ).fetchone()
            if row:
                record.trades_seen, record.intents_created = int(row[0]), int(row[1])
        rows = self.db.execute(
            "SELECT signal_id, decision, reason_code, intent_id::text FROM wallet_monitor_signals"
            " WHERE signal_id > %s ORDER BY signal_id",
            (self._signal_mark,),
        ).fetchall()
        reasons: Counter[str] = Counter()
        intent_ids: list[str] = []
        for signal_id, decision, reason, intent_id in rows:
            self._signal_mark = max(self._signal_mark, signal_id)
            if intent_id is not None:
                intent_ids.append(intent_id)
            if decision == "COPY":
                record.copies += 1
            else:
                record.skips += 1
                reasons[reason] += 1
        record.skip_reasons = dict(reasons.most_common())
        record.invalid_rows = reasons.get("invalid_source", 0)
        return intent_ids

    def _drain_queue(self, record: TickRecord) -> None:
        """The Lambda SQS event source: receive a batch, invoke, delete what succeeded, make the
        failures visible again (partial batch response). Failures wait for the next tick."""
        handler = self._handlers["executor"]
        for _ in range(MAX_BATCHES_PER_TICK):
            messages = self._sqs.receive_message(
                QueueUrl=self.stack.queue_url,
                MaxNumberOfMessages=EXECUTOR_BATCH_SIZE,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                break
            record.executor_batches += 1
            record.messages += len(messages)
            invocation = handler.invoke(lambda_sqs_event(messages, self.stack.queue_arn))
            if invocation.error is not None:  # BatchProcessingError (all failed) or a crash: all redelivered
                failed = {m["MessageId"] for m in messages}
            else:
                failed = {f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])}
            for m in messages:
                receipt = {"QueueUrl": self.stack.queue_url, "ReceiptHandle": m["ReceiptHandle"]}
                if m["MessageId"] in failed:
                    self._sqs.change_message_visibility(**receipt, VisibilityTimeout=0)
                else:
                    self._sqs.delete_message(**receipt)
            record.message_failures += len(failed)
            if failed:
                break

    # --- the indexer ---------------------------------------------------------------------------------------
    def _index(self, tick: int) -> IndexPass:
        """One indexer invocation, as its schedule would start it in the gap before `tick` (0-based).
        What it asked is read from the emulator's request log (nothing else calls the APIs while it
        runs); what it wrote from its own summary in `indexer_runs`."""
        slot = self._epoch + timedelta(seconds=TICK_SPACING_S * tick)
        api = self.stack.public_api
        mark = len(api.request_log)
        began = datetime.now(UTC)
        invocation = self._handlers["indexer"].invoke({"time": slot.strftime("%Y-%m-%dT%H:%M:%SZ")})
        ended = datetime.now(UTC)
        served = api.request_log[mark:]
        record = IndexPass(
            number=len(self.index_passes) + 1,
            before_tick=tick + 1,
            began_at=began,
            ended_at=ended,
            duration_ms=round(invocation.duration_ms, 1),
            requests=dict(Counter(f"{r.host} {r.path}" for r in served).most_common()),
            throttled=sum(1 for r in served if r.status == 429),
        )
        if invocation.error is not None:
            record.status, record.error = "failed", f"{type(invocation.error).__name__}: {invocation.error}"
        else:
            record.run_id = str(invocation.result["run_id"])
            row = self.db.execute("SELECT status, summary FROM indexer_runs WHERE run_id = %s",
                                  (record.run_id,)).fetchone()  # fmt: skip
            summary: dict[str, Any] = (row[1] if row else None) or {}
            record.status = str(row[0]) if row else "missing"
            record.client = {k: int(v) for k, v in (summary.get("requests") or {}).items()}
            record.written = {table: int(summary.get(key) or 0) for table, key in WRITTEN_TABLES.items()}
            record.rejected_rows = int(summary.get("rejected_rows") or 0)
            record.lag_s = summary.get("lag_s")
            record.newest_trade_age_s = summary.get("newest_trade_age_s")
            record.metric_staleness_s = summary.get("metric_staleness_s")
        self.index_passes.append(record)
        self.out(_pass_line(record))
        return record

    # --- the world between ticks ---------------------------------------------------------------------
    def _set_books(self, tick: int) -> None:
        for token, book in self.scenario.books(tick).items():
            self.stack.exchange.set_book(token, bids=book.bids, asks=book.asks)

    def _resolve(self, key: str) -> None:
        """Resolution on Gamma; the monitor learns it from the indexer's next pass. The paper exchange
        models no settlement (no redemption of winning shares), so its books were emptied by
        `_set_books` and nothing trades there any more; the summary values positions at the payout."""
        market = self.scenario.market(key)
        assert market.resolution is not None
        self.stack.public_api.resolve_market(market.condition_id, winner=market.index(market.resolution))
        self.out(f"resolved        {key} ({market.question}) -> {market.outcome_name(market.resolution)} on Gamma; "
                 "books emptied at the paper exchange (it has no settlement)")  # fmt: skip

    def _arrive(self, tick: int) -> int:
        """Publish the leader fills that appear on the Data API before `tick`; returns how many."""
        now = datetime.now(UTC)
        arrivals = self.scenario.arrivals(tick)
        for event in arrivals:
            if event.late:
                # stamped behind the monitor's cursor (the API published it late), yet inside its
                # look-back: a reader without a look-back would never see it
                row = self.db.execute("SELECT watermark FROM monitor_cursor WHERE source = 'data_api'").fetchone()
                at = (row[0] if row else now) - timedelta(seconds=3)
            else:
                at = now - timedelta(seconds=event.block_age_s)
            timestamp = int(at.timestamp())
            trade_id = self._feed.publish(event, timestamp=timestamp)
            self.published[event.kind] += 1
            if trade_id is not None:
                self.trade_ids[event.tx_hash] = trade_id
                self.arrived_at[trade_id] = now
                self.block_time[trade_id] = datetime.fromtimestamp(timestamp, UTC)
        return len(arrivals)

    # --- the summary ------------------------------------------------------------------------------------
    def summary(self, *, stack_started_s: float, total_s: float | None = None) -> dict[str, Any]:
        return build_summary(self, stack_started_s=stack_started_s, total_s=total_s)


def lambda_sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event the Lambda SQS event source builds from received messages."""
    region = queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else REGION
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType", "String"),
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def _pass_line(p: IndexPass) -> str:
    where = "before the first tick" if p.before_tick == 1 else f"before tick {p.before_tick}"
    if p.error:
        return f"indexer pass {p.number} {where}  FAILED {p.error}"
    routes = ", ".join(f"{route} {n}" for route, n in p.requests.items())
    written = ", ".join(f"{table} {n}" for table, n in p.written.items())
    lag = "-" if p.lag_s is None else f"{p.lag_s:.1f} s"
    return (
        f"indexer pass {p.number} {where}  {p.status} in {p.duration_ms / 1000:.2f} s: {p.request_count} requests "
        f"({routes}), {p.throttled} x 429; wrote {written}; rejected {p.rejected_rows}; lag {lag}"
    )


def _tick_line(r: TickRecord, total: int) -> str:
    slot = r.tick_id or f"{r.event.get('scheduled_time')}+{r.event.get('offset_s')}s"
    if r.error:
        return f"tick {r.tick:>2}/{total} {slot}  FAILED {r.error}"
    reasons = ", ".join(f"{k} {v}" for k, v in list(r.skip_reasons.items())[:4])
    more = ", …" if len(r.skip_reasons) > 4 else ""
    states = ", ".join(f"{k.lower()} {v}" for k, v in sorted(r.intent_states.items()))
    retry = f", {r.message_failures} to retry" if r.message_failures else ""
    return (
        f"tick {r.tick:>2}/{total} {slot}  trades {r.trades_seen:>2} ({r.published} published)  "
        f"COPY {r.copies:>2}  SKIP {r.skips:>2}{f' [{reasons}{more}]' if reasons else ''}  "
        f"intents {r.intents_created}{f' ({states})' if states else ''}  orders {r.orders_posted}{retry}  "
        f"| monitor {r.monitor_ms:.0f} ms · executor {r.executor_ms:.0f} ms · reconciler {r.reconciler_ms:.0f} ms"
    )


# ==================================================================================================
# The command's session, and its files
# ==================================================================================================
@dataclass(frozen=True)
class ReportPaths:
    summary: Path
    ledger: Path
    log: Path
    env: Path

    @property
    def directory(self) -> Path:
        return self.summary.parent

    @classmethod
    def beside(cls, summary: Path) -> ReportPaths:
        folder = summary.parent
        return cls(summary, folder / "ledger.json", folder / "lambda.log", folder / "local.env")


@dataclass
class RunResult:
    stack: LocalStack
    run: LocalRun
    summary: dict[str, Any]
    lines: list[str]

    @property
    def ok(self) -> bool:
        return all(v for k, v in self.summary["checks"].items() if k != "details")


@contextlib.contextmanager
def run_session(
    *,
    seed: int,
    ticks: int,
    speed: float,
    paths: ReportPaths,
    out: Callable[[str], None],
    began: float,
    database_url: str | None = None,
) -> Iterator[RunResult]:
    """Start the stack, seed, run `ticks` ticks, write the summary and the ledger; the stack stays
    up inside the `with` (for `--keep`) and is stopped on leaving it, however it is left.

    `began`: the monotonic time the command started at (the summary's total).
    `database_url`: run on that PostgreSQL server (a database of its own) instead of a throwaway one."""
    from omegacopy.devstack.scenario import generate_scenario

    scenario = generate_scenario(seed=seed, ticks=ticks)
    paths.directory.mkdir(parents=True, exist_ok=True)
    out("starting the stack …")
    with (
        paths.log.open("w") as log,
        LocalStack(tunables=SCENARIO_TUNABLES, exchange_seed=seed, progress=out, database_url=database_url) as stack,
    ):
        out(f"stack up in {stack.timings.total_s:.1f} s")
        run = LocalRun(stack, scenario, speed=speed, out=out, log=log)
        run.setup()
        run.run()
        # one computation of the numbers for the summary and the report: they cannot disagree
        numbers = live_numbers(run.db)
        total_s = round(time.monotonic() - began, 3)
        summary = build_summary(run, stack_started_s=stack.timings.total_s, total_s=total_s, numbers=numbers)
        write_json(paths.summary, summary)
        write_ledger(stack, paths)
        report = write_report(stack, paths, numbers=numbers)
        lines = format_summary(summary, paths.summary, paths.ledger)
        lines.append(f"report      {report} (open it in a browser)")
        yield RunResult(stack, run, summary, lines)


def how_to_reach(stack: LocalStack, paths: ReportPaths) -> list[str]:
    """What `--keep` prints: every service's address and how to talk to it."""
    env = {**stack.handler_env(), **stack.tool_env()}
    paths.env.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(env.items())))
    paths.env.chmod(0o600)  # DATABASE_URL may carry the password of the operator's own server
    s = stack.services()
    query = f"{s['clickhouse_http']}/?query=SELECT+count()+FROM+{CH_DATABASE}.trades_raw"
    return [
        "",
        "the stack stays up; Ctrl-C (or SIGTERM) stops it",
        f"  PostgreSQL      psql {mask_password(s['postgres_url'])}",
        f"  ClickHouse      {s['clickhouse_http']} (database {CH_DATABASE}); python: "
        f"clickhouse_connect.get_client(dsn='{stack.ch_url}'); shell: curl '{query}'",
        f"  paper exchange  {s['paper_exchange_url']} (public: /book?token_id=…, /midpoint?token_id=…); its ledger "
        f"(every order it accepted) is rewritten to {paths.ledger} every 2 s",
        f"  public APIs     Polymarket emulator: Data API {s['data_api_url']} (e.g. curl "
        f"'{s['data_api_url']}/v2/trades?user=<leader>&taker_only=false'), Gamma {s['gamma_api_url']} "
        "(/markets/keyset?condition_ids=…); with the environment below: omegacopy leaders show <address>, "
        "omegacopy index run --once",
        f"  moto (AWS)      {s['moto_endpoint']} (any credentials, region {REGION}), e.g. AWS_ENDPOINT_URL="
        f"{s['moto_endpoint']} aws sqs get-queue-attributes --queue-url {s['queue_url']} --attribute-names All",
        f"  handlers        their environment is in {paths.env}: set -a; . {paths.env}; set +a; "
        "make invoke FUNCTION=wallet_monitor EVENT=events/wallet_monitor_tick.json",
        f"  commands        with that environment: omegacopy strategy list, omegacopy doctor, omegacopy report "
        f"(or omegacopy doctor --env-file {paths.env})",
    ]


# The local run trades on the paper exchange: whatever the strategies' modes, no money moves.
LOCAL_BADGE = "paper exchange"


def write_report(stack: LocalStack, paths: ReportPaths, *, numbers: LiveNumbers | None = None) -> Path:
    """The same HTML report `omegacopy report` writes, from the run's PostgreSQL (or from `numbers`,
    the summary's)."""
    from omegacopy.reporting.html_report import render_report
    from omegacopy.reporting.live_report import live_report_model

    if numbers is None:
        with psycopg.connect(stack.services()["postgres_url"], autocommit=True) as conn:
            numbers = live_numbers(conn)
    model = live_report_model(numbers, generated_at=datetime.now(UTC), badge=f"local · {LOCAL_BADGE}")
    path = paths.directory / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_report(model), encoding="utf-8")
    tmp.replace(path)
    return path


def write_ledger(stack: LocalStack, paths: ReportPaths) -> None:
    write_json(paths.ledger, [asdict(o) for o in stack.exchange.ledger()])


def default_report_dir(started: datetime) -> Path:
    """`reports/local-run/<UTC time>/` of the checkout (gitignored), else of the working directory."""
    try:
        root = find_infra_dir().parent
    except FileNotFoundError:
        root = Path.cwd()
    return root / "reports" / "local-run" / started.strftime("%Y%m%dT%H%M%SZ")


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)


__all__ = [
    "CH_DATABASE",
    "SCENARIO_TUNABLES",
    "STAGE",
    "FollowerWallet",
    "IndexPass",
    "LocalRun",
    "LocalStack",
    "ReportPaths",
    "RunResult",
    "StartupTimings",
    "TickRecord",
    "default_report_dir",
    "how_to_reach",
    "import_follower_wallet",
    "lambda_sqs_event",
    "pid_running",
    "run_session",
    "write_json",
    "write_ledger",
    "write_report",
]
