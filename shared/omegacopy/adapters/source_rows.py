"""Validation of leader-trade rows from any source: a bad row becomes an InvalidTrade, never a crash."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.domain.models import InvalidTrade, LeaderTrade, Outcome, TradeAction

_ADDRESS = r"^0x[0-9a-f]{40}$"
_DECIMAL_ID = r"^[0-9]{1,78}$"  # uint256 as a decimal string: a float-looking id is corrupt


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class TradeRow(BaseModel):
    """One leader trade as a source reports it, joined with its market."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    trade_id: Annotated[str, Field(min_length=1, max_length=200)]
    wallet_address: Annotated[str, Field(pattern=_ADDRESS)]
    market_id: Annotated[str, Field(min_length=1, max_length=100)]
    token_id: Annotated[str, Field(pattern=_DECIMAL_ID)]
    side: Literal["YES", "NO"]
    action: Literal["BUY", "SELL"]
    shares: Annotated[float, Field(gt=0, lt=1e12)]
    entry_price: Annotated[float, Field(gt=0, lt=1)]
    usd_value: Annotated[float, Field(ge=0, lt=1e12)]
    block_time: datetime
    market_known: bool
    category: str | None = None
    closed: bool = False
    neg_risk: bool = False

    @field_validator("wallet_address", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    @field_validator("token_id", mode="before")
    @classmethod
    def _token_is_text(cls, v: Any) -> Any:
        if not isinstance(v, str):
            raise ValueError("token id must arrive as a decimal string")  # a float has lost digits
        return v

    @field_validator("shares", "entry_price", "usd_value", mode="before")
    @classmethod
    def _no_nan(cls, v: Any) -> Any:
        return _finite(v)

    def to_trade(self) -> LeaderTrade:
        traded_at = self.block_time if self.block_time.tzinfo else self.block_time.replace(tzinfo=UTC)
        return LeaderTrade(
            trade_id=self.trade_id,
            wallet=self.wallet_address,
            condition_id=self.market_id,
            token_id=self.token_id,
            outcome=Outcome(self.side),
            action=TradeAction(self.action),
            # repr() of a float is its shortest round-tripping text: 0.55 stays 0.55, not 0.5500000000000000444
            shares=Decimal(repr(self.shares)),
            price=Decimal(repr(self.entry_price)),
            usd_value=Decimal(repr(self.usd_value)),
            traded_at=traded_at,
            category=self.category or None,
            market_closed=self.closed,
            neg_risk=self.neg_risk,
        )


def parse_trade_row(raw: dict[str, Any]) -> LeaderTrade | InvalidTrade:
    try:
        row = TradeRow.model_validate(raw)
    except ValidationError as exc:
        return InvalidTrade(
            trade_id=_invalid_id(raw),
            wallet=str(raw.get("wallet_address") or "").lower(),
            detail=_describe(exc),
        )
    if not row.market_known:
        return InvalidTrade(row.trade_id, row.wallet_address, f"unknown market {row.market_id}")
    return row.to_trade()


def _invalid_id(raw: dict[str, Any]) -> str:
    trade_id = raw.get("trade_id")
    if isinstance(trade_id, str) and trade_id.strip():
        return trade_id.strip()[:200]
    # No id to deduplicate on: derive a stable one from the row so a re-read is still one signal.
    digest = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in raw.items())).encode()).hexdigest()
    return f"invalid:{digest[:32]}"


def _describe(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
    return "; ".join(parts)
