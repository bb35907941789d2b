"""`omegacopy doctor`: preflight of a deployment or of the local stack, ✓/✗ with the fix for each.

  omegacopy doctor --stage prod                      # a deployment (AWS credentials of its account)
  omegacopy doctor --env-file <report>/local.env     # the stack `omegacopy run --keep` leaves up
  omegacopy doctor                                   # whatever the environment says (the functions' names)

Checks: PostgreSQL reachable and migrated; ClickHouse tables present and fresh; SSM tunables valid;
the kill switch (on = a warning); the clock against the CLOB; geoblock status of this machine; per
follower wallet: key unwraps (never shown), CLOB credentials accepted, pUSD balance, allowance of
each exchange contract; the indexer's last run. Where things are comes from the environment
(STAGE, SSM_PREFIX, DATABASE_URL or DATABASE_SECRET_ARN, CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN,
TRADE_SOURCE, CLOB_URL, CHAIN_ID, CLOB_CREDENTIALS_PREFIX, GEOBLOCK_URL, AWS_*); `--stage` fills in
a deployment's names (/omegacopy/<stage>, omegacopy/<stage>/database-url, …) where it says nothing.

Exit codes: 0 nothing failed (warnings allowed), 1 at least one ✗, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from omegacopy.cli.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, CliError
from omegacopy.cli.preflight import CHECK_IDS, CheckResult, Doctor, DoctorTarget
from omegacopy.strategy_settings import describe_errors

_MARK = {"ok": "✓", "fail": "✗", "warn": "⚠", "skip": "-"}


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines (the local stack's local.env, or a file of your own); `#` comments, an
    optional `export ` and surrounding quotes are allowed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", "check the path", code=EXIT_BAD_INPUT) from None
    values: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.removeprefix("export ").partition("=")
        if not sep or not key.strip().replace("_", "").isalnum():
            raise CliError(f"{path}:{number}: expected KEY=VALUE", "fix the line", code=EXIT_BAD_INPUT)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _infra_migrations(infra_dir: Path | None) -> Path | None:
    from omegacopy.adapters.schema import find_infra_dir  # noqa: PLC0415

    if infra_dir is not None:
        return infra_dir / "postgres" / "migrations"
    try:
        return find_infra_dir() / "postgres" / "migrations"
    except FileNotFoundError:
        return None


def render(results: list[CheckResult], target: DoctorTarget) -> list[str]:
    width = max((len(r.name) for r in results), default=10) + 2
    what = f"stage {target.stage}" if target.stage else "the environment's settings"
    lines = [f"omegacopy doctor: {what}"]
    for r in results:
        lines.append(f"  {_MARK[r.status]} {r.name.ljust(width)}{r.detail}")
        if r.fix and r.status in ("fail", "warn"):
            lines.append(f"    {' ' * width}fix: {r.fix}")
    counts = Counter(r.status for r in results)
    lines.append(
        f"{counts['ok']} ok, {counts['fail']} failed, {counts['warn']} warning(s)"
        + (f", {counts['skip']} not checked" if counts["skip"] else "")
    )
    return lines


def _doctor(args: argparse.Namespace) -> int:
    environ = dict(os.environ)
    if args.env_file is not None:
        loaded = read_env_file(args.env_file)
        environ.update(loaded)
        os.environ.update(loaded)  # boto3 reads AWS_* (e.g. the local stack's endpoint) from here
    try:
        target = DoctorTarget.from_environ(
            environ,
            stage=args.stage,
            geoblock_url=args.geoblock_url,
            trades_max_age_s=args.trades_max_age_s,
            tables_max_age_s=args.tables_max_age_s,
            indexer_max_age_s=args.indexer_max_age_s,
            timeout_s=args.timeout_s,
        )
    except ValidationError as exc:
        raise CliError(
            f"invalid settings: {describe_errors(exc)}", "fix the variable(s) named", code=EXIT_BAD_INPUT
        ) from None
    results = Doctor(target, migrations_dir=_infra_migrations(args.infra_dir)).run(skip=args.skip)
    if args.json:
        print(json.dumps([_as_dict(r) for r in results], indent=2))
    else:
        print("\n".join(render(results, target)))
    sys.stdout.flush()
    return EXIT_FAILED if any(r.status == "fail" for r in results) else EXIT_OK


def _as_dict(r: CheckResult) -> dict[str, Any]:
    return {"check": r.check, "name": r.name, "status": r.status, "detail": r.detail, "fix": r.fix}


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser(
        "doctor",
        help="preflight: check every dependency of a deployment or the local stack, with the fix",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--stage", help="a deployment's stage (dev, prod): its SSM prefix, secrets and credentials names")
    cmd.add_argument(
        "--env-file", type=Path, help="read these KEY=VALUE settings first (e.g. the local stack's local.env)"
    )
    cmd.add_argument("--geoblock-url", help="the geoblock endpoint (default: $GEOBLOCK_URL or Polymarket's)")
    cmd.add_argument("--skip", action="append", default=[], choices=CHECK_IDS, help="leave a check out (repeat)")
    cmd.add_argument("--trades-max-age-s", type=int, help="newest leader trade no older than this (default 3600)")
    cmd.add_argument("--tables-max-age-s", type=int, help="markets and metrics no older than this (default 86400)")
    cmd.add_argument("--indexer-max-age-s", type=int, help="last indexer run no older than this (default 1800)")
    cmd.add_argument("--timeout-s", type=float, help="per network call (default 5)")
    cmd.add_argument("--infra-dir", type=Path, help="the infra/ folder (default: found from here)")
    cmd.add_argument("--json", action="store_true", help="the results as JSON")
    cmd.set_defaults(func=_doctor)
