"""The JSON bodies of `POST /order` and `POST /orders`, byte for byte as the official SDK sends them.

The L2 HMAC signs the exact body bytes, so the body must be serialized once (`serialize_body`)
and those same bytes both signed and sent. Key order and value types follow the SDK: keys
sorted, `salt` and `signatureType` numbers, amounts/ids/timestamps strings, side "BUY"/"SELL",
`postOnly` present only when true.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from omegacopy.domain.money import ORDER_MATH_CONTEXT
from omegacopy.domain.order_amounts import OrderRejected, check_precision
from omegacopy.domain.order_v2 import SignedOrderV2

ORDER_PATH: Final = "/order"
ORDERS_PATH: Final = "/orders"
ORDER_TYPES: Final = ("GTC", "GTD", "FOK", "FAK")
MAX_BATCH_ORDERS: Final = 15
# The exchange expires a GTD order 60 s before `expiration`; the SDK demands ≥ now + 180 s.
MIN_GTD_LEAD_S: Final = 180
_BASE_UNITS: Final = Decimal(1_000_000)  # amounts are 6-decimal base units, shares and collateral alike


def check_gtd_expiration(expiration_s: int, now_s: int) -> None:
    """Refuse a GTD expiration the exchange would reject or expire at once."""
    if expiration_s < now_s + MIN_GTD_LEAD_S:
        raise OrderRejected(f"GTD expiration {expiration_s} must be at least {MIN_GTD_LEAD_S} s after now ({now_s})")


def order_body(
    signed: SignedOrderV2,
    *,
    owner: str,
    order_type: str,
    expiration: int = 0,
    post_only: bool = False,
    defer_exec: bool = False,
) -> dict[str, Any]:
    """One order's request body (also one element of a `POST /orders` array).

    `owner` is the API key. `expiration` (unix seconds, not signed) is required for GTD and must
    be 0 otherwise; post-only is for resting orders only. The amounts are re-checked against the
    server's precision rules for `order_type` (a limit-priced FOK is judged as marketable).
    """
    if order_type not in ORDER_TYPES:
        raise OrderRejected(f"order type must be one of {', '.join(ORDER_TYPES)}, got {order_type!r}")
    if not owner:
        raise OrderRejected("owner (the API key) is required")
    if isinstance(expiration, bool) or not isinstance(expiration, int) or expiration < 0:
        raise OrderRejected(f"expiration must be a non-negative int (unix seconds), got {expiration!r}")
    if order_type == "GTD" and expiration == 0:
        raise OrderRejected("a GTD order needs an expiration (unix seconds)")
    if order_type != "GTD" and expiration != 0:
        raise OrderRejected(f"only GTD orders carry an expiration, not {order_type}")
    if post_only and order_type not in ("GTC", "GTD"):
        raise OrderRejected("post-only is only supported for GTC and GTD orders")
    order = signed.order
    check_precision(order.side, order_type, order.maker_amount, order.taker_amount)
    body: dict[str, Any] = {
        "deferExec": defer_exec,
        "order": {
            "builder": order.builder,
            "expiration": str(expiration),
            "maker": order.maker,
            "makerAmount": str(order.maker_amount),
            "metadata": order.metadata,
            "salt": order.salt,
            "side": order.side.wire,
            "signature": signed.signature,
            "signatureType": int(order.signature_type),
            "signer": order.signer,
            "takerAmount": str(order.taker_amount),
            "timestamp": str(order.timestamp_ms),
            "tokenId": order.token_id,
        },
        "orderType": order_type,
        "owner": owner,
    }
    if post_only:
        body["postOnly"] = True
    return body


def serialize_body(body: dict[str, Any] | list[dict[str, Any]]) -> bytes:
    """Compact JSON (no spaces, ASCII-escaped): the bytes to HMAC and to send."""
    return json.dumps(body, separators=(",", ":")).encode("ascii")


def post_orders_body(bodies: Sequence[dict[str, Any]]) -> bytes:
    """`POST /orders`: a JSON array of 1..15 `order_body` dicts."""
    if isinstance(bodies, str | bytes | dict):
        raise OrderRejected("post_orders_body takes a sequence of order bodies")
    items = list(bodies)
    if not items:
        raise OrderRejected("a batch needs at least one order")
    if len(items) > MAX_BATCH_ORDERS:
        raise OrderRejected(f"a batch takes at most {MAX_BATCH_ORDERS} orders, got {len(items)}")
    return serialize_body(items)


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What a signed order committed to, read back from its body: what a fill of it may be."""

    side: str  # "BUY" | "SELL"
    order_type: str
    shares: Decimal  # what it asks for: the most a limit order (or any SELL) fills
    usd: Decimal  # a BUY's budget (a marketable BUY spends it, perhaps on more shares), a SELL's floor
    limit_price: Decimal  # a BUY never pays more per share, a SELL never gets less
    owner: str

    @property
    def marketable(self) -> bool:
        return self.order_type in ("FOK", "FAK")


def order_terms(body: str | bytes) -> OrderTerms:
    """The terms of one stored `POST /order` body (ValueError if it is not one)."""
    payload = json.loads(body)
    order = payload["order"]
    maker = ORDER_MATH_CONTEXT.divide(Decimal(int(order["makerAmount"])), _BASE_UNITS)
    taker = ORDER_MATH_CONTEXT.divide(Decimal(int(order["takerAmount"])), _BASE_UNITS)
    side = order["side"]
    if side not in ("BUY", "SELL") or maker <= 0 or taker <= 0:
        raise ValueError("not an order body")
    shares, usd = (taker, maker) if side == "BUY" else (maker, taker)
    return OrderTerms(
        side=side,
        order_type=str(payload["orderType"]),
        shares=shares,
        usd=usd,
        limit_price=ORDER_MATH_CONTEXT.divide(usd, shares),
        owner=str(payload["owner"]),
    )


def with_owner(body: bytes, owner: str) -> bytes:
    """The same order body for another API key. `owner` is not part of the signed order: the
    order, its hash and its signature stay exactly what they were."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or payload.get("owner") == owner:
        return body
    return serialize_body({**payload, "owner": owner})


__all__ = [
    "MAX_BATCH_ORDERS",
    "MIN_GTD_LEAD_S",
    "ORDERS_PATH",
    "ORDER_PATH",
    "ORDER_TYPES",
    "OrderTerms",
    "check_gtd_expiration",
    "order_body",
    "order_terms",
    "post_orders_body",
    "serialize_body",
    "with_owner",
]
