"""The CLOB V2 HTTP client: market data, order placement with classified outcomes, reconcile reads.

Every order POST ends in exactly one `PostOutcome`; the executor's state machine keys on it.

| what happened                                          | outcome    | retried here          |
|--------------------------------------------------------|------------|-----------------------|
| 200, success, orderID, status live / matched / delayed | ACCEPTED   | - (an errorMsg too)   |
| 200 success:false, or status "unmatched"               | REJECTED   | never                 |
| 4xx with an error (400 validation, 401 auth, 404 ...)  | REJECTED   | never                 |
| "duplicated" / "already placed" in the error           | DUPLICATE  | never (looked up)     |
| connect error / connect or pool timeout                | NOT_SENT   | yes, bounded          |
| 429 (Retry-After honoured), 425 restarting             | THROTTLED  | yes, bounded          |
| 503 "Trading is currently disabled" / cancel-only      | HALTED     | never                 |
| read/write timeout, reset or EOF after sending         | UNKNOWN    | never: reconcile      |
| any other 5xx, 408, an unreadable 2xx                  | UNKNOWN    | never: reconcile      |
| a 2xx that contradicts itself (success:false + live)   | UNKNOWN    | never: reconcile      |

Why a 5xx on POST /order is UNKNOWN even with a JSON error body: the CLOB's 500 "could not run
the execution" is reported to come *after* the engine accepted the order (Polymarket/
py-clob-client#331), failed requests whose orders were placed anyway are reported too (#261), and
a gateway 502/504 says nothing about the backend. A body cannot
prove that nothing was booked, and the cost of the conservative answer is one
`GET /data/order/{hash}` in reconcile, while the cost of a wrong REJECTED is a second order for
the same intent. Only the documented 503 trading gates (disabled, cancel-only, post-only mode)
are read as "not booked" (HALTED): they refuse before the engine. A 4xx, in contrast, is the
application refusing the request: a definite rejection. Re-posting is only ever done for
NOT_SENT and THROTTLED, where the request provably never reached the order engine; a retry sends
the very same bytes (same signed order, same hash), so even then the exchange's duplicate check
backs us up.

Reads (GET) are idempotent: retried on transport errors, 429/425, 5xx and unreadable bodies.
Retries are capped per call (`RetryPolicy.max_attempts`, default 3) with capped exponential
backoff and full jitter, and per client by a retry budget (retries may add at most
`budget_ratio` of the logical requests, plus a small reserve) so an outage cannot turn into a
retry storm. Sleep, clocks and randomness are injectable: tests never wait.

Before the first order (and every `clock_check_interval_s`) the client compares its clock with
`GET /time`; beyond `max_clock_skew_s` it raises `ClockSkewError` and sends nothing.

Secrets: credentials and signatures go into headers only; nothing here logs headers or bodies.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator

from omegacopy import strict_json
from omegacopy.adapters.clock import monotonic_s, wall_clock_s
from omegacopy.domain.clob_auth import ApiCredentials, l1_headers, l2_headers
from omegacopy.domain.clob_models import (
    BalanceAllowance,
    BookLevel,
    CancelResult,
    MakerFill,
    MarketInfo,
    MarketToken,
    OrderBook,
    OrderRecord,
    PostOutcome,
    PostReason,
    PostResult,
    Trade,
)
from omegacopy.domain.order_request import order_body, serialize_body
from omegacopy.domain.order_v2 import POLYGON_CHAIN_ID, SignedOrderV2
from omegacopy.domain.signer import Signer
from omegacopy.observability import logger, metrics

MAX_BATCH: Final = 15
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=2.0)
_ACCEPTED_STATUSES: Final = frozenset({"live", "matched", "delayed"})
_END_CURSOR: Final = "LTE="
_ResponseModel = TypeVar("_ResponseModel", bound=BaseModel)


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class ClobError(Exception):
    """A CLOB read/request failed; the message never contains credentials."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        payload: object = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s
        self.payload = payload  # the decoded error body, when it was JSON


class ClobUnavailableError(ClobError):
    """Transport failure or 5xx after the allowed retries."""


class ClobThrottledError(ClobError):
    """429 / 425 after the allowed retries; `retry_after_s` when the server said."""


class ClobBadResponseError(ClobError):
    """The reply was not what the API returns: HTML, truncated or schema-violating JSON."""


class ClobAuthError(ClobError):
    """401/403: credentials refused."""


class ClobNotFoundError(ClobError):
    """404."""


class ClobRequestError(ClobError):
    """Another 4xx: the request itself was refused."""


class ClobHaltedError(ClobError):
    """503 trading disabled / cancel-only."""


class ClockSkewError(ClobError):
    """Local clock too far from the exchange's: the client refuses to trade."""


class TickSizeError(ClobError):
    """A price is off the market's tick grid, even after one refresh of the market info."""


class HeartbeatMismatchError(ClobError):
    """The exchange expects another heartbeat id (`expected_id`): resend with it."""

    def __init__(self, expected_id: str) -> None:
        super().__init__("heartbeat id mismatch", status=400)
        self.expected_id = expected_id


# ------------------------------------------------------------------------------------------------
# Wire models (pydantic): everything from the network is validated before use
# ------------------------------------------------------------------------------------------------
class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _TokenWire(_Wire):
    t: StrictStr = Field(min_length=1)
    o: str = ""


class _FeeWire(_Wire):
    r: Decimal = Decimal(0)
    e: Decimal = Decimal(0)


class _MarketWire(_Wire):
    t: list[_TokenWire] = Field(min_length=1)
    mts: Decimal
    mos: Decimal = Decimal(0)
    nr: StrictBool = False
    fd: _FeeWire | None = None
    itode: StrictBool = False


class _LevelWire(_Wire):
    price: Decimal
    size: Decimal


class _BookWire(_Wire):
    market: StrictStr
    asset_id: StrictStr
    bids: list[_LevelWire]
    asks: list[_LevelWire]
    tick_size: Decimal
    min_order_size: Decimal = Decimal(0)
    neg_risk: StrictBool = False
    hash: str = ""
    timestamp: int | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp(cls, value: object) -> object:
        return None if value in ("", None) else value


class _OrderReplyWire(_Wire):
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


class _OpenOrderWire(_Wire):
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


class _MakerOrderWire(_Wire):
    order_id: str = ""
    maker_address: str = ""
    price: Decimal
    matched_amount: Decimal
    side: str = ""


class _TradeWire(_Wire):
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
    maker_orders: list[_MakerOrderWire] = Field(default_factory=list)


class _TradesPageWire(_Wire):
    data: list[_TradeWire]
    next_cursor: str = _END_CURSOR


class _BalanceWire(_Wire):
    balance: int
    allowances: dict[str, int] = Field(default_factory=dict)


class _CancelWire(_Wire):
    canceled: list[str] = Field(default_factory=list)
    not_canceled: dict[str, str] = Field(default_factory=dict)


class _ApiKeyWire(_Wire):
    api_key: StrictStr = Field(alias="apiKey")
    secret: StrictStr
    passphrase: StrictStr


class _HeartbeatWire(_Wire):
    heartbeat_id: StrictStr = Field(min_length=1)


class _PriceWire(_Wire):
    price: Decimal


class _TimeWire(_Wire):
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


class _TickSizeWire(_Wire):
    minimum_tick_size: Annotated[Decimal, Field(gt=0, lt=1)]


class _NegRiskWire(_Wire):
    neg_risk: StrictBool


class _MidWire(_Wire):
    mid: Decimal


# ------------------------------------------------------------------------------------------------
# Rate limiting and retries
# ------------------------------------------------------------------------------------------------
class TokenBucket:
    """A classic token bucket; `try_acquire` reserves tokens and says how long to wait."""

    def __init__(self, rate_per_s: float, burst: float, monotonic: Callable[[], float]) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate_per_s
        self._burst = burst
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._updated = monotonic()
        self._lock = threading.Lock()

    def try_acquire(self, tokens: float = 1.0, *, max_wait_s: float) -> float | None:
        """Seconds to wait before sending (0: now), or None (nothing taken) if over `max_wait_s`."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            wait = max(0.0, (tokens - self._tokens) / self._rate)
            if wait > max_wait_s:
                return None
            self._tokens -= tokens  # may go negative: later callers queue behind this one
            return wait


class SignerRateLimiter:
    """Client-side token buckets, one per signer (EOA): the exchange meters orders per signer too."""

    def __init__(
        self,
        rate_per_s: float = 5.0,
        burst: float = 10.0,
        monotonic: Callable[[], float] = monotonic_s,
    ) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, signer: str) -> TokenBucket:
        with self._lock:
            key = signer.lower()
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(self._rate, self._burst, self._monotonic)
            return self._buckets[key]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3  # per logical call, the first attempt included
    base_delay_s: float = 0.2
    max_delay_s: float = 2.0
    max_retry_after_s: float = 10.0  # a longer Retry-After is returned to the caller, not slept
    budget_ratio: float = 0.2  # retries may add at most this fraction of logical requests ...
    budget_reserve: float = 5.0  # ... plus this many

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")


class RetryBudget:
    """Retries earn `ratio` of a token per logical request and spend one each (capped reserve)."""

    def __init__(self, ratio: float, reserve: float) -> None:
        self._ratio = ratio
        self._cap = max(reserve, 1.0)
        self._tokens = reserve
        self._lock = threading.Lock()

    def on_request(self) -> None:
        with self._lock:
            self._tokens = min(self._cap, self._tokens + self._ratio)

    def try_spend(self) -> bool:
        with self._lock:
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date (RFC 9110); None if absent/garbled."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, math.ceil(when.timestamp() - now_s))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


# ------------------------------------------------------------------------------------------------
# Classification (pure: the tests drive it directly too)
# ------------------------------------------------------------------------------------------------
_REASON_MARKERS: Final[tuple[tuple[tuple[str, ...], PostReason], ...]] = (
    (("duplicat", "already placed", "already been placed"), PostReason.DUPLICATE),
    (("not enough balance", "allowance"), PostReason.BALANCE),
    (("tick size", "tick_size"), PostReason.TICK_SIZE),
    (("lower than the minimum", "minimum size", "min size"), PostReason.MIN_SIZE),
    (("accuracy", "decimals"), PostReason.PRECISION),
    (("invalid signature", "signer address", "maker address"), PostReason.SIGNATURE),
    (("crosses book", "crosses the book"), PostReason.POST_ONLY_CROSSES),
    (("fok orders are fully filled",), PostReason.FOK_NOT_FILLED),
    (("fak order",), PostReason.FAK_NOT_FILLED),
    (("expiration",), PostReason.EXPIRATION),
    (("api key", "unauthorized"), PostReason.AUTH),
    (("invalid order payload", "invalid payload"), PostReason.INVALID),
)


def reason_from_message(message: str) -> PostReason:
    text = message.lower()
    for markers, reason in _REASON_MARKERS:
        if any(marker in text for marker in markers):
            return reason
    return PostReason.OTHER


def _error_message(content: bytes) -> str:
    """The `error` of a JSON error body, else a short, safe description of the body."""
    try:
        payload = _reply_json(content)
    except ValueError:
        head = content[:80].decode("utf-8", "replace").strip()
        return f"non-JSON body: {head!r}" if head else "empty body"
    if isinstance(payload, dict):
        for key in ("error", "errorMsg", "error_msg", "message"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value
    return "unrecognised error body"


def _halt_reason(content: bytes) -> PostReason | None:
    text = _error_message(content).lower()
    if "trading is currently disabled" in text:
        return PostReason.TRADING_DISABLED
    if "cancel-only" in text or "cancel only" in text:
        return PostReason.CANCEL_ONLY
    if "post-only mode" in text:
        return PostReason.POST_ONLY_MODE
    return None


def _classify_order_item(item: object, expected_hash: str | None, http_status: int) -> PostResult:
    """One order reply object (the single POST's body or one element of a batch's array)."""
    try:
        reply = _OrderReplyWire.model_validate(item)
    except ValidationError:
        return PostResult(
            PostOutcome.UNKNOWN,
            PostReason.BAD_RESPONSE,
            expected_hash,
            message="order reply did not match the API shape",
            http_status=http_status,
        )
    order_hash = reply.order_id or expected_hash
    mismatch = bool(reply.order_id and expected_hash and reply.order_id.lower() != expected_hash.lower())
    common: dict[str, Any] = {
        "status": reply.status or None,
        "message": reply.error_msg,
        "http_status": http_status,
        "hash_mismatch": mismatch,
    }
    if reply.success and reply.order_id and reply.status in _ACCEPTED_STATUSES:
        # An errorMsg alongside an accepted status (e.g. "delayed") is a note, not a refusal:
        # calling a booked order REJECTED would orphan it.
        return PostResult(
            PostOutcome.ACCEPTED,
            PostReason.OK,
            order_hash,
            making_amount=reply.making_amount,
            taking_amount=reply.taking_amount,
            trade_ids=tuple(reply.trade_ids),
            transaction_hashes=tuple(reply.transactions_hashes),
            **common,
        )
    reason = reason_from_message(reply.error_msg)
    if reason is PostReason.DUPLICATE:
        return PostResult(PostOutcome.DUPLICATE, reason, order_hash, **common)
    if reply.order_id and reply.status in _ACCEPTED_STATUSES:
        # success:false yet an orderID with a resting/matched status: contradictory, reconcile it
        return PostResult(PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE, order_hash, **common)
    if not reply.success or reply.status == "unmatched":
        if reply.status == "unmatched" and reason is PostReason.OTHER:
            reason = PostReason.UNMATCHED
        return PostResult(PostOutcome.REJECTED, reason, order_hash, **common)
    # success:true without a usable orderID/status: we cannot tell what was booked
    return PostResult(PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE, order_hash, **common)


def classify_order_response(
    http_status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    expected_hash: str | None,
    now_s: float,
) -> PostResult:
    """Map one `POST /order` HTTP reply to an outcome (see the module table)."""
    if 200 <= http_status < 300:
        try:
            payload = _reply_json(content)
        except ValueError:
            return PostResult(
                PostOutcome.UNKNOWN,
                PostReason.BAD_RESPONSE,
                expected_hash,
                message=_error_message(content),
                http_status=http_status,
            )
        return _classify_order_item(payload, expected_hash, http_status)
    return _classify_failure_status(http_status, headers, content, expected_hash=expected_hash, now_s=now_s)


def _classify_failure_status(
    http_status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    expected_hash: str | None,
    now_s: float,
) -> PostResult:
    message = _error_message(content)
    outcome, reason = _failure_outcome(http_status, content, message)
    retry_after = parse_retry_after(headers.get("retry-after"), now_s) if outcome is PostOutcome.THROTTLED else None
    return PostResult(
        outcome, reason, expected_hash, message=message, http_status=http_status, retry_after_s=retry_after
    )


def _failure_outcome(http_status: int, content: bytes, message: str) -> tuple[PostOutcome, PostReason]:
    if http_status in (429, 425):  # refused at the door: not processed
        reason = PostReason.RATE_LIMITED if http_status == 429 else PostReason.RESTARTING
        return PostOutcome.THROTTLED, reason
    halt = _halt_reason(content) if http_status == 503 else None
    if halt is not None:
        return PostOutcome.HALTED, halt
    if http_status >= 500 or http_status == 408 or http_status < 400:
        # see the module docstring: a 5xx cannot prove the order was not booked
        reason = PostReason.BAD_RESPONSE if http_status < 400 else PostReason.SERVER_ERROR
        return PostOutcome.UNKNOWN, reason
    if http_status in (401, 403):
        return PostOutcome.REJECTED, PostReason.AUTH
    reason = reason_from_message(message)
    return (PostOutcome.DUPLICATE if reason is PostReason.DUPLICATE else PostOutcome.REJECTED), reason


def classify_transport_error(exc: httpx.HTTPError, *, expected_hash: str | None) -> PostResult:
    """No HTTP reply. Only failures before a connection existed prove nothing was sent."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return PostResult(PostOutcome.NOT_SENT, PostReason.CONNECT, expected_hash, message=type(exc).__name__)
    if isinstance(exc, httpx.ConnectError):
        return PostResult(PostOutcome.NOT_SENT, PostReason.CONNECT, expected_hash, message=type(exc).__name__)
    if isinstance(exc, httpx.TimeoutException):
        return PostResult(PostOutcome.UNKNOWN, PostReason.TIMEOUT, expected_hash, message=type(exc).__name__)
    # RemoteProtocolError (EOF without a reply), ReadError, WriteError...: bytes may have arrived
    return PostResult(PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST, expected_hash, message=type(exc).__name__)


# ------------------------------------------------------------------------------------------------
# The client
# ------------------------------------------------------------------------------------------------
@dataclass
class _CachedMarket:
    info: MarketInfo
    fetched_at: float


@dataclass
class _Attempt:
    response: httpx.Response | None = None
    error: httpx.HTTPError | None = None


class ClobClient:
    """Synchronous CLOB client for one signer (EOA) and its L2 credentials.

    `address`/`credentials` may be omitted for public reads. One `httpx.Client` with keep-alive
    per instance; close it (or use `with`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        address: str | None = None,
        credentials: ApiCredentials | None = None,
        chain_id: int = POLYGON_CHAIN_ID,
        signature_type: int = 0,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        market_ttl_s: float = 60.0,
        max_clock_skew_s: float = 5.0,
        clock_check_interval_s: float = 300.0,
        rate_limiter: SignerRateLimiter | None = None,
        max_rate_wait_s: float = 2.0,
        heartbeat_path: str = "/v1/heartbeats",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = wall_clock_s,
        monotonic: Callable[[], float] = monotonic_s,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._address = address
        self._credentials = credentials
        self._chain_id = chain_id
        self._signature_type = signature_type
        self._retry = retry or RetryPolicy()
        self._budget = RetryBudget(self._retry.budget_ratio, self._retry.budget_reserve)
        self._market_ttl_s = market_ttl_s
        self._max_clock_skew_s = max_clock_skew_s
        self._clock_check_interval_s = clock_check_interval_s
        self._rate_limiter = rate_limiter or SignerRateLimiter(monotonic=monotonic)
        self._max_rate_wait_s = max_rate_wait_s
        self._heartbeat_path = heartbeat_path
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not security
        self._markets: dict[str, _CachedMarket] = {}
        self._token_to_condition: dict[str, str] = {}
        self._clock_checked_at: float | None = None
        self._last_skew_s: float | None = None
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "omegacopy-clob/1"},
        )

    # --- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ClobClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def api_key(self) -> str:
        """The L2 API key (the `owner` of every order body); not a secret on its own."""
        return self._require_credentials().api_key

    def __repr__(self) -> str:  # never the credentials
        return f"ClobClient(base_url={str(self._http.base_url)!r}, address={self._address!r})"

    # --- clock ----------------------------------------------------------------------------------
    def server_time(self) -> int:
        """`GET /time`: the exchange's unix time in seconds."""
        payload = self._get_json("/time")
        if isinstance(payload, dict):
            payload = payload.get("time", payload.get("timestamp"))
        return _validate(_TimeWire, {"time": payload}, "GET /time").time

    def check_clock_skew(self) -> float:
        """Server minus local seconds; raises `ClockSkewError` beyond `max_clock_skew_s`."""
        started = self._clock()
        server = self.server_time()
        local = (started + self._clock()) / 2
        skew = server - local
        self._last_skew_s = skew
        # /time has 1 s resolution: allow that much on top of the configured limit
        if abs(skew) > self._max_clock_skew_s + 1.0:
            self._clock_checked_at = None
            raise ClockSkewError(
                f"local clock is {skew:+.1f} s off the exchange (limit {self._max_clock_skew_s:.1f} s): "
                "refusing to trade until the host clock is fixed"
            )
        self._clock_checked_at = self._monotonic()
        return skew

    @property
    def last_clock_skew_s(self) -> float | None:
        """Server minus local seconds at the last check (for metrics), None before the first."""
        return self._last_skew_s

    def _ensure_clock(self) -> None:
        checked = self._clock_checked_at
        if checked is None or self._monotonic() - checked > self._clock_check_interval_s:
            self.check_clock_skew()

    # --- market data ----------------------------------------------------------------------------
    def market_info(self, condition_id: str, *, refresh: bool = False) -> MarketInfo:
        """`GET /clob-markets/{condition_id}`, cached for `market_ttl_s`."""
        cached = self._markets.get(condition_id)
        if cached is not None and not refresh and self._monotonic() - cached.fetched_at < self._market_ttl_s:
            return cached.info
        wire = self._get_model(f"/clob-markets/{condition_id}", _MarketWire)
        fee = wire.fd or _FeeWire()
        info = MarketInfo(
            condition_id=condition_id,
            tokens=tuple(MarketToken(t.t, t.o) for t in wire.t),
            tick_size=wire.mts,
            neg_risk=wire.nr,
            min_order_size=wire.mos,
            fee_rate=fee.r,
            fee_exponent=fee.e,
            taker_order_delay=wire.itode,
        )
        self._markets[condition_id] = _CachedMarket(info, self._monotonic())
        for token in info.token_ids:
            self._token_to_condition[token] = condition_id
        return info

    def invalidate_market(self, *, condition_id: str | None = None, token_id: str | None = None) -> None:
        if condition_id is None and token_id is not None:
            condition_id = self._token_to_condition.get(token_id)
        if condition_id is not None:
            self._markets.pop(condition_id, None)

    def ensure_price_on_tick(self, condition_id: str, price: Decimal) -> MarketInfo:
        """The market info, after checking `price` is on its tick grid; refreshes the tick once.

        Ticks change (near 0 and 1); a stale cached tick must not block a valid price, and an
        invalid price must not be sent.
        """
        info = self.market_info(condition_id)
        if _on_tick(price, info.tick_size):
            return info
        info = self.market_info(condition_id, refresh=True)
        if _on_tick(price, info.tick_size):
            return info
        raise TickSizeError(f"price {price} is not on the tick grid {info.tick_size} of {condition_id}")

    def tick_size(self, token_id: str) -> Decimal:
        return self._get_model("/tick-size", _TickSizeWire, params={"token_id": token_id}).minimum_tick_size

    def neg_risk(self, token_id: str) -> bool:
        return self._get_model("/neg-risk", _NegRiskWire, params={"token_id": token_id}).neg_risk

    def order_book(self, token_id: str) -> OrderBook:
        wire = self._get_model("/book", _BookWire, params={"token_id": token_id})
        if wire.asset_id != token_id:
            raise ClobBadResponseError(f"GET /book returned token {wire.asset_id}, asked {token_id}")
        return OrderBook(
            token_id=wire.asset_id,
            condition_id=wire.market,
            bids=tuple(BookLevel(level.price, level.size) for level in wire.bids),
            asks=tuple(BookLevel(level.price, level.size) for level in wire.asks),
            tick_size=wire.tick_size,
            min_order_size=wire.min_order_size,
            neg_risk=wire.neg_risk,
            book_hash=wire.hash,
            timestamp_ms=wire.timestamp,
        )

    def midpoint(self, token_id: str) -> Decimal:
        return self._get_model("/midpoint", _MidWire, params={"token_id": token_id}).mid

    def price(self, token_id: str, side: Literal["BUY", "SELL"]) -> Decimal:
        """`GET /price`: BUY -> best bid, SELL -> best ask (as documented)."""
        return self._get_model("/price", _PriceWire, params={"token_id": token_id, "side": side}).price

    # --- orders ---------------------------------------------------------------------------------
    def post_signed_order(
        self,
        signed: SignedOrderV2,
        *,
        order_type: str,
        expiration: int = 0,
        post_only: bool = False,
        defer_exec: bool = False,
    ) -> PostResult:
        body = order_body(
            signed,
            owner=self._require_credentials().api_key,
            order_type=order_type,
            expiration=expiration,
            post_only=post_only,
            defer_exec=defer_exec,
        )
        return self.post_order(body, order_hash=signed.order_hash)

    def post_order(self, body: Mapping[str, Any] | bytes, *, order_hash: str | None = None) -> PostResult:
        """`POST /order` with one order body (`order_request.order_body`, or its serialized bytes).

        Raises `ClockSkewError` (nothing sent) when the clock is off; everything else is a result.
        """
        content = body if isinstance(body, bytes) else serialize_body(dict(body))
        token_id = _token_of(content)
        result = self._post_with_retries("/order", content, tokens=1, expected=[order_hash])[0]
        return self._after_post(result, token_id)

    def post_orders(
        self,
        bodies: Sequence[Mapping[str, Any]],
        *,
        order_hashes: Sequence[str | None] | None = None,
    ) -> list[PostResult]:
        """`POST /orders` (1..15): one result per order, in order."""
        items = [dict(b) for b in bodies]
        if not 1 <= len(items) <= MAX_BATCH:
            raise ValueError(f"a batch takes 1..{MAX_BATCH} orders, got {len(items)}")
        hashes = list(order_hashes) if order_hashes is not None else [None] * len(items)
        if len(hashes) != len(items):
            raise ValueError("order_hashes must match bodies one to one")
        content = serialize_body(items)
        results = self._post_with_retries("/orders", content, tokens=len(items), expected=hashes)
        return [
            self._after_post(result, item.get("order", {}).get("tokenId"))
            for result, item in zip(results, items, strict=True)
        ]

    def post_signed_orders(
        self, signed: Sequence[SignedOrderV2], *, order_type: str, post_only: bool = False
    ) -> list[PostResult]:
        owner = self._require_credentials().api_key
        bodies = [order_body(s, owner=owner, order_type=order_type, post_only=post_only) for s in signed]
        return self.post_orders(bodies, order_hashes=[s.order_hash for s in signed])

    def get_order(self, order_hash: str) -> OrderRecord | None:
        """`GET /data/order/{hash}`; None when the exchange does not know the order."""
        payload = self._get_json(f"/data/order/{order_hash}", auth=True, not_found_ok=True)
        if payload is None or payload in ({}, ""):
            return None
        wire = _validate(_OpenOrderWire, payload, "/data/order")
        status = wire.status.lower().removeprefix("order_status_")
        return OrderRecord(
            order_hash=wire.id,
            status=status,
            owner=wire.owner,
            maker_address=wire.maker_address,
            condition_id=wire.market,
            token_id=wire.asset_id,
            side=wire.side,
            price=wire.price,
            original_size=wire.original_size,
            size_matched=wire.size_matched,
            order_type=wire.order_type,
            outcome=wire.outcome,
            created_at=wire.created_at,
            expiration=wire.expiration,
            associate_trades=tuple(wire.associate_trades or ()),
        )

    def trades(
        self,
        *,
        market: str | None = None,
        token_id: str | None = None,
        trade_id: str | None = None,
        after: int | None = None,
        before: int | None = None,
        max_pages: int = 50,
    ) -> list[Trade]:
        """`GET /data/trades` for this account, all pages (bounded by `max_pages`)."""
        params: dict[str, str] = {}
        for key, value in (("market", market), ("asset_id", token_id), ("id", trade_id)):
            if value is not None:
                params[key] = value
        if after is not None:
            params["after"] = str(after)
        if before is not None:
            params["before"] = str(before)
        out: list[Trade] = []
        cursor = ""
        for _ in range(max_pages):
            page_params = dict(params, next_cursor=cursor) if cursor else params
            page = self._get_model("/data/trades", _TradesPageWire, params=page_params, auth=True)
            out.extend(_trade(t) for t in page.data)
            if not page.next_cursor or page.next_cursor == _END_CURSOR or not page.data:
                return out
            cursor = page.next_cursor
        raise ClobBadResponseError(f"GET /data/trades: more than {max_pages} pages")

    def cancel_order(self, order_hash: str) -> CancelResult:
        """`DELETE /order`. Idempotent (a second cancel reports "not canceled"), so retried like a read."""
        content = serialize_body({"orderID": order_hash})
        wait = self._rate_wait(1)
        if wait is None:
            raise ClobThrottledError("client-side order rate limit", retry_after_s=self._max_rate_wait_s)
        if wait:
            self._sleep(wait)
        payload = self._request_json("DELETE", "/order", content=content, auth=True)
        wire = _validate(_CancelWire, payload, "DELETE /order")
        return CancelResult(tuple(wire.canceled), dict(wire.not_canceled))

    # --- account --------------------------------------------------------------------------------
    def heartbeat(self, heartbeat_id: str = "") -> str:
        """Post a heartbeat (first with ""); returns the id to send next time.

        If heartbeats stop, the exchange cancels open orders. On an id mismatch raises
        `HeartbeatMismatchError` carrying the id the exchange expects.
        """
        content = serialize_body({"heartbeat_id": heartbeat_id})
        try:
            payload = self._request_json("POST", self._heartbeat_path, content=content, auth=True, idempotent=False)
        except ClobRequestError as exc:
            expected = exc.payload
            if isinstance(expected, dict) and isinstance(expected.get("heartbeat_id"), str):
                raise HeartbeatMismatchError(expected["heartbeat_id"]) from None
            raise
        return _validate(_HeartbeatWire, payload, "heartbeat").heartbeat_id

    def balance_allowance(self, asset_type: str = "COLLATERAL", token_id: str | None = None) -> BalanceAllowance:
        """`GET /balance-allowance` (base units)."""
        params = {"asset_type": asset_type, "signature_type": str(self._signature_type)}
        if token_id is not None:
            params["token_id"] = token_id
        wire = self._get_model("/balance-allowance", _BalanceWire, params=params, auth=True)
        return BalanceAllowance(wire.balance, dict(wire.allowances))

    def update_balance_allowance(self, asset_type: str = "COLLATERAL", token_id: str | None = None) -> None:
        """`GET /balance-allowance/update`: make the exchange re-read on-chain balances/approvals."""
        params = {"asset_type": asset_type, "signature_type": str(self._signature_type)}
        if token_id is not None:
            params["token_id"] = token_id
        self._get_json("/balance-allowance/update", params=params, auth=True)

    def create_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        """L1 `POST /auth/api-key`."""
        headers = l1_headers(signer, self._chain_id, int(self._clock()), nonce)
        payload = self._request_json("POST", "/auth/api-key", extra_headers=headers, idempotent=False)
        return _credentials(payload)

    def derive_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        """L1 `GET /auth/derive-api-key`."""
        headers = l1_headers(signer, self._chain_id, int(self._clock()), nonce)
        return _credentials(self._request_json("GET", "/auth/derive-api-key", extra_headers=headers))

    def create_or_derive_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        try:
            return self.create_api_key(signer, nonce=nonce)
        except ClobRequestError as exc:
            if exc.status != 400:
                raise
        return self.derive_api_key(signer, nonce=nonce)

    # --- POST machinery -------------------------------------------------------------------------
    def _require_credentials(self) -> ApiCredentials:
        if self._credentials is None or self._address is None:
            raise ClobAuthError("this client has no L2 credentials / address")
        return self._credentials

    def _rate_wait(self, tokens: int) -> float | None:
        bucket = self._rate_limiter.bucket(self._address or "")
        return bucket.try_acquire(tokens, max_wait_s=self._max_rate_wait_s)

    def _post_with_retries(
        self, path: str, content: bytes, *, tokens: int, expected: Sequence[str | None]
    ) -> list[PostResult]:
        self._require_credentials()
        self._ensure_clock()  # raises before anything is sent
        self._budget.on_request()
        attempt = 0
        while True:
            attempt += 1
            wait = self._rate_wait(tokens)
            if wait is None:
                limited = PostResult(
                    PostOutcome.THROTTLED,
                    PostReason.CLIENT_RATE_LIMIT,
                    None,
                    message="client-side order rate limit",
                    retry_after_s=self._max_rate_wait_s,
                    attempts=attempt - 1,
                )
                return [replace(limited, order_hash=h) for h in expected]
            if wait:
                self._sleep(wait)
            results = self._post_once(path, content, expected)
            results = [replace(r, attempts=attempt) for r in results]
            head = results[0]
            retryable = head.outcome in (PostOutcome.NOT_SENT, PostOutcome.THROTTLED) and all(
                r.outcome is head.outcome for r in results
            )
            if not retryable or attempt >= self._retry.max_attempts:
                return results
            delay = self._retry_delay(attempt, head.retry_after_s)
            if delay is None or not self._budget.try_spend():
                return results
            logger.warning(
                "clob post retry",
                extra={"path": path, "outcome": head.outcome.value, "attempt": attempt, "delay_s": delay},
            )
            self._sleep(delay)

    def _post_once(self, path: str, content: bytes, expected: Sequence[str | None]) -> list[PostResult]:
        attempt = self._send("POST", path, content=content, auth=True)
        if attempt.response is None:
            assert attempt.error is not None
            failure = classify_transport_error(attempt.error, expected_hash=None)
            return [replace(failure, order_hash=h) for h in expected]
        response = attempt.response
        status, headers, body = response.status_code, response.headers, response.content
        now = self._clock()
        if path == "/order":
            return [classify_order_response(status, headers, body, expected_hash=expected[0], now_s=now)]
        if 200 <= status < 300:
            try:
                payload = _reply_json(body)
            except ValueError:
                payload = None
            if not isinstance(payload, list) or len(payload) != len(expected):
                bad = PostResult(
                    PostOutcome.UNKNOWN,
                    PostReason.BAD_RESPONSE,
                    None,
                    message="batch reply is not an array of one result per order",
                    http_status=status,
                )
                return [replace(bad, order_hash=h) for h in expected]
            return [_classify_order_item(item, h, status) for item, h in zip(payload, expected, strict=True)]
        failure = _classify_failure_status(status, headers, body, expected_hash=None, now_s=now)
        return [replace(failure, order_hash=h) for h in expected]

    def _after_post(self, result: PostResult, token_id: object) -> PostResult:
        if result.reason is PostReason.TICK_SIZE and isinstance(token_id, str):
            # the tick moved under us: the next market_info() refetches it
            self.invalidate_market(token_id=token_id)
        if result.hash_mismatch:
            logger.error(
                "clob orderID differs from the computed order hash",
                extra={"order_hash": result.order_hash},
            )
        if result.outcome in (PostOutcome.UNKNOWN, PostOutcome.NOT_SENT):
            metrics.add_metric(name="ClobErrors", unit="Count", value=1)
        if result.outcome is PostOutcome.DUPLICATE and result.order_hash:
            with contextlib.suppress(ClobError):  # if the lookup fails, reconcile looks again
                result = replace(result, existing=self.get_order(result.order_hash))
        logger.info(
            "clob post",
            extra={
                "outcome": result.outcome.value,
                "reason": result.reason.value,
                "order_hash": result.order_hash,
                "http_status": result.http_status,
                "attempts": result.attempts,
                "status": result.status,
            },
        )
        return result

    def _retry_delay(self, attempt: int, retry_after_s: float | None) -> float | None:
        """Delay before retry number `attempt`; None when the server asks for longer than we wait."""
        if retry_after_s is not None:
            return None if retry_after_s > self._retry.max_retry_after_s else retry_after_s
        ceiling = min(self._retry.max_delay_s, self._retry.base_delay_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)  # full jitter

    # --- request machinery ----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _Attempt:
        headers: dict[str, str] = dict(extra_headers or {})
        if content is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            creds = self._require_credentials()
            assert self._address is not None
            headers.update(l2_headers(self._address, creds, int(self._clock()), method, path, content))
        try:
            response = self._http.request(method, path, params=params, content=content, headers=headers)
        except httpx.HTTPError as exc:
            return _Attempt(error=exc)
        return _Attempt(response=response)

    def _get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        auth: bool = False,
        not_found_ok: bool = False,
    ) -> Any:
        return self._request_json("GET", path, params=params, auth=auth, not_found_ok=not_found_ok)

    def _get_model(
        self,
        path: str,
        model: type[_ResponseModel],
        *,
        params: Mapping[str, str] | None = None,
        auth: bool = False,
    ) -> _ResponseModel:
        return _validate(model, self._get_json(path, params=params, auth=auth), path)

    def _request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        not_found_ok: bool = False,
        idempotent: bool = True,
    ) -> Any:
        """One logical request with bounded retries. Non-idempotent calls retry only when the
        request provably was not processed (connect failure, 429, 425)."""
        self._budget.on_request()
        attempt = 0
        while True:
            attempt += 1
            outcome = self._send(method, path, params=params, content=content, auth=auth, extra_headers=extra_headers)
            try:
                return self._read_reply(method, path, outcome, not_found_ok=not_found_ok)
            except _Retryable as retryable:
                error = retryable.error
                metrics.add_metric(name="ClobErrors", unit="Count", value=1)  # 5xx, timeouts, transport
                safe = idempotent or retryable.not_processed
                if not safe or attempt >= self._retry.max_attempts:
                    raise error from None
                delay = self._retry_delay(attempt, error.retry_after_s)
                if delay is None or not self._budget.try_spend():
                    raise error from None
                logger.warning(
                    "clob request retry",
                    extra={"method": method, "path": path, "attempt": attempt, "error": type(error).__name__},
                )
                self._sleep(delay)

    def _read_reply(self, method: str, path: str, outcome: _Attempt, *, not_found_ok: bool) -> Any:
        where = f"{method} {path}"
        if outcome.response is None:
            exc = outcome.error
            not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            raise _Retryable(
                ClobUnavailableError(f"{where}: {type(exc).__name__}"),
                not_processed=not_sent,
            )
        response = outcome.response
        status = response.status_code
        if 200 <= status < 300:
            try:
                return _reply_json(response.content)
            except ValueError:
                # truncated / HTML 200: transient on an idempotent read
                raise _Retryable(
                    ClobBadResponseError(
                        f"{where}: unreadable reply ({_error_message(response.content)})", status=status
                    ),
                    not_processed=False,
                ) from None
        message = f"{where}: HTTP {status}: {_error_message(response.content)}"
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
        if status in (429, 425):
            raise _Retryable(ClobThrottledError(message, status=status, retry_after_s=retry_after), not_processed=True)
        if status == 503 and _halt_reason(response.content) is not None:
            raise ClobHaltedError(message, status=status)
        if status >= 500:
            raise _Retryable(ClobUnavailableError(message, status=status), not_processed=False)
        if status == 404:
            if not_found_ok:
                return None
            raise ClobNotFoundError(message, status=status)
        if status in (401, 403):
            raise ClobAuthError(message, status=status)
        try:
            payload = _reply_json(response.content)
        except ValueError:
            payload = None
        raise ClobRequestError(message, status=status, payload=payload)


class _Retryable(Exception):  # noqa: N818 - internal control flow
    def __init__(self, error: ClobError, *, not_processed: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.not_processed = not_processed


def _reply_json(content: bytes) -> Any:
    """An exchange reply body as JSON, strictly: deep nesting, duplicate keys or NaN are a bad reply
    (ValueError), never a RecursionError escaping the classification."""
    return strict_json.loads(content, max_depth=32, max_bytes=50_000_000)


def _validate(model: type[_ResponseModel], payload: Any, where: str) -> _ResponseModel:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ClobBadResponseError(f"{where}: reply does not match the API ({exc.error_count()} errors)") from None


def _on_tick(price: Decimal, tick: Decimal) -> bool:
    return tick <= price <= 1 - tick and price % tick == 0


def _token_of(content: bytes) -> object:
    try:
        payload = _reply_json(content)
    except ValueError:
        return None
    order = payload.get("order") if isinstance(payload, dict) else None
    return order.get("tokenId") if isinstance(order, dict) else None


def _trade(wire: _TradeWire) -> Trade:
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
            MakerFill(m.order_id, m.maker_address, m.price, m.matched_amount, m.side) for m in wire.maker_orders
        ),
    )


def _credentials(payload: Any) -> ApiCredentials:
    wire = _validate(_ApiKeyWire, payload, "api key")
    return ApiCredentials(api_key=wire.api_key, secret=wire.secret, passphrase=wire.passphrase)


__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_BATCH",
    "BalanceAllowance",
    "BookLevel",
    "CancelResult",
    "ClobAuthError",
    "ClobBadResponseError",
    "ClobClient",
    "ClobError",
    "ClobHaltedError",
    "ClobNotFoundError",
    "ClobRequestError",
    "ClobThrottledError",
    "ClobUnavailableError",
    "ClockSkewError",
    "HeartbeatMismatchError",
    "MakerFill",
    "MarketInfo",
    "MarketToken",
    "OrderBook",
    "OrderRecord",
    "PostOutcome",
    "PostReason",
    "PostResult",
    "RetryBudget",
    "RetryPolicy",
    "SignerRateLimiter",
    "TickSizeError",
    "TokenBucket",
    "Trade",
    "classify_order_response",
    "classify_transport_error",
    "parse_retry_after",
    "reason_from_message",
]
