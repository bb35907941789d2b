"""The SQS message between monitor and executor: ids only (the intent row is the truth), one type
that both writes the body (`IntentMessage.of(intent).body()`) and reads it (`IntentMessage.parse`).

Reading is strict: unknown fields, wrong types, non-finite numbers, NaN/Infinity literals, duplicate
keys, huge integers and deep nesting are refused (`omegacopy.strict_json`). A body that fails here
is a poison message and goes to the DLQ after the queue's maxReceiveCount.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from omegacopy.domain.intent import Intent
from omegacopy.strict_json import loads

SCHEMA_VERSION: Final = 1


class PoisonMessageError(ValueError):
    """The body can never be processed; retrying will not help."""


class IntentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    intent_id: UUID
    correlation_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    schema_version: Annotated[StrictInt, Field(ge=SCHEMA_VERSION, le=SCHEMA_VERSION)]

    @classmethod
    def of(cls, intent: Intent) -> IntentMessage:
        """The message for `intent` (ValidationError if its ids could never be read back)."""
        return cls(
            intent_id=UUID(intent.intent_id), correlation_id=intent.correlation_id, schema_version=SCHEMA_VERSION
        )

    def body(self) -> str:
        return self.model_dump_json()

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
