"""`omegacopy backtest`: replay leader-trade history through the live detection, OWRR and decisions.

  omegacopy backtest --from ISO --to ISO [--strategy ID ...] [--slippage 0.01] [--fee-bps N]
                     [--out PATH.html] [--json PATH] [--database-url URL] [--clickhouse-url URL]
                     [--tunables FILE.json] [--latency-s 30] [--tick-size 0.01] [--min-size 5]
                     [--book-max-age-s 300] [--arrival ingested_at|block_time] [--no-progress]

Strategies (enabled, not paused) and their watchlists are read once from PostgreSQL; `trades_raw`,
OWRR inputs, `book_snapshots` and `market_resolutions` come from ClickHouse. The replay runs the
real monitor tick every 30 s over [from, to), each tick seeing only the rows that had arrived by
then, and fills every order with the fill model (see `omegacopy.domain.backtest`). Each strategy
starts flat with its current `balance_usd`.

Writes one self-contained HTML report (`--out`), optionally the numbers as JSON (`--json`), and a
summary on stdout; progress on stderr. Replaying the same period twice gives identical numbers.
Exit codes: 0 done, 1 a source failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from omegacopy.adapters.clock import SystemClock
from omegacopy.cli.report import parse_instant, write_html
from omegacopy.domain.money import CENT

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0: {text!r}")
    return value


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be ≥ 0")
    return value


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser(
        "backtest",
        help="replay trade history through the live decision code and simulate the fills",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--from", dest="start", type=parse_instant, required=True, help="start (ISO-8601, UTC)")
    cmd.add_argument("--to", dest="end", type=parse_instant, required=True, help="end, exclusive (ISO-8601, UTC)")
    cmd.add_argument("--strategy", action="append", default=[], metavar="ID", help="only these strategies")
    cmd.add_argument("--slippage", type=_decimal, default=CENT, help="price slippage without a book")
    cmd.add_argument("--fee-bps", type=_decimal, default=Decimal("0"), help="fees in basis points of notional")
    cmd.add_argument("--out", type=Path, help="HTML report (default: backtest_<from>_<to>.html)")
    cmd.add_argument("--json", type=Path, help="also write the numbers as JSON")
    cmd.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL)")
    cmd.add_argument("--clickhouse-url", help="ClickHouse URL (default: $CLICKHOUSE_URL)")
    cmd.add_argument("--tunables", type=Path, help="JSON file of tunables (default: the built-in defaults)")
    cmd.add_argument("--latency-s", type=_seconds, default=30, help="tick → order placed (default 30)")
    cmd.add_argument("--tick-size", type=_decimal, default=CENT, help="market price tick")
    cmd.add_argument("--min-size", type=_decimal, default=Decimal("5"), help="market minimum order, shares")
    cmd.add_argument("--book-max-age-s", type=_seconds, default=300, help="ignore older book snapshots")
    cmd.add_argument(
        "--arrival",
        choices=("ingested_at", "block_time"),
        default="ingested_at",
        help="when a row became visible: ingested_at, or block_time for a backfilled trades_raw",
    )
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    cmd.set_defaults(func=run_backtest_command)


def _tunables(path: Path | None) -> Any:
    from pydantic import ValidationError  # noqa: PLC0415

    from omegacopy.domain.models import Tunables  # noqa: PLC0415
    from omegacopy.strict_json import loads  # noqa: PLC0415

    # A replay decides with trading released unless the file says otherwise (the built-in default
    # keeps the kill switch ON, which would replay nothing).
    if path is None:
        return Tunables(kill_switch=False)
    try:
        document = loads(path.read_text(encoding="utf-8"), decimal_floats=True, max_depth=2)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"invalid tunables in {path}: not one JSON object")
    try:
        return Tunables.model_validate({"kill_switch": False, **document})
    except ValidationError as exc:
        raise ValueError(f"invalid tunables in {path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


class Progress:
    """A plain-text bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self._stream = stream
        self._width = width
        self._tty = stream.isatty()
        self._clock = SystemClock()
        self._started = self._clock.monotonic()
        self._last = -1

    def __call__(self, done: int, total: int, trades: int, copies: int) -> None:
        pct = done * 100 // max(total, 1)
        step = pct if self._tty else pct // 10 * 10
        if step == self._last and done != total:
            return
        self._last = step
        filled = self._width * done // max(total, 1)
        elapsed = self._clock.monotonic() - self._started
        eta = elapsed / done * (total - done) if done else 0.0
        line = (
            f"backtest [{'#' * filled}{'.' * (self._width - filled)}] {pct:3d}% {done}/{total} ticks"
            f" · {trades} trades · {copies} copies · ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        )
        if self._tty:
            self._stream.write("\r" + line + ("\n" if done == total else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


class _RefusedError(Exception):
    """Bad input or a failed source: the message for stderr and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def run_backtest_command(args: argparse.Namespace) -> int:
    from omegacopy.adapters.replay_memory import MemoryReplayPorts  # noqa: PLC0415
    from omegacopy.app.backtest import run_backtest  # noqa: PLC0415 - heavy imports only for this command
    from omegacopy.app.backtest_report import backtest_report  # noqa: PLC0415
    from omegacopy.ports import SourceUnavailableError  # noqa: PLC0415
    from omegacopy.redaction import redact  # noqa: PLC0415
    from omegacopy.reporting.html_report import render_report  # noqa: PLC0415

    try:
        config = _config(args)
        strategies = _strategies(args)
        history = _history(args, strategies)
        progress = None if args.no_progress else Progress(sys.stderr)
        try:
            result = run_backtest(strategies, history, history, config, ports=MemoryReplayPorts(), progress=progress)
        except SourceUnavailableError as exc:
            raise _RefusedError(str(exc), EXIT_FAILED) from None
        except Exception as exc:  # the driver's errors (connection, query) end the run, not a traceback
            if type(exc).__module__.startswith("clickhouse_connect"):
                raise _RefusedError(redact(f"clickhouse error: {type(exc).__name__}: {exc}"), EXIT_FAILED) from None
            raise
    except _RefusedError as refused:
        print(f"omegacopy backtest: {refused}", file=sys.stderr)
        return refused.code

    out = args.out or Path(f"backtest_{args.start:%Y%m%dT%H%M}_{args.end:%Y%m%dT%H%M}.html")
    write_html(out, render_report(backtest_report(result, generated_at=SystemClock().now())))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    _summary(result, out, args.json, sys.stdout)
    return EXIT_OK


def _config(args: argparse.Namespace) -> Any:
    from omegacopy.app.backtest import BacktestConfig  # noqa: PLC0415
    from omegacopy.domain.backtest import FillParams  # noqa: PLC0415

    if args.start >= args.end:
        raise _RefusedError("--from must be before --to", EXIT_BAD_INPUT)
    if args.tick_size <= 0 or args.tick_size >= 1:
        raise _RefusedError("--tick-size must be in (0, 1)", EXIT_BAD_INPUT)
    try:
        tunables = _tunables(args.tunables)
    except ValueError as exc:
        raise _RefusedError(str(exc), EXIT_BAD_INPUT) from None
    return BacktestConfig(
        start=args.start,
        end=args.end,
        latency_s=args.latency_s,
        book_max_age_s=args.book_max_age_s,
        fill=FillParams(slippage=args.slippage, fee_bps=args.fee_bps, tick_size=args.tick_size, min_size=args.min_size),
        tunables=tunables,
    )


def _strategies(args: argparse.Namespace) -> list[Any]:
    """The monitor's own loader (`PgMonitorSession.load_strategies`), once."""
    import psycopg  # noqa: PLC0415

    from omegacopy.adapters.pg_connection import connect  # noqa: PLC0415
    from omegacopy.adapters.pg_monitor_store import PgMonitorSession  # noqa: PLC0415
    from omegacopy.redaction import SecretSafeError, redact  # noqa: PLC0415

    url = args.database_url or os.environ.get("DATABASE_URL", "")
    if not url:
        raise _RefusedError("give --database-url or set DATABASE_URL", EXIT_BAD_INPUT)
    try:
        with connect(url, autocommit=True, connect_timeout=10) as conn:
            strategies = PgMonitorSession(conn).load_strategies()
    except SecretSafeError as exc:
        raise _RefusedError(f"database error: {exc}", EXIT_FAILED) from None
    except psycopg.Error as exc:
        raise _RefusedError(redact(f"database error: {type(exc).__name__}: {exc}".strip()), EXIT_FAILED) from None
    if args.strategy:
        known = {s.config.strategy_id for s in strategies}
        unknown = sorted(set(args.strategy) - known)
        if unknown:
            raise _RefusedError(
                f"unknown or inactive strateg{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}"
                f" (active: {', '.join(sorted(known)) or 'none'})",
                EXIT_BAD_INPUT,
            )
        strategies = [s for s in strategies if s.config.strategy_id in set(args.strategy)]
    if not strategies:
        raise _RefusedError("no active strategy to replay (enabled and not paused)", EXIT_BAD_INPUT)
    return strategies


def _history(args: argparse.Namespace, strategies: list[Any]) -> Any:
    from omegacopy.adapters.clickhouse_backtest import ClickHouseBacktest  # noqa: PLC0415
    from omegacopy.adapters.clickhouse_client import connect_clickhouse  # noqa: PLC0415
    from omegacopy.redaction import SecretSafeError, redact  # noqa: PLC0415

    url = args.clickhouse_url or os.environ.get("CLICKHOUSE_URL", "")
    if not url:
        raise _RefusedError("give --clickhouse-url or set CLICKHOUSE_URL", EXIT_BAD_INPUT)
    try:
        history = ClickHouseBacktest(connect_clickhouse(url), arrival_column=args.arrival)
        if args.arrival == "ingested_at":
            wallets = sorted({w for s in strategies for w in s.watched_wallets})
            traded, arrived = history.window_rows(wallets, args.start, args.end)
            if traded and not arrived:
                print(
                    f"omegacopy backtest: warning: {traded} trades of the watched wallets in the period arrived"
                    " (ingested_at) outside it; a backfilled table? Replay it with --arrival block_time.",
                    file=sys.stderr,
                )
    except SecretSafeError as exc:
        raise _RefusedError(f"clickhouse error: {exc}", EXIT_FAILED) from None
    except Exception as exc:
        if type(exc).__module__.startswith("clickhouse_connect"):
            raise _RefusedError(redact(f"clickhouse error: {type(exc).__name__}: {exc}"), EXIT_FAILED) from None
        raise
    return history


def _summary(result: Any, out: Path, json_path: Path | None, stream: TextIO) -> None:
    from omegacopy.reporting.formatting import money, pct, ratio  # noqa: PLC0415

    cfg = result.config
    stream.write(
        f"backtest {cfg.start.isoformat()} → {cfg.end.isoformat()}: {result.ticks} ticks,"
        f" {result.trades_seen} leader trades\n"
    )
    for s in result.strategies:
        b, lb = s.book, s.leaders_book
        stream.write(
            f"  {s.strategy_id}: {s.signals} signals, {s.copies} copies, {b.orders} orders"
            f" (fill rate {ratio(b.filled + b.partial, b.orders)}), P&L {money(b.total)}"
            f" [realized {money(b.realized)}, resolution {money(b.resolution)}, unrealized {money(b.unrealized)}],"
            f" max drawdown {money(b.max_drawdown_usd)}; leaders {money(lb.total)} ({pct(lb.return_pct)})\n"
        )
        for x in s.shadows:
            stream.write(f"    skipped {x.reason_code}: {x.signals} signals, shadow P&L {money(x.book.total)}\n")
    stream.write(f"report: {out}\n")
    if json_path is not None:
        stream.write(f"json: {json_path}\n")
