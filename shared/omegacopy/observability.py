"""The one place that owns Powertools Logger, Tracer and Metrics for every function.

Use cases get `PowertoolsTelemetry` (the `Telemetry` port) through their dependencies; adapters and
handlers use `logger` and `metrics` directly. One logger for everything: the keys a handler appends
(correlation id, tick id, intent id) are on every line.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "omegacopy"
NAMESPACE = "OmegaCopy"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


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
