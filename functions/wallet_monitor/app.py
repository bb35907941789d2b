"""Wallet-monitor Lambda: one tick per invocation (Step Functions calls it every 30 s)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.adapters.clock import SystemClock
from omegacopy.app.run_tick import run_tick
from omegacopy.app.tick_event import TickEvent
from omegacopy.observability import capture_lambda_handler, logger, metrics
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.monitor import monitor_deps


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick_id = TickEvent.parse(event).tick_id(SystemClock().now())
    logger.append_keys(tick_id=tick_id)
    with redacted_errors():  # an error leaving the function never carries a secret
        summary = run_tick(monitor_deps(), tick_id)
    return {"tick_id": tick_id, "status": summary.status, "intents_queued": summary.intents_queued}
