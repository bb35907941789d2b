"""What the exchange's replies mean: the outcome of an order POST, and where an order's status
leaves its intent. Pure: the CLOB client reads the bytes, this table decides.

Every order POST ends in exactly one `PostOutcome`; the executor's state machine keys on it.

| what happened                                          | outcome    | retried by the client |
|--------------------------------------------------------|------------|-----------------------|
| 200, success, orderID, status live / matched / delayed | ACCEPTED   | - (an errorMsg too)   |
| 200 success:false, or status "unmatched"               | REJECTED   | never                 |
| 4xx with an error (400 validation, 401 auth, 404 ...)  | REJECTED   | never                 |
| "duplicated" / "already placed" in the error           | DUPLICATE  | never (looked up)     |
| connect error / connect or pool timeout                | NOT_SENT   | yes, bounded          |
| 429 (Retry-After honoured), 425 restarting             | THROTTLED  | yes, bounded          |
| 503 "Trading is currently disabled" / cancel-only      | HALTED     | never                 |
| 503 post-only mode, or a batch item refused by it      | HALTED     | never (its retry time)|
| read/write timeout, reset or EOF after sending         | UNKNOWN    | never: reconcile      |
| any other 5xx, 408, an unreadable 2xx                  | UNKNOWN    | never: reconcile      |
| a 2xx that contradicts itself (success:false + live)   | UNKNOWN    | never: reconcile      |

Why a 5xx on POST /order is UNKNOWN even with a JSON error body: the CLOB's 500 "could not run
the execution" is reported to come *after* the engine accepted the order (Polymarket/
py-clob-client#331), failed requests whose orders were placed anyway are reported too (#261), and
a gateway 502/504 says nothing about the backend. A body cannot prove that nothing was booked,
and the cost of the conservative answer is one `GET /data/order/{hash}` in reconcile, while the
cost of a wrong REJECTED is a second order for the same intent. Only the documented 503 trading
gates (disabled, cancel-only, post-only mode) are read as "not booked" (HALTED): they refuse
before the engine. A 4xx, in contrast, is the application refusing the request: a definite
rejection. Re-posting is only ever done for NOT_SENT and THROTTLED, where the request provably
never reached the order engine; a retry sends the very same bytes (same signed order, same hash),
so even then the exchange's duplicate check backs us up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Final

from omegacopy.domain.clob_models import PostOutcome, PostReason, PostResult
from omegacopy.domain.intent import IntentState
from omegacopy.domain.order_request import OrderTerms
from omegacopy.domain.positions import CumulativeFill

ACCEPTED_STATUSES: Final = frozenset({"live", "matched", "delayed"})

_REASON_MARKERS: Final[tuple[tuple[tuple[str, ...], PostReason], ...]] = (
    (("duplicat", "already placed", "already been placed"), PostReason.DUPLICATE),
    (("market is closed", "closed market", "no orderbook exists", "market not found"), PostReason.MARKET_CLOSED),
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


class TransportFailure(StrEnum):
    """How a request failed without an HTTP reply."""

    CONNECT = "connect"  # no connection was ever made: nothing was sent
    TIMEOUT = "timeout"  # sent (perhaps in part), no reply in time
    CONNECTION_LOST = "connection_lost"  # reset or EOF after sending


@dataclass(frozen=True, slots=True)
class OrderReply:
    """One order's reply object (the single POST's body, or one element of a batch's array)."""

    success: bool
    error_msg: str = ""
    order_id: str = ""
    status: str = ""
    making_amount: Decimal = Decimal(0)
    taking_amount: Decimal = Decimal(0)
    trade_ids: tuple[str, ...] = ()
    transaction_hashes: tuple[str, ...] = ()


def reason_from_message(message: str) -> PostReason:
    text = message.lower()
    for markers, reason in _REASON_MARKERS:
        if any(marker in text for marker in markers):
            return reason
    return PostReason.OTHER


def halt_reason(message: str, code: str | None = None) -> PostReason | None:
    """The trading gate an error names (its text, or its `code`), or None: then a 503 is an
    ordinary server error and a refused order a rejection."""
    if code == "post_only_mode":
        return PostReason.POST_ONLY_MODE
    text = message.lower()
    if "trading is currently disabled" in text:
        return PostReason.TRADING_DISABLED
    if "cancel-only" in text or "cancel only" in text:
        return PostReason.CANCEL_ONLY
    if "post-only mode" in text:
        return PostReason.POST_ONLY_MODE
    return None


def unreadable_reply(expected_hash: str | None, http_status: int, message: str) -> PostResult:
    """A 2xx whose body is not an order reply: we cannot tell what was booked."""
    return PostResult(
        PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE, expected_hash, message=message, http_status=http_status
    )


def outcome_of_reply(reply: OrderReply, *, expected_hash: str | None, http_status: int) -> PostResult:
    """One order's reply object, read."""
    unclear = PostResult(
        PostOutcome.UNKNOWN,
        PostReason.BAD_RESPONSE,
        reply.order_id or expected_hash,
        status=reply.status or None,
        message=reply.error_msg,
        http_status=http_status,
        hash_mismatch=bool(reply.order_id and expected_hash and reply.order_id.lower() != expected_hash.lower()),
    )
    if reply.success and reply.order_id and reply.status in ACCEPTED_STATUSES:
        # An errorMsg alongside an accepted status (e.g. "delayed") is a note, not a refusal:
        # calling a booked order REJECTED would orphan it.
        return replace(
            unclear,
            outcome=PostOutcome.ACCEPTED,
            reason=PostReason.OK,
            making_amount=reply.making_amount,
            taking_amount=reply.taking_amount,
            trade_ids=reply.trade_ids,
            transaction_hashes=reply.transaction_hashes,
        )
    reason = reason_from_message(reply.error_msg)
    if reason is PostReason.DUPLICATE:
        return replace(unclear, outcome=PostOutcome.DUPLICATE, reason=reason)
    halt = None if reply.success else halt_reason(reply.error_msg)
    if halt is not None:  # a batch item the gate refused (post-only mode): not processed
        return replace(unclear, outcome=PostOutcome.HALTED, reason=halt)
    if reply.order_id and reply.status in ACCEPTED_STATUSES:
        return unclear  # success:false yet an orderID with a resting/matched status: reconcile it
    if not reply.success or reply.status == "unmatched":
        if reply.status == "unmatched" and reason is PostReason.OTHER:
            reason = PostReason.UNMATCHED
        return replace(unclear, outcome=PostOutcome.REJECTED, reason=reason)
    return unclear  # success:true without a usable orderID/status: we cannot tell what was booked


def outcome_of_failure(http_status: int, message: str, code: str | None = None) -> tuple[PostOutcome, PostReason]:
    """A non-2xx reply to an order POST (`message` and `code`: what its body said, if anything)."""
    if http_status in (429, 425):  # refused at the door: not processed
        reason = PostReason.RATE_LIMITED if http_status == 429 else PostReason.RESTARTING
        return PostOutcome.THROTTLED, reason
    halt = halt_reason(message, code) if http_status == 503 else None
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


def outcome_of_transport(failure: TransportFailure, *, expected_hash: str | None, message: str) -> PostResult:
    """No HTTP reply. Only failures before a connection existed prove nothing was sent."""
    if failure is TransportFailure.CONNECT:
        return PostResult(PostOutcome.NOT_SENT, PostReason.CONNECT, expected_hash, message=message)
    reason = PostReason.TIMEOUT if failure is TransportFailure.TIMEOUT else PostReason.CONNECTION_LOST
    return PostResult(PostOutcome.UNKNOWN, reason, expected_hash, message=message)


# --- what an order's status means --------------------------------------------------------------
class OrderStatus(StrEnum):
    """Every documented order status, as `normalized_status` spells it: the REST reads say
    `ORDER_STATUS_LIVE`, the POST reply `live`, the user channel `LIVE`, `CANCELED_...`."""

    LIVE = "live"
    DELAYED = "delayed"
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    CANCELED = "canceled"
    CANCELED_MARKET_RESOLVED = "canceled_market_resolved"
    CANCELED_NOT_ENOUGH_BALANCE = "canceled_not_enough_balance"
    CANCELED_MARKET_NOT_FOUND = "canceled_market_not_found"
    CANCELED_EXPIRED_ORDER = "canceled_expired_order"
    CANCELED_ORDER_TIMED_OUT = "canceled_order_timed_out"
    EXPIRED = "expired"
    INVALID = "invalid"


# Where a known status leaves an intent whose order filled nothing; any fill makes an order that is
# over PARTIALLY_FILLED (a FAK that matched part of its size: the rest was killed).
_STATE_OF_STATUS: Final[dict[OrderStatus, IntentState]] = {
    OrderStatus.LIVE: IntentState.ACCEPTED,
    OrderStatus.DELAYED: IntentState.ACCEPTED,
    OrderStatus.MATCHED: IntentState.FILLED,
    OrderStatus.UNMATCHED: IntentState.CANCELLED,
    OrderStatus.CANCELED: IntentState.CANCELLED,
    OrderStatus.CANCELED_MARKET_RESOLVED: IntentState.CANCELLED,
    OrderStatus.CANCELED_NOT_ENOUGH_BALANCE: IntentState.CANCELLED,
    OrderStatus.CANCELED_MARKET_NOT_FOUND: IntentState.CANCELLED,
    OrderStatus.CANCELED_ORDER_TIMED_OUT: IntentState.CANCELLED,
    OrderStatus.CANCELED_EXPIRED_ORDER: IntentState.EXPIRED,
    OrderStatus.EXPIRED: IntentState.EXPIRED,
    OrderStatus.INVALID: IntentState.REJECTED,
}
_RESTING: Final = frozenset({OrderStatus.LIVE, OrderStatus.DELAYED})


def normalized_status(raw: str) -> str:
    """An order status as `OrderStatus` spells it, whichever form it came in."""
    text = raw.strip().lower().removeprefix("order_status_")
    return text.replace("cancelled", "canceled")


def state_for_exchange_status(status: str, *, filled: Decimal, ordered: Decimal) -> IntentState:
    """Where an order's exchange status leaves its intent. Every documented status ends the intent
    or leaves it reconciled (ACCEPTED); an undocumented one, or "matched" with nothing matched, is
    UNKNOWN: reconciled by hash, never guessed."""
    try:
        known = OrderStatus(normalized_status(status))
    except ValueError:
        return IntentState.UNKNOWN
    if known in _RESTING:
        return IntentState.ACCEPTED
    if known is OrderStatus.MATCHED:
        if filled <= 0:
            return IntentState.UNKNOWN
        return IntentState.PARTIALLY_FILLED if filled < ordered else IntentState.FILLED
    return IntentState.PARTIALLY_FILLED if filled > 0 else _STATE_OF_STATUS[known]


# --- what a trade's status means ------------------------------------------------------------------
class TradeStatus(StrEnum):
    """A match's settlement on chain (`TRADE_STATUS_` prefix stripped)."""

    MATCHED = "MATCHED"
    MATCHED_NOT_BROADCASTED = "MATCHED_NOT_BROADCASTED"
    MINED = "MINED"
    CONFIRMED = "CONFIRMED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"


def trade_failed(status: str) -> bool:
    """A match whose settlement failed moved nothing: its shares and money are not ours to book."""
    return status.strip().upper().removeprefix("TRADE_STATUS_") == TradeStatus.FAILED


# --- whether a fill can be ------------------------------------------------------------------------
# Each match settles in whole base units, rounded: a few micro-dollars of slack in the bounds.
_ROUNDING_SLACK: Final = Decimal("0.0001")
_FINEST_TICK: Final = Decimal("0.0001")  # no share trades for less


def _sizes(shares: Decimal, usd: Decimal, terms: OrderTerms) -> str | None:
    if terms.side == "BUY" and terms.marketable:  # spends its budget, perhaps on more shares
        if usd > terms.usd + _ROUNDING_SLACK:
            return f"${usd} spent of a ${terms.usd} budget"
        if shares * _FINEST_TICK > usd + _ROUNDING_SLACK:
            return f"{shares} shares for ${usd}: below the finest tick"
    elif shares > terms.shares + _ROUNDING_SLACK:
        return f"{shares} shares filled of an order for {terms.shares}"
    return None


def _prices(shares: Decimal, usd: Decimal, terms: OrderTerms) -> str | None:
    if usd > shares + _ROUNDING_SLACK:
        return f"${usd} for {shares} shares: more than $1 a share"
    bound = shares * terms.limit_price
    if terms.side == "BUY" and usd > bound + _ROUNDING_SLACK:
        return f"${usd} paid for {shares} shares at a limit of {terms.limit_price}"
    if terms.side == "SELL" and usd < bound - _ROUNDING_SLACK:
        return f"${usd} received for {shares} shares at a limit of {terms.limit_price}"
    return None


def impossible_fill(observed: CumulativeFill, terms: OrderTerms, status: str) -> str | None:
    """Why a reported fill of an order cannot be (None when it can): amounts are never negative, a
    "matched" reply matched something, an order never fills more shares than it was for (a
    marketable BUY: never spends more than its budget, and buys no share below the finest tick), a
    BUY never pays more than its limit per share and a SELL never gets less, and a share costs at
    most $1."""
    shares, usd = observed.total_shares, observed.total_usd
    if shares < 0 or usd < 0:
        return f"negative amounts ({shares} shares, ${usd})"
    if normalized_status(status) == OrderStatus.MATCHED and (shares == 0 or usd == 0):
        return "matched with nothing matched"
    if shares == 0:
        return None if usd == 0 else f"${usd} moved for no shares"
    return _sizes(shares, usd, terms) or _prices(shares, usd, terms)
