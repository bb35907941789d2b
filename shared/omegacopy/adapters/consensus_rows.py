"""What a valid OWRR input row is, for every consensus source: a bad row is rejected with its
reason, never a vote and never a crash.

Two shapes feed OWRR through the `OwrrInputs` port: a wallet's open position on one side of one
market (aggregated from `trades_raw`, or read from a holders table), and a wallet's metrics in a
category. Each row is validated on its own, so one bad row costs one vote in one market, not the
consensus of every market in the tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.adapters.source_rows import ADDRESS_PATTERN, MAX_AMOUNT, MAX_MARKET_ID
from omegacopy.domain.models import Outcome
from omegacopy.domain.owrr import WalletMetric, WalletPosition
from omegacopy.domain.public_data import InvalidRecord


def _lower(v: Any) -> Any:
    return v.lower() if isinstance(v, str) and v.isascii() else v


def _upper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) and v.isascii() else v


class PositionRow(BaseModel):
    """One wallet's open position on one side (YES/NO, any case) of one market."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    market_id: Annotated[str, Field(min_length=1, max_length=MAX_MARKET_ID)]
    side: Outcome
    wallet_address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]
    total_shares: Annotated[float, Field(gt=0, lt=MAX_AMOUNT, allow_inf_nan=False)]
    weighted_avg_entry_price: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    total_position_value: Annotated[float, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]

    _side_any_case = field_validator("side", mode="before")(_upper)
    _address_any_case = field_validator("wallet_address", mode="before")(_lower)

    def to_position(self) -> WalletPosition:
        return WalletPosition(
            self.wallet_address,
            self.side.value,
            self.total_shares,
            self.weighted_avg_entry_price,
            self.total_position_value,
        )


class MetricRow(BaseModel):
    """One row of a wallet's metrics in one category and window (the columns OWRR reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    wallet_address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]
    category: Annotated[str, Field(min_length=1, max_length=100)]
    window: Annotated[str, Field(min_length=1, max_length=50)]
    metric_2_omega_net: Annotated[float | None, Field(allow_inf_nan=False)] = None
    metric_22_resolved_bets: Annotated[int | None, Field(ge=0, le=1_000_000_000)] = None

    _address_any_case = field_validator("wallet_address", mode="before")(_lower)

    def to_metric(self) -> WalletMetric:
        return WalletMetric(
            self.wallet_address, self.category, self.window, self.metric_2_omega_net, self.metric_22_resolved_bets
        )


@dataclass(frozen=True, slots=True)
class ParsedPositions:
    by_market: dict[str, list[WalletPosition]]
    rejected: list[tuple[str, InvalidRecord]]  # (market_id or "", the rejected row)


def parse_positions(rows: Iterable[Mapping[str, Any]], *, source: str) -> ParsedPositions:
    """Valid rows as positions per market; the others rejected with their reason."""
    by_market: dict[str, list[WalletPosition]] = {}
    rejected: list[tuple[str, InvalidRecord]] = []
    for raw in rows:
        try:
            row = PositionRow.model_validate(raw)
        except ValidationError as exc:
            market = raw.get("market_id")
            key = _key(raw, "market_id", "side", "wallet_address")
            rejected.append((market if isinstance(market, str) else "", InvalidRecord(source, key, describe(exc))))
            continue
        by_market.setdefault(row.market_id, []).append(row.to_position())
    return ParsedPositions(by_market, rejected)


def parse_metrics(rows: Iterable[Mapping[str, Any]], *, source: str) -> tuple[list[WalletMetric], list[InvalidRecord]]:
    """Valid rows as metrics, in read order (the spec's "last row wins" depends on it)."""
    metrics: list[WalletMetric] = []
    rejected: list[InvalidRecord] = []
    for raw in rows:
        try:
            metrics.append(MetricRow.model_validate(raw).to_metric())
        except ValidationError as exc:
            rejected.append(InvalidRecord(source, _key(raw, "wallet_address", "category", "window"), describe(exc)))
    return metrics, rejected


def _key(raw: Mapping[str, Any], *names: str) -> str:
    # what identifies the row, each part cut short: a key is for finding the row, not for copying it
    return "/".join(str(raw.get(n))[:66] for n in names)


def describe(exc: ValidationError) -> str:
    """The first problems of a row, without its values."""
    parts = []
    for e in exc.errors(include_input=False, include_url=False, include_context=False)[:3]:
        where = ".".join(str(p) for p in e["loc"])
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts)
