"""Invoke a function's handler in-process with an events/ sample (no Docker: `sam local` needs it).

    python tools/invoke.py wallet_monitor events/wallet_monitor_tick.json

Loads functions/<name>/app.py the way Lambda does (omegacopy.devstack.lambda_runtime), calls `lambda_handler(event,
context)` with a context whose remaining time counts down from the function's timeout in
template.yaml, and prints the result as JSON. The handler talks to whatever its environment
variables point at (e.g. the local stack of `omegacopy run`); nothing here fakes a service.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from omegacopy.devstack.lambda_runtime import TIMEOUTS_S, LambdaContext, load_handler_module

REPO = Path(__file__).resolve().parents[1]
TIMEOUTS = TIMEOUTS_S


def invoke(function: str, event: Any, *, functions_dir: Path = REPO / "functions") -> Any:
    # Powertools outside Lambda: no X-Ray daemon; the service and namespace the template sets.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "omegacopy")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OmegaCopy")
    if not (functions_dir / function / "app.py").is_file():
        raise SystemExit(f"no handler: {functions_dir / function / 'app.py'}")
    module = load_handler_module(function, functions_dir)
    context = LambdaContext(function_name=f"omegacopy-local-{function}", timeout_s=TIMEOUTS.get(function, 30))
    return module.lambda_handler(event, context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("function", help="folder under functions/, e.g. wallet_monitor")
    parser.add_argument("event", type=Path, help="JSON event file, e.g. events/wallet_monitor_tick.json")
    parser.add_argument("--functions-dir", type=Path, default=REPO / "functions")
    args = parser.parse_args(argv)
    event = json.loads(args.event.read_text())
    result = invoke(args.function, event, functions_dir=args.functions_dir)
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
