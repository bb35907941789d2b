"""The wire shapes of Gamma and the Data API v2, and the validation every row goes through alone.

Data API v2 pages are `{data: [...], pagination: {limit, offset, has_more, next_cursor}}` with
snake_case rows; errors are `{error, code, retryable, trace_id, parameter?}`. Gamma's keyset
listing is `{markets: [...], next_cursor}` with camelCase rows whose `outcomes`, `outcomePrices`
and `clobTokenIds` are JSON-encoded string arrays.

Row rules: numbers finite (bodies are parsed with Decimal, so no digit is lost on the way),
prices in [0, 1], sizes non-negative, token ids decimal strings (a JSON number is refused: it
may have lost digits), addresses and hashes lower-case hex, timestamps not beyond now + a skew,
enums known (case-insensitive). A row that breaks one becomes the caller's `InvalidRecord`; a
page is refused only when its envelope is not the documented one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

UNLABELLED_OUTCOME = 999  # the Data API's "outcome could not be labelled"


@dataclass(frozen=True, slots=True)
class WireContext:
    """What row validation compares against: the reader's clock and the future skew it tolerates."""

    now: datetime
    future_skew_s: float = 300.0

    @property
    def latest(self) -> datetime:
        return self.now + timedelta(seconds=self.future_skew_s)


# --- field types --------------------------------------------------------------------------------
def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def _upper(v: Any) -> Any:
    return v.strip().upper() if isinstance(v, str) else v


def _text_id(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("must arrive as a decimal string (a number may have lost digits)")
    return v.strip()


def _number(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        raise ValueError("must be a number")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


def _blank_none(v: Any) -> Any:
    return None if v == "" else v


def _labelled(v: int) -> int:
    if v == UNLABELLED_OUTCOME:
        raise ValueError("the API could not label this outcome (999)")
    return v


Address = Annotated[str, BeforeValidator(_lower), Field(pattern=r"^0x[0-9a-f]{40}$")]
ConditionId = Annotated[str, BeforeValidator(_lower), Field(pattern=r"^0x[0-9a-f]{64}$")]
TxHash = Annotated[str, BeforeValidator(_lower), Field(pattern=r"^0x[0-9a-f]{64}$")]
TokenId = Annotated[str, BeforeValidator(_text_id), Field(pattern=r"^[0-9]{1,78}$")]
Probability = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=1, allow_inf_nan=False)]
Shares = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]
Usd = Annotated[Decimal, BeforeValidator(_number), Field(allow_inf_nan=False)]
TickSize = Annotated[Decimal, BeforeValidator(_number), Field(gt=0, lt=1, allow_inf_nan=False)]
OutcomeIndex = Annotated[int, Field(ge=0), AfterValidator(_labelled)]
Side = Annotated[Literal["BUY", "SELL"], BeforeValidator(_upper)]
RowStatus = Annotated[Literal["OPEN", "REDEEMABLE", "CLOSED"], BeforeValidator(_upper)]


def _not_in_future(ts: int, info: ValidationInfo) -> int:
    ctx = (info.context or {}).get("wire")
    if isinstance(ctx, WireContext) and ts > ctx.latest.timestamp():
        raise ValueError(f"timestamp is more than {ctx.future_skew_s:g} s in the future")
    return ts


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


# --- Data API v2 --------------------------------------------------------------------------------
class Pagination(_Row):
    limit: int | None = None
    offset: int | None = None  # cosmetic on v2
    has_more: bool
    next_cursor: Annotated[str, Field(min_length=1)] | None

    @model_validator(mode="after")
    def _consistent(self) -> Pagination:
        if self.has_more != (self.next_cursor is not None):
            raise ValueError("has_more and next_cursor disagree")
        return self


class Envelope(_Row):
    data: list[Any]
    pagination: Pagination


class WireError(_Row):
    """The v2 error envelope `{error, code, retryable, trace_id, parameter?}` (every field optional:
    a gateway's error page may carry none of them)."""

    error: Annotated[str, Field(max_length=10_000)] | None = None
    code: str | None = None  # invalid_request, not_found, rate_limited, internal, request_timeout, ...
    retryable: bool | None = None
    trace_id: str | None = None
    parameter: str | None = None


class WireTrade(_Row):
    """`Trade` of `/v2/trades` (all fields required by the docs; profile fields ignored)."""

    proxy_wallet: Address
    side: Side
    token_id: TokenId
    condition_id: ConditionId
    size: Shares
    price: Probability
    timestamp: Annotated[int, Field(ge=0)]
    outcome: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    outcome_index: OutcomeIndex
    transaction_hash: TxHash

    _future = field_validator("timestamp")(_not_in_future)


class WirePosition(_Row):
    """`Position` of `/v2/positions` (the same shape for every status)."""

    proxy_wallet: Address
    token_id: TokenId
    condition_id: ConditionId
    current_size: Shares
    total_size: Shares
    avg_price: Probability
    realized_pnl: Usd
    unrealized_pnl: Usd
    entry_fees_usdc: Shares
    status: RowStatus
    outcome_index: OutcomeIndex
    last_event_at: Annotated[int | None, BeforeValidator(lambda v: None if v in (0, None, "") else v)] = None

    @field_validator("last_event_at")
    @classmethod
    def _event_not_in_future(cls, v: int | None, info: ValidationInfo) -> int | None:
        return None if v is None else _not_in_future(v, info)


class WireHolder(_Row):
    """`Holder` of `/v2/holders`; the P&L fields only come with include_pnl (null: unpriced)."""

    proxy_wallet: Address
    token_id: TokenId
    amount: Shares
    outcome_index: OutcomeIndex
    avg_price: Annotated[Probability | None, BeforeValidator(_blank_none)] = None


class WireMetaHolder(_Row):
    """`MetaHolder`: one outcome token and its holders (each validated on its own)."""

    token_id: TokenId
    holders: list[Any]


class WireLeaderboardEntry(_Row):
    rank: Annotated[int, Field(ge=1)]
    user_id: Address
    pnl: Usd
    volume: Shares
    user_name: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""


# --- Gamma --------------------------------------------------------------------------------------
def _json_list(v: Any) -> Any:
    """Gamma encodes arrays as JSON text ("[\\"Yes\\", \\"No\\"]"); accept a real array too."""
    if v is None or v == "":
        return []
    if isinstance(v, str):
        try:
            return json.loads(v, parse_float=Decimal)
        except ValueError as exc:
            raise ValueError("must be a JSON-encoded array") from exc
    return v


def _lenient_time(v: Any) -> datetime | None:
    """Dates are informational: an unreadable one is dropped, the market is kept."""
    if not isinstance(v, str) or not v.strip():
        return None
    try:
        parsed = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


UmaStatus = Literal["requested", "proposed", "disputed", "resolved", "settled"]
ResolutionStatus = Literal["inactive", "active", "resolved"]


class WireTag(_Row):
    label: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    slug: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""


class WireMarket(_Row):
    """A Gamma market (`/markets/keyset` item), camelCase as Gamma sends it."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, str_strip_whitespace=True)

    condition_id: Annotated[ConditionId, Field(alias="conditionId")]
    question: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    slug: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    category: Annotated[str | None, BeforeValidator(_blank_none)] = None
    outcomes: Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_json_list)]
    outcome_prices: Annotated[list[Probability], BeforeValidator(_json_list), Field(alias="outcomePrices")] = []
    clob_token_ids: Annotated[list[TokenId], BeforeValidator(_json_list), Field(alias="clobTokenIds")]
    neg_risk: Annotated[bool, BeforeValidator(lambda v: False if v is None else v), Field(alias="negRisk")] = False
    closed: Annotated[bool, BeforeValidator(lambda v: False if v is None else v)] = False
    uma_resolution_status: Annotated[
        UmaStatus | None, BeforeValidator(lambda v: _blank_none(_lower(v))), Field(alias="umaResolutionStatus")
    ] = None
    resolution_status: Annotated[
        ResolutionStatus | None, BeforeValidator(lambda v: _blank_none(_lower(v))), Field(alias="resolutionStatus")
    ] = None
    # The Gamma OpenAPI and the official SDK name it orderPriceMinTickSize; minimumTickSize is older.
    order_price_min_tick_size: Annotated[
        TickSize | None, BeforeValidator(_blank_none), Field(alias="orderPriceMinTickSize")
    ] = None
    minimum_tick_size: Annotated[TickSize | None, BeforeValidator(_blank_none), Field(alias="minimumTickSize")] = None
    end_date: Annotated[datetime | None, BeforeValidator(_lenient_time), Field(alias="endDate")] = None
    closed_time: Annotated[datetime | None, BeforeValidator(_lenient_time), Field(alias="closedTime")] = None
    tags: Annotated[list[WireTag], BeforeValidator(lambda v: [] if v is None else v)] = []

    @model_validator(mode="after")
    def _aligned(self) -> WireMarket:
        if len(self.outcomes) < 2:
            raise ValueError("a market needs at least two outcomes")
        if len(self.clob_token_ids) != len(self.outcomes):
            raise ValueError(
                f"{len(self.outcomes)} outcomes but {len(self.clob_token_ids)} CLOB token ids (they pair by index)"
            )
        if self.outcome_prices and len(self.outcome_prices) != len(self.outcomes):
            raise ValueError(f"{len(self.outcomes)} outcomes but {len(self.outcome_prices)} prices")
        return self

    @property
    def tick_size(self) -> Decimal | None:
        return self.order_price_min_tick_size or self.minimum_tick_size


class GammaKeysetPage(_Row):
    markets: list[Any]
    next_cursor: Annotated[str | None, BeforeValidator(_blank_none)] = None


# --- caller arguments ---------------------------------------------------------------------------
def wallet_arg(address: str) -> str:
    """A wallet a caller asks about, lower-cased; ValueError if it is not an address."""
    w = address.strip().lower()
    if len(w) != 42 or not w.startswith("0x") or any(c not in "0123456789abcdef" for c in w[2:]):
        raise ValueError("wallet must be a 0x-prefixed 20-byte hex address")
    return w


def condition_arg(condition_id: str) -> str:
    """A condition id a caller asks about, lower-cased; ValueError if it is not one."""
    c = condition_id.strip().lower()
    if len(c) != 66 or not c.startswith("0x") or any(ch not in "0123456789abcdef" for ch in c[2:]):
        raise ValueError("condition id must be a 0x-prefixed 32-byte hex string")
    return c


# --- parsing ------------------------------------------------------------------------------------
M = TypeVar("M", bound=BaseModel)


def parse_row(model: type[M], raw: Any, context: WireContext) -> M | str:
    """The validated row, or why it is refused (field names and rules, never the values)."""
    if not isinstance(raw, dict):
        return f"row is {type(raw).__name__}, not an object"
    try:
        return model.model_validate(raw, context={"wire": context})
    except ValidationError as exc:
        return describe(exc)
    except (TypeError, ValueError) as exc:  # a constraint that could not even be applied: still one row
        return f"row could not be validated ({type(exc).__name__})"


def describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "row"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def text_of(raw: Any, *names: str) -> str:
    """Best-effort identification of a (possibly broken) row for its InvalidRecord key."""
    if not isinstance(raw, dict):
        return "?"
    for name in names:
        v = raw.get(name)
        if isinstance(v, str | int) and not isinstance(v, bool):
            return str(v).lower()[:100]
    return "?"
