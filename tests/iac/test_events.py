"""events/: realistic samples for every function, consistent with the template and the code."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

import pytest

from omegacopy.app.tick_event import TickEvent
from tests.iac.conftest import REPO

EVENTS = REPO / "events"


def _load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def _valid_body(body: str) -> bool:
    """The queue contract: {intent_id: uuid, correlation_id: c-…, schema_version: 1}, nothing else."""
    try:
        data = json.loads(body)
        uuid.UUID(data["intent_id"])
    except (ValueError, KeyError, TypeError):
        return False
    return (
        set(data) == {"intent_id", "correlation_id", "schema_version"}
        and isinstance(data["correlation_id"], str)
        and re.fullmatch(r"c-[A-Za-z0-9._:-]+", data["correlation_id"]) is not None
        and data["schema_version"] == 1
    )


def test_executor_batch_is_a_fifo_batch_with_exactly_one_poison_record() -> None:
    records = _load("executor_sqs_batch.json")["Records"]
    assert 4 <= len(records) <= 5  # within the event source's BatchSize
    valid = [r for r in records if _valid_body(r["body"])]
    assert len(valid) == 3 and len(records) - len(valid) == 1
    for record in records:
        attributes = record["attributes"]
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].endswith("-execution.fifo")
        assert attributes["MessageGroupId"] and attributes["MessageDeduplicationId"]
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    for record in valid:
        assert record["attributes"]["MessageDeduplicationId"] == json.loads(record["body"])["intent_id"]
    assert len({r["messageId"] for r in records}) == len(records)
    assert len({r["attributes"]["MessageGroupId"] for r in records}) >= 2  # groups flow independently


def test_executor_batch_parses_with_powertools() -> None:
    from aws_lambda_powertools.utilities.data_classes import SQSEvent

    event = SQSEvent(_load("executor_sqs_batch.json"))
    assert [r.attributes.message_group_id for r in event.records][:2] == ["wallet-alpha", "wallet-beta"]


@pytest.mark.parametrize(
    ("name", "tick_id"),
    [
        ("scheduler_event.json", "20261121T150000Z+0s"),
        ("wallet_monitor_tick.json", "20261121T150000Z+0s"),
        ("wallet_monitor_tick_offset.json", "20261121T150000Z+30s"),
        ("reconciler_tick.json", "20261121T150000Z+0s"),
    ],
)
def test_tick_events_name_their_slot(name: str, tick_id: str) -> None:
    from datetime import UTC, datetime

    assert TickEvent.parse(_load(name)).tick_id(datetime.now(UTC)) == tick_id


def test_scheduler_event_is_what_the_schedule_sends(cfn: dict[str, Any]) -> None:
    schedules = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert len(schedules) == 4  # the ticks, the indexer, settlement, the daily summary
    for schedule in schedules:
        template_input = json.loads(schedule["Properties"]["Target"]["Input"])
        assert set(_load("scheduler_event.json")) == set(template_input)


@pytest.mark.parametrize(("name", "kind"), [("notifier_alarm.json", "alarm"), ("notifier_fill.json", "fill")])
def test_notifier_samples_are_sns_events_the_notifier_reads(name: str, kind: str) -> None:
    from aws_lambda_powertools.utilities.data_classes import SNSEvent

    from omegacopy.adapters.sns_notices import notices_of

    event = _load(name)
    (record,) = SNSEvent(event).records
    assert record.event_source == "aws:sns" and record.sns.topic_arn.startswith("arn:aws:sns:")
    assert [k for k, _ in notices_of(event)] == [kind]
