"""Notifier Lambda: what reaches the alert topic (alarms) and the fill topic (fills) goes to the
Slack and Telegram channels of the webhooks secret. A channel that missed it fails the invocation,
which Lambda retries, then parks on the notifier's dead-letter queue (alarmed)."""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.adapters.sns_notices import notices_of
from omegacopy.app.notify import deliver_all
from omegacopy.observability import PowertoolsTelemetry, capture_lambda_handler, logger, metrics
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.notifier import notifier_channels


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with redacted_errors():  # an error leaving the function never carries a webhook URL or token
        notices = notices_of(event, stage=os.environ.get("STAGE", ""))
        report = deliver_all(notices, notifier_channels(), PowertoolsTelemetry())
    return {"notices": [kind for kind, _ in notices], "delivered": report.delivered}
