"""`omegacopy doctor` against a real local stack, then with each dependency broken in turn.

Every breakage must be reported by exactly the check that owns it (✗ with a fix, or ⚠ for the kill
switch), every other check staying ✓ — except the checks that depend on a dead database, which say
they could not run.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omegacopy.cli.preflight import CheckResult, Doctor, DoctorTarget
from omegacopy.domain.order_v2 import NEG_RISK_EXCHANGE_V2
from tests.conftest import REPO
from tests.e2e.conftest import KeptStack

MIGRATIONS = REPO / "infra" / "postgres" / "migrations"


def doctor(kept: KeptStack, *, now: datetime | None = None, **overrides: Any) -> list[CheckResult]:
    target = DoctorTarget.from_environ(kept.env, **overrides)
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return Doctor(target, migrations_dir=MIGRATIONS, aws=kept.stack.aws, now=clock).run()


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def test_a_healthy_stack_is_all_ticks(kept_stack: KeptStack) -> None:
    results = doctor(kept_stack)
    assert [r.name for r in results if r.status != "ok"] == []
    names = [r.name for r in results]
    w = kept_stack.wallet.wallet_id
    assert names == [
        "PostgreSQL", "PostgreSQL migrations", "ClickHouse", "ClickHouse trades_raw", "ClickHouse markets",
        "ClickHouse wallet_metrics_by_category", "SSM tunables", "kill switch", "clock skew", "geoblock (this machine)",
        f"wallet {w} key", f"wallet {w} CLOB credentials", f"wallet {w} balance", f"wallet {w} allowances", "indexer",
    ]  # fmt: skip
    found = by_name(results)
    assert found[f"wallet {w} key"].detail == f"unwraps with KMS, and is the key of {kept_stack.wallet.address}"
    assert found[f"wallet {w} balance"].detail == "20000 pUSD"


@dataclass
class Breakage:
    """Break one dependency (a context manager that puts it back), and what doctor must say."""

    name: str
    breaks: Callable[[KeptStack], contextlib.AbstractContextManager[dict[str, Any]]]
    check: str
    detail: str
    fix: str | None = None
    status: str = "fail"
    skipped: tuple[str, ...] = ()
    also: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def overrides(**values: Any) -> Iterator[dict[str, Any]]:
    yield values


def nothing(**values: Any) -> Callable[[KeptStack], contextlib.AbstractContextManager[dict[str, Any]]]:
    return lambda _kept: overrides(**values)


@contextlib.contextmanager
def sql(kept: KeptStack, do: str, undo: str) -> Iterator[dict[str, Any]]:
    kept.pg.execute(do)
    try:
        yield {}
    finally:
        kept.pg.execute(undo)


@contextlib.contextmanager
def tunable(kept: KeptStack, name: str, value: str) -> Iterator[dict[str, Any]]:
    ssm, parameter = kept.stack.aws("ssm"), f"{kept.stack.ssm_prefix}/tunables/{name}"
    before = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True)
    try:
        yield {}
    finally:
        ssm.put_parameter(Name=parameter, Value=before, Type="String", Overwrite=True)


@contextlib.contextmanager
def server_clock(kept: KeptStack) -> Iterator[dict[str, Any]]:
    kept.stack.exchange.clock.shift(120)
    try:
        yield {}
    finally:
        kept.stack.exchange.clock.shift(-120)


@contextlib.contextmanager
def geoblocked(kept: KeptStack) -> Iterator[dict[str, Any]]:
    kept.stack.exchange.set_geoblock(blocked=True, country="US", region="NY")
    try:
        yield {}
    finally:
        kept.stack.exchange.set_geoblock(blocked=False)


@contextlib.contextmanager
def tampered_key(kept: KeptStack) -> Iterator[dict[str, Any]]:
    w = kept.wallet.wallet_id
    (original,) = kept.pg.execute("SELECT key_ciphertext FROM wallets WHERE wallet_id = %s", (w,)).fetchone()
    flipped = bytes([original[0] ^ 1]) + bytes(original[1:])
    kept.pg.execute("UPDATE wallets SET key_ciphertext = %s WHERE wallet_id = %s", (flipped, w))
    try:
        yield {}
    finally:
        kept.pg.execute("UPDATE wallets SET key_ciphertext = %s WHERE wallet_id = %s", (original, w))


@contextlib.contextmanager
def rebound_address(kept: KeptStack) -> Iterator[dict[str, Any]]:
    """The row claims another address: KMS refuses the data key under that encryption context."""
    w = kept.wallet.wallet_id
    (original,) = kept.pg.execute("SELECT address FROM wallets WHERE wallet_id = %s", (w,)).fetchone()
    kept.pg.execute("UPDATE wallets SET address = %s WHERE wallet_id = %s", ("0x" + "9a" * 20, w))
    try:
        yield {}
    finally:
        kept.pg.execute("UPDATE wallets SET address = %s WHERE wallet_id = %s", (original, w))


@contextlib.contextmanager
def credentials(kept: KeptStack, value: Callable[[dict[str, str]], str]) -> Iterator[dict[str, Any]]:
    sm, name = kept.stack.aws("secretsmanager"), kept.wallet.credentials_ref
    before = sm.get_secret_value(SecretId=name)["SecretString"]
    sm.put_secret_value(SecretId=name, SecretString=value(json.loads(before)))
    try:
        yield {}
    finally:
        sm.put_secret_value(SecretId=name, SecretString=before)


@contextlib.contextmanager
def exchange_account(
    kept: KeptStack, *, balance: int | None = None, allowance: int | None = None
) -> Iterator[dict[str, Any]]:
    exchange, address = kept.stack.exchange, kept.wallet.address
    before = exchange.balance(address)
    if balance is not None:
        exchange.set_balance(address, balance)
    if allowance is not None:
        exchange.set_allowance(address, NEG_RISK_EXCHANGE_V2, allowance)
    try:
        yield {}
    finally:
        exchange.set_balance(address, before)
        exchange.set_allowance(address, NEG_RISK_EXCHANGE_V2, None)


def later(hours: float) -> Callable[[KeptStack], contextlib.AbstractContextManager[dict[str, Any]]]:
    return lambda _kept: overrides(now=datetime.now(UTC) + timedelta(hours=hours))


W = "w-follower"
BREAKAGES = [
    Breakage("postgres down", nothing(database_url="postgresql://omegacopy@127.0.0.1:1/omegacopy"),
             "PostgreSQL", "cannot connect to postgresql://omegacopy@127.0.0.1:1/omegacopy", "that the server is up",
             skipped=("PostgreSQL migrations", "follower wallets", "indexer")),
    Breakage("a migration not applied",
             lambda k: sql(k, "DELETE FROM schema_migrations WHERE version = '0007_strategy_admin'",
                           "INSERT INTO schema_migrations (version) VALUES ('0007_strategy_admin')"),
             "PostgreSQL migrations", "not applied: 0007_strategy_admin", "omegacopy db migrate"),
    Breakage("clickhouse down", nothing(clickhouse_url="http://default:@127.0.0.1:1/omegacopy"),
             "ClickHouse", "cannot query http://default:@127.0.0.1:1/omegacopy: OperationalError",
             "that the server is up",
             also={"ClickHouse trades_raw": "absent"}),
    Breakage("a table missing", nothing(markets_table="markets_gone"),
             "ClickHouse markets_gone", "missing (the markets dimension)", "omegacopy db clickhouse-init"),
    Breakage("trades stale, indexer lagging", later(2),
             "ClickHouse trades_raw", "stale: newest ingested_at 2.0 h ago (bound 1 h)", "check the indexer",
             also={"indexer": "lagging: last run finished 2.0 h ago (bound 30 min)"}),
    Breakage("an invalid tunable", lambda k: tunable(k, "max_order_usd", "-5"),
             "SSM tunables", "max_order_usd='-5': must match", "aws ssm put-parameter --overwrite"),
    Breakage("no tunables", nothing(ssm_prefix="/omegacopy/nowhere"),
             "SSM tunables", "none under /omegacopy/nowhere/tunables", "check the stage",
             skipped=("kill switch",)),
    Breakage("kill switch on", lambda k: tunable(k, "kill_switch", "true"),
             "kill switch", "ON: no order is placed", "--value false", status="warn"),
    Breakage("clock off", server_clock,
             "clock skew", "s off the exchange (limit 5.0 s): refusing to trade", "sync this machine's clock"),
    Breakage("geoblocked", geoblocked,
             "geoblock (this machine)", "blocked: 127.0.0.1 (US/NY) may not place orders", "eu-west-1"),
    Breakage("geoblock endpoint offline", nothing(geoblock_url="http://127.0.0.1:1/api/geoblock"),
             "geoblock (this machine)", "cannot read http://127.0.0.1:1/api/geoblock: ConnectError", "offline?"),
    Breakage("key row tampered", tampered_key,
             f"wallet {W} key", f"wallet {W}: envelope rejected", "re-import"),
    Breakage("key row bound to another address", rebound_address,
             f"wallet {W} key", f"wallet {W}: envelope rejected", "kms:Decrypt",
             also={f"wallet {W} CLOB credentials": "the CLOB refused them"}),  # the API key is another address's
    Breakage("CLOB credentials revoked", lambda k: credentials(k, lambda c: json.dumps({**c, "api_key": "revoked"})),
             f"wallet {W} CLOB credentials", "the CLOB refused them", "--derive-credentials",
             skipped=()),
    Breakage("credentials secret damaged", lambda k: credentials(k, lambda c: "not json"),
             f"wallet {W} CLOB credentials", "not a JSON document", "--derive-credentials"),
    Breakage("no collateral", lambda k: exchange_account(k, balance=0),
             f"wallet {W} balance", "0 pUSD collateral", "deposit pUSD",
             also={f"wallet {W} allowances": "ok"}),
    Breakage("an allowance revoked", lambda k: exchange_account(k, allowance=0),
             f"wallet {W} allowances", f"none for NegRisk CTF Exchange V2 {NEG_RISK_EXCHANGE_V2}", "approve pUSD"),
    Breakage("an allowance below the balance", lambda k: exchange_account(k, allowance=5_000_000),
             f"wallet {W} allowances", "below the balance: NegRisk CTF Exchange V2 (5 pUSD)", "approve pUSD",
             status="warn"),
    Breakage("the last indexer run failed",
             lambda k: sql(k, "INSERT INTO indexer_runs VALUES ('run-bad', now(), now(), 'failed', NULL)",
                           "DELETE FROM indexer_runs WHERE run_id = 'run-bad'"),
             "indexer", "last run run-bad ended 'failed'", "check the indexer function"),
    Breakage("no indexer bookkeeping",
             lambda k: sql(k, "ALTER TABLE indexer_runs RENAME TO indexer_runs_away",
                           "ALTER TABLE indexer_runs_away RENAME TO indexer_runs"),
             "indexer", "no indexer run yet", "--skip indexer"),
]  # fmt: skip


@pytest.mark.parametrize("case", BREAKAGES, ids=lambda c: c.name)
def test_each_broken_dependency_is_reported_by_its_own_check(kept_stack: KeptStack, case: Breakage) -> None:
    with case.breaks(kept_stack) as changes:
        now = changes.pop("now", None)
        results = by_name(doctor(kept_stack, now=now, **changes))

    reported = results[case.check]
    assert reported.status == case.status, reported
    assert case.detail in reported.detail, reported.detail
    assert reported.fix is not None and case.fix is not None and case.fix in reported.fix
    for name in case.skipped:
        assert results[name].status == "skip" and "not checked" in results[name].detail
    for name, expected in case.also.items():
        if expected == "absent":
            assert name not in results
        elif expected == "ok":
            assert results[name].status == "ok", results[name]
        else:
            assert expected in results[name].detail and results[name].status == "fail"
    others = {n: r for n, r in results.items() if n != case.check and n not in case.skipped and n not in case.also}
    assert {n: r.status for n, r in others.items() if r.status != "ok"} == {}
    assert not any("key of 0x" in r.detail and r.status != "ok" for r in results.values())


def test_the_command_prints_ticks_and_crosses_and_exits_by_them(kept_stack: KeptStack) -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "omegacopy.cli", "doctor", "--env-file", str(kept_stack.env_file), *extra],
            capture_output=True, text=True, cwd=REPO, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"}, check=False,
        )  # fmt: skip

    healthy = run()
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.splitlines()
    assert lines[0] == f"omegacopy doctor: stage {kept_stack.stack.stage}"
    assert all(line.lstrip().startswith("✓") for line in lines[1:-1])
    assert lines[-1] == "15 ok, 0 failed, 0 warning(s)"

    with tunable(kept_stack, "kill_switch", "true"):
        warned = run()
    assert warned.returncode == 0  # on is a warning, not a failure
    assert any(line.lstrip().startswith("⚠ kill switch") for line in warned.stdout.splitlines())

    with geoblocked(kept_stack):
        failed = run("--json")
    assert failed.returncode == 1
    (blocked,) = [r for r in json.loads(failed.stdout) if r["status"] != "ok"]
    assert blocked["check"] == "geoblock" and blocked["fix"]

    skipped = run("--skip", "wallets", "--skip", "geoblock")
    assert skipped.returncode == 0 and "CLOB credentials" not in skipped.stdout and "geoblock" not in skipped.stdout


def test_no_target_at_all_says_how_to_give_one() -> None:
    results = by_name(
        Doctor(DoctorTarget.from_environ({}), migrations_dir=MIGRATIONS, aws=lambda _s: None).run(
            skip=("clock", "geoblock")
        )
    )
    for name in ("PostgreSQL", "ClickHouse", "SSM tunables"):
        assert results[name].status == "fail"
        fix = results[name].fix
        assert fix is not None and "--stage STAGE" in fix and "--env-file" in fix


def test_stage_fills_in_a_deployments_names() -> None:
    target = DoctorTarget.from_environ({"AWS_REGION": "eu-west-1"}, stage="prod")
    assert (target.ssm_prefix, target.database_secret_arn, target.clickhouse_secret_arn) == (
        "/omegacopy/prod",
        "omegacopy/prod/database-url",
        "omegacopy/prod/clickhouse-url",
    )
    assert target.clob_credentials_prefix == "omegacopy/prod/clob"
    direct = DoctorTarget.from_environ({"DATABASE_URL": "postgresql://x@h/db"}, stage="prod")
    assert direct.database_secret_arn is None  # an explicit URL wins
