"""SQS FIFO as the intent queue: one message per intent, its wallet's FIFO group, its id as the
deduplication id (a resend within five minutes is absorbed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from omegacopy.adapters.intent_message import IntentMessage
from omegacopy.domain.intent import Intent
from omegacopy.ports import SendResult

_BATCH = 10  # SendMessageBatch maximum


class SqsIntentQueue:
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(self, intents: Sequence[Intent]) -> SendResult:
        sent: list[str] = []
        failed: dict[str, str] = {}
        sendable: list[tuple[Intent, str]] = []
        for intent in intents:
            try:
                sendable.append((intent, IntentMessage.of(intent).body()))
            except (ValueError, ValidationError):  # never a message the executor would refuse
                failed[intent.intent_id] = "invalid_message"
        for start in range(0, len(sendable), _BATCH):
            chunk = sendable[start : start + _BATCH]
            # Batch entry ids must be unique and short: position in the chunk.
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": body,
                    "MessageGroupId": intent.wallet_id,
                    "MessageDeduplicationId": intent.intent_id,
                }
                for i, (intent, body) in enumerate(chunk)
            ]
            try:
                reply = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as exc:  # the whole chunk stays NEW and goes out next tick
                for intent, _ in chunk:
                    failed[intent.intent_id] = type(exc).__name__
                continue
            for ok in reply.get("Successful", []):
                sent.append(chunk[int(ok["Id"])][0].intent_id)
            for bad in reply.get("Failed", []):
                failed[chunk[int(bad["Id"])][0].intent_id] = str(bad.get("Code", "failed"))
        return SendResult(sent=tuple(sent), failed=failed)
