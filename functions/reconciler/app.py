"""Reconciler Lambda: settles unknown, resting and lost orders each tick, off the monitor's path."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.app.mark_to_market import mark_to_market
from omegacopy.app.reconcile import reconcile
from omegacopy.observability import logger, metrics, tracer
from omegacopy.redaction import redacted_errors
from omegacopy.wiring import executor_deps, portfolio_store


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with redacted_errors():  # an error leaving the function never carries a secret
        deps = executor_deps()
        summary = reconcile(deps)
        marks = mark_to_market(portfolio_store(), deps.exchanges, deps.tunables, deps.telemetry)
    return {"examined": summary.examined, "outcomes": dict(summary.outcomes), "paused": marks.paused}
