"""EVM primitives the order path needs: Keccak-256, addresses, 32-byte words.

Pure and dependency-light. Keccak comes from pycryptodome (shipped with eth-account, and the
fastest binding measured here: ~4 µs per order struct); `eth_hash` is the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_keccak: Callable[[bytes], bytes]
try:
    from Crypto.Hash import keccak as _pycryptodome_keccak

    def _keccak(data: bytes) -> bytes:
        return _pycryptodome_keccak.new(data=data, digest_bits=256).digest()

except ImportError:  # pragma: no cover - pycryptodome ships with eth-account
    from eth_hash.auto import keccak as _eth_hash_keccak

    def _keccak(data: bytes) -> bytes:
        return bytes(_eth_hash_keccak(data))


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 (not NIST SHA3-256: the padding differs)."""
    return _keccak(data)


# Known-answer check at import: a wrong binding (e.g. SHA3 padding) would sign garbage.
if keccak256(b"").hex() != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470":
    raise ImportError("keccak256 binding failed its known-answer test")

_HEX40 = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX64 = re.compile(r"0x[0-9a-fA-F]{64}")

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def to_checksum_address(address: str) -> str:
    """EIP-55 form of a 20-byte hex address.

    Accepts any case; a mixed-case input must carry a valid checksum (a mixed-case address with a
    wrong checksum is almost always a typo, so it is refused rather than silently "fixed").
    """
    if not isinstance(address, str) or _HEX40.fullmatch(address) is None:
        raise ValueError(f"not a 20-byte 0x-prefixed hex address: {address!r}")
    body = address[2:]
    lower = body.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    checksummed = "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )
    if body != lower and body != body.upper() and checksummed[2:] != body:
        raise ValueError(f"address has an invalid EIP-55 checksum: {address!r}")
    return checksummed


def address_bytes(address: str) -> bytes:
    """The 20 raw bytes of a 0x-prefixed address (any case, not checksum-validated)."""
    raw = bytes.fromhex(address[2:])
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return raw


def address_from_public_key(uncompressed: bytes) -> str:
    """Checksummed address of a 65-byte uncompressed secp256k1 public key (0x04‖X‖Y)."""
    if len(uncompressed) != 65 or uncompressed[0] != 4:
        raise ValueError("expected a 65-byte uncompressed public key")
    return to_checksum_address("0x" + keccak256(uncompressed[1:])[12:].hex())


def normalize_bytes32(value: str, field: str) -> str:
    """Canonical lower-case `0x` + 64 hex digits (builder codes, metadata)."""
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise ValueError(f"{field} must be a 0x-prefixed 32-byte hex string (66 chars)")
    return value.lower()
