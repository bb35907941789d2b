"""An SNS record as the notifier receives it → the `Notice` to send.

Three kinds of message reach the notifier's topics:
- a fill event (message attribute `kind` = `fill`; `fill_event_message`);
- a CloudWatch alarm state change (the JSON CloudWatch publishes: `AlarmName`, `NewStateValue`, …);
- anything else (an operator's `aws sns publish` test, an AWS notice): shown as it came, cut short.

A message that claims to be a fill or an alarm but does not validate still becomes a notice (saying
it could not be read, and why, never quoting it): people hear that something happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.adapters.fill_event_message import KIND, FillEventError, FillEventMessage
from omegacopy.domain.notifications import (
    AlarmChange,
    Notice,
    alarm_notice,
    fill_notice,
    message_notice,
    unreadable_notice,
)
from omegacopy.strict_json import JsonInputError, loads

MAX_TEXT: Final = 2_000  # of a plain message shown as it came
_Text = Annotated[str, Field(max_length=4_000)]


class AlarmMessage(BaseModel):
    """The fields of CloudWatch's alarm notification the notice shows (the others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    AlarmName: Annotated[str, Field(min_length=1, max_length=255)]
    AlarmDescription: _Text | None = None
    NewStateValue: Annotated[str, Field(pattern=r"^(ALARM|OK|INSUFFICIENT_DATA)$")]
    OldStateValue: Annotated[str, Field(max_length=32)] = ""
    NewStateReason: _Text = ""
    StateChangeTime: AwareDatetime | None = None
    Region: Annotated[str, Field(max_length=100)] = ""

    @field_validator("StateChangeTime", mode="before")
    @classmethod
    def _cloudwatch_time(cls, value: Any) -> Any:
        # CloudWatch writes "2026-05-01T12:00:00.000+0000"
        if isinstance(value, str) and len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
            return f"{value[:-2]}:{value[-2:]}"
        return value

    def change(self) -> AlarmChange:
        return AlarmChange(
            name=self.AlarmName,
            description=self.AlarmDescription or "",
            new_state=self.NewStateValue,
            old_state=self.OldStateValue,
            reason=self.NewStateReason,
            changed_at=self.StateChangeTime,
            region=self.Region,
        )


class SnsMessage(BaseModel):
    """The part of a Lambda SNS record the notifier reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Message: Annotated[str, Field(max_length=262_144)]  # SNS's own limit
    Subject: str | None = None
    MessageId: str = ""
    Timestamp: datetime | None = None
    MessageAttributes: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def attribute(self, name: str) -> str | None:
        value = self.MessageAttributes.get(name, {}).get("Value")
        return value if isinstance(value, str) else None


def notices_of(event: Mapping[str, Any], *, stage: str = "") -> list[tuple[str, Notice]]:
    """(what it was, its notice) for every record of a Lambda SNS event: `fill`, `alarm`, `message`
    or `unreadable` (a record that claimed a kind and did not validate)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        return [("unreadable", unreadable_notice("notification", "the event has no SNS records"))]
    return [notice_of(record, stage=stage) for record in records]


def notice_of(record: Any, *, stage: str = "") -> tuple[str, Notice]:
    try:
        sns = SnsMessage.model_validate(record.get("Sns") if isinstance(record, Mapping) else None)
    except ValidationError as exc:
        return "unreadable", unreadable_notice("notification", _first_line(exc))
    if sns.attribute("kind") == KIND:
        try:
            return "fill", fill_notice(FillEventMessage.parse(sns.Message).event())
        except FillEventError as exc:
            return "unreadable", unreadable_notice("fill event", str(exc))
    alarm = _alarm(sns.Message)
    if isinstance(alarm, AlarmMessage):
        return "alarm", alarm_notice(alarm.change(), stage=stage)
    if isinstance(alarm, str):
        return "unreadable", unreadable_notice("alarm", alarm)
    text = sns.Message if len(sns.Message) <= MAX_TEXT else sns.Message[:MAX_TEXT] + " …"
    return "message", message_notice(sns.Subject or "", text)


def _alarm(message: str) -> AlarmMessage | str | None:
    """The alarm, or why a message shaped like one is not; None for a message that is no alarm."""
    if not message.lstrip().startswith("{"):
        return None
    try:
        data = loads(message, max_depth=8, max_bytes=262_144)
    except JsonInputError:
        return None
    if not isinstance(data, dict) or "AlarmName" not in data:
        return None
    try:
        return AlarmMessage.model_validate(data)
    except ValidationError as exc:
        return _first_line(exc)


def _first_line(exc: ValidationError) -> str:
    first = exc.errors(include_input=False, include_url=False)[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'message'}: {first['msg']}"
