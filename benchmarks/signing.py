"""Order signing throughput: our V2 signer vs the official SDK, same orders, same run, one core.

"Sign" = struct hash + EIP-712 digest + ECDSA signature (+ the ERC-7739 envelope for deposit
wallets), from an already-built order; the SDK side is what its `_sign_order` does per order
(typed data → eth-account `sign_typed_data` → `build_order_signature`). Both sides get the same
2,000 orders (all signature types, both exchange versions, neg risk on/off); the signatures are
checked equal so the two loops provably do the same job. Best of three passes each.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from omegacopy.domain.order_amounts import OrderKind, OrderSide
from omegacopy.domain.order_v2 import (
    ExchangeDomain,
    OrderV2,
    SignatureType,
    build_order,
    exchange_domain,
    sign_order,
)
from omegacopy.domain.signer import LocalKeySigner

ORDERS = 2_000
PASSES = 3
SEED = 7
HARDHAT_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
_POSITION_MASK = ((1 << 64) - 1) << 40


def _orders(signer_address: str) -> list[tuple[OrderV2, ExchangeDomain, bool]]:
    rng = random.Random(SEED)
    out: list[tuple[OrderV2, ExchangeDomain, bool]] = []
    while len(out) < ORDERS:
        version = 3 if rng.random() < 0.2 else 2
        token = rng.getrandbits(256) | 1
        if version == 3:
            token &= ~_POSITION_MASK
        neg_risk = rng.random() < 0.5
        sig_type = SignatureType(rng.randint(0, 3))
        funder = None if sig_type is SignatureType.EOA else "0x" + rng.randbytes(20).hex()
        side = rng.choice((OrderSide.BUY, OrderSide.SELL))
        order = build_order(
            token_id=str(token),
            side=side,
            kind=OrderKind.LIMIT,
            price=Decimal(rng.randint(1, 99)) / 100,
            tick_size=Decimal("0.01"),
            size=Decimal(rng.randint(100, 100_000)) / 100,
            signature_type=sig_type,
            signer_address=signer_address,
            funder=funder,
            salt=rng.getrandbits(53),
            timestamp_ms=1_763_700_000_000 + rng.randint(0, 10**9),
            neg_risk=neg_risk,
            exchange_version=version,
            builder="0x" + rng.randbytes(32).hex(),
        )
        out.append((order, exchange_domain(137, neg_risk=neg_risk, exchange_version=version), neg_risk))
    return out


def _best_rate(loop: Callable[[], list[str]]) -> tuple[float, list[str]]:
    best = float("inf")
    result: list[str] = []
    for _ in range(PASSES):
        started = time.perf_counter()
        result = loop()
        best = min(best, time.perf_counter() - started)
    return ORDERS / best, result


def run() -> list[tuple[str, float, str]]:
    from eth_account import Account
    from polymarket._internal.actions.orders.typed_data import (
        build_order_signature,
        build_order_typed_data,
    )
    from polymarket._internal.actions.orders.types import UnsignedOrder

    signer = LocalKeySigner.from_hex(HARDHAT_0)
    account: Any = Account.from_key(HARDHAT_0)
    orders = _orders(signer.address)
    fields: list[dict[str, Any]] = [
        {
            "chain_id": domain.chain_id,
            "builder": o.builder,
            "exchange_address": domain.verifying_contract,
            "expiration": 0,
            "maker": o.maker,
            "maker_amount": o.maker_amount,
            "metadata": o.metadata,
            "order_type": "GTC",
            "salt": o.salt,
            "side": o.side.wire,
            "signature_type": int(o.signature_type),
            "signer": o.signer,
            "taker_amount": o.taker_amount,
            "timestamp": o.timestamp_ms,
            "token_id": o.token_id,
            "protocol_version": domain.version,
        }
        for o, domain, _ in orders
    ]
    unsigned = [UnsignedOrder(**f) for f in fields]

    def ours() -> list[str]:
        return [sign_order(o, domain, signer).signature for o, domain, _ in orders]

    def sdk() -> list[str]:
        out: list[str] = []
        for u in unsigned:
            raw = account.sign_typed_data(full_message=build_order_typed_data(u)).signature.hex()
            out.append(build_order_signature(u, raw if raw.startswith("0x") else "0x" + raw))
        return out

    ours_rate, ours_sigs = _best_rate(ours)
    sdk_rate, sdk_sigs = _best_rate(sdk)
    signer.close()
    if ours_sigs != sdk_sigs:
        raise AssertionError("benchmark loops disagree: signatures differ from the SDK's")
    return [
        ("sign_v2_orders_per_s", ours_rate, "orders/s"),
        ("official_sdk_orders_per_s", sdk_rate, "orders/s"),
        ("sign_v2_speedup_vs_sdk", ours_rate / sdk_rate, "x"),
    ]


if __name__ == "__main__":
    for metric, value, unit in run():
        print(f"{metric}: {value:.6g} {unit}")
