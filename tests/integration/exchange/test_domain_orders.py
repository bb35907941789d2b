"""Orders signed by our own domain code (`omegacopy.domain`) against the independent oracle."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.devstack.paper import FaultMode
from omegacopy.domain.clob_models import PostOutcome, PostReason, PostResult
from omegacopy.domain.order_amounts import OrderKind, OrderSide
from omegacopy.domain.order_request import order_body
from omegacopy.domain.order_v2 import (
    OrderV2,
    SignatureType,
    SignedOrderV2,
    build_order,
    exchange_domain,
    salt_from_id,
    sign_order,
)
from omegacopy.domain.signer import LocalKeySigner

from .conftest import CONDITION_NR, NR_YES, YES, Env, Trader


def _build(
    trader: Trader,
    intent_id: str,
    *,
    token_id: str = YES,
    kind: OrderKind = OrderKind.LIMIT,
    side: OrderSide = OrderSide.BUY,
    price: str = "0.53",
    size: str | None = "30",
    amount: str | None = None,
    neg_risk: bool = False,
    timestamp_ms: int | None = None,
) -> OrderV2:
    return build_order(
        token_id=token_id,
        side=side,
        kind=kind,
        price=Decimal(price),
        tick_size=Decimal("0.01"),
        size=None if size is None else Decimal(size),
        amount=None if amount is None else Decimal(amount),
        signature_type=SignatureType(trader.signature_type),
        signer_address=trader.eoa,
        funder=None if trader.signature_type == 0 else trader.funder,
        salt=salt_from_id(intent_id),
        timestamp_ms=timestamp_ms or int(time.time() * 1000),
        neg_risk=neg_risk,
    )


def _sign(trader: Trader, order: OrderV2, *, neg_risk: bool = False) -> SignedOrderV2:
    with LocalKeySigner(trader.key) as signer:
        return sign_order(order, exchange_domain(137, neg_risk=neg_risk), signer)


def _post(client: ClobClient, signed: SignedOrderV2, order_type: str) -> PostResult:
    body = order_body(signed, owner=client.api_key, order_type=order_type)
    return client.post_order(body, order_hash=signed.order_hash)


@pytest.mark.parametrize("signature_type", [0, 1, 2, 3], ids=["eoa", "proxy", "safe", "deposit-wallet"])
def test_domain_signed_order_is_accepted_and_a_retry_of_the_intent_is_a_duplicate(
    env: Env, signature_type: int
) -> None:
    trader = env.make_trader(signature_type, pusd="100")
    client = env.make_client(trader)
    stamp = int(time.time() * 1000)
    signed = _sign(trader, _build(trader, "intent-1", timestamp_ms=stamp))

    first = _post(client, signed, "GTC")

    assert (first.outcome, first.status) == (PostOutcome.ACCEPTED, "matched"), first
    assert first.order_hash == signed.order_hash and not first.hash_mismatch

    # the executor retrying the same intent re-signs the same order (deterministic salt)
    retry = _sign(trader, _build(trader, "intent-1", timestamp_ms=stamp))
    assert (retry.order_hash, retry.signature) == (signed.order_hash, signed.signature)
    again = _post(client, retry, "GTC")
    assert again.outcome is PostOutcome.DUPLICATE
    assert again.existing is not None and again.existing.status == "matched"
    assert [e.order_hash for e in env.exchange.ledger()] == [signed.order_hash]  # one order per intent


def test_domain_market_orders_and_neg_risk(env: Env) -> None:
    trader = env.make_trader(1, pusd="100")
    client = env.make_client(trader)
    fok = _sign(trader, _build(trader, "m-1", kind=OrderKind.MARKET, price="0.53", size=None, amount="15"))
    bought = _post(client, fok, "FOK")
    assert (bought.outcome, bought.status) == (PostOutcome.ACCEPTED, "matched"), bought

    nr = _build(trader, "nr-1", token_id=NR_YES, price="0.52", size="10", neg_risk=True)
    placed = _post(client, _sign(trader, nr, neg_risk=True), "FAK")
    assert placed.outcome is PostOutcome.ACCEPTED, placed
    assert env.exchange.ledger()[-1].condition_id == CONDITION_NR

    # signed under the wrong domain (standard exchange for a neg-risk market): the oracle refuses
    wrong = _sign(trader, _build(trader, "nr-2", token_id=NR_YES, price="0.52", size="10", neg_risk=True))
    refused = _post(client, wrong, "GTC")
    assert (refused.outcome, refused.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE)


def test_domain_batch_and_an_unknown_outcome_reconciled_without_a_second_order(env: Env) -> None:
    trader, client = env.trader, env.client
    signed = [_sign(trader, _build(trader, f"b-{i}", price="0.30", size="10")) for i in range(3)]
    bodies = [order_body(s, owner=client.api_key, order_type="GTC") for s in signed]
    results = client.post_orders(bodies, order_hashes=[s.order_hash for s in signed])
    assert [(r.outcome, r.order_hash) for r in results] == [(PostOutcome.ACCEPTED, s.order_hash) for s in signed]

    lost = _sign(trader, _build(trader, "lost-reply", price="0.31", size="10"))
    env.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    unknown = _post(client, lost, "GTC")
    assert unknown.outcome is PostOutcome.UNKNOWN
    found = client.get_order(lost.order_hash)  # reconcile: it exists, so no re-post
    assert found is not None and found.status == "live"
    assert sum(e.order_hash == lost.order_hash for e in env.exchange.ledger()) == 1
