"""Invoke a Lambda handler in-process the way the Lambda runtime would."""

from __future__ import annotations

import importlib.util
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeLambdaContext:
    function_name: str = "omegacopy-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:omegacopy-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 25_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_handler_module(function: str) -> ModuleType:
    """Load functions/<function>/app.py as its own module (Lambda puts each function at the root)."""
    path = REPO / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"functions_{function}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_event(name: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads((REPO / "events" / name).read_text())
    return data
