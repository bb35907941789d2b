"""Invoke a function's handler in-process with an events/ sample (no Docker: `sam local` needs it).

    python tools/invoke.py wallet_monitor events/wallet_monitor_tick.json [--env-file local.env]

Loads functions/<name>/app.py the way Lambda does (omegacopy.devstack.lambda_runtime), calls `lambda_handler(event,
context)` with a context whose remaining time counts down from the function's timeout in
template.yaml, and prints the result as JSON. The handler talks to whatever its environment
variables point at (e.g. the local stack of `omegacopy run --keep`, whose `local.env` --env-file
reads); nothing here fakes a service.

Outcomes are spelled out: a missing environment says what is missing and where to get it; an SQS
batch reports each record (processed, or why it failed: an executor sample names intents your
database may not have); any other failure is one line (`--debug` shows the traceback).
Exit codes: 0 the handler ran (record failures included: that is how it reports them to Lambda),
1 it could not run or crashed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegacopy.devstack.lambda_runtime import TIMEOUTS_S, LambdaContext, load_handler_module

REPO = Path(__file__).resolve().parents[1]
TIMEOUTS = TIMEOUTS_S
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class InvokeError(Exception):
    """Why the handler could not be invoked, with what to do about it."""


def load(function: str, functions_dir: Path = REPO / "functions") -> Any:
    # Powertools outside Lambda: no X-Ray daemon; the service and namespace the template sets.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "omegacopy")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OmegaCopy")
    if not (functions_dir / function / "app.py").is_file():
        raise SystemExit(f"no handler: {functions_dir / function / 'app.py'}")
    return load_handler_module(function, functions_dir)


def call(module: Any, function: str, event: Any) -> Any:
    context = LambdaContext(function_name=f"omegacopy-local-{function}", timeout_s=TIMEOUTS.get(function, 30))
    return module.lambda_handler(event, context)


def invoke(function: str, event: Any, *, functions_dir: Path = REPO / "functions") -> Any:
    return call(load(function, functions_dir), function, event)


def newest_local_env(repo: Path = REPO) -> Path | None:
    found = sorted((repo / "reports" / "local-run").glob("*/local.env"))
    return found[-1] if found else None


def _how_to_get_an_environment() -> str:
    newest = newest_local_env()
    load = (
        f"set -a; . {newest}; set +a   (or --env-file {newest}, ENV_FILE={newest} with make)"
        if newest is not None
        else "start it with `omegacopy run --keep` and load the local.env it prints: set -a; . <file>; set +a"
        " (or --env-file <file>, ENV_FILE=<file> with make)"
    )
    return f"point it at a stack: the local one: {load}; a deployment: its functions' environment variables"


def check_environment(function: str, environ: Mapping[str, str]) -> None:
    """What the function's wiring needs before it can build anything (raises `InvokeError`)."""
    from pydantic import ValidationError  # noqa: PLC0415

    from omegacopy.config import ExecutorEnv, IndexerEnv, MonitorEnv  # noqa: PLC0415

    models: dict[str, type[MonitorEnv] | type[ExecutorEnv] | type[IndexerEnv]] = {
        "wallet_monitor": MonitorEnv,
        "executor": ExecutorEnv,
        "reconciler": ExecutorEnv,
        "indexer": IndexerEnv,
    }
    model = models.get(function)
    if model is None:
        return
    missing: list[str] = []
    try:
        model.from_environ(environ)
    except ValidationError as exc:
        missing.extend(str(e["loc"][0]).upper() for e in exc.errors() if e["loc"])
    if not (environ.get("DATABASE_URL") or environ.get("DATABASE_SECRET_ARN")):
        missing.append("DATABASE_URL or DATABASE_SECRET_ARN")
    if function == "wallet_monitor" and not (environ.get("CLICKHOUSE_URL") or environ.get("CLICKHOUSE_SECRET_ARN")):
        missing.append("CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN")
    if missing:
        raise InvokeError(f"{function}: its environment is not set (missing {', '.join(missing)}); "
                          + _how_to_get_an_environment())  # fmt: skip


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#") or "=" not in text:
            continue
        key, _, value = text.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if type(exc).__name__ == "SecretSafeError" and text:
        return text  # already "<what failed>: <driver error>: <scrubbed detail>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe_batch(event: Any, exc: BaseException | None, result: Any, module: Any) -> list[str]:
    """Each SQS record's outcome: processed, or the reason it failed (from the batch processor)."""
    records = event.get("Records", []) if isinstance(event, dict) else []
    reasons: dict[str, str] = {}
    children = getattr(exc, "child_exceptions", None) or getattr(getattr(module, "processor", None), "exceptions", [])
    failed_records = getattr(getattr(module, "processor", None), "fail_messages", [])
    for record, info in zip(failed_records, children, strict=False):
        message_id = getattr(record, "message_id", None) or getattr(record, "messageId", None)
        if message_id is not None and info and info[1] is not None:
            skipped = type(info[1]).__name__.endswith("CircuitBreakerError")
            reasons[str(message_id)] = (
                "not attempted: an earlier record of its message group (follower wallet) failed, FIFO order"
                if skipped
                else _one_line(info[1])
            )
    failed = set(reasons)
    if isinstance(result, dict):
        failed |= {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures", [])}
    lines: list[str] = []
    for r in records:
        mid = str(r.get("messageId"))
        if mid in failed:
            lines.append(f"  {mid}: failed, redelivered by SQS: {reasons.get(mid, 'see the log above')}")
        else:
            lines.append(f"  {mid}: processed")
    done = len(records) - len(failed)
    head = f"{done} of {len(records)} record(s) processed, {len(failed)} failed"
    if exc is not None:
        head += " (every record failed: Lambda makes the whole batch visible again; after 5 receives, the DLQ)"
    notes = []
    if any("does not exist" in reason for reason in reasons.values()):
        notes.append(
            "note: a record names an intent that is not in this database (the events/ sample names made-up ones);"
            " intents the monitor queued are executed by `omegacopy run` itself"
        )
    return [head, *lines, *notes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("function", help="folder under functions/, e.g. wallet_monitor")
    parser.add_argument("event", type=Path, help="JSON event file, e.g. events/wallet_monitor_tick.json")
    parser.add_argument("--functions-dir", type=Path, default=REPO / "functions")
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE environment to load first (e.g. the local.env)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a crash")
    args = parser.parse_args(argv)
    prog = f"invoke {args.function}"
    try:
        event = json.loads(args.event.read_text())
    except (OSError, ValueError) as exc:
        print(f"{prog}: cannot read the event {args.event}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.env_file is not None:
            os.environ.update(read_env_file(args.env_file))
        if args.functions_dir.resolve() == (REPO / "functions").resolve():
            check_environment(args.function, os.environ)
    except OSError as exc:
        print(f"{prog}: cannot read {args.env_file}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvokeError as exc:
        print(f"invoke {exc}", file=sys.stderr)
        return EXIT_FAILED
    is_batch = isinstance(event, dict) and isinstance(event.get("Records"), list)
    module: Any = None
    try:
        module = load(args.function, args.functions_dir)
        result = call(module, args.function, event)
    except Exception as exc:
        if is_batch and type(exc).__name__ == "BatchProcessingError":
            print("\n".join(describe_batch(event, exc, None, module)))
            return EXIT_OK
        if args.debug:
            raise
        print(f"{prog}: the handler failed: {_one_line(exc)} (--debug shows the traceback)", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result, indent=2, default=str))
    if is_batch and isinstance(result, dict) and "batchItemFailures" in result:
        print("\n".join(describe_batch(event, None, result, module)))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
