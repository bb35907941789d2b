"""The official SDK (`polymarket-client` 0.14.0) driven offline: the oracle our order path must match.

Only the SDK's internal pure functions are used (no client, no network): the same draft →
unsigned order → typed data → signature → body → HMAC chain its `SecureClient` runs.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from polymarket._internal.actions.auth import build_l1_auth_headers
from polymarket._internal.actions.orders import limit as sdk_limit
from polymarket._internal.actions.orders import market as sdk_market
from polymarket._internal.actions.orders.context import validate_price_on_tick_grid
from polymarket._internal.actions.orders.market_data import MarketInfo, PlatformFeeInfo
from polymarket._internal.actions.orders.orders import create_signed_order, create_unsigned_order
from polymarket._internal.actions.orders.post import build_post_order_request, build_post_orders_request
from polymarket._internal.actions.orders.typed_data import (
    _build_standard_typed_data,
    build_order_signature,
    build_order_typed_data,
)
from polymarket._internal.actions.orders.types import OrderDraft, UnsignedOrder
from polymarket._internal.environment import PRODUCTION_CONFIG
from polymarket._internal.hmac import build_hmac_signature
from polymarket._internal.l1_auth import sign_api_key_auth
from polymarket.models.clob.orders import SignedOrder

WALLET_TYPES = {0: "EOA", 1: "POLY_PROXY", 2: "GNOSIS_SAFE", 3: "DEPOSIT_WALLET"}
HARDHAT_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@dataclass(frozen=True)
class SdkRequest:
    maker_amount: int
    taker_amount: int
    order_hash: str
    signature: str
    body: str
    headers: dict[str, str]
    unsigned: UnsignedOrder
    signed: SignedOrder


def sdk_draft(
    *,
    account: LocalAccount,
    funder: str,
    token_id: str,
    side: str,
    kind: str,
    price: Decimal,
    tick_size: Decimal,
    neg_risk: bool,
    size: Decimal | None,
    amount: Decimal | None,
    order_type: str,
    expiration: int,
    builder_code: str | None,
) -> OrderDraft:
    """The SDK's draft: amounts, exchange and order type, exactly as `create_*_order` computes them.

    Market orders take the SDK's *protected* path (max_price/min_price = our worst price), the
    one that checks the price grid and the BUY rounding guard.
    """
    ctx: Any = SimpleNamespace(environment_config=PRODUCTION_CONFIG, wallet=funder, signer=account)
    metadata = MarketInfo(
        fee_info=PlatformFeeInfo(rate=Decimal(0), exponent=Decimal(1)),
        neg_risk=neg_risk,
        tick_size=tick_size,
        token_ids=frozenset({cast(Any, token_id)}),
    )
    if kind == "limit":
        params = sdk_limit.validate_limit_order_params(
            asset_id=token_id,
            price=price,
            size=cast(Any, size),
            side=cast(Any, side),
            builder_code=builder_code,
        )
        checked = validate_price_on_tick_grid(params.price, tick_size, "price")
        draft = sdk_limit._build_limit_order_draft(ctx, params, price=checked, metadata=metadata)
        # The SDK derives GTC/GTD from `expiration` (and refuses past ones by the wall clock);
        # set both directly so the test does not depend on the clock.
        return dataclasses.replace(draft, order_type=cast(Any, order_type), expiration=expiration)
    if side == "BUY":
        mparams = sdk_market.validate_market_order_params(
            asset_id=token_id,
            side="BUY",
            amount=amount,
            max_price=price,
            order_type=cast(Any, order_type),
            builder_code=builder_code,
        )
    else:
        mparams = sdk_market.validate_market_order_params(
            asset_id=token_id,
            side="SELL",
            shares=size,
            min_price=price,
            order_type=cast(Any, order_type),
            builder_code=builder_code,
        )
    return sdk_market._build_protected_market_order_draft(
        ctx, mparams, metadata=metadata, builder_taker_fee_rate=Decimal(0)
    )


def sdk_sign(
    draft: OrderDraft,
    *,
    account: LocalAccount,
    funder: str,
    signature_type: int,
    salt: int,
    timestamp_ms: int,
    metadata: str,
    post_only: bool,
    api_key: str,
    api_secret: str,
    api_passphrase: str,
    header_timestamp: int,
) -> SdkRequest:
    """The SDK's `_sign_order` + `post_order` request building, with salt/timestamp pinned."""
    unsigned = create_unsigned_order(
        draft, wallet=cast(Any, funder), wallet_type=cast(Any, WALLET_TYPES[signature_type])
    )
    unsigned = dataclasses.replace(unsigned, salt=salt, timestamp=timestamp_ms, metadata=cast(Any, metadata))
    typed = build_order_typed_data(unsigned)
    raw = account.sign_typed_data(full_message=typed).signature.hex()
    raw = raw if raw.startswith("0x") else "0x" + raw
    signature = build_order_signature(unsigned, cast(Any, raw))
    signed = create_signed_order(unsigned, signature, post_only=post_only)
    path, payload = build_post_order_request(signed, owner_api_key=api_key)
    body = json.dumps(payload, separators=(",", ":"))
    hmac_sig = build_hmac_signature(secret=api_secret, timestamp=header_timestamp, method="POST", path=path, body=body)
    headers = {
        "Content-Type": "application/json",
        "POLY_ADDRESS": account.address,
        "POLY_API_KEY": api_key,
        "POLY_PASSPHRASE": api_passphrase,
        "POLY_SIGNATURE": hmac_sig,
        "POLY_TIMESTAMP": str(header_timestamp),
    }
    standard = _build_standard_typed_data(unsigned, protocol_version=unsigned.protocol_version)
    order_hash = "0x" + _hash_eip191_message(encode_typed_data(full_message=standard)).hex()
    return SdkRequest(
        maker_amount=unsigned.maker_amount,
        taker_amount=unsigned.taker_amount,
        order_hash=order_hash,
        signature=signature,
        body=body,
        headers=headers,
        unsigned=unsigned,
        signed=signed,
    )


def sdk_orders_body(signed: list[SignedOrder], api_key: str) -> str:
    _, payload = build_post_orders_request(signed, owner_api_key=api_key)
    return json.dumps(payload, separators=(",", ":"))


def sdk_l1_headers(account: LocalAccount, chain_id: int, timestamp: int, nonce: int) -> dict[str, str]:
    return build_l1_auth_headers(sign_api_key_auth(account, chain_id=chain_id, timestamp=timestamp, nonce=nonce))


def sdk_hmac(secret: str, timestamp: int, method: str, path: str, body: str | None) -> str:
    return build_hmac_signature(secret=secret, timestamp=timestamp, method=method, path=path, body=body)


def account_from_key(key: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(key)
    return account
