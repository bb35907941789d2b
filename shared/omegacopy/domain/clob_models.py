"""What the CLOB says, as plain data: outcomes of an order POST, order records, books, markets.

The client (adapters.clob) produces these; the executor's use cases decide on them. They
live in the domain so both sides share one definition without the use cases importing httpx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


# ------------------------------------------------------------------------------------------------
# Outcomes and errors
# ------------------------------------------------------------------------------------------------
class PostOutcome(StrEnum):
    ACCEPTED = "accepted"  # live / matched / delayed at the exchange
    REJECTED = "rejected"  # definite: nothing was booked
    DUPLICATE = "duplicate"  # this exact order was accepted earlier: reconcile by hash
    NOT_SENT = "not_sent"  # never left this process (connect failure): safe to re-send
    UNKNOWN = "unknown"  # may or may not be booked: reconcile by hash, never blindly re-post
    THROTTLED = "throttled"  # not processed (429 / 425 / client bucket): re-send after retry_after_s
    HALTED = "halted"  # trading disabled / cancel-only / post-only mode: stop new orders for a while

    @property
    def is_final(self) -> bool:
        """Whether the order exists is known (DUPLICATE: it does; fetch it by hash for its state)."""
        return self in (PostOutcome.ACCEPTED, PostOutcome.REJECTED, PostOutcome.DUPLICATE)

    @property
    def may_resend(self) -> bool:
        """Re-posting the same signed order later is safe (it provably was not processed)."""
        return self in (PostOutcome.NOT_SENT, PostOutcome.THROTTLED, PostOutcome.HALTED)


class PostReason(StrEnum):
    """Finer detail of an outcome, for metrics and the executor's decisions."""

    OK = "ok"
    AUTH = "auth"
    BALANCE = "balance"
    TICK_SIZE = "tick_size"
    MIN_SIZE = "min_size"
    PRECISION = "precision"
    SIGNATURE = "signature"
    POST_ONLY_CROSSES = "post_only_crosses"
    FOK_NOT_FILLED = "fok_not_filled"
    FAK_NOT_FILLED = "fak_not_filled"
    UNMATCHED = "unmatched"
    EXPIRATION = "expiration"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    CONNECTION_LOST = "connection_lost"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    RATE_LIMITED = "rate_limited"
    CLIENT_RATE_LIMIT = "client_rate_limit"
    RESTARTING = "restarting"
    TRADING_DISABLED = "trading_disabled"
    CANCEL_ONLY = "cancel_only"
    POST_ONLY_MODE = "post_only_mode"
    MARKET_CLOSED = "market_closed"  # no book, a resolved or unknown market: it cannot trade
    OTHER = "other"


# ------------------------------------------------------------------------------------------------
# Public data
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarketToken:
    token_id: str
    outcome: str


@dataclass(frozen=True, slots=True)
class ClobMarket:
    condition_id: str
    tokens: tuple[MarketToken, ...]
    tick_size: Decimal
    neg_risk: bool
    min_order_size: Decimal
    fee_rate: Decimal
    fee_exponent: Decimal
    taker_order_delay: bool

    @property
    def token_ids(self) -> tuple[str, ...]:
        return tuple(t.token_id for t in self.tokens)


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class OrderBook:
    """One token's book. `bids`/`asks` keep the served order (worst -> best, best LAST)."""

    token_id: str
    condition_id: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    tick_size: Decimal
    min_order_size: Decimal
    neg_risk: bool
    book_hash: str
    timestamp_ms: int | None

    @property
    def best_bid(self) -> BookLevel | None:
        # by price, not by position: robust whichever order a server uses
        return max(self.bids, key=lambda level: level.price, default=None)

    @property
    def best_ask(self) -> BookLevel | None:
        return min(self.asks, key=lambda level: level.price, default=None)

    @property
    def midpoint(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid.price + ask.price) / 2


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """`GET /data/order/{hash}`: what the exchange knows about one of our orders."""

    order_hash: str
    status: str  # lower-case, prefix stripped: live | matched | canceled | expired | ...
    owner: str
    maker_address: str
    condition_id: str
    token_id: str
    side: str
    price: Decimal
    original_size: Decimal
    size_matched: Decimal
    order_type: str
    outcome: str
    created_at: int | None
    expiration: int
    associate_trades: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MakerFill:
    order_id: str
    maker_address: str
    price: Decimal
    matched_amount: Decimal
    side: str
    fee_rate_bps: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    taker_order_id: str
    condition_id: str
    token_id: str
    side: str
    price: Decimal
    size: Decimal
    status: str
    trader_side: str
    match_time: int
    outcome: str
    transaction_hash: str | None
    maker_orders: tuple[MakerFill, ...]
    fee_rate_bps: Decimal = Decimal(0)  # the taker's


@dataclass(frozen=True, slots=True)
class BalanceAllowance:
    balance: int  # 6-decimal base units
    allowances: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class CancelResult:
    canceled: tuple[str, ...]
    not_canceled: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PostResult:
    outcome: PostOutcome
    reason: PostReason
    order_hash: str | None  # the exchange's orderID when it sent one, else the hash we expected
    status: str | None = None  # exchange status: live | matched | delayed | unmatched
    message: str = ""
    http_status: int | None = None
    making_amount: Decimal = Decimal(0)
    taking_amount: Decimal = Decimal(0)
    trade_ids: tuple[str, ...] = ()
    transaction_hashes: tuple[str, ...] = ()
    retry_after_s: float | None = None  # THROTTLED / HALTED: when the exchange said to come back
    attempts: int = 0
    hash_mismatch: bool = False  # the exchange's orderID differs from the hash we computed
    existing: OrderRecord | None = None  # DUPLICATE: the earlier order, when the lookup worked
