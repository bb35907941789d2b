"""Run the Lambda handlers in this process the way the Lambda runtime would (local run only).

Each `functions/<name>/app.py` is loaded from the checkout as its own module (Lambda puts every
function at the root of its own container) and called with an event and a context whose remaining
time counts down from the function's timeout in template.yaml. Nothing is faked: the handlers build
their adapters from os.environ through `omegacopy.wiring`, so they talk to whatever the environment
points at (the local stack).

A "fresh container" is emulated by dropping the per-container singletons: the wiring caches and
Powertools' parameter providers (their boto3 clients keep the endpoint they were created with).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from aws_lambda_powertools.utilities import parameters

from omegacopy import wiring
from omegacopy.adapters.schema import find_infra_dir
from omegacopy.observability import logger

# Timeout (s) per function folder, as template.yaml declares them.
TIMEOUTS_S = {"wallet_monitor": 25, "executor": 30, "reconciler": 25, "indexer": 900, "settlement": 60,
              "notifier": 90, "daily_summary": 120}  # fmt: skip
REGION_DEFAULT = "eu-west-1"


@dataclass
class LambdaContext:
    """The part of `LambdaContext` the handlers and Powertools read."""

    function_name: str
    timeout_s: int = 30
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    invoked_function_arn: str = ""
    _deadline: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        if not self.invoked_function_arn:
            region = os.environ.get("AWS_REGION", REGION_DEFAULT)
            self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def functions_dir() -> Path:
    """`functions/` of the checkout (beside `infra/`)."""
    functions = find_infra_dir().parent / "functions"
    if not functions.is_dir():
        raise FileNotFoundError(f"{functions}: the local run needs a checkout with the functions/ folder")
    return functions


def load_handler_module(function: str, root: Path | None = None) -> ModuleType:
    """Load `functions/<function>/app.py` as its own module, like a new container does."""
    path = (root or functions_dir()) / function / "app.py"
    # Lambda's task root (the function's folder) is on sys.path: modules beside app.py import
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"omegacopy_local_{function}_app", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the handler {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reset_containers() -> None:
    """Forget every per-container singleton: the next invocation builds its wiring afresh from the
    current environment. Connections of the dropped wiring are closed first."""
    for cached in wiring.container_singletons():
        if cached.cache_info().currsize:
            with contextlib.suppress(Exception):
                built = cached()
                for deps in built if isinstance(built, tuple) else (built,):
                    _close_deps(deps)
        cached.cache_clear()
    parameters.clear_caches()


def _close_deps(deps: Any) -> None:
    for part in ("store", "keys", "exchanges", "books", "data"):
        closer = getattr(getattr(deps, part, None), "close", None)
        if callable(closer):
            with contextlib.suppress(Exception):
                closer()


@dataclass
class Invocation:
    result: Any
    duration_ms: float
    error: BaseException | None = None


class LocalLambda:
    """One function's handler, invoked in-process; its logs and EMF metrics go to `log`."""

    def __init__(self, function: str, *, log: TextIO | None = None, root: Path | None = None) -> None:
        self.function = function
        self.timeout_s = TIMEOUTS_S.get(function, 30)
        self._module = load_handler_module(function, root)
        self._handler: Callable[[Any, Any], Any] = self._module.lambda_handler
        self._log = log
        self._log_keys: dict[str, Any] = {}  # what the handler appended to the logger, kept like a container does

    def invoke(self, event: Any) -> Invocation:
        context = LambdaContext(function_name=f"omegacopy-local-{self.function.replace('_', '-')}",
                                timeout_s=self.timeout_s)  # fmt: skip
        started = time.perf_counter()
        # Every function shares this process's logger; in Lambda each has its own: the keys one
        # handler appends (a run id, an intent id) must not show in another's lines.
        logger.clear_state()
        base = set(logger.get_current_keys())
        logger.append_keys(**self._log_keys)
        with _captured_output(self._log):
            try:
                result = self._handler(event, context)
            except Exception as exc:  # the runtime reports it; the caller decides what it means
                return Invocation(None, (time.perf_counter() - started) * 1000, exc)
            finally:
                self._log_keys = {k: v for k, v in logger.get_current_keys().items() if k not in base}
                logger.clear_state()
        return Invocation(result, (time.perf_counter() - started) * 1000)


@contextlib.contextmanager
def _captured_output(log: TextIO | None) -> Iterator[None]:
    """Powertools writes JSON logs through its handler's stream and EMF metrics with print(): both
    go to `log` (what CloudWatch Logs would hold), so the operator's terminal keeps the progress."""
    if log is None:
        yield
        return
    handler = logger.registered_handler
    previous = handler.setStream(log) if hasattr(handler, "setStream") else None

    def to_log(  # noqa: PLR0917 - warnings.showwarning's signature
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        log.write(warnings.formatwarning(message, category, filename, lineno, line))

    try:
        with contextlib.redirect_stdout(log), warnings.catch_warnings():
            warnings.showwarning = to_log
            yield
    finally:
        if previous is not None and hasattr(handler, "setStream"):
            handler.setStream(previous)
        log.flush()


__all__ = ["TIMEOUTS_S", "Invocation", "LambdaContext", "LocalLambda", "functions_dir", "load_handler_module",
           "reset_containers"]  # fmt: skip
