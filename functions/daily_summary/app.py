"""Daily-summary Lambda: once a day (EventBridge Scheduler), the last 24 hours of P&L, copies and
skips by reason, and the top leaders, to the Slack and Telegram channels of the webhooks secret."""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.adapters.clock import SystemClock
from omegacopy.app.daily_summary import send_daily_summary
from omegacopy.app.tick_event import TickEvent
from omegacopy.observability import PowertoolsTelemetry, capture_lambda_handler, logger, metrics
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.daily_summary import daily_summary_source
from omegacopy.wiring.notifier import notifier_channels


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with redacted_errors():
        end = TickEvent.parse(event).scheduled_time or SystemClock().now()
        summary, report = send_daily_summary(
            daily_summary_source(), notifier_channels(), PowertoolsTelemetry(), end=end,
            stage=os.environ.get("STAGE", ""),
        )  # fmt: skip
        report.raise_if_failed()
    return {
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "copies": summary.copies,
        "skips": summary.skips,
        "delivered": report.delivered,
    }
