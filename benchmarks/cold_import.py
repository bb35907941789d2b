"""Cold import per handler: `<function>_import_ms`, the median of five fresh interpreters each
importing `functions/<function>/app.py` once, as Lambda's init does before the first invocation.

Where the Lambda runtime's interpreter (python3.12) is installed, each import runs on it with only
the stdlib and the layer on sys.path (the layer built by `sam build`'s own step for this machine's
CPU, precompiled as it ships; its wheels cached under .venv while requirements.txt is unchanged)
and LAMBDA_TASK_ROOT set, as in Lambda; elsewhere on this venv's interpreter and packages, which
hold dev-only packages too (`cold_import_from_layer` says which: 1 the layer, 0 the venv).
What the first invocation builds (connections, clients, secrets) is not in these numbers.

The goal is 300 ms a handler. What stands between: the third-party libraries a function does use,
imported at init as Lambda recommends (deferring them to the first invocation only moves the time):
on a shared two-core development machine Powertools' logger, metrics, batch and parameters, boto3,
psycopg, httpx, pydantic, coincurve and keccak take about 320 ms by themselves (the executor's set;
the monitor adds the ClickHouse driver, about 60 ms more). X-Ray's recorder (the tracer, built at
the first invocation), eth-account and eth-abi (settlement, when it signs) are no longer among them.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile

from tools.lambda_layer import REPO, cached_layer, python312

FUNCTIONS_DIR = REPO / "functions"
RUNS = 5
LAYER_CACHE = REPO / ".venv" / "bench-layer"

_SCRIPT = """
import time
started = time.perf_counter()
import importlib.util, sys
sys.path[:0] = {site!r}
spec = importlib.util.spec_from_file_location("app", {app!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
print((time.perf_counter() - started) * 1000)
"""


def _interpreter() -> tuple[list[str], list[str]]:
    """(command, sys.path prefix): the runtime's interpreter on the layer when it can be had."""
    python = python312()
    if python is not None:
        try:
            site = cached_layer(python, LAYER_CACHE)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"# cold import: no layer ({exc}); measuring on the venv", file=sys.stderr)
        else:
            return [python, "-I", "-S"], [str(site)]
    return [sys.executable, "-I"], []


def _import_ms(command: list[str], site: list[str], function: str, home: str) -> float:
    app = FUNCTIONS_DIR / function / "app.py"
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
           "LAMBDA_TASK_ROOT": str(app.parent)}  # fmt: skip
    result = subprocess.run(
        [*command, "-c", _SCRIPT.format(site=site, app=str(app))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(result.stdout.strip().splitlines()[-1])


def functions() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/app.py"))


def run() -> list[tuple[str, float, str]]:
    command, site = _interpreter()
    out: list[tuple[str, float, str]] = [("cold_import_from_layer", 1.0 if site else 0.0, "flag")]
    with tempfile.TemporaryDirectory() as home:
        for function in functions():
            times = [_import_ms(command, site, function, home) for _ in range(RUNS)]
            out.append((f"{function}_import_ms", statistics.median(times), "ms"))
    return out


if __name__ == "__main__":
    for metric, value, unit in run():
        print(f"{metric}: {value:.6g} {unit}")
