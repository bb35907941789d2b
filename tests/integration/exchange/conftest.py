"""Paper exchange + CLOB client fixtures; orders signed offline by the official SDK's internals.

Each test gets its own paper exchange (a loopback HTTP server in a thread: ~1 ms to start), one
binary market with a seeded book, and helpers to register traders of every wallet type.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from polymarket._internal.actions.orders.limit import _compute_limit_order_amounts
from polymarket._internal.actions.orders.market import _compute_market_order_amounts
from polymarket._internal.actions.orders.orders import create_signed_order, create_unsigned_order
from polymarket._internal.actions.orders.post import build_post_order_request
from polymarket._internal.actions.orders.typed_data import (
    _build_standard_typed_data,
    build_order_signature,
    build_order_typed_data,
)
from polymarket._internal.actions.orders.types import OrderDraft

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob.resilience import RetryPolicy, SignerRateLimiter
from omegacopy.devstack.paper import PaperExchange, PaperMarket, start_paper_exchange
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.domain.order_v2 import is_position_id

WALLET_TYPES = {0: "EOA", 1: "POLY_PROXY", 2: "GNOSIS_SAFE", 3: "DEPOSIT_WALLET"}
CONDITION = "0x" + hashlib.sha256(b"paper-market").hexdigest()
CONDITION_NR = "0x" + hashlib.sha256(b"paper-market-neg-risk").hexdigest()
CONDITION_V3 = "0x" + hashlib.sha256(b"paper-market-v3").hexdigest()


def ctf_token_id(label: str) -> str:
    """A realistic 77-digit CTF token id (not a Protocol-V2 position id)."""
    value = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") >> 2
    token = str(value)
    assert not is_position_id(token)
    return token


def position_id(label: str, outcome: int) -> str:
    """A Protocol-V2 position id: module byte 1, the reserved bits 40..103 zero, outcome last."""
    condition_bits = int.from_bytes(hashlib.sha256(label.encode()).digest()[:17], "big")
    token = str((1 << 248) | (condition_bits << 104) | outcome)
    assert is_position_id(token)
    return token


YES, NO = ctf_token_id("yes"), ctf_token_id("no")
NR_YES, NR_NO = ctf_token_id("nr-yes"), ctf_token_id("nr-no")
V3_YES, V3_NO = position_id("v3", 0), position_id("v3", 1)


@dataclass
class Trader:
    account: LocalAccount
    signature_type: int
    funder: str  # the maker wallet: the EOA itself for type 0
    creds: ApiCredentials

    @property
    def eoa(self) -> str:
        return str(self.account.address)

    @property
    def key(self) -> bytes:
        return bytes(self.account.key)


@dataclass
class SdkOrder:
    body: dict[str, Any]
    order_hash: str
    maker_amount: int
    taker_amount: int

    def tampered(self, **order_fields: Any) -> dict[str, Any]:
        body = copy.deepcopy(self.body)
        body["order"].update(order_fields)
        return body


@dataclass
class Sleeps:
    """The injected sleep: records instead of waiting."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class FakeMonotonic:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def exchange() -> Iterator[PaperExchange]:
    with start_paper_exchange(seed=7) as running:
        running.add_market(CONDITION, tokens=[YES, NO], tick_size="0.01", min_size="5")
        running.add_market(CONDITION_NR, tokens=[NR_YES, NR_NO], tick_size="0.01", neg_risk=True)
        running.add_market(CONDITION_V3, tokens=[V3_YES, V3_NO], tick_size="0.01", exchange_version=3)
        for token in (YES, NR_YES, V3_YES):
            running.set_book(
                token,
                bids=[("0.45", "100"), ("0.47", "50"), ("0.48", "20")],
                asks=[("0.55", "100"), ("0.53", "50"), ("0.52", "20")],
            )
        yield running


@pytest.fixture
def make_trader(exchange: PaperExchange) -> Callable[..., Trader]:
    def make(
        signature_type: int = 0,
        *,
        pusd: str = "1000",
        positions: dict[str, str] | None = None,
    ) -> Trader:
        account = Account.create()
        funder = account.address if signature_type == 0 else Account.create().address
        creds = exchange.add_account(
            account.address,
            funder=None if signature_type == 0 else funder,
            signature_type=signature_type,
            pusd=Decimal(pusd),
            positions={k: Decimal(v) for k, v in (positions or {}).items()},
        )
        return Trader(account, signature_type, funder, ApiCredentials(*creds))

    return make


@pytest.fixture
def trader(make_trader: Callable[..., Trader]) -> Trader:
    return make_trader(0, positions={YES: "100"})


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(exchange: PaperExchange, sleeps: Sleeps) -> Iterator[Callable[..., ClobClient]]:
    clients: list[ClobClient] = []

    def make(trader: Trader | None = None, **overrides: Any) -> ClobClient:
        options: dict[str, Any] = {
            "address": None if trader is None else trader.eoa,
            "credentials": None if trader is None else trader.creds,
            "signature_type": 0 if trader is None else trader.signature_type,
            "sleep": sleeps,
            "rng": random.Random(1234),
            "retry": RetryPolicy(),
            "rate_limiter": SignerRateLimiter(rate_per_s=1000, burst=1000),
            "timeout": httpx.Timeout(5.0),
        }
        options.update(overrides)
        client = ClobClient(options.pop("base_url", exchange.url), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ClobClient], trader: Trader) -> ClobClient:
    return make_client(trader)


_SALT = iter(range(10_000, 10**9))


def sdk_order(
    trader: Trader,
    market: PaperMarket,
    *,
    token_id: str,
    side: str,
    price: str,
    size: str | None = None,
    amount: str | None = None,
    order_type: str = "GTC",
    expiration: int = 0,
    post_only: bool = False,
    salt: int | None = None,
    exchange_address: str | None = None,
    chain_id: int = 137,
    protocol_version: str | None = None,
    amounts: tuple[int, int] | None = None,
) -> SdkOrder:
    """An order built and signed by the official SDK's own functions, offline.

    Amounts: `_compute_limit_order_amounts` / `_compute_market_order_amounts`; maker/signer per
    wallet type: `create_unsigned_order`; typed data, signature and the ERC-7739 wrap:
    `build_order_typed_data` / `build_order_signature`; body: `build_post_order_request`.
    `amounts=(maker, taker)` signs amounts the SDK would never compute (server-rule tests).
    """
    tick = market.tick_size
    sdk_side: Any = side  # the SDK's Literal / NewType parameters, fed from test strings
    if order_type in ("GTC", "GTD"):
        offered, requested = _compute_limit_order_amounts(
            price=Decimal(price), size=Decimal(size or "0"), side=sdk_side, tick_size=tick
        )
    else:
        quantity = amount if side == "BUY" else size
        offered, requested = _compute_market_order_amounts(
            amount=Decimal(quantity or "0"), price=Decimal(price), side=sdk_side, tick_size=tick
        )
    if amounts is not None:
        offered, requested = amounts
    draft_fields: dict[str, Any] = dict(
        chain_id=chain_id,
        exchange_address=exchange_address or market.exchange,
        expiration=expiration,
        funder_address=trader.funder,
        offered_amount=offered,
        order_type=order_type,
        side=side,
        signer=trader.eoa,
        requested_amount=requested,
        asset_id=token_id,
    )
    wallet: Any = trader.funder
    wallet_type: Any = WALLET_TYPES[trader.signature_type]
    unsigned = create_unsigned_order(OrderDraft(**draft_fields), wallet=wallet, wallet_type=wallet_type)
    version: Any = protocol_version or unsigned.protocol_version
    unsigned = dataclasses.replace(
        unsigned,
        salt=next(_SALT) if salt is None else salt,
        timestamp=int(time.time() * 1000),
        protocol_version=version,
    )
    raw: Any = trader.account.sign_typed_data(full_message=build_order_typed_data(unsigned)).signature.hex()
    raw = raw if raw.startswith("0x") else "0x" + raw
    signed = create_signed_order(unsigned, build_order_signature(unsigned, raw), post_only=post_only)
    _, payload = build_post_order_request(signed, owner_api_key=trader.creds.api_key)
    standard = _build_standard_typed_data(unsigned, protocol_version=unsigned.protocol_version)
    order_hash = "0x" + _hash_eip191_message(encode_typed_data(full_message=standard)).hex()
    return SdkOrder(payload, order_hash, unsigned.maker_amount, unsigned.taker_amount)


@pytest.fixture
def market(exchange: PaperExchange) -> PaperMarket:
    return exchange.market(CONDITION)


@dataclass
class Env:
    """The usual fixtures in one (keeps test signatures short)."""

    exchange: PaperExchange
    market: PaperMarket
    trader: Trader
    client: ClobClient
    make_client: Callable[..., ClobClient]
    make_trader: Callable[..., Trader]
    sleeps: Sleeps


@pytest.fixture
def env(
    exchange: PaperExchange,
    market: PaperMarket,
    trader: Trader,
    client: ClobClient,
    make_client: Callable[..., ClobClient],
    make_trader: Callable[..., Trader],
    sleeps: Sleeps,
) -> Env:
    return Env(exchange, market, trader, client, make_client, make_trader, sleeps)
