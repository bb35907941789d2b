"""An order intent: what a COPY (or an exit) asks the executor to do, and what became of it.

Three shapes, each for a difference that is real:
- `IntentDraft`: the order's terms as a decision drafts them, before the intent has an identity;
  it is also exactly what the executor plans the order from (`order_plan.plan_order`);
- `Intent`: a draft with its identity (id, strategy, wallet, source trade, correlation), as the
  monitor stores and queues it; it never changes once written;
- `IntentProgress`: what the executor has done with it (state, the signed order, fills so far).

States (`IntentState`, the `order_intents.state` CHECK) and which moves between them are legal
(`next_state`): NEW → SUBMITTING → ACCEPTED / FILLED / PARTIALLY_FILLED / REJECTED / CANCELLED /
EXPIRED, with UNKNOWN for an ambiguous submit or reply and LOST for an order the exchange never
showed; FAILED ends an intent that cannot trade (no order book, a closed market). A paper intent
is never signed: it goes from NEW straight to what the fill model gave (FILLED, PARTIALLY_FILLED,
CANCELLED) or to a refusal. Terminal states
never move; every other state is reconciled. Our reason for a state (`reason_code`) is kept apart from what the
exchange said about the order (`exchange_status`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.positions import CumulativeFill


class IntentState(StrEnum):
    NEW = "NEW"
    SUBMITTING = "SUBMITTING"  # signed and committed; the POST may or may not have happened
    UNKNOWN = "UNKNOWN"  # the POST got no definite answer: reconciled by order hash
    ACCEPTED = "ACCEPTED"  # resting at the exchange (live / delayed)
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    LOST = "LOST"  # not at the exchange after several lookups: still watched for fills
    FAILED = "FAILED"  # cannot trade (no order book, a closed market): over, with its reason

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES: Final = frozenset(
    {
        IntentState.FILLED,
        IntentState.PARTIALLY_FILLED,
        IntentState.REJECTED,
        IntentState.CANCELLED,
        IntentState.EXPIRED,
        IntentState.FAILED,
    }
)
# An order may exist at the exchange but its fate is not known: look it up by hash before any re-send.
IN_FLIGHT_STATES: Final = frozenset({IntentState.SUBMITTING, IntentState.UNKNOWN, IntentState.LOST})
# What reconcile settles: the in-flight orders, and resting ones (fills to pull in, a life to end).
RECONCILABLE_STATES: Final = IN_FLIGHT_STATES | {IntentState.ACCEPTED}
# An entry in these states holds its capital (what it has not filled yet): the monitor counts it
# before sizing the next one, the executor before accepting another.
RESERVING_STATES: Final = frozenset(
    {IntentState.NEW, IntentState.SUBMITTING, IntentState.UNKNOWN, IntentState.ACCEPTED}
)

# What the exchange can report once an order is known: booked and resting, filled, or over.
_EXCHANGE_OUTCOMES: Final = frozenset(
    {
        IntentState.ACCEPTED,
        IntentState.PARTIALLY_FILLED,
        IntentState.FILLED,
        IntentState.CANCELLED,
        IntentState.EXPIRED,
    }
)
_NEXT: Final[dict[IntentState, frozenset[IntentState]]] = {
    # refused before signing (kill switch, too old, order or risk checks), or signed
    IntentState.NEW: frozenset(
        {IntentState.SUBMITTING, IntentState.REJECTED, IntentState.CANCELLED, IntentState.EXPIRED, IntentState.FAILED}
    ),
    IntentState.SUBMITTING: _EXCHANGE_OUTCOMES
    | {IntentState.UNKNOWN, IntentState.REJECTED, IntentState.LOST, IntentState.FAILED},
    IntentState.UNKNOWN: _EXCHANGE_OUTCOMES | {IntentState.REJECTED, IntentState.LOST, IntentState.FAILED},
    # a booked order is never "unknown" again: one the exchange reports in a way that cannot be (an
    # undocumented status, impossible amounts) stays ACCEPTED, and reconcile looks at it again
    IntentState.ACCEPTED: _EXCHANGE_OUTCOMES | {IntentState.REJECTED, IntentState.LOST},
    # a lost order that shows up after all is booked as found, one that never does expires; a
    # redelivered message re-sends its bytes, and an unclear reply makes it UNKNOWN again
    IntentState.LOST: _EXCHANGE_OUTCOMES | {IntentState.UNKNOWN, IntentState.REJECTED, IntentState.FAILED},
    **{state: frozenset() for state in TERMINAL_STATES},
}


# A paper intent is never signed: the fill model answers at once, from NEW.
_NEXT_PAPER: Final[dict[IntentState, frozenset[IntentState]]] = {
    **{state: frozenset() for state in IntentState},
    IntentState.NEW: _NEXT[IntentState.NEW] - {IntentState.SUBMITTING}
    | {IntentState.FILLED, IntentState.PARTIALLY_FILLED},
}


class IllegalTransitionError(ValueError):
    """A state change the intent's state machine does not allow (a bug or a corrupt row)."""


def can_move(current: IntentState, target: IntentState, *, paper: bool = False) -> bool:
    """Whether an intent in `current` may be set to `target` (staying put is always allowed)."""
    return target == current or target in (_NEXT_PAPER if paper else _NEXT)[current]


def next_state(current: IntentState, target: IntentState, *, paper: bool = False) -> IntentState:
    if not can_move(current, target, paper=paper):
        raise IllegalTransitionError(f"an intent cannot move from {current} to {target}")
    return target


class IntentReason(StrEnum):
    """Our reasons for an intent's state, beside the pre-trade risk codes and the exchange's
    rejection reasons (`PostReason`). What the exchange said is in `exchange_status`, never here."""

    KILL_SWITCH = "kill_switch"
    INTENT_TOO_OLD = "intent_too_old"
    ORDER_INVALID = "order_invalid"
    EXCHANGE_REPLY = "exchange_reply"  # set from the order POST's reply
    EXCHANGE_RECORD = "exchange_record"  # set from the exchange's record of the order, found by hash
    DUPLICATE = "duplicate"  # the exchange says it has the order, and its record was not at hand
    NO_SIGNED_ORDER = "no_signed_order"
    NOT_FOUND = "not_found"
    NEVER_APPEARED = "lost"
    NO_ORDER_BOOK = "no_order_book"  # the market has no book (404): it cannot trade
    MARKET_CLOSED = "market_closed"  # the exchange refuses orders on the market (resolved, closed)
    IMPOSSIBLE_FILL = "impossible_fill"  # a reply or record whose amounts cannot be: reconciled, not booked
    UNKNOWN_STATUS = "unknown_status"  # an order status the exchange does not document
    NOT_RESENT = "not_resent"  # the kill switch kept a signed order from being sent again
    PAPER_FILL = "paper_fill"  # filled on paper by the fill model against the live book
    MIXED_BOOKS = "mixed_books"  # the position holds shares of the other mode (paper vs real)


# Intent ids are UUIDs derived from (strategy, source trade): a replayed trade maps to the same id.
INTENT_NAMESPACE: Final = uuid.UUID("6f6d6567-6163-6f70-7969-6e74656e7473")


def intent_id_for(strategy_id: str, source_trade_id: str) -> str:
    return str(uuid.uuid5(INTENT_NAMESPACE, f"{strategy_id}\x1f{source_trade_id}"))


def slice_intent_id(first_slice_id: str, index: int) -> str:
    """The id of slice `index` (1, 2, …) of an entry cut into iceberg slices; slice 0 keeps the entry's."""
    return str(uuid.uuid5(INTENT_NAMESPACE, f"{first_slice_id}\x1fslice\x1f{index}"))


@dataclass(frozen=True, slots=True)
class IntentDraft:
    """What a COPY asks the executor to do: buy `usd_amount` or sell `shares` of `token_id`.

    `worst_price` is the limit the order may not cross: leader price ± the strategy's slippage
    ceiling, clamped inside (0, 1).
    """

    action: TradeAction
    token_id: str
    condition_id: str
    leader_price: Decimal
    worst_price: Decimal
    usd_amount: Decimal | None
    shares: Decimal | None
    order_style: OrderStyle
    is_exit: bool = False


@dataclass(frozen=True, slots=True)
class Intent:
    """A drafted order with its identity: one `order_intents` row's fixed part, and the queue's message."""

    intent_id: str
    strategy_id: str
    wallet_id: str  # the follower wallet that signs; also the queue's FIFO group
    source_trade_id: str
    correlation_id: str
    draft: IntentDraft
    neg_risk: bool = False
    parent_intent_id: str | None = None  # iceberg slices point at the first slice
    paper: bool = False  # decided in paper mode: filled by the fill model, never signed or posted


@dataclass(frozen=True, slots=True)
class Submission:
    """The signed order, committed before the first POST and only ever re-sent byte for byte."""

    order_hash: str
    order_body: str
    order_type: str
    order_size: Decimal
    expiration: int
    salt: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class IntentProgress:
    """What the executor has done with an intent so far."""

    state: IntentState
    created_at: datetime
    updated_at: datetime
    submission: Submission | None = None
    submitted_at: datetime | None = None
    filled: CumulativeFill = field(default_factory=CumulativeFill)
    reconcile_attempts: int = 0
