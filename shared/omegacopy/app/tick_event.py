"""The monitor's trigger: the Step Functions payload (scheduled time + offset), or a manual invoke.

The scheduled time and offset form the tick id, so a retried invocation of the same slot is the
same tick (its audit row is updated, not duplicated).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class TickEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    scheduled_time: datetime | None = None
    offset_s: Annotated[int, Field(ge=0, le=59)] = 0

    @classmethod
    def parse(cls, event: Any) -> TickEvent:
        if not isinstance(event, dict):
            return cls()
        # EventBridge Scheduler's own envelope carries the slot as "time"
        if "scheduled_time" not in event and isinstance(event.get("time"), str):
            return cls.model_validate({"scheduled_time": event["time"], "offset_s": 0})
        return cls.model_validate(event)

    def tick_id(self, now: datetime) -> str:
        if self.scheduled_time is None:
            return f"manual-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}"
        slot = self.scheduled_time.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{slot}+{self.offset_s}s"
