"""The one place that owns Powertools Logger, Tracer and Metrics for every function.

Every log record is serialized through `redaction.redact`: a registered secret (database or
ClickHouse URL, CLOB API secret, passphrase) or a URL password never reaches a log line.

Use cases get `PowertoolsTelemetry` (the `Telemetry` port) through their dependencies; adapters and
handlers use `logger` and `metrics` directly. One logger for everything: the keys a handler appends
(correlation id, tick id, intent id) are on every line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

from omegacopy.redaction import redact

Handler = TypeVar("Handler", bound=Callable[..., Any])

SERVICE = "omegacopy"
NAMESPACE = "OmegaCopy"


def _serialize(record: dict[str, Any]) -> str:
    return redact(json.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False))


logger = Logger(service=SERVICE, json_serializer=_serialize)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@functools.cache
def tracer() -> Tracer:
    """Powertools Tracer (X-Ray active tracing in Lambda), built on first use: building it loads
    X-Ray's recorder, which a handler's import need not pay for. It patches what our clients are
    made of, botocore and httpx, class-wide: clients made before or after are all traced."""
    return Tracer(service=SERVICE, patch_modules=("botocore", "httpx"))


def capture_lambda_handler(handler: Handler) -> Handler:
    """`Tracer.capture_lambda_handler` around `handler`, the tracer built at the first invocation
    (before the wiring makes its clients, so the httpx ones are instrumented too)."""
    traced: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        if not traced:
            traced.append(tracer().capture_lambda_handler(handler))
        return traced[0](event, context)

    return wrapper  # type: ignore[return-value]


class PowertoolsTelemetry:
    """Metrics as CloudWatch EMF, log lines as structured JSON (located at the use case's line)."""

    def count(self, name: str, value: float = 1) -> None:
        metrics.add_metric(name=name, unit="Count", value=value)

    def measure(self, name: str, value: float, unit: str) -> None:
        metrics.add_metric(name=name, unit=unit, value=value)

    def info(self, message: str, **fields: object) -> None:
        logger.info(message, extra=fields, stacklevel=3)

    def warning(self, message: str, **fields: object) -> None:
        logger.warning(message, extra=fields, stacklevel=3)

    def error(self, message: str, **fields: object) -> None:
        logger.error(message, extra=fields, stacklevel=3)
