"""SNS records → notices: fills, CloudWatch alarms, anything else, and what does not validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.fill_event_message import FillEventError, FillEventMessage
from omegacopy.adapters.sns_notices import notice_of, notices_of
from omegacopy.domain.notifications import FillEvent, Level
from tests.conftest import REPO

ALARM_EVENT = json.loads((REPO / "events" / "notifier_alarm.json").read_text())
FILL_EVENT = json.loads((REPO / "events" / "notifier_fill.json").read_text())


def sns(message: str, *, subject: str | None = None, kind: str | None = None) -> dict[str, Any]:
    attributes = {"kind": {"Type": "String", "Value": kind}} if kind else {}
    return {"Sns": {"Message": message, "Subject": subject, "MessageAttributes": attributes}}


def fill_body(**changes: Any) -> str:
    data = json.loads(FILL_EVENT["Records"][0]["Sns"]["Message"])
    return json.dumps({**data, **changes})


def test_the_sample_alarm_is_an_alarm_notice() -> None:
    ((kind, notice),) = notices_of(ALARM_EVENT, stage="prod")
    assert kind == "alarm" and notice.level is Level.ALERT
    assert notice.title == "omegacopy-prod-tick-failures firing"
    assert dict(notice.facts)["at"] == "2026-11-21 15:00 UTC"  # CloudWatch's "+0000" offset read


def test_the_sample_fill_is_a_fill_notice() -> None:
    ((kind, notice),) = notices_of(FILL_EVENT)
    assert kind == "fill" and notice.title == "politics-core bought 96.5 shares at 0.62 ($59.83)"


def test_a_fill_event_round_trips_exactly() -> None:
    event = FillEvent("s1", "i-1", "c-1", "SELL", "123", "0x" + "ab" * 32, Decimal("10.5"), Decimal("0.4"),
                      Decimal("4.2"), Decimal("-1.25"), Decimal("0"), True, "t-1,t-2",
                      datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))  # fmt: skip
    assert FillEventMessage.parse(FillEventMessage.of(event).body()).event() == event


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"side": "HOLD"}, "side"),
        ({"price": "1.5"}, "price"),
        ({"shares": "NaN"}, "shares"),
        ({"token_id": "0xabc"}, "token_id"),
        ({"filled_at": "2026-11-21T15:00:41"}, "filled_at"),  # no timezone
        ({"schema_version": 2}, "schema_version"),
        ({"order_body": "{…signed…}"}, "order_body"),  # nothing beyond the contract
    ],
)
def test_a_fill_event_that_breaks_the_contract_is_refused(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FillEventError, match=fragment):
        FillEventMessage.parse(fill_body(**changes))


def test_a_fill_that_does_not_validate_is_still_told_without_its_content() -> None:
    kind, notice = notice_of(sns(fill_body(price="7", strategy_id="s-secretive"), kind="fill"))
    assert kind == "unreadable" and notice.level is Level.ALERT
    assert notice.title == "Unreadable fill event" and "price" in notice.lines[0]
    assert "s-secretive" not in notice.lines[0]
    kind, _ = notice_of(sns('{"a": 1, "a": 2}', kind="fill"))  # duplicate keys
    assert kind == "unreadable"


def test_an_alarm_shaped_message_that_does_not_validate_is_unreadable() -> None:
    kind, notice = notice_of(sns(json.dumps({"AlarmName": "x", "NewStateValue": "PANIC"})))
    assert kind == "unreadable" and notice.title == "Unreadable alarm" and "NewStateValue" in notice.lines[0]


def test_anything_else_is_shown_as_it_came_cut_short() -> None:
    kind, notice = notice_of(sns("hello from the runbook", subject="Test"))
    assert (kind, notice.title, notice.lines) == ("message", "Test", ("hello from the runbook",))
    _, long_one = notice_of(sns("x" * 5_000))
    assert len(long_one.lines[0]) == 2_002 and long_one.title == "Message"
    assert notice_of(sns('{"not": "an alarm"}'))[0] == "message"


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, {"Records": [{"Sns": {"Subject": "no message"}}]}])
def test_an_event_that_is_no_sns_event_is_unreadable_not_a_crash(event: dict[str, Any]) -> None:
    assert [kind for kind, _ in notices_of(event)] == ["unreadable"]
