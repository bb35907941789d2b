"""`omegacopy run`: the whole system locally, end to end (no AWS account, no Docker).

Starts PostgreSQL (or uses DATABASE_URL's server), ClickHouse (chDB), moto, the paper exchange and
the public-API emulator on loopback, publishes a scenario on the emulator, drives the indexer and
the three trading Lambda handlers tick by tick, prints a line per tick and a summary, and writes
the summary as JSON. Ctrl-C stops everything; `--keep` leaves the stack up until Ctrl-C.
The work is in `omegacopy.devstack.local_run`; this module parses options and prints.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from omegacopy.adapters.clock import SystemClock

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
KEEP_REFRESH_S = 2.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the whole system locally: embedded stack, seeded scenario, real handlers",
        description=(
            "Starts PostgreSQL (a throwaway cluster; with DATABASE_URL set, a database of its own on that server, "
            "dropped on exit), ClickHouse (chDB), moto, the paper exchange and an emulator of Polymarket's public "
            "APIs (Gamma, Data API) on free loopback ports; publishes a scenario's markets, positions and leader "
            "fills on the emulator (nothing is written to ClickHouse but by the indexer), imports a follower wallet "
            "with `omegacopy wallet import`, adds strategies, runs the indexer before the first tick and every few "
            "ticks after, then drives ticks like the Step Functions schedule: wallet monitor -> SQS -> executor -> "
            "reconciler. Ctrl-C stops everything cleanly. Exit 0 when every invariant check holds, 1 when one does "
            "not, 130 on Ctrl-C."
        ),
    )
    run.add_argument("--ticks", type=_positive_int, default=12, help="monitor ticks to run (default 12)")
    run.add_argument(
        "--speed",
        type=_speed,
        default=30.0,
        help="compressed time: a 30 s tick gap takes 30/SPEED real seconds (default 30: one tick a second; "
        "0 = back to back, no pause)",
    )
    run.add_argument("--seed", type=int, default=7, help="scenario seed: same seed, same world (default 7)")
    run.add_argument(
        "--summary-json",
        type=Path,
        default=None,
        help="where to write the JSON summary (default reports/local-run/<UTC time>/summary.json; the handler "
        "logs and the exchange ledger go beside it)",
    )
    run.add_argument("--keep", action="store_true", help="leave the stack up after the run, until Ctrl-C")
    run.set_defaults(func=_run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _speed(text: str) -> float:
    value = float(text)
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no pause) or a positive factor")
    return 0.0 if math.isinf(value) else value


def _say(line: str) -> None:
    print(line, flush=True)


class _Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so the stack's __exit__ stops everything."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(signum)


def _run(args: argparse.Namespace) -> int:
    # Powertools outside Lambda: no X-Ray daemon (set before the handlers' modules load).
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    signal.signal(signal.SIGTERM, _terminate)
    clock = SystemClock()
    began = clock.monotonic()
    try:
        # The dev stack (chDB, moto, …) loads only for this command, never for `omegacopy --help`.
        from omegacopy.devstack import local_run  # noqa: PLC0415

        summary_path: Path = args.summary_json or local_run.default_report_dir(clock.now()) / "summary.json"
        paths = local_run.ReportPaths.beside(summary_path)
        _say(
            f"omegacopy run: seed {args.seed}, {args.ticks} ticks, speed {args.speed:g}x; reports in {paths.directory}"
        )
        with local_run.run_session(
            seed=args.seed,
            ticks=args.ticks,
            speed=args.speed,
            paths=paths,
            out=_say,
            began=began,
            database_url=os.environ.get("DATABASE_URL") or None,  # the operator's server, if they named one
        ) as result:
            for line in result.lines:
                _say(line)
            ok = result.ok
            if args.keep:
                for line in local_run.how_to_reach(result.stack, paths):
                    _say(line)
                while True:
                    time.sleep(KEEP_REFRESH_S)
                    local_run.write_ledger(result.stack, paths)
    except (KeyboardInterrupt, _Terminated) as stop:
        _say(
            "\ninterrupted: the stack is stopped (PostgreSQL, ClickHouse, moto, paper exchange, public-API emulator)"
            " and cleaned up"
        )
        return EXIT_TERMINATED if isinstance(stop, _Terminated) else EXIT_INTERRUPTED
    except RuntimeError as exc:  # a service that cannot start says why and what to do
        print(f"omegacopy run: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if ok else EXIT_FAILED


__all__ = ["register"]
