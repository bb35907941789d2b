"""`omegacopy index run --once`: one indexer pass from a shell, against DATABASE_URL and CLICKHOUSE_URL.

The same pass the scheduled Lambda runs (`functions/indexer`), with the same environment
(`DATA_API_URL`, `GAMMA_API_URL`, …) and the tunables' built-in defaults (the Lambda reads them from
SSM); prints its summary as one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any


def _run(args: argparse.Namespace) -> int:
    from omegacopy.adapters.clock import SystemClock  # noqa: PLC0415 - the other commands need none of this
    from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget  # noqa: PLC0415
    from omegacopy.app.index_run import run_index  # noqa: PLC0415
    from omegacopy.wiring.indexer import build_indexer_deps  # noqa: PLC0415

    missing = [n for n in ("DATABASE_URL", "CLICKHOUSE_URL") if not os.environ.get(n)]
    if missing:
        print(f"omegacopy index run: set {' and '.join(missing)} (the stores the pass writes)", file=sys.stderr)
        return 2
    deps = build_indexer_deps(os.environ)
    data = deps.data
    assert isinstance(data, PolymarketPublicData)
    while True:
        run_id = "index-cli-" + SystemClock().now().strftime("%Y%m%dT%H%M%S.%fZ")
        data.begin_run(RunBudget.within(data.timer, args.budget_s))
        try:
            summary = run_index(deps, run_id)
        except Exception as exc:
            print(f"omegacopy index run: the pass failed: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
            return 1
        print(json.dumps(summary.as_dict(), default=str), flush=True)
        if args.once:
            return 0 if summary.status in ("ok", "budget", "overlap") else 1
        time.sleep(args.interval)


def register(sub: Any) -> None:
    group = sub.add_parser("index", help="the indexer: Polymarket public data into ClickHouse")
    cmds = group.add_subparsers(dest="index_command", metavar="COMMAND", required=True)
    run = cmds.add_parser("run", help="run indexer passes (DATABASE_URL, CLICKHOUSE_URL, DATA_API_URL, GAMMA_API_URL)")
    run.add_argument("--once", action="store_true", help="one pass, then exit (default: a pass every --interval)")
    run.add_argument("--interval", type=float, default=300.0, help="seconds between passes without --once")
    run.add_argument("--budget-s", type=float, default=240.0, help="a pass stops at a checkpoint after this long")
    run.set_defaults(func=_run)
