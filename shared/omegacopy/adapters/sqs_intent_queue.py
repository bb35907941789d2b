"""SQS FIFO as the intent queue. The body carries ids only: the intent row is the truth."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from omegacopy.ports import QueuedIntent, SendResult

SCHEMA_VERSION = 1
_BATCH = 10  # SendMessageBatch maximum


def intent_message_body(intent: QueuedIntent) -> str:
    return json.dumps(
        {
            "intent_id": intent.intent_id,
            "correlation_id": intent.correlation_id,
            "schema_version": SCHEMA_VERSION,
        },
        separators=(",", ":"),
    )


class SqsIntentQueue:
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(self, intents: Sequence[QueuedIntent]) -> SendResult:
        sent: list[str] = []
        failed: dict[str, str] = {}
        for start in range(0, len(intents), _BATCH):
            chunk = intents[start : start + _BATCH]
            # Batch entry ids must be unique and short: position in the chunk.
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": intent_message_body(it),
                    "MessageGroupId": it.group_id,
                    "MessageDeduplicationId": it.intent_id,
                }
                for i, it in enumerate(chunk)
            ]
            try:
                reply = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as exc:  # the whole chunk stays NEW and goes out next tick
                for it in chunk:
                    failed[it.intent_id] = type(exc).__name__
                continue
            for ok in reply.get("Successful", []):
                sent.append(chunk[int(ok["Id"])].intent_id)
            for bad in reply.get("Failed", []):
                failed[chunk[int(bad["Id"])].intent_id] = str(bad.get("Code", "failed"))
        return SendResult(sent=tuple(sent), failed=failed)
