"""CLOB V2 orders: the EIP-712 struct, its hash, and signing (incl. ERC-7739 for deposit wallets).

Conventions
* Addresses in an `OrderV2` are EIP-55 checksummed, whatever case they were given in: that is
  what the official SDK puts in the JSON body. (Elsewhere the domain keeps lower-case wallets;
  compare with `.lower()`.)
* `token_id` is always a canonical decimal string (no sign, no leading zeros).
* `metadata`/`builder` are lower-case `0x` + 64 hex digits; `ZERO_BYTES32` means none.
* `timestamp_ms` is milliseconds; `salt` < 2^53 because the body sends it as a JSON number.

Type hashes and domain separators are computed once; a signature costs two Keccaks and one
ECDSA sign (three Keccaks for a deposit wallet).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Final

from omegacopy.domain.evm import address_bytes, keccak256, normalize_bytes32, to_checksum_address
from omegacopy.domain.order_amounts import OrderKind, OrderRejected, OrderSide, order_amounts
from omegacopy.domain.signer import Signer, recover_address

POLYGON_CHAIN_ID: Final = 137
EXCHANGE_V2: Final = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2: Final = "0xe2222d279d744050d28e00520010520000310F59"
# "Protocol V2" markets (position ids instead of token ids) trade on ExchangeV3, domain version "3".
EXCHANGE_V3: Final = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
PUSD: Final = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"
CONDITIONAL_TOKENS: Final = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"
ZERO_BYTES32: Final = "0x" + "00" * 32

EXCHANGE_DOMAIN_NAME: Final = "Polymarket CTF Exchange"
ORDER_TYPE_STRING: Final = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
DOMAIN_TYPE_STRING: Final = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
# ERC-7739 nested typed-data signature for POLY_1271 deposit wallets: the wallet's own domain
# (name "DepositWallet", version "1") is folded into a TypedDataSign struct around the order.
TYPED_DATA_SIGN_TYPE_STRING: Final = (
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
    "address verifyingContract,bytes32 salt)" + ORDER_TYPE_STRING
)
DEPOSIT_WALLET_DOMAIN_NAME: Final = "DepositWallet"
DEPOSIT_WALLET_DOMAIN_VERSION: Final = "1"

ORDER_TYPEHASH: Final = keccak256(ORDER_TYPE_STRING.encode())
DOMAIN_TYPEHASH: Final = keccak256(DOMAIN_TYPE_STRING.encode())
TYPED_DATA_SIGN_TYPEHASH: Final = keccak256(TYPED_DATA_SIGN_TYPE_STRING.encode())
_NAME_HASH: Final = keccak256(EXCHANGE_DOMAIN_NAME.encode())
_DEPOSIT_WALLET_NAME_HASH: Final = keccak256(DEPOSIT_WALLET_DOMAIN_NAME.encode())
_DEPOSIT_WALLET_VERSION_HASH: Final = keccak256(DEPOSIT_WALLET_DOMAIN_VERSION.encode())
_ORDER_TYPE_TRAILER: Final = ORDER_TYPE_STRING.encode() + len(ORDER_TYPE_STRING).to_bytes(2, "big")
_EIP191_PREFIX: Final = b"\x19\x01"
_ZERO_WORD: Final = bytes(32)
_ADDRESS_PAD: Final = "0" * 24

_UINT256_MAX: Final = (1 << 256) - 1
MAX_SALT: Final = (1 << 53) - 1  # JSON-number safe
# Bits 40..103 of a uint256 asset id are zero exactly for Protocol-V2 position ids (the SDK's rule).
_POSITION_ID_RESERVED_MASK: Final = ((1 << 64) - 1) << 40
_DECIMAL_TOKEN_ID = re.compile(r"[1-9][0-9]{0,77}")
# Millisecond timestamps before 2001-09-09 are almost certainly seconds passed by mistake.
_MIN_TIMESTAMP_MS: Final = 10**12


class SignatureType(IntEnum):
    EOA = 0
    POLY_PROXY = 1
    POLY_GNOSIS_SAFE = 2
    POLY_1271 = 3


@dataclass(frozen=True, slots=True)
class ExchangeDomain:
    """EIP-712 domain of an exchange contract (name is always "Polymarket CTF Exchange")."""

    chain_id: int
    verifying_contract: str
    version: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "verifying_contract", to_checksum_address(self.verifying_contract))
        if self.version not in ("2", "3"):
            raise ValueError(f"exchange domain version must be '2' or '3', got {self.version!r}")
        if self.chain_id <= 0:
            raise ValueError(f"chain id must be positive, got {self.chain_id}")


def exchange_domain(chain_id: int, *, neg_risk: bool, exchange_version: int = 2) -> ExchangeDomain:
    """The domain an order for this market is signed under.

    exchange_version 2: CTF Exchange V2, or the NegRisk CTF Exchange V2 when `neg_risk`.
    exchange_version 3: ExchangeV3 for "Protocol V2" markets; `neg_risk` does not change it (the
    SDK routes every position id to ExchangeV3).
    """
    if chain_id != POLYGON_CHAIN_ID:
        raise ValueError(f"no known exchange addresses for chain {chain_id}; construct ExchangeDomain directly")
    if exchange_version == 2:
        contract = NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2
        return ExchangeDomain(chain_id, contract, "2")
    if exchange_version == 3:
        return ExchangeDomain(chain_id, EXCHANGE_V3, "3")
    raise ValueError(f"exchange_version must be 2 or 3, got {exchange_version}")


_DOMAIN_SEPARATORS: dict[ExchangeDomain, bytes] = {}


def domain_separator(domain: ExchangeDomain) -> bytes:
    """hashStruct(EIP712Domain), cached per domain (there are three in production)."""
    cached = _DOMAIN_SEPARATORS.get(domain)
    if cached is None:
        cached = keccak256(
            DOMAIN_TYPEHASH
            + _NAME_HASH
            + keccak256(domain.version.encode())
            + domain.chain_id.to_bytes(32, "big")
            + bytes(12)
            + address_bytes(domain.verifying_contract)
        )
        _DOMAIN_SEPARATORS[domain] = cached
    return cached


def is_position_id(token_id: str) -> bool:
    """True for a "Protocol V2" position id (ExchangeV3), False for a CTF token id (V2 exchanges)."""
    return (int(token_id) & _POSITION_ID_RESERVED_MASK) == 0


def exchange_version_for_token(token_id: str) -> int:
    return 3 if is_position_id(token_id) else 2


def canonical_token_id(token_id: str) -> str:
    """A uint256 asset id as a canonical decimal string; refuses hex, signs, blanks, leading zeros."""
    if not isinstance(token_id, str) or _DECIMAL_TOKEN_ID.fullmatch(token_id) is None:
        raise OrderRejected(f"token id must be a positive decimal string, got {token_id!r}")
    if int(token_id) > _UINT256_MAX:
        raise OrderRejected("token id exceeds uint256")
    return token_id


def _check_uint(name: str, value: int, maximum: int = _UINT256_MAX, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderRejected(f"{name} must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise OrderRejected(f"{name} {value} out of range [{minimum}, {maximum}]")


@dataclass(frozen=True, slots=True)
class OrderV2:
    """The 11 signed fields of a CLOB V2 order, validated and normalized on construction."""

    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: OrderSide
    signature_type: SignatureType
    timestamp_ms: int
    metadata: str = ZERO_BYTES32
    builder: str = ZERO_BYTES32

    def __post_init__(self) -> None:
        _check_uint("salt", self.salt, MAX_SALT)
        _check_uint("maker_amount", self.maker_amount, minimum=1)
        _check_uint("taker_amount", self.taker_amount, minimum=1)
        _check_uint("timestamp_ms", self.timestamp_ms, minimum=_MIN_TIMESTAMP_MS)
        try:
            maker = to_checksum_address(self.maker)
            signer = to_checksum_address(self.signer)
            metadata = normalize_bytes32(self.metadata, "metadata")
            builder = normalize_bytes32(self.builder, "builder")
        except ValueError as exc:
            raise OrderRejected(str(exc)) from None
        object.__setattr__(self, "maker", maker)
        object.__setattr__(self, "signer", signer)
        object.__setattr__(self, "metadata", metadata)
        object.__setattr__(self, "builder", builder)
        object.__setattr__(self, "token_id", canonical_token_id(self.token_id))
        object.__setattr__(self, "side", OrderSide(self.side))
        object.__setattr__(self, "signature_type", SignatureType(self.signature_type))


def salt_from_id(intent_id: str) -> int:
    """A salt < 2^53 derived from our intent id, so a retry re-signs the *same* order (same hash)."""
    if not intent_id:
        raise ValueError("intent id must be non-empty")
    digest = hashlib.sha256(b"omegacopy/order-salt/v1\x00" + intent_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11


def order_struct_hash(order: OrderV2) -> bytes:
    """hashStruct(Order): keccak of the type hash and the 11 fields, each a 32-byte ABI word."""
    # One hex string and one fromhex is ~2x faster than 11 to_bytes calls and a join.
    words = (
        f"{order.salt:064x}{_ADDRESS_PAD}{order.maker[2:]}{_ADDRESS_PAD}{order.signer[2:]}"
        f"{int(order.token_id):064x}{order.maker_amount:064x}{order.taker_amount:064x}"
        f"{int(order.side):064x}{int(order.signature_type):064x}{order.timestamp_ms:064x}"
        f"{order.metadata[2:]}{order.builder[2:]}"
    )
    return keccak256(ORDER_TYPEHASH + bytes.fromhex(words))


def order_digest(order: OrderV2, domain: ExchangeDomain) -> bytes:
    """The EIP-712 digest keccak(0x1901 ‖ domainSeparator ‖ hashStruct(order)): the order hash."""
    return keccak256(_EIP191_PREFIX + domain_separator(domain) + order_struct_hash(order))


def order_hash_hex(order: OrderV2, domain: ExchangeDomain) -> str:
    """The order hash as the exchange and the CLOB (`orderID`) spell it: `0x` + 64 lower-case hex.

    For a deposit wallet (type 3) too: the exchange hashes the plain Order struct; only the
    signature is wrapped.
    """
    return "0x" + order_digest(order, domain).hex()


def deposit_wallet_digest(order: OrderV2, domain: ExchangeDomain, struct_hash: bytes | None = None) -> bytes:
    """The digest the deposit wallet's owner signs (ERC-7739 TypedDataSign around the order)."""
    contents = order_struct_hash(order) if struct_hash is None else struct_hash
    typed_data_sign = keccak256(
        TYPED_DATA_SIGN_TYPEHASH
        + contents
        + _DEPOSIT_WALLET_NAME_HASH
        + _DEPOSIT_WALLET_VERSION_HASH
        + domain.chain_id.to_bytes(32, "big")
        + bytes(12)
        + address_bytes(order.signer)
        + _ZERO_WORD
    )
    return keccak256(_EIP191_PREFIX + domain_separator(domain) + typed_data_sign)


@dataclass(frozen=True, slots=True)
class SignedOrderV2:
    order: OrderV2
    signature: str  # 0x-hex: 65 bytes, or the ERC-7739 envelope for type 3
    order_hash: str  # 0x-hex EIP-712 digest of the order (the CLOB's orderID)


def _checked_signature(raw: bytes) -> bytes:
    if len(raw) != 65 or raw[64] not in (27, 28):
        raise ValueError("signer returned a malformed signature (want 65 bytes, v 27/28)")
    return raw


def sign_order(order: OrderV2, domain: ExchangeDomain, signer: Signer, *, verify: bool = False) -> SignedOrderV2:
    """Sign `order` under `domain` with the EOA `signer`.

    Types 0/1/2: the plain 65-byte signature of the order digest; `order.signer` must be the EOA.
    Type 3: the EOA signs the ERC-7739 digest, and the wire signature is
    sig65 ‖ domainSeparator ‖ hashStruct(order) ‖ ORDER_TYPE_STRING ‖ uint16 length.
    `verify=True` recovers the address from the signature (use with remote signers).
    """
    struct_hash = order_struct_hash(order)
    separator = domain_separator(domain)
    digest = keccak256(_EIP191_PREFIX + separator + struct_hash)
    if order.signature_type is SignatureType.POLY_1271:
        if order.maker != order.signer:
            raise OrderRejected("a deposit-wallet (type 3) order has maker == signer == the wallet")
        signed_digest = deposit_wallet_digest(order, domain, struct_hash)
    else:
        if order.signer.lower() != signer.address.lower():
            raise OrderRejected(f"order signer {order.signer} is not the signing key's address {signer.address}")
        signed_digest = digest
    sig = _checked_signature(signer.sign_digest(signed_digest))
    if verify and recover_address(signed_digest, sig).lower() != signer.address.lower():
        raise ValueError("signature does not recover to the signer's address")
    if order.signature_type is SignatureType.POLY_1271:
        sig = sig + separator + struct_hash + _ORDER_TYPE_TRAILER
    return SignedOrderV2(order=order, signature="0x" + sig.hex(), order_hash="0x" + digest.hex())


def build_order(
    *,
    token_id: str,
    side: OrderSide,
    kind: OrderKind,
    price: Decimal,
    tick_size: Decimal,
    size: Decimal | None = None,
    amount: Decimal | None = None,
    signature_type: SignatureType,
    signer_address: str,
    funder: str | None = None,
    salt: int,
    timestamp_ms: int,
    neg_risk: bool = False,
    exchange_version: int = 2,
    builder: str = ZERO_BYTES32,
    metadata: str = ZERO_BYTES32,
    chain_id: int = POLYGON_CHAIN_ID,
) -> OrderV2:
    """An unsigned order from trading terms and wallet setup.

    maker/signer per signature type (as the SDK): EOA → both the EOA (`funder` omitted or equal);
    POLY_PROXY / POLY_GNOSIS_SAFE → maker = `funder` (the proxy/Safe), signer = the EOA;
    POLY_1271 → maker = signer = `funder` (the deposit wallet); the EOA signs the envelope.
    `neg_risk`/`chain_id` are not part of the struct: they pick the domain to sign under,
    `exchange_domain(chain_id, neg_risk=neg_risk, exchange_version=exchange_version)`; here they
    are only validated.
    """
    exchange_domain(chain_id, neg_risk=neg_risk, exchange_version=exchange_version)
    token = canonical_token_id(token_id)
    expected_version = exchange_version_for_token(token)
    if exchange_version != expected_version:
        kind_of_id = "a Protocol-V2 position id" if expected_version == 3 else "a CTF token id"
        raise OrderRejected(
            f"token {token} is {kind_of_id}: it trades on exchange version {expected_version}, not {exchange_version}"
        )
    signature_type = SignatureType(signature_type)
    try:
        eoa = to_checksum_address(signer_address)
        wallet = to_checksum_address(funder) if funder is not None else None
    except ValueError as exc:
        raise OrderRejected(str(exc)) from None
    if signature_type is SignatureType.EOA:
        if wallet is not None and wallet != eoa:
            raise OrderRejected("an EOA (type 0) order's funder must be the signer itself")
        maker, order_signer = eoa, eoa
    else:
        if wallet is None:
            raise OrderRejected(f"signature type {signature_type.name} needs the funder wallet address")
        if wallet == eoa:
            raise OrderRejected(
                f"signature type {signature_type.name}: the funder must be the proxy/Safe/deposit wallet, not the EOA"
            )
        maker = wallet
        order_signer = wallet if signature_type is SignatureType.POLY_1271 else eoa
    amounts = order_amounts(side, kind, price, tick_size, size=size, amount=amount)
    return OrderV2(
        salt=salt,
        maker=maker,
        signer=order_signer,
        token_id=token,
        maker_amount=amounts.maker_amount,
        taker_amount=amounts.taker_amount,
        side=amounts.side,
        signature_type=signature_type,
        timestamp_ms=timestamp_ms,
        metadata=metadata,
        builder=builder,
    )


__all__ = [
    "CONDITIONAL_TOKENS",
    "EXCHANGE_V2",
    "EXCHANGE_V3",
    "MAX_SALT",
    "NEG_RISK_EXCHANGE_V2",
    "ORDER_TYPEHASH",
    "ORDER_TYPE_STRING",
    "POLYGON_CHAIN_ID",
    "PUSD",
    "ZERO_BYTES32",
    "ExchangeDomain",
    "OrderV2",
    "SignatureType",
    "SignedOrderV2",
    "build_order",
    "canonical_token_id",
    "deposit_wallet_digest",
    "domain_separator",
    "exchange_domain",
    "exchange_version_for_token",
    "is_position_id",
    "order_digest",
    "order_hash_hex",
    "order_struct_hash",
    "salt_from_id",
    "sign_order",
]
