"""Signing, hashing, auth headers and key hygiene (the SDK and eth-account as oracles)."""

from __future__ import annotations

import base64
import copy
import pickle
import secrets
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from polymarket._internal.environment import PRODUCTION_CONFIG
from polymarket._internal.protocol import is_v2_position_id

from omegacopy.domain.clob_auth import ApiCredentials, l1_headers, l2_headers, l2_signature
from omegacopy.domain.evm import keccak256, to_checksum_address
from omegacopy.domain.order_amounts import OrderKind, OrderRejected, OrderSide
from omegacopy.domain.order_v2 import (
    CONDITIONAL_TOKENS,
    EXCHANGE_V2,
    EXCHANGE_V3,
    MAX_SALT,
    NEG_RISK_EXCHANGE_V2,
    ORDER_TYPE_STRING,
    POLYGON_CHAIN_ID,
    PUSD,
    ZERO_BYTES32,
    ExchangeDomain,
    OrderV2,
    SignatureType,
    build_order,
    deposit_wallet_digest,
    domain_separator,
    exchange_domain,
    is_position_id,
    order_digest,
    order_hash_hex,
    order_struct_hash,
    salt_from_id,
    sign_order,
)
from omegacopy.domain.signer import LocalKeySigner, Signer, recover_address

from .sdk_reference import HARDHAT_0, sdk_hmac, sdk_l1_headers

HARDHAT_0_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
PROXY = "0x1111111111111111111111111111111111111111"
TS_MS = 1_763_700_000_000


def _order(signer: LocalKeySigner, sig_type: SignatureType = SignatureType.EOA, **kw: object) -> OrderV2:
    args: dict[str, object] = {
        "token_id": TOKEN,
        "side": OrderSide.BUY,
        "kind": OrderKind.LIMIT,
        "price": Decimal("0.42"),
        "tick_size": Decimal("0.01"),
        "size": Decimal("12.5"),
        "signature_type": sig_type,
        "signer_address": signer.address,
        "funder": None if sig_type is SignatureType.EOA else PROXY,
        "salt": salt_from_id("intent-1"),
        "timestamp_ms": TS_MS,
    }
    args.update(kw)
    return build_order(**args)  # type: ignore[arg-type]


@pytest.fixture
def signer() -> LocalKeySigner:
    return LocalKeySigner.from_hex(HARDHAT_0)


# -- constants and domains ---------------------------------------------------------------------


def test_constants_are_the_sdks_and_checksummed() -> None:
    assert PRODUCTION_CONFIG.chain_id == POLYGON_CHAIN_ID
    assert PRODUCTION_CONFIG.standard_exchange == EXCHANGE_V2
    assert PRODUCTION_CONFIG.neg_risk_exchange == NEG_RISK_EXCHANGE_V2
    assert PRODUCTION_CONFIG.exchange_v3 == EXCHANGE_V3
    assert PRODUCTION_CONFIG.collateral_token == PUSD
    assert PRODUCTION_CONFIG.conditional_tokens == CONDITIONAL_TOKENS
    for address in (EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, EXCHANGE_V3, PUSD, CONDITIONAL_TOKENS):
        assert to_checksum_address(address) == address
    assert ZERO_BYTES32 == "0x" + "0" * 64


def test_exchange_domain_routing() -> None:
    assert exchange_domain(137, neg_risk=False) == ExchangeDomain(137, EXCHANGE_V2, "2")
    assert exchange_domain(137, neg_risk=True) == ExchangeDomain(137, NEG_RISK_EXCHANGE_V2, "2")
    assert exchange_domain(137, neg_risk=True, exchange_version=3) == ExchangeDomain(137, EXCHANGE_V3, "3")
    with pytest.raises(ValueError, match="chain"):
        exchange_domain(80002, neg_risk=False)
    with pytest.raises(ValueError, match="exchange_version"):
        exchange_domain(137, neg_risk=False, exchange_version=1)


def test_position_id_detection_matches_the_sdk() -> None:
    rng = secrets.SystemRandom()
    mask = ((1 << 64) - 1) << 40
    for _ in range(200):
        legacy = str(rng.getrandbits(256) | 1)
        position = str((rng.getrandbits(248) & ~mask) | (1 << 248))
        assert is_position_id(legacy) == is_v2_position_id(legacy)
        assert is_position_id(position) is is_v2_position_id(position) is True


def test_type_hash_and_domain_separator_against_eth_account() -> None:
    from eth_account.messages import encode_typed_data

    domain = exchange_domain(137, neg_risk=True)
    signable = encode_typed_data(
        domain_data={
            "name": "Polymarket CTF Exchange",
            "version": "2",
            "chainId": 137,
            "verifyingContract": NEG_RISK_EXCHANGE_V2,
        },
        message_types={"Order": [{"name": "salt", "type": "uint256"}]},
        message_data={"salt": 1},
    )
    assert signable.header == domain_separator(domain)
    assert keccak256(ORDER_TYPE_STRING.encode()).hex() == (
        keccak256(
            b"Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
            b"uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
            b"bytes32 builder)"
        ).hex()
    )


# -- orders: maker/signer rules, validation ----------------------------------------------------


def test_maker_and_signer_per_signature_type(signer: LocalKeySigner) -> None:
    eoa = _order(signer)
    assert (eoa.maker, eoa.signer) == (HARDHAT_0_ADDRESS, HARDHAT_0_ADDRESS)
    for sig_type in (SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE):
        order = _order(signer, sig_type)
        assert (order.maker, order.signer) == (to_checksum_address(PROXY), HARDHAT_0_ADDRESS)
    wallet = _order(signer, SignatureType.POLY_1271)
    assert wallet.maker == wallet.signer == to_checksum_address(PROXY)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"signature_type": SignatureType.POLY_PROXY, "funder": None}, "funder"),
        ({"signature_type": SignatureType.POLY_1271, "funder": HARDHAT_0_ADDRESS}, "not the EOA"),
        ({"funder": PROXY}, "funder must be the signer"),
        ({"token_id": "0x12"}, "decimal"),
        ({"token_id": "012"}, "decimal"),
        ({"token_id": str(1 << 256)}, "uint256"),
        ({"token_id": "5", "exchange_version": 2}, "exchange version 3"),
        ({"exchange_version": 3}, "exchange version 2"),
        ({"salt": MAX_SALT + 1}, "salt"),
        ({"timestamp_ms": 1_763_700_000}, "timestamp_ms"),  # seconds by mistake
        ({"builder": "0x1234"}, "builder"),
        ({"funder": "0x" + "zz" * 20, "signature_type": SignatureType.POLY_PROXY}, "address"),
        ({"signer_address": "0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266"}, "checksum"),
    ],
)
def test_build_order_refusals(signer: LocalKeySigner, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(OrderRejected, match=match):
        _order(signer, **kw)


# -- signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sig_type", [SignatureType.EOA, SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_plain_signature_recovers_to_the_eoa(signer: LocalKeySigner, sig_type: SignatureType) -> None:
    order = _order(signer, sig_type)
    domain = exchange_domain(137, neg_risk=False)
    signed = sign_order(order, domain, signer, verify=True)
    raw = bytes.fromhex(signed.signature[2:])
    assert len(raw) == 65 and raw[64] in (27, 28)
    assert recover_address(order_digest(order, domain), raw) == HARDHAT_0_ADDRESS
    assert signed.order_hash == order_hash_hex(order, domain)


def test_deposit_wallet_envelope_layout(signer: LocalKeySigner) -> None:
    order = _order(signer, SignatureType.POLY_1271)
    domain = exchange_domain(137, neg_risk=True)
    signed = sign_order(order, domain, signer, verify=True)
    raw = bytes.fromhex(signed.signature[2:])
    type_bytes = ORDER_TYPE_STRING.encode()
    assert len(raw) == 65 + 32 + 32 + len(type_bytes) + 2
    sig65, rest = raw[:65], raw[65:]
    assert rest[:32] == domain_separator(domain)
    assert rest[32:64] == order_struct_hash(order)
    assert rest[64:-2] == type_bytes
    assert int.from_bytes(rest[-2:], "big") == len(type_bytes)
    # The EOA signed the ERC-7739 digest; the order hash stays the plain EIP-712 one.
    assert recover_address(deposit_wallet_digest(order, domain), sig65) == HARDHAT_0_ADDRESS
    assert signed.order_hash == order_hash_hex(order, domain)


def test_sign_refuses_a_foreign_signer(signer: LocalKeySigner) -> None:
    order = _order(signer)
    other = LocalKeySigner(secrets.token_bytes(32))
    with pytest.raises(OrderRejected, match="not the signing key"):
        sign_order(order, exchange_domain(137, neg_risk=False), other)


def test_same_intent_and_timestamp_reproduce_hash_and_signature() -> None:
    domain = exchange_domain(137, neg_risk=False)
    first = LocalKeySigner.from_hex(HARDHAT_0)
    second = LocalKeySigner.from_hex(HARDHAT_0)
    a = sign_order(_order(first, salt=salt_from_id("intent-42")), domain, first)
    b = sign_order(_order(second, salt=salt_from_id("intent-42")), domain, second)
    assert a == b
    c = sign_order(_order(first, salt=salt_from_id("intent-43")), domain, first)
    assert c.order_hash != a.order_hash
    d = sign_order(_order(first, salt=salt_from_id("intent-42"), timestamp_ms=TS_MS + 1), domain, first)
    assert d.order_hash != a.order_hash


def test_salt_from_id_is_stable_and_json_safe() -> None:
    # Pinned: changing the derivation would make retries sign *new* orders.
    assert salt_from_id("intent-1") == salt_from_id("intent-1") == 3_440_552_159_601_566
    salts = {salt_from_id(f"intent-{i}") for i in range(5_000)}
    assert len(salts) == 5_000
    assert all(0 <= s <= MAX_SALT for s in salts)
    with pytest.raises(ValueError):
        salt_from_id("")


# -- key hygiene --------------------------------------------------------------------------------


def test_generated_key_address_matches_eth_account() -> None:
    for _ in range(20):
        key = secrets.token_bytes(32)
        assert LocalKeySigner(key).address == Account.from_key(key).address


def test_signer_protocol_and_digest_checks(signer: LocalKeySigner) -> None:
    assert isinstance(signer, Signer)
    with pytest.raises(ValueError, match="32 bytes"):
        signer.sign_digest(b"\x00" * 31)


def test_key_never_in_repr_str_or_errors() -> None:
    key = secrets.token_bytes(32)
    needles = [key.hex(), key.hex().upper(), key.hex()[:16], repr(key)]
    signer = LocalKeySigner(key)
    texts = [repr(signer), str(signer), f"{signer}"]
    for bad in (key[:31], key + b"\x00", b"\x00" * 32, b"\xff" * 32):
        with pytest.raises(ValueError) as info:
            LocalKeySigner(bad)
        texts.append(str(info.value))
        texts.append(repr(info.value))
    with pytest.raises(ValueError) as info:
        LocalKeySigner.from_hex(key.hex() + "zz")
    texts.append(str(info.value))
    for op in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError) as type_info:
            op(signer)
        texts.append(str(type_info.value))
    for text in texts:
        for needle in needles:
            assert needle not in text
    assert not hasattr(signer, "__dict__")


def test_close_overwrites_the_key() -> None:
    key = secrets.token_bytes(32)
    signer = LocalKeySigner(key)
    secp = signer._secp
    assert secp is not None
    signer.close()
    assert signer.closed
    assert bytes(signer._key) == bytes(32)
    assert secp.secret == bytes(32)  # coincurve's copy wiped too (CPython)
    with pytest.raises(ValueError, match="closed"):
        signer.sign_digest(bytes(32))
    assert "closed" in repr(signer)
    signer.close()  # idempotent
    with LocalKeySigner(key) as scoped:
        scoped.sign_digest(bytes(32))
    assert scoped.closed


def test_recover_address_validation(signer: LocalKeySigner) -> None:
    digest = keccak256(b"x")
    sig = signer.sign_digest(digest)
    assert recover_address(digest, sig[:64] + bytes((sig[64] - 27,))) == signer.address
    with pytest.raises(ValueError, match="v must"):
        recover_address(digest, sig[:64] + b"\x05")
    with pytest.raises(ValueError, match="65 bytes"):
        recover_address(digest, sig[:64])


# -- L1 / L2 auth ------------------------------------------------------------------------------


def test_api_credentials_hide_secrets() -> None:
    secret = base64.urlsafe_b64encode(b"s" * 32).decode()
    creds = ApiCredentials("key-123", secret, "very-secret-passphrase")
    for text in (repr(creds), str(creds), f"{creds!r}"):
        assert secret not in text
        assert "very-secret-passphrase" not in text
        assert "key-123" in text
    with pytest.raises(ValueError) as info:
        ApiCredentials("k", "not*base64*at*all!", "p")
    assert "not*base64" not in str(info.value)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/order", '{"a":1}'),
        ("GET", "/data/orders", None),
        ("DELETE", "/order", '{"orderID":"0xabc"}'),
        ("POST", "/orders", "[]"),
        ("GET", "/balance-allowance", ""),
    ],
)
def test_l2_signature_matches_the_sdk(method: str, path: str, body: str | None) -> None:
    for _ in range(10):
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        unpadded = secret.rstrip("=")
        ts = secrets.randbelow(2**31)
        expected = sdk_hmac(secret, ts, method, path, body)
        assert l2_signature(secret, ts, method, path, body) == expected
        assert l2_signature(unpadded, str(ts), method, path, body) == expected
        if body is not None:
            assert l2_signature(secret, ts, method, path, body.encode()) == expected
        assert expected.endswith("=")  # padding kept


def test_l2_headers_names_and_order() -> None:
    secret = base64.urlsafe_b64encode(b"k" * 32).decode()
    creds = ApiCredentials("key", secret, "pass")
    headers = l2_headers(HARDHAT_0_ADDRESS.lower(), creds, 1_763_700_000, "POST", "/order", b"{}")
    assert list(headers) == [
        "POLY_ADDRESS",
        "POLY_API_KEY",
        "POLY_PASSPHRASE",
        "POLY_SIGNATURE",
        "POLY_TIMESTAMP",
    ]
    assert headers["POLY_ADDRESS"] == HARDHAT_0_ADDRESS
    assert headers["POLY_TIMESTAMP"] == "1763700000"
    with pytest.raises(ValueError, match="query"):
        l2_signature(secret, 1, "GET", "/book?token_id=1", None)


@pytest.mark.parametrize(("timestamp", "nonce"), [(1_763_700_000, 0), (1, 7), (2_000_000_000, 2**64)])
def test_l1_headers_match_the_sdk(signer: LocalKeySigner, timestamp: int, nonce: int) -> None:
    account = Account.from_key(HARDHAT_0)
    assert l1_headers(signer, 137, timestamp, nonce) == sdk_l1_headers(account, 137, timestamp, nonce)
    assert list(l1_headers(signer, 137, timestamp, nonce)) == [
        "POLY_ADDRESS",
        "POLY_NONCE",
        "POLY_SIGNATURE",
        "POLY_TIMESTAMP",
    ]
