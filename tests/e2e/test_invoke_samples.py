"""`make invoke` with the events/ samples against a kept local stack: clear outcomes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.conftest import KeptStack


def invoke(function: str, event: str, *extra: str, env_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(REPO / "tools" / "invoke.py"), function, f"events/{event}", *extra]
    if env_file is not None:
        args += ["--env-file", str(env_file)]
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})  # fmt: skip


def test_the_executor_sample_reports_each_record(kept_stack: KeptStack) -> None:
    result = invoke("executor", "executor_sqs_batch.json", env_file=kept_stack.env_file)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(next(line for line in lines if "record(s) processed" in line))
    assert lines[start] == (
        "0 of 4 record(s) processed, 4 failed (every record failed: Lambda makes the whole batch visible again;"
        " after 5 receives, the DLQ)"
    )
    assert lines[start + 1 : start + 5] == [
        "  0b5c7d3e-6a51-4f0e-9a8e-3f1d2c4b5a61: failed, redelivered by SQS: LookupError: intent"
        " 5f0d6a2e-8c1b-4e7a-9d3f-2b6c8e1a4f70 does not exist",
        "  7e2a9c14-3b6d-4a8f-b1e5-9c0d2f7a6b83: failed, redelivered by SQS: LookupError: intent"
        " a3c19e57-0f2d-4b86-8e4a-6d5b7c9f1e22 does not exist",
        "  c41f8b26-9e3a-47d5-a0c8-1b2e6f9d3a74: failed, redelivered by SQS: not attempted: an earlier record of its"
        " message group (follower wallet) failed, FIFO order",
        "  e98d3a51-2c7f-4b19-86e0-5a4d1f2c7b95: failed, redelivered by SQS: not attempted: an earlier record of its"
        " message group (follower wallet) failed, FIFO order",
    ]
    assert lines[start + 5].startswith("note: a record names an intent that is not in this database")
    assert len(kept_stack.stack.exchange.ledger()) == 0  # nothing reached the exchange


def test_the_monitor_and_reconciler_samples_run(kept_stack: KeptStack) -> None:
    monitor = invoke("wallet_monitor", "wallet_monitor_tick.json", env_file=kept_stack.env_file)
    reconciler = invoke("reconciler", "reconciler_tick.json", env_file=kept_stack.env_file)
    assert monitor.returncode == 0 and reconciler.returncode == 0, monitor.stderr + reconciler.stderr
    tick = json.loads(monitor.stdout[monitor.stdout.index('{\n  "tick_id"') :])
    assert tick == {"tick_id": "20261121T150000Z+0s", "status": "ok", "intents_queued": 0}
    reconciled = json.loads(reconciler.stdout[reconciler.stdout.index('{\n  "examined"') :])
    assert reconciled == {
        "examined": 0,
        "outcomes": {},
        "fees_booked": 0,
        "balance_drift_usd": "0",
        "paused": [],
        "unpriced": 0,
    }


def test_without_an_environment_it_says_what_is_missing_and_where_to_get_it() -> None:
    result = invoke("executor", "executor_sqs_batch.json")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "invoke executor: its environment is not set (missing DATABASE_URL or DATABASE_SECRET_ARN);"
        " point it at a stack:"
    )
    assert "omegacopy run --keep" in line or "local.env" in line
    monitor = invoke("wallet_monitor", "wallet_monitor_tick.json").stderr
    assert (
        "missing EXECUTION_QUEUE_URL, DATABASE_URL or DATABASE_SECRET_ARN, CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN"
        in (monitor)
    )


def test_a_handler_that_crashes_is_one_line(kept_stack: KeptStack, tmp_path: Path) -> None:
    broken = tmp_path / "local.env"
    broken.write_text(
        kept_stack.env_file.read_text().replace("DATABASE_URL=", "DATABASE_URL=postgresql://x@127.0.0.1:1/x#")
    )
    result = invoke("reconciler", "reconciler_tick.json", env_file=broken)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("invoke reconciler: the handler failed: PostgreSQL connection failed: OperationalError:")
    assert "--debug" in line
    assert "Traceback" not in result.stderr
