"""SNS as the fill announcer: one message per booked fill on the fill topic, which the notifier
reads (message attribute `kind` = `fill`, body `fill_event_message`). The subject is the notice's
first line, so an email subscription to the topic reads well too."""

from __future__ import annotations

from typing import Any

from omegacopy.adapters.fill_event_message import KIND, FillEventMessage
from omegacopy.domain.notifications import FillEvent, fill_notice

_SUBJECT_MAX = 100  # SNS's limit for an email subject


class SnsFillEvents:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic = topic_arn

    def publish(self, event: FillEvent) -> None:
        subject = fill_notice(event).title
        self._sns.publish(
            TopicArn=self._topic,
            Message=FillEventMessage.of(event).body(),
            Subject=_subject(subject),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": KIND}},
        )


def _subject(text: str) -> str:
    # SNS subjects: printable ASCII, no line breaks, at most 100 characters
    ascii_only = "".join(c if 32 <= ord(c) < 127 else " " for c in text).strip()
    return (ascii_only[: _SUBJECT_MAX - 3] + "...") if len(ascii_only) > _SUBJECT_MAX else ascii_only or "fill"
