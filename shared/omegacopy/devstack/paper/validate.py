"""Whether the paper exchange accepts an order: every check, in the documented order (`ORDER_CHECKS`).

It is the test oracle of the order path, so it verifies everything *independently* of
`omegacopy.domain`: EIP-712 digests come from eth-account's generic typed-data encoder
(`encode_typed_data`) and signers are recovered with `Account.recover_message`, never through our
own hashing code — a bug in our digest cannot be mirrored here.

Wallets: type 0 maker = signer = EOA; 1/2 maker = the registered funder (proxy / Safe), signer =
the EOA; 3 maker = signer = the deposit wallet, and the ERC-7739 envelope must recover to the EOA
registered for that wallet. The API key's EOA must control the order (else "the order signer
address has to be the address of the API KEY").

A failed check raises `Rejected`: HTTP 400 {"error": ...} on POST /order, an HTTP-200 item with
success:false in a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from typing import Any, Final

from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from omegacopy.devstack.paper.auth import DIGITS, recover
from omegacopy.devstack.paper.ledger import (
    ROUNDING,
    Ledger,
    PaperAccount,
    PaperMarket,
    decimals,
    fmt,
    taker_fee,
    units_to_decimal,
)

# Error texts (the real ones where known; the SDK and client match on these substrings).
ERR_PAYLOAD: Final = "Invalid order payload"
ERR_OWNER: Final = "the order owner has to be the owner of the API KEY"
ERR_SIGNER: Final = "the order signer address has to be the address of the API KEY"
ERR_SIGNATURE: Final = "invalid signature"
ERR_BALANCE: Final = "not enough balance / allowance"
ERR_POST_ONLY_CROSSES: Final = "invalid post-only order: order crosses book"
ERR_EXPIRATION: Final = "invalid expiration"
# Paper wording (the real text for an order on a resolved market is undocumented).
ERR_MARKET_CLOSED: Final = "market is closed: orders are not accepted on a resolved market"

GTD_MIN_LEAD_S: Final = 180
_EXCHANGE_NAME: Final = "Polymarket CTF Exchange"
ORDER_TYPE_STRING: Final = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
_ORDER_FIELDS: Final = [
    {"name": "salt", "type": "uint256"},
    {"name": "maker", "type": "address"},
    {"name": "signer", "type": "address"},
    {"name": "tokenId", "type": "uint256"},
    {"name": "makerAmount", "type": "uint256"},
    {"name": "takerAmount", "type": "uint256"},
    {"name": "side", "type": "uint8"},
    {"name": "signatureType", "type": "uint8"},
    {"name": "timestamp", "type": "uint256"},
    {"name": "metadata", "type": "bytes32"},
    {"name": "builder", "type": "bytes32"},
]
_DOMAIN_FIELDS: Final = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_TYPED_DATA_SIGN_FIELDS: Final = [
    {"name": "contents", "type": "Order"},
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
    {"name": "salt", "type": "bytes32"},
]
_BYTES32_ZERO: Final = "0x" + "00" * 32
_HEX_ADDRESS: Final = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX32: Final = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX: Final = re.compile(r"0x(?:[0-9a-fA-F]{2})+")


class Rejected(Exception):  # noqa: N818 - control flow inside the order pipeline, never escapes
    def __init__(self, message: str, order_hash: str = "", *, status: int = 400, unmatched: bool = False):
        super().__init__(message)
        self.message = message
        self.order_hash = order_hash
        self.status = status
        self.unmatched = unmatched  # a matching outcome (FOK killed, FAK nothing), not a validation


@dataclass
class WireOrder:
    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: str
    expiration: int
    signature_type: int
    timestamp: int
    metadata: str
    builder: str
    signature: bytes
    order_type: str
    post_only: bool
    owner: str


@dataclass(frozen=True)
class Venue:
    """What the checks consult: the ledger, the book (does a post-only order cross?), the chain, now."""

    ledger: Ledger
    crosses: Callable[[WireOrder, Decimal, PaperAccount], bool]
    chain_id: int
    now: float


@dataclass
class OrderUnderCheck:
    """An order on its way through the checks; each check fills in what the next ones need."""

    item: object
    account: PaperAccount
    api_key: str
    o: WireOrder | None = None
    market: PaperMarket | None = None
    order_hash: str = ""
    price: Decimal = Decimal(0)

    @property
    def order(self) -> WireOrder:
        assert self.o is not None  # parsed by the first check
        return self.o

    @property
    def in_market(self) -> PaperMarket:
        assert self.market is not None  # found by the market check
        return self.market


def _high_precision() -> Context:
    return Context(prec=80)


# --- the checks ---------------------------------------------------------------------------------
def check_payload(c: OrderUnderCheck, v: Venue) -> None:
    """The body's shape: every field present, typed and in range."""
    item = c.item
    if not isinstance(item, dict):
        raise Rejected(ERR_PAYLOAD)
    order = item.get("order")
    owner = item.get("owner")
    order_type = item.get("orderType")
    post_only = item.get("postOnly", False)
    defer = item.get("deferExec", False)
    if not isinstance(order, dict) or not isinstance(owner, str):
        raise Rejected(ERR_PAYLOAD)
    if order_type not in ("GTC", "GTD", "FOK", "FAK"):
        raise Rejected(f"{ERR_PAYLOAD}: invalid orderType")
    if type(post_only) is not bool or type(defer) is not bool:
        raise Rejected(ERR_PAYLOAD)

    def string_field(name: str, pattern: re.Pattern[str]) -> str:
        value = order.get(name)
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise Rejected(f"{ERR_PAYLOAD}: {name}")
        return value

    salt = order.get("salt")
    # The salt is a JSON number < 2^53 (JavaScript clients); bools are ints in Python: refuse.
    if type(salt) is not int or not 0 <= salt < 2**53:
        raise Rejected(f"{ERR_PAYLOAD}: salt")
    signature_type = order.get("signatureType")
    if type(signature_type) is not int or signature_type not in (0, 1, 2, 3):
        raise Rejected(f"{ERR_PAYLOAD}: signatureType")
    side = order.get("side")
    if side not in ("BUY", "SELL"):
        raise Rejected(f"{ERR_PAYLOAD}: side")
    maker_amount = int(string_field("makerAmount", DIGITS))
    taker_amount = int(string_field("takerAmount", DIGITS))
    if maker_amount <= 0 or taker_amount <= 0:
        raise Rejected(f"{ERR_PAYLOAD}: amounts must be positive")
    signature = string_field("signature", _HEX)
    c.o = WireOrder(
        salt=salt,
        maker=to_checksum_address(string_field("maker", _HEX_ADDRESS)),
        signer=to_checksum_address(string_field("signer", _HEX_ADDRESS)),
        token_id=string_field("tokenId", DIGITS),
        maker_amount=maker_amount,
        taker_amount=taker_amount,
        side=side,
        expiration=int(string_field("expiration", DIGITS)),
        signature_type=signature_type,
        timestamp=int(string_field("timestamp", DIGITS)),
        metadata=string_field("metadata", _HEX32),
        builder=string_field("builder", _HEX32),
        signature=bytes.fromhex(signature[2:]),
        order_type=order_type,
        post_only=post_only,
        owner=owner,
    )


def check_owner(c: OrderUnderCheck, v: Venue) -> None:
    if c.order.owner != c.api_key:
        raise Rejected(ERR_OWNER)


def check_market(c: OrderUnderCheck, v: Venue) -> None:
    market = v.ledger.market_of(c.order.token_id)
    if market is None:
        raise Rejected(f"{ERR_PAYLOAD}: unknown tokenId")
    c.market = market


def check_market_open(c: OrderUnderCheck, v: Venue) -> None:
    if c.in_market.resolved:
        raise Rejected(ERR_MARKET_CLOSED)


def check_signature(c: OrderUnderCheck, v: Venue) -> None:
    """The order hash (0x-hex) if the signature is valid for this market's exchange, else refused."""
    o, market = c.order, c.in_market
    domain = _exchange_domain(market, v.chain_id)
    message = _order_message(o)
    order_typed = {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, "Order": _ORDER_FIELDS},
        "primaryType": "Order",
        "domain": domain,
        "message": message,
    }
    signable = encode_typed_data(full_message=order_typed)
    order_hash = "0x" + _digest(signable).hex()
    if o.signature_type in (0, 1, 2):
        recovered = recover(signable, o.signature)
        if recovered is None or recovered.lower() != o.signer.lower():
            raise Rejected(ERR_SIGNATURE, order_hash)
        c.order_hash = order_hash
        return
    # Type 3 (ERC-7739): sig65 ‖ appDomainSeparator ‖ contentsHash ‖ contentsType ‖ uint16 len
    sig = o.signature
    if len(sig) < 65 + 64 + 2:
        raise Rejected(ERR_SIGNATURE, order_hash)
    type_len = int.from_bytes(sig[-2:], "big")
    if len(sig) != 65 + 64 + type_len + 2:
        raise Rejected(ERR_SIGNATURE, order_hash)
    app_domain, contents_hash = sig[65:97], sig[97:129]
    contents_type = sig[129 : 129 + type_len]
    if app_domain != signable.header or contents_hash != signable.body or contents_type != ORDER_TYPE_STRING.encode():
        raise Rejected(ERR_SIGNATURE, order_hash)
    envelope = {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            "Order": _ORDER_FIELDS,
            "TypedDataSign": _TYPED_DATA_SIGN_FIELDS,
        },
        "primaryType": "TypedDataSign",
        "domain": domain,
        "message": {
            "contents": message,
            "name": "DepositWallet",
            "version": "1",
            "chainId": v.chain_id,
            "verifyingContract": o.signer,
            "salt": _BYTES32_ZERO,
        },
    }
    recovered = recover(encode_typed_data(full_message=envelope), sig[:65])
    account = v.ledger.account_of_wallet(o.signer)
    if recovered is None or account is None or account.signature_type != 3 or recovered.lower() != account.eoa.lower():
        raise Rejected(ERR_SIGNATURE, order_hash)
    c.order_hash = order_hash


def check_duplicate(c: OrderUnderCheck, v: Venue) -> None:
    if c.order_hash in v.ledger.orders:
        # Paper choice of wording; clients should match "duplicat" / "already".
        raise Rejected(
            f"order {c.order_hash} is invalid. Duplicated: an identical order has already been placed", c.order_hash
        )


def check_wallet(c: OrderUnderCheck, v: Venue) -> None:
    """Who may trade for whom: the API key's EOA controls the order."""
    o, account = c.order, c.account
    if o.signature_type != account.signature_type:
        raise Rejected(f"invalid signature type {o.signature_type} for this account", c.order_hash)
    expected_signer = account.wallet if o.signature_type == 3 else account.eoa
    if o.signer.lower() != expected_signer.lower():
        raise Rejected(ERR_SIGNER, c.order_hash)
    if o.maker.lower() != account.wallet.lower():
        raise Rejected(f"invalid maker address {o.maker} for this account", c.order_hash)


def check_price(c: OrderUnderCheck, v: Venue) -> None:
    """On the tick grid and inside [tick, 1 - tick] (maker/taker ratio; a market order may sit a
    rounding unit off). Matching uses the signed ratio (a market BUY's is a hair above the grid)."""
    o, tick = c.order, c.in_market.tick_size
    maker = units_to_decimal(o.maker_amount)
    taker = units_to_decimal(o.taker_amount)
    with localcontext(_high_precision()):
        implied = maker / taker if o.side == "BUY" else taker / maker
        grid = (implied / tick).to_integral_value() * tick
        if o.order_type in ("GTC", "GTD"):
            on_grid = implied == grid
        else:
            # Market orders: the SDK rounds the derived amount to the tick's amount decimals
            # (taker for BUY), so maker/taker sits a hair off the grid. Accept exactly that much.
            tolerance = Decimal(10) ** -ROUNDING[tick][2]
            collateral, shares = (maker, taker) if o.side == "BUY" else (taker, maker)
            on_grid = abs(grid * shares - collateral) <= tolerance
    if not on_grid or not tick <= grid <= 1 - tick:
        raise Rejected(
            f"order {c.order_hash} is invalid. Price ({fmt(implied.quantize(Decimal('1e-8')))}) "
            f"breaks minimum tick size rule: {fmt(tick)}",
            c.order_hash,
        )
    c.price = implied


def check_precision(c: OrderUnderCheck, v: Venue) -> None:
    """Limit BUY taker <= 2 decimals; FOK/FAK BUY maker <= 2, taker <= 4 (reported server rule,
    whatever the tick); otherwise the tick's amount decimals."""
    o = c.order
    maker_dec = decimals(units_to_decimal(o.maker_amount))
    taker_dec = decimals(units_to_decimal(o.taker_amount))
    amount_dec = ROUNDING[c.in_market.tick_size][2]
    side = o.side.lower()
    if o.order_type in ("FOK", "FAK") and o.side == "BUY":
        limits = (2, 4)
        label = "market buy"
    elif o.side == "BUY":
        limits = (amount_dec, 2)
        label = side
    else:
        limits = (2, amount_dec)
        label = "market sell" if o.order_type in ("FOK", "FAK") else side
    if maker_dec > limits[0] or taker_dec > limits[1]:
        raise Rejected(
            f"invalid amounts, the {label} orders maker amount supports a max accuracy of "
            f"{limits[0]} decimals, taker amount a max of {limits[1]} decimals",
            c.order_hash,
        )


def check_size(c: OrderUnderCheck, v: Venue) -> None:
    """Limit orders need `min_size` shares; marketable ones $1 of notional (paper choice: the UI's)."""
    o, market = c.order, c.in_market
    shares = units_to_decimal(o.taker_amount if o.side == "BUY" else o.maker_amount)
    if o.order_type in ("GTC", "GTD"):
        if shares < market.min_size:
            raise Rejected(
                f"order {c.order_hash} is invalid. Size ({fmt(shares)}) lower than the minimum: {fmt(market.min_size)}",
                c.order_hash,
            )
        return
    notional = units_to_decimal(o.maker_amount if o.side == "BUY" else o.taker_amount)
    if notional < 1:
        raise Rejected(
            f"order {c.order_hash} is invalid. Size ({fmt(notional)}) lower than the minimum: 1", c.order_hash
        )


def check_expiration(c: OrderUnderCheck, v: Venue) -> None:
    """GTD: at least now + 180 s; every other type: 0."""
    o = c.order
    if o.order_type == "GTD":
        if o.expiration < v.now + GTD_MIN_LEAD_S:
            raise Rejected(ERR_EXPIRATION, c.order_hash)
    elif o.expiration != 0:
        raise Rejected(ERR_EXPIRATION, c.order_hash)


def check_post_only(c: OrderUnderCheck, v: Venue) -> None:
    o = c.order
    if not o.post_only:
        return
    if o.order_type not in ("GTC", "GTD"):
        raise Rejected("invalid post-only order: only GTC and GTD orders can be post-only", c.order_hash)
    if v.crosses(o, c.price, c.account):
        raise Rejected(ERR_POST_ONLY_CROSSES, c.order_hash)


def check_balance(c: OrderUnderCheck, v: Venue) -> None:
    """pUSD (BUY) or shares (SELL) net of what the account's live orders already hold."""
    o, account = c.order, c.account
    needed = units_to_decimal(o.maker_amount)
    if o.side == "BUY":  # a taker BUY pays its fee on top
        needed += taker_fee(units_to_decimal(o.taker_amount), c.price, c.in_market.fee_rate_bps)
    have = account.pusd if o.side == "BUY" else account.positions.get(o.token_id, Decimal(0))
    free = have - v.ledger.committed(account, o.side, o.token_id)
    if free < needed:
        raise Rejected(
            f"{ERR_BALANCE}: the balance is not enough -> balance: {fmt(free)}, order amount: {fmt(needed)}",
            c.order_hash,
        )


# The documented order of the checks: the first failure is the one the reply names.
ORDER_CHECKS: Final[tuple[Callable[[OrderUnderCheck, Venue], None], ...]] = (
    check_payload,
    check_owner,
    check_market,
    check_market_open,
    check_signature,
    check_duplicate,
    check_wallet,
    check_price,
    check_precision,
    check_size,
    check_expiration,
    check_post_only,
    check_balance,
)


def validate_order(item: object, account: PaperAccount, api_key: str, venue: Venue) -> OrderUnderCheck:
    """The order, checked and ready to match; raises `Rejected` at the first failed check."""
    candidate = OrderUnderCheck(item, account, api_key)
    for check in ORDER_CHECKS:
        check(candidate, venue)
    return candidate


# --- EIP-712, from the protocol text ----------------------------------------------------------
def _order_message(o: WireOrder) -> dict[str, Any]:
    return {
        "salt": o.salt,
        "maker": o.maker,
        "signer": o.signer,
        "tokenId": int(o.token_id),
        "makerAmount": o.maker_amount,
        "takerAmount": o.taker_amount,
        "side": 0 if o.side == "BUY" else 1,
        "signatureType": o.signature_type,
        "timestamp": o.timestamp,
        "metadata": o.metadata,
        "builder": o.builder,
    }


def _exchange_domain(market: PaperMarket, chain_id: int) -> dict[str, Any]:
    return {
        "name": _EXCHANGE_NAME,
        "version": market.domain_version,
        "chainId": chain_id,
        "verifyingContract": market.exchange,
    }


def _digest(signable: SignableMessage) -> bytes:
    return keccak(b"\x19" + signable.version + signable.header + signable.body)
