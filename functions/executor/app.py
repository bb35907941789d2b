"""Executor Lambda: SQS FIFO batch of intent messages → at most one exchange order per intent."""

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.adapters.intent_message import IntentMessage
from omegacopy.app.execute_intent import execute_intent
from omegacopy.observability import capture_lambda_handler, logger, metrics
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.executor import executor_deps

# skip_group_on_error: a failing wallet's later messages wait; other wallets' groups flow on
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    message = IntentMessage.parse(record.body)
    logger.append_keys(correlation_id=message.correlation_id, intent_id=str(message.intent_id))
    with redacted_errors():  # the batch error report quotes record errors: never a secret in them
        execute_intent(executor_deps(), str(message.intent_id), lambda_context.get_remaining_time_in_millis)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    with redacted_errors():
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
