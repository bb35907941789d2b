"""Invoke a function's handler in-process with an events/ sample (no Docker: `sam local` needs it).

    python tools/invoke.py wallet_monitor events/wallet_monitor_tick.json

Loads functions/<name>/app.py the way Lambda does (its folder first on sys.path, the omegacopy
package from the environment as the layer would provide it), calls `lambda_handler(event,
context)` with a context whose remaining time counts down from the function's timeout in
template.yaml, and prints the result as JSON. The handler talks to whatever its environment
variables point at (e.g. the local stack of `omegacopy run`); nothing here fakes a service.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Timeout (s) per function folder, as in template.yaml.
TIMEOUTS = {"wallet_monitor": 25, "executor": 30, "reconciler": 25}


@dataclass
class FakeContext:
    """The part of LambdaContext the handlers and Powertools use."""

    function_name: str
    timeout_s: int = 30
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    _deadline: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        region = os.environ.get("AWS_REGION", "eu-west-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler_module(function_dir: Path) -> ModuleType:
    app = function_dir / "app.py"
    if not app.is_file():
        raise SystemExit(f"no handler: {app}")
    sys.path.insert(0, str(function_dir))
    spec = importlib.util.spec_from_file_location(f"lambda_{function_dir.name}_app", app)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def invoke(function: str, event: Any, *, functions_dir: Path = REPO / "functions") -> Any:
    # Powertools outside Lambda: no X-Ray daemon; the service and namespace the template sets.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "omegacopy")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OmegaCopy")
    module = load_handler_module(functions_dir / function)
    context = FakeContext(function_name=f"omegacopy-local-{function}", timeout_s=TIMEOUTS.get(function, 30))
    return module.lambda_handler(event, context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
