"""Request-body rules: order types, expiration, post-only, batches (the SDK as oracle where it has one)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from polymarket.errors import UserInputError

from omegacopy.domain.order_amounts import OrderKind, OrderRejected, OrderSide
from omegacopy.domain.order_request import (
    MAX_BATCH_ORDERS,
    check_gtd_expiration,
    order_body,
    post_orders_body,
    serialize_body,
)
from omegacopy.domain.order_v2 import SignatureType, SignedOrderV2, build_order, exchange_domain, sign_order
from omegacopy.domain.signer import LocalKeySigner

from .sdk_reference import HARDHAT_0, account_from_key, sdk_draft, sdk_orders_body, sdk_sign

TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="


def _signed(size: str = "10", price: str = "0.5") -> SignedOrderV2:
    signer = LocalKeySigner.from_hex(HARDHAT_0)
    order = build_order(
        token_id=TOKEN,
        side=OrderSide.BUY,
        kind=OrderKind.LIMIT,
        price=Decimal(price),
        tick_size=Decimal("0.01"),
        size=Decimal(size),
        signature_type=SignatureType.EOA,
        signer_address=signer.address,
        salt=7,
        timestamp_ms=1_763_700_000_000,
    )
    return sign_order(order, exchange_domain(137, neg_risk=False), signer)


def test_body_shape_and_types() -> None:
    body = order_body(_signed(), owner="key", order_type="GTC")
    assert list(body) == ["deferExec", "order", "orderType", "owner"]
    order = body["order"]
    assert list(order) == sorted(order)
    assert isinstance(order["salt"], int) and isinstance(order["signatureType"], int)
    for name in ("tokenId", "makerAmount", "takerAmount", "expiration", "timestamp"):
        assert isinstance(order[name], str)
    assert order["side"] == "BUY"
    raw = serialize_body(body)
    assert b" " not in raw
    assert json.loads(raw) == body


def test_post_only_and_defer_exec_flags() -> None:
    body = order_body(_signed(), owner="key", order_type="GTD", expiration=2_000_000_000, post_only=True)
    assert list(body)[-1] == "postOnly" and body["postOnly"] is True
    assert body["order"]["expiration"] == "2000000000"
    assert order_body(_signed(), owner="key", order_type="GTC", defer_exec=True)["deferExec"] is True


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"order_type": "IOC"}, "order type"),
        ({"order_type": "GTD"}, "needs an expiration"),
        ({"order_type": "GTC", "expiration": 2_000_000_000}, "only GTD"),
        ({"order_type": "FOK", "post_only": True}, "post-only"),
        ({"order_type": "GTC", "owner": ""}, "owner"),
        ({"order_type": "GTC", "expiration": -1}, "non-negative"),
    ],
)
def test_body_refusals(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"owner": "key", **kw}
    with pytest.raises(OrderRejected, match=match):
        order_body(_signed(), **args)  # type: ignore[arg-type]


def test_post_only_fok_is_refused_by_the_sdk_too() -> None:
    account = account_from_key(HARDHAT_0)
    draft = sdk_draft(
        account=account,
        funder=account.address,
        token_id=TOKEN,
        side="BUY",
        kind="limit",
        price=Decimal("0.5"),
        tick_size=Decimal("0.01"),
        neg_risk=False,
        size=Decimal(10),
        amount=None,
        order_type="FOK",
        expiration=0,
        builder_code=None,
    )
    with pytest.raises(UserInputError, match="post-only"):
        sdk_sign(
            draft,
            account=account,
            funder=account.address,
            signature_type=0,
            salt=1,
            timestamp_ms=1_763_700_000_000,
            metadata="0x" + "00" * 32,
            post_only=True,
            api_key="k",
            api_secret=SECRET,
            api_passphrase="p",
            header_timestamp=1,
        )


def test_limit_priced_fok_is_judged_by_marketable_precision() -> None:
    # 1.74 shares at 0.58 cost 1.0092: fine resting, but a FOK/FAK BUY maker has ≤ 2 decimals
    # (py-clob-client #121: the same order worked as GTC and was refused as FOK).
    signed = _signed(size="1.74", price="0.58")
    order_body(signed, owner="key", order_type="GTC")
    with pytest.raises(OrderRejected, match=r"maker amount 1\.0092"):
        order_body(signed, owner="key", order_type="FOK")


def test_batches() -> None:
    body = order_body(_signed(), owner="key", order_type="GTC")
    assert post_orders_body([body] * MAX_BATCH_ORDERS).startswith(b"[{")
    with pytest.raises(OrderRejected, match="at most 15"):
        post_orders_body([body] * (MAX_BATCH_ORDERS + 1))
    with pytest.raises(OrderRejected, match="at least one"):
        post_orders_body([])
    with pytest.raises(OrderRejected, match="sequence"):
        post_orders_body(body)  # type: ignore[arg-type]
    with pytest.raises(UserInputError, match="exceed 15"):
        sdk_orders_body([object()] * 16, "k")  # type: ignore[list-item]


def test_gtd_expiration_lead_time() -> None:
    check_gtd_expiration(1_000 + 180, 1_000)
    with pytest.raises(OrderRejected, match="180"):
        check_gtd_expiration(1_000 + 179, 1_000)
