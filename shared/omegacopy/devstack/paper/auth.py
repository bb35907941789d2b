"""Who may call the paper exchange: L2 (HMAC) on trading calls and L1 (ClobAuth EIP-712) on the
API-key endpoints, checked from the protocol text with eth-account, never with our own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from decimal import Decimal
from email.message import Message
from typing import Any, Final, NamedTuple

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.address import to_checksum_address

from omegacopy.devstack.paper.ledger import Ledger, PaperAccount

ERR_UNAUTHORIZED: Final = "Unauthorized/Invalid api key"
ERR_L1: Final = "Invalid L1 Request headers"
_CLOB_AUTH_MESSAGE: Final = "This message attests that I control the given wallet"
_SECP256K1_HALF_N: Final = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_HEX_ADDRESS: Final = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX: Final = re.compile(r"0x(?:[0-9a-fA-F]{2})+")
DIGITS: Final = re.compile(r"[0-9]+")


class PaperCredentials(NamedTuple):
    """L2 credentials bound to one EOA (same field names as `omegacopy.domain.clob_auth.ApiCredentials`)."""

    api_key: str
    secret: str
    passphrase: str


class AuthRefusedError(Exception):
    """An L1 request the exchange refuses: `status` and the documented message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def recover(signable: SignableMessage, sig65: bytes) -> str | None:
    """Recovered address, or None for a malformed / non-canonical signature (as the contracts do)."""
    if len(sig65) != 65 or sig65[64] not in (27, 28):
        return None
    if int.from_bytes(sig65[32:64], "big") > _SECP256K1_HALF_N:
        return None  # high-s: OpenZeppelin's ECDSA refuses malleable signatures
    try:
        return str(Account.recover_message(signable, signature=sig65))
    except Exception:
        return None


def hmac_signature(secret: str, message: bytes) -> str:
    key = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


class ApiKeys:
    """The API keys the exchange issued, per (EOA, nonce)."""

    def __init__(self, ledger: Ledger, chain_id: int) -> None:
        self._ledger = ledger
        self._chain_id = chain_id
        self._keys: dict[str, tuple[str, PaperCredentials]] = {}  # api key -> (eoa lower, creds)
        self._by_nonce: dict[tuple[str, int], PaperCredentials] = {}

    def existing(self, eoa_lower: str, nonce: int) -> PaperCredentials | None:
        return self._by_nonce.get((eoa_lower, nonce))

    def keys_of(self, eoa_lower: str) -> list[str]:
        return [key for key, (owner, _) in self._keys.items() if owner == eoa_lower]

    def revoke(self, api_key: str) -> None:
        """The key stops working at once (`DELETE /auth/api-key`, or a rotation)."""
        _, creds = self._keys.pop(api_key, ("", None))
        if creds is not None:
            self._by_nonce = {k: v for k, v in self._by_nonce.items() if v.api_key != api_key}

    def rotate(self, eoa_lower: str) -> PaperCredentials:
        """Every key of the EOA revoked, and a new one issued (nonce 0)."""
        for key in self.keys_of(eoa_lower):
            self.revoke(key)
        return self.issue(eoa_lower, 0)

    def issue(self, eoa_lower: str, nonce: int) -> PaperCredentials:
        creds = PaperCredentials(
            api_key=str(uuid.uuid4()),
            secret=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            passphrase=secrets.token_hex(32),
        )
        self._keys[creds.api_key] = (eoa_lower, creds)
        self._by_nonce[(eoa_lower, nonce)] = creds
        return creds

    def authenticate(
        self, method: str, path: str, headers: Message, body: bytes, *, now: float, window_s: float | None
    ) -> tuple[PaperAccount, str] | None:
        """(account, api key) for valid L2 headers, else None (-> 401)."""
        address = headers.get("POLY_ADDRESS") or ""
        signature = headers.get("POLY_SIGNATURE") or ""
        timestamp = headers.get("POLY_TIMESTAMP") or ""
        api_key = headers.get("POLY_API_KEY") or ""
        passphrase = headers.get("POLY_PASSPHRASE") or ""
        eoa_lower, creds = self._keys.get(api_key, ("", None))
        account = self._ledger.accounts.get(eoa_lower)
        if creds is None or account is None or not DIGITS.fullmatch(timestamp):
            return None
        fresh = window_s is None or abs(now - int(timestamp)) <= window_s
        expected = hmac_signature(creds.secret, f"{timestamp}{method}{path}".encode() + body)
        valid = (
            fresh
            and address.lower() == eoa_lower
            and hmac.compare_digest(passphrase.encode(), creds.passphrase.encode())
            and hmac.compare_digest(signature.encode(), expected.encode())
        )
        return (account, api_key) if valid else None

    def l1(self, headers: Message, *, create: bool) -> PaperCredentials:
        """`POST /auth/api-key` (create) or `GET /auth/derive-api-key`; raises `AuthRefusedError`."""
        address = headers.get("POLY_ADDRESS") or ""
        signature = headers.get("POLY_SIGNATURE") or ""
        timestamp = headers.get("POLY_TIMESTAMP") or ""
        nonce_text = headers.get("POLY_NONCE") or "0"
        if not (_HEX_ADDRESS.fullmatch(address) and _HEX.fullmatch(signature)):
            raise AuthRefusedError(401, ERR_L1)
        if not (DIGITS.fullmatch(timestamp) and DIGITS.fullmatch(nonce_text)):
            raise AuthRefusedError(401, ERR_L1)
        typed: dict[str, Any] = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                ],
                "ClobAuth": [
                    {"name": "address", "type": "address"},
                    {"name": "timestamp", "type": "string"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "message", "type": "string"},
                ],
            },
            "primaryType": "ClobAuth",
            "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": self._chain_id},
            "message": {
                "address": to_checksum_address(address),
                "timestamp": timestamp,
                "nonce": int(nonce_text),
                "message": _CLOB_AUTH_MESSAGE,
            },
        }
        recovered = recover(encode_typed_data(full_message=typed), bytes.fromhex(signature[2:]))
        if recovered is None or recovered.lower() != address.lower():
            raise AuthRefusedError(401, ERR_L1)
        eoa_lower, nonce = address.lower(), int(nonce_text)
        existing = self.existing(eoa_lower, nonce)
        if not create:
            if existing is None:
                raise AuthRefusedError(400, "Could not derive api key!")
            return existing
        if existing is not None:
            raise AuthRefusedError(400, "Could not create api key")
        if eoa_lower not in self._ledger.accounts:
            eoa = to_checksum_address(address)
            self._ledger.accounts[eoa_lower] = PaperAccount(eoa, eoa, 0, Decimal(0))
            self._ledger.wallet_owner[eoa_lower] = eoa_lower
        return self.issue(eoa_lower, nonce)
