"""The markets dimension's resolutions (`infra/clickhouse/003_indexer.sql`), for settlement
(`ResolutionReader`) and for mark-to-market (`MarketResolutions`: what a share pays).

A resolved row's payouts line up with its `token_ids` (or, from an indexer that knows only the
binary pair, with `yes_token_id`, `no_token_id`). Each row is validated on its own (pydantic, then
`resolution_from_vector`): a bad row is refused with its reason and settles nothing; it never
stops the other markets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.domain.money import from_float
from omegacopy.domain.public_data import InvalidRecord
from omegacopy.domain.resolution import InvalidResolutionError, ResolutionSource, resolution_from_vector
from omegacopy.ports import ResolutionRead

SOURCE = "clickhouse.markets"
_POSITION_ID = r"^[0-9]{1,78}$"  # an ERC1155 position id, decimal


class _ResolvedRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    condition_id: Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$")]
    token_ids: list[Annotated[str, Field(pattern=_POSITION_ID)]]
    payouts: list[float]
    neg_risk: bool
    resolved_at: datetime | None

    @field_validator("condition_id", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("payouts")
    @classmethod
    def _finite(cls, value: list[float]) -> list[float]:
        if any(not math.isfinite(p) for p in value):
            raise ValueError("a payout is not a finite number")
        return value


def _tokens(r: dict[str, Any]) -> list[str]:
    tokens = list(r["token_ids"] or [])
    if not tokens:
        tokens = [t for t in (r["yes_token_id"], r["no_token_id"]) if t]
    return tokens


class ClickHouseResolutions:
    """`client`, or `connect` to make one on first use (ClickHouse being away must not stop the
    reconciler: its caller falls back, and a position it cannot price is reported as such)."""

    def __init__(
        self, client: Any = None, *, connect: Callable[[], Any] | None = None, markets_table: str = "markets"
    ) -> None:
        if client is None and connect is None:
            raise ValueError("give a ClickHouse client or a way to connect")
        self._ch = client
        self._connect = connect
        self._table = markets_table

    def __repr__(self) -> str:
        return "ClickHouseResolutions()"

    def resolutions(self, condition_ids: Sequence[str]) -> ResolutionRead:
        if not condition_ids:
            return ResolutionRead({})
        sql = (
            "SELECT condition_id, token_ids, yes_token_id, no_token_id, payouts, neg_risk, resolved_at"  # noqa: S608 - the table name is configuration
            f" FROM {self._table} FINAL WHERE lower(condition_id) IN {{ids:Array(String)}} AND resolved = 1"
        )
        if self._ch is None:
            assert self._connect is not None
            self._ch = self._connect()
        rows = self._ch.query(
            sql,
            parameters={"ids": sorted({c.lower() for c in condition_ids})},
        ).named_results()
        resolved = {}
        invalid = []
        for r in rows:
            key = str(r.get("condition_id", ""))[:80]
            try:
                row = _ResolvedRow.model_validate({**r, "token_ids": _tokens(r)})
                resolution = resolution_from_vector(
                    row.condition_id,
                    row.token_ids,
                    [from_float(p) for p in row.payouts],
                    source=ResolutionSource.MARKETS,
                    neg_risk=row.neg_risk,
                    resolved_at=row.resolved_at.replace(tzinfo=UTC) if row.resolved_at else None,
                )
            except ValidationError as exc:
                first = exc.errors(include_input=False, include_url=False)[0]
                invalid.append(InvalidRecord(SOURCE, key, f"{'.'.join(map(str, first['loc']))}: {first['msg']}"))
                continue
            except InvalidResolutionError as exc:
                invalid.append(InvalidRecord(SOURCE, key, str(exc)))
                continue
            resolved[row.condition_id] = resolution
        return ResolutionRead(resolved, tuple(invalid))

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        """token id -> payout per share, for the markets among these that resolved (mark-to-market)."""
        read = self.resolutions(condition_ids)
        return {token: payout for r in read.resolved.values() for token, payout in r.payouts.items()}
