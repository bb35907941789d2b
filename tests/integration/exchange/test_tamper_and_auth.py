"""The paper exchange is strict: any single-field tamper, a replay, or a bad HMAC is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from eth_account import Account

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob.errors import ClobAuthError
from omegacopy.devstack.paper import EXCHANGE_V3, NEG_RISK_EXCHANGE_V2, PaperExchange, PaperMarket
from omegacopy.domain.clob_auth import ApiCredentials, l1_headers, l2_headers
from omegacopy.domain.clob_models import PostOutcome, PostReason
from omegacopy.domain.order_request import serialize_body
from omegacopy.domain.signer import LocalKeySigner

from .conftest import NO, YES, SdkOrder, Trader, sdk_order

OTHER_ADDRESS = "0x00000000000000000000000000000000DeaDBeef"
NONZERO32 = "0x" + "11" * 32


def _flip(signature: str, byte_index: int) -> str:
    raw = bytearray.fromhex(signature[2:])
    raw[byte_index] ^= 0x01
    return "0x" + raw.hex()


def _bump(value: str) -> str:
    return str(int(value) + 10_000)


SIGNED_FIELD_TAMPERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "makerAmount": lambda o: {"makerAmount": _bump(o["makerAmount"])},
    "takerAmount": lambda o: {"takerAmount": _bump(o["takerAmount"])},
    "tokenId": lambda o: {"tokenId": NO},
    "salt": lambda o: {"salt": o["salt"] + 1},
    "timestamp": lambda o: {"timestamp": str(int(o["timestamp"]) + 1)},
    "side": lambda o: {"side": "SELL"},
    "signatureType": lambda o: {"signatureType": 1},
    "signer": lambda o: {"signer": OTHER_ADDRESS},
    "maker": lambda o: {"maker": OTHER_ADDRESS},
    "metadata": lambda o: {"metadata": NONZERO32},
    "builder": lambda o: {"builder": NONZERO32},
    "signature-r": lambda o: {"signature": _flip(o["signature"], 5)},
    "signature-s": lambda o: {"signature": _flip(o["signature"], 40)},
    "signature-v": lambda o: {"signature": _flip(o["signature"], 64)},
}


@pytest.mark.parametrize("field", sorted(SIGNED_FIELD_TAMPERS))
def test_every_single_field_tamper_is_rejected(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
    field: str,
) -> None:
    trader = make_trader(0, pusd="100", positions={YES: "100", NO: "100"})
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    tampered = order.tampered(**SIGNED_FIELD_TAMPERS[field](order.body["order"]))

    result = make_client(trader).post_order(tampered)

    assert result.outcome is PostOutcome.REJECTED, result
    assert result.reason is PostReason.SIGNATURE, result.message
    assert exchange.ledger() == []
    # the untampered order is still good
    assert make_client(trader).post_order(order.body).outcome is PostOutcome.ACCEPTED


@pytest.mark.parametrize(
    "signing",
    [
        {"exchange_address": NEG_RISK_EXCHANGE_V2},
        {"exchange_address": EXCHANGE_V3, "protocol_version": "3"},
        {"protocol_version": "3"},
        {"chain_id": 80002},
    ],
    ids=["neg-risk-exchange", "exchange-v3", "domain-version-3", "amoy-chain"],
)
def test_an_order_signed_for_another_domain_is_rejected(
    exchange: PaperExchange, market: PaperMarket, trader: Trader, client: ClobClient, signing: dict[str, Any]
) -> None:
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10", **signing)
    result = client.post_order(order.body)
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE)
    assert exchange.ledger() == []


def _envelope_tamper(order: SdkOrder, index: int) -> dict[str, Any]:
    """Flip one bit of the wire signature: sig65 | separator | contents hash | type | uint16 len."""
    raw = bytearray.fromhex(order.body["order"]["signature"][2:])
    raw[index] ^= 0x01
    return order.tampered(signature="0x" + raw.hex())


@pytest.mark.parametrize(
    ("where", "start"),
    [("sig65", 10), ("app-domain-separator", 70), ("contents-hash", 100), ("type-string", 140)],
)
def test_deposit_wallet_envelope_tamper_is_rejected(
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
    where: str,
    start: int,
) -> None:
    trader = make_trader(3)
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    result = make_client(trader).post_order(_envelope_tamper(order, start))
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE), where


def test_deposit_wallet_length_suffix_tamper_is_rejected(
    market: PaperMarket, make_trader: Callable[..., Trader], make_client: Callable[..., ClobClient]
) -> None:
    trader = make_trader(3)
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    result = make_client(trader).post_order(_envelope_tamper(order, -1))
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE)


def test_deposit_wallet_signed_by_a_stranger_is_rejected(
    market: PaperMarket, make_trader: Callable[..., Trader], make_client: Callable[..., ClobClient]
) -> None:
    owner = make_trader(3)
    impostor = Trader(Account.create(), 3, owner.funder, owner.creds)  # right wallet, wrong key
    order = sdk_order(impostor, market, token_id=YES, side="BUY", price="0.40", size="10")
    result = make_client(owner).post_order(order.body)
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE)


def test_someone_elses_order_cannot_ride_my_api_key(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
) -> None:
    alice, bob = make_trader(0), make_trader(0)
    alices = sdk_order(alice, market, token_id=YES, side="BUY", price="0.40", size="10")
    as_bob = dict(alices.body, owner=bob.creds.api_key)
    result = make_client(bob).post_order(as_bob)
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.SIGNATURE)
    assert "signer address" in result.message
    # sent raw, bob's owner under alice's API key is refused (our client sends its own key as owner)
    body = serialize_body(as_bob)
    headers = l2_headers(alice.eoa, alice.creds, int(time.time()), "POST", "/order", body)
    refused = httpx.post(f"{exchange.url}/order", content=body, headers=headers)
    assert refused.status_code == 400 and "owner" in refused.json()["error"]


def test_a_replay_is_a_duplicate_of_the_first_order(
    exchange: PaperExchange, market: PaperMarket, trader: Trader, client: ClobClient
) -> None:
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    first = client.post_order(order.body, order_hash=order.order_hash)
    again = client.post_order(order.body, order_hash=order.order_hash)

    assert first.outcome is PostOutcome.ACCEPTED
    assert (again.outcome, again.reason, again.order_hash) == (
        PostOutcome.DUPLICATE,
        PostReason.DUPLICATE,
        order.order_hash,
    )
    assert again.existing is not None and again.existing.status == "live"
    assert [e.order_hash for e in exchange.ledger()] == [order.order_hash]


def _signed_request(trader: Trader, body: bytes, path: str = "/order") -> dict[str, str]:
    return l2_headers(trader.eoa, trader.creds, int(time.time()), "POST", path, body)


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "path",
        "timestamp",
        "signature",
        "passphrase",
        "api-key-of-another",
        "address-of-another",
        "missing",
    ],
)
def test_hmac_tamper_is_401(
    exchange: PaperExchange, market: PaperMarket, make_trader: Callable[..., Trader], tamper: str
) -> None:
    trader, other = make_trader(0), make_trader(0)
    body = serialize_body(sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10").body)
    headers = _signed_request(trader, body)
    url = exchange.url + "/order"
    if tamper == "body":
        body = body.replace(b'"deferExec":false', b'"deferExec":true')
    elif tamper == "path":
        headers = _signed_request(trader, body, "/orders")
    elif tamper == "timestamp":
        headers["POLY_TIMESTAMP"] = str(int(headers["POLY_TIMESTAMP"]) + 1)
    elif tamper == "signature":
        headers["POLY_SIGNATURE"] = headers["POLY_SIGNATURE"].replace("=", "") + "A="
    elif tamper == "passphrase":
        headers["POLY_PASSPHRASE"] = other.creds.passphrase
    elif tamper == "api-key-of-another":
        headers["POLY_API_KEY"] = other.creds.api_key
    elif tamper == "address-of-another":
        headers["POLY_ADDRESS"] = other.eoa
    else:
        del headers["POLY_SIGNATURE"]

    reply = httpx.post(url, content=body, headers=headers)

    assert reply.status_code == 401
    assert reply.json() == {"error": "Unauthorized/Invalid api key"}
    assert exchange.ledger() == []


def test_untampered_request_passes_and_a_wrong_secret_is_auth_error(
    exchange: PaperExchange, market: PaperMarket, trader: Trader, make_client: Callable[..., ClobClient]
) -> None:
    body = serialize_body(sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10").body)
    assert httpx.post(exchange.url + "/order", content=body, headers=_signed_request(trader, body)).status_code == 200

    forged = ApiCredentials(trader.creds.api_key, "c2VjcmV0LWJ1dC13cm9uZw==", trader.creds.passphrase)
    client = make_client(trader, credentials=forged)
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.41", size="10")
    result = client.post_order(order.body)
    assert (result.outcome, result.reason, result.http_status) == (PostOutcome.REJECTED, PostReason.AUTH, 401)
    with pytest.raises(ClobAuthError):
        client.balance_allowance()


def test_l1_create_and_derive_api_keys(
    exchange: PaperExchange, make_trader: Callable[..., Trader], make_client: Callable[..., ClobClient]
) -> None:
    registered = make_trader(0)
    public = make_client()
    with LocalKeySigner(registered.key) as signer:
        derived = public.create_or_derive_api_key(signer)  # create -> 400 (exists) -> derive
    assert derived == registered.creds

    newcomer = Account.create()
    with LocalKeySigner(bytes(newcomer.key)) as signer:
        created = public.create_api_key(signer)
        assert public.derive_api_key(signer) == created
        # a tampered L1 signature (another key claiming this address) is refused
        with LocalKeySigner(bytes(Account.create().key)) as stranger:
            headers = l1_headers(stranger, 137, int(time.time()))
        headers["POLY_ADDRESS"] = newcomer.address
        reply = httpx.get(exchange.url + "/auth/derive-api-key", headers=headers)
        assert (reply.status_code, reply.json()) == (401, {"error": "Invalid L1 Request headers"})
    usable = make_client(Trader(newcomer, 0, newcomer.address, created))
    assert usable.balance_allowance().balance == 0
