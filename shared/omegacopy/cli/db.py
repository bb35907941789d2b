"""`omegacopy db migrate` and `omegacopy db clickhouse-init`: explicit schema commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _DbArgs(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(min_length=1)
    infra_dir: Path | None = None


def _url(args: argparse.Namespace, env_name: str) -> _DbArgs:
    return _DbArgs(url=args.url or os.environ.get(env_name, ""), infra_dir=args.infra_dir)


def _migrate(args: argparse.Namespace) -> int:
    from omegacopy.adapters.schema import find_infra_dir, migrate  # noqa: PLC0415 - only this command needs psycopg

    try:
        parsed = _url(args, "DATABASE_URL")
    except ValidationError:
        print("omegacopy db migrate: give --url or set DATABASE_URL", file=sys.stderr)
        return 2
    infra = parsed.infra_dir or find_infra_dir()
    applied = migrate(parsed.url, infra / "postgres" / "migrations")
    print(json.dumps({"applied": applied}))
    return 0


def _clickhouse_init(args: argparse.Namespace) -> int:
    from omegacopy.adapters.clickhouse_client import connect_clickhouse  # noqa: PLC0415
    from omegacopy.adapters.schema import clickhouse_init, find_infra_dir  # noqa: PLC0415

    try:
        parsed = _url(args, "CLICKHOUSE_URL")
    except ValidationError:
        print("omegacopy db clickhouse-init: give --url or set CLICKHOUSE_URL", file=sys.stderr)
        return 2
    infra = parsed.infra_dir or find_infra_dir()
    count = clickhouse_init(connect_clickhouse(parsed.url), infra / "clickhouse")
    print(json.dumps({"statements": count}))
    return 0


def register(sub: Any) -> None:
    group = sub.add_parser("db", help="schema: PostgreSQL migrations and ClickHouse DDL")
    cmds = group.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    for name, func, env in (
        ("migrate", _migrate, "DATABASE_URL"),
        ("clickhouse-init", _clickhouse_init, "CLICKHOUSE_URL"),
    ):
        cmd = cmds.add_parser(name, help=f"apply {'migrations' if name == 'migrate' else 'the ClickHouse DDL'}")
        cmd.add_argument("--url", help=f"defaults to ${env}")
        cmd.add_argument("--infra-dir", type=Path, help="the infra/ folder (default: found from here)")
        cmd.set_defaults(func=func)
