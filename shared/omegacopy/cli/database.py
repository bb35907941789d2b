"""The PostgreSQL connection of a command: `--database-url`, else $DATABASE_URL, else a clear error."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from omegacopy.cli.errors import EXIT_BAD_INPUT, CliError

NO_DATABASE_FIX = (
    "pass --database-url or set DATABASE_URL (for the stack `omegacopy run --keep` leaves up:"
    " set -a; . <its report folder>/local.env; set +a)"
)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: $DATABASE_URL)")


def database_url(args: argparse.Namespace) -> str:
    url = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL", "")
    if not url.strip():
        raise CliError("no database given", NO_DATABASE_FIX, code=EXIT_BAD_INPUT)
    return url.strip()


@contextmanager
def connect(args: argparse.Namespace) -> Iterator[Any]:
    """An autocommit connection (transactions are explicit); psycopg is imported only here."""
    import psycopg  # noqa: PLC0415 - commands that never touch the database do not load the driver

    with psycopg.connect(database_url(args), autocommit=True, connect_timeout=10) as conn:
        yield conn
