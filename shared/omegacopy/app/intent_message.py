"""The SQS message body between monitor and executor: ids only, validated strictly.

Unknown fields, wrong types, non-finite numbers and NaN/Infinity literals are refused: a body that
fails here is a poison message and goes to the DLQ after the queue's maxReceiveCount.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError


class PoisonMessageError(ValueError):
    """The body can never be processed; retrying will not help."""


class IntentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    intent_id: UUID
    correlation_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    schema_version: Annotated[StrictInt, Field(ge=1, le=1)]

    @classmethod
    def parse(cls, body: str) -> IntentMessage:
        def _no_constants(token: str) -> Any:
            raise ValueError(f"non-finite number {token} in message body")

        try:
            data = json.loads(body, parse_constant=_no_constants)
            if isinstance(data, dict) and isinstance(data.get("intent_id"), str):
                # strict mode takes UUIDs as objects; the wire carries text
                data = {**data, "intent_id": UUID(data["intent_id"])}
            return cls.model_validate(data)
        except (ValueError, ValidationError) as exc:
            raise PoisonMessageError(f"invalid intent message: {exc}") from None
