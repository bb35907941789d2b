"""Each handler's import loads only what its function uses: its own wiring module, never another
function's adapters, and nothing that can wait for the first use (X-Ray's recorder, eth-account,
eth-abi, the ClickHouse driver of a function that may never connect). A fresh interpreter per
handler, as a fresh Lambda container."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

FUNCTIONS = sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))
WIRING = {
    "wallet_monitor": {"monitor"},
    "executor": {"executor"},
    "reconciler": {"executor", "reconciler"},
    "indexer": {"indexer"},
    "settlement": {"settlement"},
    "notifier": {"notifier"},
    "daily_summary": {"daily_summary", "notifier"},
}
# the parts several functions' wiring share
SHARED_PARTS = {"secrets", "clob"}
# loaded on first use wherever they are needed
DEFERRED = {"aws_xray_sdk", "eth_account", "eth_abi"}
NEVER = {"omegacopy.devstack", "omegacopy.cli", "chdb", "moto", "pytest"}
NOT_AT_IMPORT = {
    "executor": {"clickhouse_connect", "omegacopy.adapters.polymarket", "omegacopy.adapters.data_api_source"},
    "reconciler": {"clickhouse_connect", "omegacopy.adapters.polymarket", "omegacopy.adapters.data_api_source"},
    "notifier": {"clickhouse_connect", "psycopg", "omegacopy.adapters.polymarket"},
    "daily_summary": {"clickhouse_connect", "omegacopy.adapters.polymarket"},
    "settlement": {"omegacopy.adapters.polymarket"},
}

_SCRIPT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(function: str) -> set[str]:
    app = REPO / "functions" / function / "app.py"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1", "LAMBDA_TASK_ROOT": str(app.parent)}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(app)], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(result.stdout))


def _under(modules: set[str], roots: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


def test_every_function_has_its_wiring_listed() -> None:
    assert set(WIRING) == set(FUNCTIONS)
    wiring_modules = {p.stem for p in (REPO / "shared" / "omegacopy" / "wiring").glob("*.py")} - {"__init__"}
    assert set().union(*WIRING.values()) <= wiring_modules


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_its_own_wiring_and_nothing_that_can_wait(function: str) -> None:
    loaded = _loaded(function)
    wiring = {m.removeprefix("omegacopy.wiring.") for m in _under(loaded, {"omegacopy.wiring"})} - {"omegacopy.wiring"}
    assert wiring - SHARED_PARTS == WIRING[function]
    assert _under(loaded, DEFERRED | NEVER | NOT_AT_IMPORT.get(function, set())) == []
