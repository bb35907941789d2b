"""Differential test: our order path vs the official SDK, byte for byte, on ≥ 2,000 seeded orders.

For every random order both sides compute amounts, order hash, signature, `POST /order` body
bytes and the L2 HMAC; all must be identical. Where the SDK would sign something the server is
reported to reject, we reject instead. Those cases are counted by category and each category is
asserted to be exactly what we document:

* ``precision``: amounts break a reported server precision rule (`PRECISION_RULES`): a market
  BUY on a tick finer than 0.01 whose share count has 5-6 decimals (FOK/FAK taker ≤ 4).
* ``precision_fok_limit``: a limit-priced BUY sent as FOK whose cost has > 2 decimals (FOK/FAK
  maker ≤ 2); the SDK's limit path never sends FOK, so this compares our body check only.
* ``zero``: the size rounds down to 0 shares (e.g. size 0.004): the SDK signs a 0/0 order.
"""

from __future__ import annotations

import base64
import dataclasses
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from polymarket.errors import UserInputError
from polymarket.models.clob.orders import SignedOrder

from omegacopy.domain.clob_auth import ApiCredentials, l2_headers
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.order_amounts import (
    ROUNDING,
    OrderKind,
    OrderRejected,
    OrderSide,
    check_precision,
    order_amounts,
)
from omegacopy.domain.order_request import (
    ORDER_PATH,
    order_body,
    post_orders_body,
    serialize_body,
)
from omegacopy.domain.order_v2 import (
    ZERO_BYTES32,
    OrderV2,
    SignatureType,
    build_order,
    exchange_domain,
    sign_order,
)
from omegacopy.domain.signer import LocalKeySigner

from .sdk_reference import HARDHAT_0, account_from_key, sdk_draft, sdk_orders_body, sdk_sign

SEED = 20261121
TARGET_COMPARED = 2_000
TICKS = list(ROUNDING)
_POSITION_MASK = ((1 << 64) - 1) << 40


def _random_token(rng: random.Random, exchange_version: int) -> str:
    value = rng.getrandbits(256) or 1
    if exchange_version == 3:
        # A Protocol-V2 position id: module byte on top, bits 40..103 clear.
        value = (value & ~_POSITION_MASK & ((1 << 248) - 1)) | (rng.choice((1, 2, 3)) << 248)
    return str(value)


def _random_quantity(rng: random.Random) -> Decimal:
    roll = rng.random()
    if roll < 0.02:
        return Decimal(rng.randint(1, 9)) / 1000  # rounds to zero at 2 decimals
    if roll < 0.35:
        return Decimal(rng.randint(1, 100_000)) / 100  # cents
    if roll < 0.55:
        return Decimal(rng.randint(1, 10_000_000)) / 10_000  # extra decimals, rounded down
    if roll < 0.75:
        return Decimal(rng.randint(1, 2_000))  # whole units
    if roll < 0.95:
        return Decimal(rng.randint(100, 999)) / 100  # small tickets
    return Decimal(rng.randint(1, 10**9)) / 100  # up to 10 M


@dataclass(frozen=True)
class Spec:
    tick: Decimal
    price: Decimal
    side: str
    kind: str
    size: Decimal | None
    amount: Decimal | None
    neg_risk: bool
    exchange_version: int
    token_id: str
    signature_type: int
    funder: str
    order_type: str
    expiration: int
    post_only: bool
    builder: str | None
    metadata: str
    salt: int
    timestamp_ms: int
    header_timestamp: int
    api_key: str
    api_secret: str
    api_passphrase: str


def _random_order_spec(rng: random.Random, funder_pool: list[str]) -> Spec:
    tick = rng.choice(TICKS)
    steps = int(1 / tick)
    price = tick * rng.randint(1, steps - 1)
    side = rng.choice(("BUY", "SELL"))
    kind = rng.choice(("limit", "market"))
    exchange_version = 3 if rng.random() < 0.2 else 2
    signature_type = rng.randint(0, 3)
    # A limit-priced FOK is a taker at a limit price; the SDK's limit path never sends one.
    limit_types = ("GTC", "GTC", "GTD", "FOK")
    order_type = rng.choice(limit_types if kind == "limit" else ("FOK", "FAK"))
    quantity = _random_quantity(rng)
    market_buy = kind == "market" and side == "BUY"
    return Spec(
        tick=tick,
        price=price,
        side=side,
        kind=kind,
        size=None if market_buy else quantity,
        amount=quantity if market_buy else None,
        neg_risk=rng.random() < 0.5,
        exchange_version=exchange_version,
        token_id=_random_token(rng, exchange_version),
        signature_type=signature_type,
        funder=rng.choice(funder_pool),
        order_type=order_type,
        expiration=rng.randint(1_900_000_000, 2_100_000_000) if order_type == "GTD" else 0,
        post_only=order_type in ("GTC", "GTD") and rng.random() < 0.3,
        builder="0x" + rng.randbytes(32).hex() if rng.random() < 0.5 else None,
        metadata="0x" + rng.randbytes(32).hex() if rng.random() < 0.2 else ZERO_BYTES32,
        salt=rng.getrandbits(53),
        timestamp_ms=rng.randint(1_760_000_000_000, 1_800_000_000_000),
        header_timestamp=rng.randint(1_760_000_000, 1_800_000_000),
        api_key=f"{rng.getrandbits(128):032x}",
        api_secret=base64.urlsafe_b64encode(rng.randbytes(32)).decode(),
        api_passphrase=f"{rng.getrandbits(128):032x}",
    )


def _classify_sdk_only(maker: int, taker: int, side: OrderSide, order_type: str) -> str:
    if maker == 0 or taker == 0:
        return "zero"
    try:
        check_precision(side, order_type, maker, taker)
    except OrderRejected:
        return "precision"
    return "UNEXPLAINED"


def _sdk_side(spec: Spec, account: Any, funder: str) -> tuple[Any, Exception | None]:
    try:
        return (
            sdk_draft(
                account=account,
                funder=funder,
                token_id=spec.token_id,
                side=spec.side,
                kind=spec.kind,
                price=spec.price,
                tick_size=spec.tick,
                neg_risk=spec.neg_risk,
                size=spec.size,
                amount=spec.amount,
                order_type=spec.order_type,
                expiration=spec.expiration,
                builder_code=spec.builder,
            ),
            None,
        )
    except UserInputError as exc:
        return None, exc


def _our_side(spec: Spec, signer: LocalKeySigner, funder: str) -> tuple[OrderV2 | None, Exception | None]:
    sig_type = SignatureType(spec.signature_type)
    try:
        return (
            build_order(
                token_id=spec.token_id,
                side=OrderSide[spec.side],
                kind=OrderKind(spec.kind),
                price=spec.price,
                tick_size=spec.tick,
                size=spec.size,
                amount=spec.amount,
                signature_type=sig_type,
                signer_address=signer.address,
                funder=None if sig_type is SignatureType.EOA else funder,
                salt=spec.salt,
                timestamp_ms=spec.timestamp_ms,
                neg_risk=spec.neg_risk,
                exchange_version=spec.exchange_version,
                builder=spec.builder or ZERO_BYTES32,
                metadata=spec.metadata,
            ),
            None,
        )
    except OrderRejected as exc:
        return None, exc


def test_orders_match_the_official_sdk_byte_for_byte() -> None:
    rng = random.Random(SEED)
    account = account_from_key(HARDHAT_0)
    signer = LocalKeySigner.from_hex(HARDHAT_0)
    funder_pool = [to_checksum_address("0x" + rng.randbytes(20).hex()) for _ in range(8)]
    compared = 0
    seen: Counter[str] = Counter()
    coverage: Counter[tuple[object, ...]] = Counter()
    batch_ours: list[dict[str, Any]] = []
    batch_sdk: list[SignedOrder] = []
    attempts = 0
    while compared < TARGET_COMPARED:
        attempts += 1
        assert attempts < 10 * TARGET_COMPARED, "generator rejects far too often"
        spec = _random_order_spec(rng, funder_pool)
        side = OrderSide[spec.side]
        sig_type = SignatureType(spec.signature_type)
        funder = account.address if sig_type is SignatureType.EOA else spec.funder
        order_type = spec.order_type

        draft, sdk_error = _sdk_side(spec, account, funder)
        order, ours_error = _our_side(spec, signer, funder)

        if draft is None:
            # The SDK refuses (its protected-BUY rounding guard): so must we.
            assert order is None, f"SDK refused ({sdk_error}) but we built {spec}"
            seen["both_refuse"] += 1
            continue
        if order is None:
            category = _classify_sdk_only(draft.offered_amount, draft.requested_amount, side, spec.kind)
            assert category != "UNEXPLAINED", f"we refused {spec}: {ours_error}"
            seen[f"we_refuse_{category}"] += 1
            continue

        # Amounts: identical base units.
        assert (order.maker_amount, order.taker_amount) == (
            draft.offered_amount,
            draft.requested_amount,
        ), spec

        sdk = sdk_sign(
            draft,
            account=account,
            funder=funder,
            signature_type=int(sig_type),
            salt=spec.salt,
            timestamp_ms=spec.timestamp_ms,
            metadata=spec.metadata,
            post_only=spec.post_only,
            api_key=spec.api_key,
            api_secret=spec.api_secret,
            api_passphrase=spec.api_passphrase,
            header_timestamp=spec.header_timestamp,
        )
        domain = exchange_domain(
            137,
            neg_risk=spec.neg_risk,
            exchange_version=spec.exchange_version,
        )
        signed = sign_order(order, domain, signer)
        assert signed.order_hash == sdk.order_hash, spec
        assert signed.signature == sdk.signature, spec

        try:
            body = order_body(
                signed,
                owner=spec.api_key,
                order_type=order_type,
                expiration=spec.expiration,
                post_only=spec.post_only,
            )
        except OrderRejected:
            # Only a limit-priced FOK can get here: limit amounts, marketable precision rules.
            assert spec.kind == "limit"
            assert order_type == "FOK"
            assert _classify_sdk_only(order.maker_amount, order.taker_amount, side, order_type) == ("precision")
            seen["we_refuse_precision_fok_limit"] += 1
            continue
        raw = serialize_body(body)
        assert raw == sdk.body.encode(), spec
        creds = ApiCredentials(spec.api_key, spec.api_secret, spec.api_passphrase)
        headers = l2_headers(
            signer.address,
            creds,
            spec.header_timestamp,
            "POST",
            ORDER_PATH,
            raw,
        )
        expected = {k: v for k, v in sdk.headers.items() if k.startswith("POLY_")}
        assert headers == expected, spec
        assert list(headers) == list(expected)

        compared += 1
        seen["identical"] += 1
        coverage[(spec.tick, spec.side, spec.kind)] += 1
        coverage[("sigtype", int(sig_type))] += 1
        coverage[("exchange", spec.exchange_version, spec.neg_risk)] += 1
        coverage[("order_type", order_type)] += 1
        coverage[("builder", spec.builder is not None)] += 1
        coverage[("metadata", spec.metadata != ZERO_BYTES32)] += 1
        if len(batch_ours) < 15:
            batch_ours.append(body)
            batch_sdk.append(sdk.signed)

    print("\ndifferential outcome counts:", dict(seen), "attempts:", attempts)
    # Every dimension was exercised with identical results.
    for tick in TICKS:
        for side_name in ("BUY", "SELL"):
            for kind in ("limit", "market"):
                assert coverage[(tick, side_name, kind)] > 0, (tick, side_name, kind)
    for sig_type_value in range(4):
        assert coverage[("sigtype", sig_type_value)] > 100
    for version, neg_risk in ((2, False), (2, True), (3, False), (3, True)):
        assert coverage[("exchange", version, neg_risk)] > 50
    for order_type_name in ("GTC", "GTD", "FOK", "FAK"):
        assert coverage[("order_type", order_type_name)] > 50
    # Each documented refusal category actually occurred.
    assert seen["we_refuse_precision"] > 0
    assert seen["we_refuse_zero"] > 0
    assert seen["we_refuse_precision_fok_limit"] > 0
    assert set(seen) <= {
        "identical",
        "both_refuse",
        "we_refuse_precision",
        "we_refuse_zero",
        "we_refuse_precision_fok_limit",
    }

    # POST /orders with one owner: bodies re-keyed to a single API key on both sides.
    owner = "batch-owner"
    ours_batch = [{**b, "owner": owner} for b in batch_ours]
    assert post_orders_body(ours_batch) == sdk_orders_body(batch_sdk, owner).encode()
    signer.close()


def test_market_buy_on_fine_tick_is_refused_where_the_sdk_signs() -> None:
    """py-clob-client-v2 #99: 9.98 USD at 0.985 on a 0.001 tick → 10.13197 shares (5 decimals)."""
    account = account_from_key(HARDHAT_0)
    draft = sdk_draft(
        account=account,
        funder=account.address,
        token_id="1234567890123456789012345678901234567890",
        side="BUY",
        kind="market",
        price=Decimal("0.985"),
        tick_size=Decimal("0.001"),
        neg_risk=False,
        size=None,
        amount=Decimal("9.98"),
        order_type="FAK",
        expiration=0,
        builder_code=None,
    )
    assert (draft.offered_amount, draft.requested_amount) == (9_980_000, 10_131_970)
    with pytest.raises(OrderRejected, match="precision"):
        order_amounts(OrderSide.BUY, OrderKind.MARKET, Decimal("0.985"), Decimal("0.001"), amount=Decimal("9.98"))


def test_zero_size_is_refused_where_the_sdk_signs_zero_amounts() -> None:
    account = account_from_key(HARDHAT_0)
    draft = sdk_draft(
        account=account,
        funder=account.address,
        token_id="99",
        side="SELL",
        kind="limit",
        price=Decimal("0.5"),
        tick_size=Decimal("0.01"),
        neg_risk=False,
        size=Decimal("0.004"),
        amount=None,
        order_type="GTC",
        expiration=0,
        builder_code=None,
    )
    assert (draft.offered_amount, draft.requested_amount) == (0, 0)
    with pytest.raises(OrderRejected, match="rounds down to zero"):
        order_amounts(OrderSide.SELL, OrderKind.LIMIT, Decimal("0.5"), Decimal("0.01"), size=Decimal("0.004"))


def test_sdk_refusals_are_ours_too() -> None:
    """Off-grid prices and a protected BUY whose rounding reaches the next tick: both refuse."""
    account = account_from_key(HARDHAT_0)
    cases = [
        ("limit", "BUY", Decimal("0.123"), Decimal("0.01"), Decimal(10), None),  # off grid
        ("limit", "SELL", Decimal("0.99"), Decimal("0.1"), Decimal(10), None),  # > 1 - tick
        ("market", "BUY", Decimal("0.9"), Decimal("0.1"), None, Decimal("0.01")),  # guard
    ]
    for kind, side, price, tick, size, amount in cases:
        with pytest.raises(UserInputError):
            sdk_draft(
                account=account,
                funder=account.address,
                token_id="99",
                side=side,
                kind=kind,
                price=price,
                tick_size=tick,
                neg_risk=False,
                size=size,
                amount=amount,
                order_type="FAK" if kind == "market" else "GTC",
                expiration=0,
                builder_code=None,
            )
        with pytest.raises(OrderRejected):
            order_amounts(OrderSide[side], OrderKind(kind), price, tick, size=size, amount=amount)


def test_order_v2_is_frozen_and_normalized() -> None:
    order = OrderV2(
        salt=1,
        maker="0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        signer="0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266",
        token_id="5",
        maker_amount=1,
        taker_amount=2,
        side=OrderSide.BUY,
        signature_type=SignatureType.EOA,
        timestamp_ms=1_763_700_000_000,
        builder="0x" + "AB" * 32,
    )
    assert order.maker == order.signer == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert order.builder == "0x" + "ab" * 32
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.salt = 2  # type: ignore[misc]
