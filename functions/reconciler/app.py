"""Reconciler Lambda: settles unknown, resting and lost orders each tick, off the monitor's path."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.app.reconcile import reconcile
from omegacopy.observability import logger, metrics, tracer
from omegacopy.wiring import executor_deps


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = reconcile(executor_deps())
    return {"examined": summary.examined, "outcomes": dict(summary.outcomes)}
