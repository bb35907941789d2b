"""Who signs an EIP-712 digest: the `Signer` port and a local-key implementation.

The executor adds a KMS-unwrapped signer later; anything with an `address` and a
`sign_digest(digest) -> 65 bytes` fits. Private keys never appear in repr/str/exceptions.
"""

from __future__ import annotations

import ctypes
import secrets
import sys
from typing import NoReturn, Protocol, runtime_checkable

import coincurve

from omegacopy.domain.evm import address_from_public_key

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def new_private_key() -> bytearray:
    """A fresh random secp256k1 key, in a mutable buffer the caller can wipe."""
    while True:
        key = bytearray(secrets.token_bytes(32))
        if 0 < int.from_bytes(key, "big") < _SECP256K1_N:  # outside: probability ~2^-128
            return key


@runtime_checkable
class Signer(Protocol):
    """Signs 32-byte digests with an EOA key."""

    @property
    def address(self) -> str:
        """The EOA's checksummed address."""
        ...

    def sign_digest(self, digest: bytes) -> bytes:
        """65 bytes r‖s‖v with v ∈ {27, 28} (Ethereum style), deterministic (RFC 6979)."""
        ...


def _wipe(buffer: bytes) -> None:
    """Best-effort zeroing of an immutable bytes object we created and solely own.

    coincurve keeps its own `bytes` copy of the secret; CPython lays a bytes object's payload out
    right after its header, so it can be overwritten in place before the object is dropped.
    Other interpreters just drop the reference.
    """
    if sys.implementation.name != "cpython" or not buffer:
        return
    offset = sys.getsizeof(buffer) - len(buffer) - 1  # = bytes.__basicsize__ - 1 (ob_sval)
    ctypes.memset(id(buffer) + offset, 0, len(buffer))


class LocalKeySigner:
    """A secp256k1 key held in process memory (tests, CLI, local stack).

    The key lives in a private bytearray (and coincurve's copy); `close()` overwrites both.
    Not picklable/copyable, so it cannot leak into caches or logs by serialization.
    """

    __slots__ = ("_address", "_key", "_secp")

    def __init__(self, private_key: bytes | bytearray) -> None:
        if not isinstance(private_key, bytes | bytearray):
            raise TypeError("private key must be bytes or bytearray")
        if len(private_key) != 32:
            raise ValueError("private key must be exactly 32 bytes")
        if not 0 < int.from_bytes(private_key, "big") < _SECP256K1_N:
            raise ValueError("private key is not a valid secp256k1 scalar")
        self._key: bytearray = bytearray(private_key)
        self._secp: coincurve.PrivateKey | None = coincurve.PrivateKey(bytes(self._key))
        self._address: str = address_from_public_key(self._secp.public_key.format(compressed=False))

    @classmethod
    def from_hex(cls, private_key_hex: str) -> LocalKeySigner:
        """From a hex key, `0x` optional. The error never echoes the input."""
        text = private_key_hex.strip()
        if text[:2] in ("0x", "0X"):
            text = text[2:]
        try:
            raw = bytearray.fromhex(text)
        except ValueError:
            raise ValueError("private key is not valid hex") from None
        try:
            return cls(raw)
        finally:
            raw[:] = bytes(len(raw))

    @property
    def address(self) -> str:
        return self._address

    @property
    def closed(self) -> bool:
        return self._secp is None

    def sign_digest(self, digest: bytes) -> bytes:
        if self._secp is None:
            raise ValueError("signer is closed")
        if len(digest) != 32:
            raise ValueError("digest must be exactly 32 bytes")
        sig = self._secp.sign_recoverable(digest, hasher=None)  # r‖s‖recid, low-s, RFC 6979
        return sig[:64] + bytes((sig[64] + 27,))

    def close(self) -> None:
        """Overwrite the key material; the signer is unusable afterwards."""
        self._key[:] = bytes(len(self._key))
        if self._secp is not None:
            _wipe(self._secp.secret)
            self._secp = None

    def __enter__(self) -> LocalKeySigner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = ", closed" if self._secp is None else ""
        return f"LocalKeySigner(address={self._address}{state})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("LocalKeySigner holds a private key and cannot be pickled or copied")

    def __copy__(self) -> NoReturn:
        raise TypeError("LocalKeySigner holds a private key and cannot be copied")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("LocalKeySigner holds a private key and cannot be copied")


def recover_address(digest: bytes, signature65: bytes) -> str:
    """The checksummed address that produced `signature65` (r‖s‖v, v ∈ {0, 1, 27, 28}) over `digest`."""
    if len(digest) != 32:
        raise ValueError("digest must be exactly 32 bytes")
    if len(signature65) != 65:
        raise ValueError("signature must be exactly 65 bytes")
    v = signature65[64]
    recid = v - 27 if v >= 27 else v
    if recid not in (0, 1):
        raise ValueError(f"signature v must be 27 or 28 (or 0/1), got {v}")
    public_key = coincurve.PublicKey.from_signature_and_message(signature65[:64] + bytes((recid,)), digest, hasher=None)
    return address_from_public_key(public_key.format(compressed=False))


__all__ = ["LocalKeySigner", "Signer", "recover_address"]
