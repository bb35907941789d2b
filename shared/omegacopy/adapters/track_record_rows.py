"""What a valid track-record row is (Kelly sizing's input): a bad row is rejected with its reason,
and its leader has no record (Kelly skips), never a size computed from nonsense.

The row is a `wallet_metrics_by_category` row of the `lifetime` window, with the counts and dollar
totals of our own metrics (docs/data.md). Besides each column's range, the columns must agree with
one another: wins and losing bets fit in the resolved bets, and there are gains exactly when there
are wins (losses when there are losing bets). A row with resolved bets but neither a win nor a loss
counted is refused too: it is what a metrics producer that does not measure them writes, and
reading it as "no edge" would be a wrong reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omegacopy.adapters.consensus_rows import describe
from omegacopy.adapters.source_rows import ADDRESS_PATTERN, MAX_AMOUNT
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.money import from_float
from omegacopy.domain.public_data import InvalidRecord

_MAX_BETS = 1_000_000_000


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) and v.isascii() else v


class TrackRecordRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    wallet_address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]
    category: Annotated[str, Field(min_length=1, max_length=100)]
    resolved_bets: Annotated[int, Field(ge=0, le=_MAX_BETS)]
    wins: Annotated[int, Field(ge=0, le=_MAX_BETS)]
    losing_bets: Annotated[int, Field(ge=0, le=_MAX_BETS)]
    gains_usd: Annotated[float, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]
    losses_usd: Annotated[float, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]

    _lower_case = field_validator("wallet_address", "category", mode="before")(_lower)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.wins + self.losing_bets > self.resolved_bets:
            raise ValueError("wins + losing_bets exceed resolved_bets")
        if (self.wins > 0) != (self.gains_usd > 0):
            raise ValueError("gains_usd and wins disagree (gains without wins, or wins without gains)")
        if (self.losing_bets > 0) != (self.losses_usd > 0):
            raise ValueError("losses_usd and losing_bets disagree")
        if self.resolved_bets > 0 and self.wins + self.losing_bets == 0:
            raise ValueError("resolved bets without a win or a loss counted")
        return self

    def to_record(self) -> TrackRecord:
        return TrackRecord(
            wallet=self.wallet_address,
            category=self.category,
            resolved_bets=self.resolved_bets,
            wins=self.wins,
            losing_bets=self.losing_bets,
            gains_usd=_usd(self.gains_usd),
            losses_usd=_usd(self.losses_usd),
        )


def _usd(value: float) -> Decimal:
    return from_float(value)  # the Decimal the Float64 was written from


def parse_track_records(
    rows: Iterable[Mapping[str, Any]], *, source: str
) -> tuple[dict[tuple[str, str], TrackRecord], list[InvalidRecord]]:
    """Valid rows by (wallet, category), the last row read winning (rows come oldest first); the
    others rejected with their reason. A rejected row also drops an older valid one of the same
    key: the newest word on a leader is that it is unreadable."""
    records: dict[tuple[str, str], TrackRecord] = {}
    rejected: list[InvalidRecord] = []
    for raw in rows:
        try:
            row = TrackRecordRow.model_validate(raw)
        except ValidationError as exc:
            key = (str(raw.get("wallet_address") or "").lower(), str(raw.get("category") or "").lower())
            records.pop(key, None)
            rejected.append(InvalidRecord(source, "/".join(k[:66] for k in key), describe(exc)))
            continue
        records[(row.wallet_address, row.category)] = row.to_record()
    return records, rejected
