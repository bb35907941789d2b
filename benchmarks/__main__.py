"""Run every benchmark module (or those named on the command line) and print `name: value unit`."""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "benchmarks.signing",
    "benchmarks.tick",
    "benchmarks.executor_latency",
    "benchmarks.paper_fill",
    "benchmarks.clickhouse_http",
    "benchmarks.public_api",
    "benchmarks.indexer",
    "benchmarks.modes",
    "benchmarks.cold_import",
]


def main(argv: list[str]) -> int:
    wanted = [m if m.startswith("benchmarks.") else f"benchmarks.{m}" for m in argv] or MODULES
    for name in wanted:
        module = importlib.import_module(name)
        for metric, value, unit in module.run():
            print(f"{metric}: {value:.6g} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
