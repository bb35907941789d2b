"""`omegacopy report`: one self-contained HTML report of the live system, from PostgreSQL.

  omegacopy report [--database-url URL] [--out PATH] [--from ISO] [--to ISO]

Charts: COPY vs SKIP by reason over time, OWRR slider of copied vs skipped signals, realized P&L per
strategy, leader trade → order latency, rejection reasons; a strategy table. No network is needed to
open the file (inline CSS and SVG, no script). Exit codes: 0 written, 1 database error, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omegacopy.adapters.clock import SystemClock

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; without an offset it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date/time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def write_html(path: Path, html: str) -> None:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser(
        "report",
        help="write an HTML report of the live system (signals, P&L, latency, rejections)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL)")
    cmd.add_argument("--out", type=Path, default=Path("omegacopy-report.html"), help="HTML file to write")
    cmd.add_argument("--from", dest="start", type=parse_instant, help="only rows from this instant (UTC)")
    cmd.add_argument("--to", dest="end", type=parse_instant, help="only rows before this instant (UTC)")
    cmd.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    import psycopg  # noqa: PLC0415 - only this command needs the driver

    from omegacopy.adapters.pg_connection import connect  # noqa: PLC0415
    from omegacopy.adapters.pg_report_source import PgReportSource  # noqa: PLC0415
    from omegacopy.redaction import SecretSafeError, redact  # noqa: PLC0415
    from omegacopy.reporting.html_report import render_report  # noqa: PLC0415
    from omegacopy.reporting.live_report import live_report  # noqa: PLC0415

    url = args.database_url or os.environ.get("DATABASE_URL", "")
    if not url:
        print("omegacopy report: give --database-url or set DATABASE_URL", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.start and args.end and args.start >= args.end:
        print("omegacopy report: --from must be before --to", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with connect(url, autocommit=True, connect_timeout=10) as conn:
            rows = PgReportSource(conn).rows(start=args.start, end=args.end)
        model, _ = live_report(rows, generated_at=SystemClock().now())
    except SecretSafeError as exc:
        print(f"omegacopy report: database error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except psycopg.Error as exc:
        print(redact(f"omegacopy report: database error: {type(exc).__name__}: {exc}".strip()), file=sys.stderr)
        return EXIT_FAILED
    write_html(args.out, render_report(model))
    print(f"report written to {args.out}")
    return EXIT_OK
