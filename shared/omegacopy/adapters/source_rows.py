"""What a valid leader-trade row is, for every source: a bad row becomes an InvalidTrade, never a crash.

One definition, in two forms:
- `TradeRow` (pydantic) validates a row in Python: new trades, and the history rows read for a
  leader's "shares before the sale", go through it;
- `invalid_reason_sql` is the same rules as a ClickHouse expression, for the rows OWRR aggregates
  in the database (the consensus query cannot afford to bring every row back). A differential
  test keeps the two in agreement on a corpus of hostile rows.

The rules: non-empty ids, a 0x address (any case: stored lower-case), a decimal token id that is
the market's token for the row's side (per the `markets` dimension), a side of YES/NO and an action
of BUY/SELL in any case, finite numbers inside their ranges (shares > 0, price strictly between 0
and 1, USD value >= 0), and a trade time not beyond `not_after` (now plus the allowed clock skew).
Values are taken as they are: surrounding whitespace makes a field invalid, not trimmed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from omegacopy.domain.models import InvalidTrade, LeaderTrade, Outcome, TradeAction

ADDRESS_PATTERN = r"^0x[0-9a-f]{40}$"
OUTCOME_ID_PATTERN = r"^[0-9]{1,78}$"  # uint256 as a decimal string: a float-looking id is corrupt
MAX_ID = 200
MAX_MARKET_ID = 100
# Ids are stored as PostgreSQL text, which cannot hold NUL: no control characters at all.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
MAX_AMOUNT = 1e12


def _upper(v: Any) -> Any:
    # ASCII only, as ClickHouse's upper(): 'yeſ'.upper() is 'YES' in Python, and must not pass
    return v.upper() if isinstance(v, str) and v.isascii() else v


class TradeRow(BaseModel):
    """One leader trade as a source reports it, joined with its market (`market_known` and, when the
    source has them, the market's `yes_token_id` / `no_token_id`).

    Validate with `context={"not_after": datetime}` to refuse trade times in the future.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    trade_id: Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
    wallet_address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]
    market_id: Annotated[str, Field(min_length=1, max_length=MAX_MARKET_ID, pattern=ID_PATTERN)]
    token_id: Annotated[str, Field(pattern=OUTCOME_ID_PATTERN)]
    side: Outcome
    action: TradeAction
    shares: Annotated[float, Field(gt=0, lt=MAX_AMOUNT, allow_inf_nan=False)]
    entry_price: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    usd_value: Annotated[float, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]
    block_time: datetime
    market_known: bool
    yes_token_id: str | None = None
    no_token_id: str | None = None
    category: str | None = None
    closed: bool = False
    neg_risk: bool = False

    @field_validator("wallet_address", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.lower() if isinstance(v, str) and v.isascii() else v

    @field_validator("side", "action", mode="before")
    @classmethod
    def _any_case(cls, v: Any) -> Any:
        return _upper(v)

    @field_validator("token_id", mode="before")
    @classmethod
    def _token_is_text(cls, v: Any) -> Any:
        if not isinstance(v, str):
            raise ValueError("token id must arrive as a decimal string")  # a float has lost digits
        return v

    @field_validator("block_time")
    @classmethod
    def _not_in_the_future(cls, v: datetime, info: ValidationInfo) -> datetime:
        at = v if v.tzinfo else v.replace(tzinfo=UTC)  # the ClickHouse driver returns naive UTC
        not_after = (info.context or {}).get("not_after")
        if not_after is not None and at > not_after:
            raise ValueError("trade time is in the future")
        return at

    @model_validator(mode="after")
    def _token_of_market_and_side(self) -> TradeRow:
        if not self.market_known or (self.yes_token_id is None and self.no_token_id is None):
            return self  # unknown markets are refused by `parse_trade_row`; no dimension tokens: unchecked
        expected = self.yes_token_id if self.side is Outcome.YES else self.no_token_id
        if self.token_id != expected:
            other = self.no_token_id if self.side is Outcome.YES else self.yes_token_id
            if self.token_id == other:
                raise ValueError(f"token_id: the market's {'NO' if self.side is Outcome.YES else 'YES'} token "
                                 f"traded as {self.side.value}")  # fmt: skip
            raise ValueError(f"token_id: not a token of market {self.market_id}")
        return self

    def to_trade(self) -> LeaderTrade:
        return LeaderTrade(
            trade_id=self.trade_id,
            wallet=self.wallet_address,
            condition_id=self.market_id,
            token_id=self.token_id,
            outcome=self.side,
            action=self.action,
            # repr() of a float is its shortest round-tripping text: 0.55 stays 0.55, not 0.5500000000000000444
            shares=Decimal(repr(self.shares)),
            price=Decimal(repr(self.entry_price)),
            usd_value=Decimal(repr(self.usd_value)),
            traded_at=self.block_time,
            category=self.category or None,
            market_closed=self.closed,
            neg_risk=self.neg_risk,
        )


def parse_trade_row(raw: dict[str, Any], *, not_after: datetime | None = None) -> LeaderTrade | InvalidTrade:
    """A row as a `LeaderTrade`, or an `InvalidTrade` carrying the reason (never the row's values)."""
    try:
        row = TradeRow.model_validate(raw, context={"not_after": not_after})
    except ValidationError as exc:
        return InvalidTrade(trade_id=_invalid_id(raw), wallet=_wallet_of(raw), detail=_describe(exc))
    if not row.market_known:
        return InvalidTrade(row.trade_id, row.wallet_address, f"unknown market {row.market_id}")
    return row.to_trade()


def _wallet_of(raw: dict[str, Any]) -> str:
    wallet = raw.get("wallet_address")
    return wallet.lower()[:MAX_ID] if isinstance(wallet, str) else ""


def _invalid_id(raw: dict[str, Any]) -> str:
    trade_id = raw.get("trade_id")
    if isinstance(trade_id, str) and trade_id.strip() and re.fullmatch(ID_PATTERN, trade_id):
        return trade_id.strip()[:MAX_ID]
    # No id to deduplicate on: derive a stable one from the row so a re-read is still one signal.
    digest = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in raw.items())).encode()).hexdigest()
    return f"invalid:{digest[:32]}"


def _describe(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors(include_input=False, include_url=False, include_context=False)[:3]:
        where = ".".join(str(p) for p in e["loc"])
        parts.append(f"{where}: {e['msg']}" if where else e["msg"].removeprefix("Value error, "))
    return "; ".join(parts)


# --- the same rules in ClickHouse SQL ---------------------------------------------------------------


_CONTROL = "[\\\\x00-\\\\x1f\\\\x7f]"  # re2, inside a ClickHouse string literal


def _sql_checks(t: str, m: str) -> tuple[tuple[str, str], ...]:
    """(reason, condition that makes a row invalid), in the order they are reported. `t` is the
    trades table's alias, `m` the joined markets row (NULLs when the market is unknown)."""
    return (
        (
            "trade_id: empty, too long or with control characters",
            f"{t}.trade_id = '' OR lengthUTF8({t}.trade_id) > {MAX_ID} OR match({t}.trade_id, '{_CONTROL}')",
        ),
        ("wallet_address: not an address", f"NOT match(lower({t}.wallet_address), '{ADDRESS_PATTERN}')"),
        (
            "market_id: empty, too long or with control characters",
            f"{t}.market_id = '' OR lengthUTF8({t}.market_id) > {MAX_MARKET_ID} OR match({t}.market_id, '{_CONTROL}')",
        ),
        ("token_id: not a decimal token id", f"NOT match({t}.token_id, '{OUTCOME_ID_PATTERN}')"),
        ("side: not YES or NO", f"upper({t}.side) NOT IN ('YES', 'NO')"),
        ("action: not BUY or SELL", f"upper({t}.action) NOT IN ('BUY', 'SELL')"),
        ("shares: not finite or out of range", f"NOT ({t}.shares > 0 AND {t}.shares < {MAX_AMOUNT:.0f})"),
        ("entry_price: not finite or out of range", f"NOT ({t}.entry_price > 0 AND {t}.entry_price < 1)"),
        ("usd_value: not finite or out of range", f"NOT ({t}.usd_value >= 0 AND {t}.usd_value < {MAX_AMOUNT:.0f})"),
        ("block_time: trade time is in the future", f"{t}.block_time > {{not_after:DateTime64(3, 'UTC')}}"),
        ("market: unknown market", f"{m}.condition_id IS NULL"),
        (
            "token_id: not the market's token for its side",
            f"{t}.token_id != if(upper({t}.side) = 'YES', {m}.yes_token_id, {m}.no_token_id)",
        ),
    )


def invalid_reason_sql(t: str = "t", m: str = "m") -> str:
    """A ClickHouse expression: '' for a row `TradeRow` accepts, else the first rule it breaks.

    Needs the `not_after` query parameter and the row's market joined as `m` (LEFT JOIN, nulls on).
    Comparisons with NaN are false, so every range check also refuses NaN and infinities; `upper`
    and `lower` are ASCII-only here as in `TradeRow`.
    """
    branches = ", ".join(f"({cond}), '{_sql_text(reason)}'" for reason, cond in _sql_checks(t, m))
    return f"multiIf({branches}, '')"


def _sql_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
