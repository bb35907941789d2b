"""EVM primitives the order path needs: Keccak-256, addresses, 32-byte words.

Pure and dependency-light. Keccak comes from pycryptodome (shipped with eth-account): its C
core called directly when that works (~2 µs per order struct), else its public hash objects
(~4 µs), else `eth_hash`. Whatever is picked must pass a known-answer test at import.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from eth_hash.auto import keccak as _eth_hash_keccak

try:
    from Crypto.Hash import keccak as _pycryptodome
except ImportError:  # pragma: no cover - pycryptodome ships with eth-account
    _pycryptodome = None  # type: ignore[assignment]
try:
    from Crypto.Hash.keccak import _raw_keccak_lib  # type: ignore[attr-defined]
    from Crypto.Util._raw_api import SmartPointer, VoidPointer, create_string_buffer, get_raw_buffer
except Exception:  # pragma: no cover - another pycryptodome layout: use the public API
    _raw_keccak_lib = None


def _public_keccak() -> Callable[[bytes], bytes]:
    if _pycryptodome is None:  # pragma: no cover
        return lambda data: bytes(_eth_hash_keccak(data))
    return lambda data: _pycryptodome.new(data=data, digest_bits=256).digest()


def _raw_keccak() -> Callable[[bytes], bytes] | None:
    """pycryptodome's C Keccak called directly: ~2x faster than its hash objects (~2 µs vs ~4 µs).

    Uses pycryptodome internals, so any surprise falls back to the public API; one reusable
    state per thread (the C calls release the GIL, so states must not be shared).
    """
    lib = _raw_keccak_lib
    if lib is None:  # pragma: no cover
        return None
    local = threading.local()

    def state() -> tuple[Any, Any]:
        handle = VoidPointer()
        if lib.keccak_init(handle.address_of(), 64, 24):  # capacity 512 bits, 24 rounds
            raise RuntimeError("keccak_init failed")
        owner = SmartPointer(handle.get(), lib.keccak_destroy)  # freed with the thread
        local.state = (owner, owner.get(), create_string_buffer(32, None))
        return local.state[1], local.state[2]

    def keccak(data: bytes) -> bytes:
        cached = getattr(local, "state", None)
        pointer, out = (cached[1], cached[2]) if cached is not None else state()
        if (
            lib.keccak_reset(pointer)
            or lib.keccak_absorb(pointer, data, len(data))
            or lib.keccak_digest(pointer, out, 32, 1)  # padding 0x01: Keccak, not SHA3's 0x06
        ):
            raise RuntimeError("keccak failed")
        return get_raw_buffer(out)

    return keccak


_KAT = {
    b"": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    b"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
}


def _self_tested(candidate: Callable[[bytes], bytes] | None) -> bool:
    try:
        return candidate is not None and all(candidate(m).hex() == h for m, h in _KAT.items())
    except Exception:  # pragma: no cover - fall back to the public binding
        return False


_raw = _raw_keccak()
_keccak: Callable[[bytes], bytes] = _raw if _raw is not None and _self_tested(_raw) else _public_keccak()
# Known-answer check of whatever was picked: a wrong binding (e.g. SHA3 padding) would sign garbage.
if not _self_tested(_keccak):  # pragma: no cover
    raise ImportError("keccak256 binding failed its known-answer test")


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 (not NIST SHA3-256: the padding differs) of `bytes`."""
    return _keccak(data)


_HEX40 = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX64 = re.compile(r"0x[0-9a-fA-F]{64}")

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def to_checksum_address(address: str) -> str:
    """EIP-55 form of a 20-byte hex address.

    Accepts any case; a mixed-case input must carry a valid checksum (a mixed-case address with a
    wrong checksum is almost always a typo, so it is refused rather than silently "fixed").
    """
    if not isinstance(address, str) or _HEX40.fullmatch(address) is None:
        raise ValueError("not a 20-byte 0x-prefixed hex address")  # never the value: it may be a key
    body = address[2:]
    lower = body.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    checksummed = "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )
    if body != lower and body != body.upper() and checksummed[2:] != body:
        raise ValueError("address has an invalid EIP-55 checksum")
    return checksummed


def address_bytes(address: str) -> bytes:
    """The 20 raw bytes of a 0x-prefixed address (any case, not checksum-validated)."""
    raw = bytes.fromhex(address[2:])
    if len(raw) != 20:
        raise ValueError("not a 20-byte address")
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
