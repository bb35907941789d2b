"""Invoke a Lambda handler in-process the way the Lambda runtime would (the dev stack's loader)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from omegacopy import wiring
from omegacopy.devstack import lambda_runtime

Invoke = Callable[[dict[str, Any]], dict[str, Any]]

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeLambdaContext(lambda_runtime.LambdaContext):
    function_name: str = "omegacopy-test"


def load_handler_module(function: str) -> ModuleType:
    """Load functions/<function>/app.py as its own module (Lambda puts each function at the root)."""
    return lambda_runtime.load_handler_module(function, REPO / "functions")


def load_event(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((REPO / "events" / name).read_text())
    return data


@contextmanager
def fresh_container(function: str, env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """The function's real handler as a new container runs it: with `env`, and none of the
    per-container singletons of `wiring` left from another test (nor left behind for the next)."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for singleton in wiring.container_singletons():
        singleton.cache_clear()
    module = load_handler_module(function)

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
        return result

    try:
        yield invoke
    finally:
        # again: loading the handler may have loaded wiring modules (and their caches) of its own
        for singleton in wiring.container_singletons():
            singleton.cache_clear()
