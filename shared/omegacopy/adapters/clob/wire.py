"""The CLOB's replies as they arrive: strict JSON, and a pydantic model per reply shape.
Everything from the network is validated before use; these models never leave the adapter (the
client hands out `omegacopy.domain.clob_models` values)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator

from omegacopy import strict_json
from omegacopy.adapters.clob.errors import ClobBadResponseError
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.domain.clob_models import MakerFill, Trade
from omegacopy.domain.exchange_replies import OrderReply

END_CURSOR: Final = "LTE="
ResponseModel = TypeVar("ResponseModel", bound=BaseModel)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenWire(_Wire):
    t: StrictStr = Field(min_length=1)
    o: str = ""


class FeeWire(_Wire):
    # the documentation allows either to be null: no fee
    r: Decimal | None = None
    e: Decimal | None = None


class MarketWire(_Wire):
    t: list[TokenWire] = Field(min_length=1)
    mts: Decimal
    mos: Decimal = Decimal(0)
    nr: StrictBool = False
    fd: FeeWire | None = None
    itode: StrictBool = False


class LevelWire(_Wire):
    price: Decimal
    size: Decimal


class BookWire(_Wire):
    market: StrictStr
    asset_id: StrictStr
    bids: list[LevelWire]
    asks: list[LevelWire]
    tick_size: Decimal
    min_order_size: Decimal = Decimal(0)
    neg_risk: StrictBool = False
    hash: str = ""
    timestamp: int | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp(cls, value: object) -> object:
        return None if value in ("", None) else value


class OrderReplyWire(_Wire):
    success: StrictBool
    error_msg: str = Field(default="", alias="errorMsg")
    order_id: str = Field(default="", alias="orderID")
    status: str = ""
    making_amount: Decimal = Field(default=Decimal(0), alias="makingAmount")
    taking_amount: Decimal = Field(default=Decimal(0), alias="takingAmount")
    trade_ids: list[str] = Field(default_factory=list, alias="tradeIDs")
    transactions_hashes: list[str] = Field(default_factory=list, alias="transactionsHashes")

    @field_validator("making_amount", "taking_amount", mode="before")
    @classmethod
    def _empty_is_zero(cls, value: object) -> object:
        return 0 if value in ("", None) else value

    @field_validator("trade_ids", "transactions_hashes", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class OpenOrderWire(_Wire):
    id: StrictStr
    status: str
    owner: str = ""
    maker_address: str = ""
    market: str = ""
    asset_id: StrictStr
    side: str
    price: Decimal
    original_size: Decimal
    size_matched: Decimal
    order_type: str = ""
    outcome: str = ""
    created_at: int | None = None
    expiration: int = 0
    associate_trades: list[str] | None = None


def _fee_rate(value: object) -> object:
    return 0 if value in ("", None) else value


FeeRateBps = Annotated[Decimal, Field(ge=0, le=10_000)]


class MakerOrderWire(_Wire):
    order_id: str = ""
    maker_address: str = ""
    price: Decimal
    matched_amount: Decimal
    side: str = ""
    fee_rate_bps: FeeRateBps = Decimal(0)

    _no_fee = field_validator("fee_rate_bps", mode="before")(_fee_rate)


class TradeWire(_Wire):
    id: StrictStr
    taker_order_id: str = ""
    market: str
    asset_id: StrictStr
    side: str
    price: Decimal
    size: Decimal
    status: str
    trader_side: str = ""
    match_time: int
    outcome: str = ""
    transaction_hash: str | None = None
    maker_orders: list[MakerOrderWire] = Field(default_factory=list)
    fee_rate_bps: FeeRateBps = Decimal(0)

    _no_fee = field_validator("fee_rate_bps", mode="before")(_fee_rate)


class TradesPageWire(_Wire):
    data: list[TradeWire]
    next_cursor: str = END_CURSOR


class BalanceWire(_Wire):
    balance: int
    allowances: dict[str, int] = Field(default_factory=dict)


class CancelWire(_Wire):
    canceled: list[str] = Field(default_factory=list)
    not_canceled: dict[str, str] = Field(default_factory=dict)


class ApiKeyWire(_Wire):
    api_key: StrictStr = Field(alias="apiKey")
    secret: StrictStr
    passphrase: StrictStr


class LastTradeWire(_Wire):
    price: Annotated[Decimal, Field(ge=0, le=1)]
    side: str  # "" when the token never traded (then the price is a placeholder)


class ErrorWire(_Wire):
    """An error body's machine-readable parts, when it has them."""

    code: str | None = None
    retry_after_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None


class TimeWire(_Wire):
    # unix seconds as a number or numeric text; a bool, NaN or a fraction is not a time
    time: Annotated[int, Field(ge=0, le=10**11)]

    @field_validator("time", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("not a number")
        if isinstance(value, str | float):
            try:
                number = Decimal(str(value))
            except ArithmeticError:
                raise ValueError("not a number") from None
            if not number.is_finite():
                raise ValueError("not a finite number")
            return int(number)
        return value


def reply_json(content: bytes) -> Any:
    """An exchange reply body as JSON, strictly: deep nesting, duplicate keys or NaN are a bad reply
    (ValueError), never a RecursionError escaping the classification."""
    return strict_json.loads(content, max_depth=32, max_bytes=50_000_000)


def error_message(content: bytes) -> str:
    """The `error` of a JSON error body, else a short, safe description of the body."""
    try:
        payload = reply_json(content)
    except ValueError:
        head = content[:80].decode("utf-8", "replace").strip()
        return f"non-JSON body: {head!r}" if head else "empty body"
    if isinstance(payload, dict):
        for key in ("error", "errorMsg", "error_msg", "message"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value
    return "unrecognised error body"


def error_details(content: bytes) -> ErrorWire:
    """`code` and `retry_after_seconds` of an error body (both None when it has neither)."""
    try:
        return ErrorWire.model_validate(reply_json(content))
    except (ValueError, ValidationError):
        return ErrorWire()


def validate(model: type[ResponseModel], payload: Any, where: str) -> ResponseModel:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ClobBadResponseError(f"{where}: reply does not match the API ({exc.error_count()} errors)") from None


def token_of(content: bytes) -> object:
    try:
        payload = reply_json(content)
    except ValueError:
        return None
    order = payload.get("order") if isinstance(payload, dict) else None
    return order.get("tokenId") if isinstance(order, dict) else None


def trade_from_wire(wire: TradeWire) -> Trade:
    return Trade(
        trade_id=wire.id,
        taker_order_id=wire.taker_order_id,
        condition_id=wire.market,
        token_id=wire.asset_id,
        side=wire.side,
        price=wire.price,
        size=wire.size,
        status=wire.status.removeprefix("TRADE_STATUS_"),
        trader_side=wire.trader_side,
        match_time=wire.match_time,
        outcome=wire.outcome,
        transaction_hash=wire.transaction_hash or None,
        maker_orders=tuple(
            MakerFill(m.order_id, m.maker_address, m.price, m.matched_amount, m.side, m.fee_rate_bps)
            for m in wire.maker_orders
        ),
        fee_rate_bps=wire.fee_rate_bps,
    )


def credentials_from(payload: Any) -> ApiCredentials:
    wire = validate(ApiKeyWire, payload, "api key")
    return ApiCredentials(api_key=wire.api_key, secret=wire.secret, passphrase=wire.passphrase)


def order_reply(item: object) -> OrderReply | None:
    """One order's reply object, validated; None when it does not have the API's shape."""
    try:
        wire = OrderReplyWire.model_validate(item)
    except ValidationError:
        return None
    return OrderReply(
        success=wire.success,
        error_msg=wire.error_msg,
        order_id=wire.order_id,
        status=wire.status,
        making_amount=wire.making_amount,
        taking_amount=wire.taking_amount,
        trade_ids=tuple(wire.trade_ids),
        transaction_hashes=tuple(wire.transactions_hashes),
    )
