"""`order_intents` rows as the domain's intent types, both ways: one mapping for every store."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from omegacopy.domain.intent import Intent, IntentDraft, IntentProgress, IntentState, Submission
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.positions import CumulativeFill

# The fixed part of a row (`Intent`), in insert order, with the types a JSON recordset reads them as.
INTENT_COLUMNS: Final = (
    "intent_id", "strategy_id", "wallet_id", "source_trade_id", "correlation_id", "action", "is_exit",
    "token_id", "condition_id", "neg_risk", "usd_amount", "shares", "leader_price", "worst_price",
    "order_style", "parent_intent_id", "paper",
)  # fmt: skip
INTENT_TYPES: Final = (
    "uuid", "text", "text", "text", "text", "text", "bool", "text", "text", "bool", "numeric", "numeric",
    "numeric", "numeric", "text", "uuid", "bool",
)  # fmt: skip
_PROGRESS_COLUMNS: Final = (
    "state", "created_at", "updated_at", "order_hash", "order_body", "order_type", "order_size", "expiration",
    "salt", "order_timestamp_ms", "submitted_at", "filled_shares", "filled_usd", "filled_trade_ids",
    "reconcile_attempts",
)  # fmt: skip

# Columns read back as they are (the enums are converted by name).
_PLAIN_DRAFT_COLUMNS: Final = (
    "token_id", "condition_id", "leader_price", "worst_price", "usd_amount", "shares", "is_exit",
)  # fmt: skip
_PLAIN_IDENTITY_COLUMNS: Final = (
    "intent_id", "strategy_id", "wallet_id", "source_trade_id", "correlation_id", "neg_risk", "parent_intent_id",
    "paper",
)  # fmt: skip

# SELECT list of a whole intent (ids as text, as the domain holds them).
INTENT_SELECT: Final = ", ".join(
    f"{c}::text AS {c}" if c in ("intent_id", "parent_intent_id") else c for c in INTENT_COLUMNS
)
INTENT_AND_PROGRESS_SELECT: Final = INTENT_SELECT + ", " + ", ".join(_PROGRESS_COLUMNS)


def intent_values(intent: Intent) -> dict[str, Any]:
    """Column -> value of the fixed part of an intent's row."""
    return {
        **{c: getattr(intent, c) for c in _PLAIN_IDENTITY_COLUMNS},
        **{c: getattr(intent.draft, c) for c in _PLAIN_DRAFT_COLUMNS},
        "action": intent.draft.action.value,
        "order_style": intent.draft.order_style.value,
    }


def intent_from_row(row: Mapping[str, Any]) -> Intent:
    draft = IntentDraft(
        action=TradeAction(row["action"]),
        order_style=OrderStyle(row["order_style"]),
        **{c: row[c] for c in _PLAIN_DRAFT_COLUMNS},
    )
    return Intent(draft=draft, **{c: row[c] for c in _PLAIN_IDENTITY_COLUMNS})


def progress_from_row(row: Mapping[str, Any]) -> IntentProgress:
    return IntentProgress(
        state=IntentState(row["state"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submission=_submission(row),
        submitted_at=row["submitted_at"],
        filled=CumulativeFill(row["filled_shares"], row["filled_usd"], tuple(row["filled_trade_ids"])),
        reconcile_attempts=row["reconcile_attempts"],
    )


def _submission(row: Mapping[str, Any]) -> Submission | None:
    # The signed order's columns are written together (mark_submitting); without them there is none.
    signed = ("order_hash", "order_body", "order_type", "order_size", "salt", "order_timestamp_ms")
    if any(row[c] is None for c in signed):
        return None
    return Submission(
        order_hash=row["order_hash"],
        order_body=row["order_body"],
        order_type=row["order_type"],
        order_size=Decimal(row["order_size"]),
        expiration=row["expiration"],
        salt=int(row["salt"]),
        timestamp_ms=int(row["order_timestamp_ms"]),
    )
