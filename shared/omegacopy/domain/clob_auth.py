"""CLOB authentication: L1 (EIP-712 ClobAuth, to create/derive API keys) and L2 (HMAC per request).

Header names, their order and value formats are the official SDK's; the tests prove the bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from omegacopy.domain.evm import address_bytes, keccak256, to_checksum_address
from omegacopy.domain.signer import Signer

CLOB_AUTH_MESSAGE: Final = "This message attests that I control the given wallet"
_CLOB_AUTH_DOMAIN_TYPEHASH: Final = keccak256(b"EIP712Domain(string name,string version,uint256 chainId)")
_CLOB_AUTH_TYPEHASH: Final = keccak256(b"ClobAuth(address address,string timestamp,uint256 nonce,string message)")
_CLOB_AUTH_NAME_HASH: Final = keccak256(b"ClobAuthDomain")
_CLOB_AUTH_VERSION_HASH: Final = keccak256(b"1")
_CLOB_AUTH_MESSAGE_HASH: Final = keccak256(CLOB_AUTH_MESSAGE.encode())
# What an HTTP header value may hold here: visible ASCII. A CR or LF would let a value start a new
# header (or a new request); other control characters have no business in credentials either.
_HEADER_VALUE: Final = re.compile(r"[\x21-\x7e]+")


def check_header_values(headers: Mapping[str, str]) -> None:
    """Refuse a header value with a line break, a control character or a space (never quoting it)."""
    for name, value in headers.items():
        if _HEADER_VALUE.fullmatch(value) is None:
            raise ValueError(f"{name}: a header value must be visible ASCII, without line breaks or spaces")


def _decode_secret(secret: str) -> bytes:
    """URL-safe base64 secret → HMAC key; missing `=` padding tolerated as the SDK does.

    Strict, unlike the SDK: stray characters are an error, not silently dropped (which would
    sign with a different key and surface only as a 401).
    """
    try:
        return base64.b64decode(secret + "=" * (-len(secret) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("API secret is not valid URL-safe base64") from None


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """L2 API credentials. repr/str never show the secret or the passphrase."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)

    def __post_init__(self) -> None:
        if not (self.api_key and self.secret and self.passphrase):
            raise ValueError("api_key, secret and passphrase must all be non-empty")
        check_header_values({"api_key": self.api_key, "passphrase": self.passphrase})
        _decode_secret(self.secret)

    def __repr__(self) -> str:
        return f"ApiCredentials(api_key={self.api_key!r}, secret=<redacted>, passphrase=<redacted>)"

    __str__ = __repr__


def l2_signature(secret: str, timestamp_s: int | str, method: str, path: str, body: bytes | str | None) -> str:
    """POLY_SIGNATURE: URL-safe base64 (with `=`) HMAC-SHA256 of timestamp‖METHOD‖path‖body.

    `path` is the request path without the query string; `body` the exact bytes sent.
    """
    if "?" in path:
        raise ValueError("sign the path without its query string")
    message = f"{timestamp_s}{method.upper()}{path}".encode()
    if body is not None:
        message += body.encode() if isinstance(body, str) else bytes(body)
    digest = hmac.new(_decode_secret(secret), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def l2_headers(  # noqa: PLR0917 - positional signature is the agreed public API
    address: str,
    creds: ApiCredentials,
    timestamp_s: int,
    method: str,
    path: str,
    body: bytes | None,
) -> dict[str, str]:
    """The five L2 headers of one request; `address` is the EOA (also for proxy/Safe/1271)."""
    headers = {
        "POLY_ADDRESS": to_checksum_address(address),
        "POLY_API_KEY": creds.api_key,
        "POLY_PASSPHRASE": creds.passphrase,
        "POLY_SIGNATURE": l2_signature(creds.secret, timestamp_s, method, path, body),
        "POLY_TIMESTAMP": str(timestamp_s),
    }
    check_header_values(headers)
    return headers


def clob_auth_digest(address: str, chain_id: int, timestamp_s: int, nonce: int = 0) -> bytes:
    """EIP-712 digest of ClobAuth{address, timestamp (a string), nonce, message} in ClobAuthDomain."""
    if nonce < 0:
        raise ValueError("nonce must be non-negative")
    separator = keccak256(
        _CLOB_AUTH_DOMAIN_TYPEHASH + _CLOB_AUTH_NAME_HASH + _CLOB_AUTH_VERSION_HASH + chain_id.to_bytes(32, "big")
    )
    struct_hash = keccak256(
        _CLOB_AUTH_TYPEHASH
        + bytes(12)
        + address_bytes(address)
        + keccak256(str(timestamp_s).encode())
        + nonce.to_bytes(32, "big")
        + _CLOB_AUTH_MESSAGE_HASH
    )
    return keccak256(b"\x19\x01" + separator + struct_hash)


def l1_headers(signer: Signer, chain_id: int, timestamp_s: int, nonce: int = 0) -> dict[str, str]:
    """Headers for `POST /auth/api-key` and `GET /auth/derive-api-key`."""
    address = to_checksum_address(signer.address)
    signature = signer.sign_digest(clob_auth_digest(address, chain_id, timestamp_s, nonce))
    headers = {
        "POLY_ADDRESS": address,
        "POLY_NONCE": str(nonce),
        "POLY_SIGNATURE": "0x" + signature.hex(),
        "POLY_TIMESTAMP": str(timestamp_s),
    }
    check_header_values(headers)
    return headers


__all__ = [
    "CLOB_AUTH_MESSAGE",
    "ApiCredentials",
    "check_header_values",
    "clob_auth_digest",
    "l1_headers",
    "l2_headers",
    "l2_signature",
]
