"""Invoke a Lambda handler in-process the way the Lambda runtime would (the dev stack's loader)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from omegacopy.devstack import lambda_runtime

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
