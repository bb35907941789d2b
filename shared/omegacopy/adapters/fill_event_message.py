"""The fill event the executor publishes (SNS) and the notifier reads: one type writes the body
(`FillEventMessage.of(event).body()`) and reads it back (`FillEventMessage.parse`).

What it carries is what the books hold about the fill: ids, the token and market, amounts and
prices — never a key, a credential or an order's signed bytes. Reading is strict (`strict_json`):
a body that does not validate is refused with one line that never quotes it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from omegacopy.domain.notifications import FillEvent
from omegacopy.strict_json import loads

SCHEMA_VERSION: Final = 1
KIND: Final = "fill"  # the SNS message attribute `kind` a fill event carries

_Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:,-]+$")]
_Amount = Annotated[Decimal, Field(ge=0, le=10**12, allow_inf_nan=False)]


class FillEventError(ValueError):
    """The body is not a fill event this version can read."""


class FillEventMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1]
    strategy_id: _Id
    intent_id: _Id
    correlation_id: _Id
    side: Literal["BUY", "SELL"]
    token_id: Annotated[str, Field(pattern=r"^[0-9]{1,100}$")]
    condition_id: _Id
    shares: _Amount
    price: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]
    usd: _Amount
    realized_pnl_usd: Annotated[Decimal, Field(ge=-(10**12), le=10**12, allow_inf_nan=False)]
    position_shares: _Amount
    is_exit: bool
    trade_id: _Id
    filled_at: AwareDatetime
    paper: bool = False  # absent in bodies written before paper mode: those were live

    @classmethod
    def of(cls, event: FillEvent) -> FillEventMessage:
        return cls(schema_version=SCHEMA_VERSION, **{f: getattr(event, f) for f in _EVENT_FIELDS})

    def body(self) -> str:
        return self.model_dump_json()

    def event(self) -> FillEvent:
        return FillEvent(**{f: getattr(self, f) for f in _EVENT_FIELDS})

    @classmethod
    def parse(cls, body: str) -> FillEventMessage:
        try:
            return cls.model_validate(loads(body, max_depth=2, max_bytes=8_192, decimal_floats=True))
        except (ValueError, ValidationError) as exc:
            raise FillEventError(f"invalid fill event: {_first_line(exc)}") from None


_EVENT_FIELDS: Final = tuple(FillEvent.__dataclass_fields__)


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False, include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
