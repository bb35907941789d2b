"""The SQS message body between monitor and executor: ids only, validated strictly.

Unknown fields, wrong types, non-finite numbers, NaN/Infinity literals, duplicate keys, huge
integers and deep nesting are refused (`omegacopy.strict_json`): a body that fails here is a poison
message and goes to the DLQ after the queue's maxReceiveCount.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from omegacopy.strict_json import loads


class PoisonMessageError(ValueError):
    """The body can never be processed; retrying will not help."""


class IntentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    intent_id: UUID
    correlation_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    schema_version: Annotated[StrictInt, Field(ge=1, le=1)]

    @classmethod
    def parse(cls, body: str) -> IntentMessage:
        try:
            data = loads(body, max_depth=2, max_bytes=4_096)
            if isinstance(data, dict) and isinstance(data.get("intent_id"), str):
                # strict mode takes UUIDs as objects; the wire carries text
                data = {**data, "intent_id": UUID(data["intent_id"])}
            return cls.model_validate(data)
        except (ValueError, ValidationError) as exc:
            raise PoisonMessageError(f"invalid intent message: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False, include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
