"""Wallet rows in PostgreSQL: identity, funder, signature type, the key envelope, credentials NAME.

The caller owns the connection and the transaction (autocommit or `with conn.transaction()`).
Nothing secret is stored here in plaintext: the key only as a KMS envelope, the CLOB API
credentials only as the name of their Secrets Manager secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors

from omegacopy.adapters.wallet_keys import KeyEnvelope, normalize_address

_WALLET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")
_COLUMNS: Final = (
    "wallet_id, address, funder, signature_type, kms_key_id, wrapped_data_key, key_nonce, key_ciphertext, "
    "credentials_ref"
)


class WalletExistsError(Exception):
    """The wallet id (or its address, under another id) is already stored."""


class WalletNotFoundError(LookupError):
    """No row for this wallet id (or the expected envelope was replaced meanwhile)."""


def validate_wallet_id(wallet_id: str) -> str:
    """Wallet ids are also Secrets Manager name segments: letters, digits, `_ . @ -`, ≤ 128."""
    if not isinstance(wallet_id, str) or _WALLET_ID.fullmatch(wallet_id) is None:
        raise ValueError("wallet id must be 1-128 of letters, digits, '_', '.', '@', '-' (starting alphanumeric)")
    return wallet_id


@dataclass(frozen=True, slots=True)
class WalletRow:
    """One `wallets` row. `address`/`funder` are normalised to lower case; repr shows no key bytes."""

    wallet_id: str
    address: str
    funder: str
    signature_type: int
    envelope: KeyEnvelope | None = None
    credentials_ref: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.wallet_id, str) or not self.wallet_id:
            raise ValueError("wallet id must be a non-empty string")  # the format is checked where ids are made
        object.__setattr__(self, "address", normalize_address(self.address))
        try:
            object.__setattr__(self, "funder", normalize_address(self.funder))
        except ValueError:
            raise ValueError("funder must be 0x followed by 40 hex digits") from None
        if type(self.signature_type) is not int or not 0 <= self.signature_type <= 3:
            raise ValueError("signature_type must be an int 0..3")


def _envelope_params(envelope: KeyEnvelope | None) -> tuple[str | None, bytes | None, bytes | None, bytes | None]:
    if envelope is None:
        return (None, None, None, None)
    return (envelope.kms_key_id, envelope.wrapped_data_key, envelope.nonce, envelope.ciphertext)


def _row(values: tuple[Any, ...]) -> WalletRow:
    wallet_id, address, funder, signature_type, kms_key_id, wrapped, nonce, ciphertext, credentials_ref = values
    envelope = None
    if kms_key_id is not None and wrapped is not None and nonce is not None and ciphertext is not None:
        envelope = KeyEnvelope(
            kms_key_id=kms_key_id, wrapped_data_key=bytes(wrapped), nonce=bytes(nonce), ciphertext=bytes(ciphertext)
        )
    return WalletRow(
        wallet_id=wallet_id,
        address=address,
        funder=funder,
        signature_type=int(signature_type),
        envelope=envelope,
        credentials_ref=credentials_ref,
    )


def save_wallet(conn: psycopg.Connection[Any], row: WalletRow, *, replace: bool = False) -> None:
    """Insert the row; `replace=True` overwrites an existing row of the same wallet id.

    On replace, a `credentials_ref` of None keeps the stored one. Raises `WalletExistsError` when
    the id exists (without `replace`) or the address belongs to another wallet id.
    """
    conflict = (
        "ON CONFLICT (wallet_id) DO UPDATE SET address = EXCLUDED.address, funder = EXCLUDED.funder,"
        " signature_type = EXCLUDED.signature_type, kms_key_id = EXCLUDED.kms_key_id,"
        " wrapped_data_key = EXCLUDED.wrapped_data_key, key_nonce = EXCLUDED.key_nonce,"
        " key_ciphertext = EXCLUDED.key_ciphertext,"
        " credentials_ref = COALESCE(EXCLUDED.credentials_ref, wallets.credentials_ref), updated_at = now()"
        if replace
        else ""
    )
    params = (row.wallet_id, row.address, row.funder, row.signature_type, *_envelope_params(row.envelope))
    try:
        with conn.transaction():  # a savepoint inside the caller's transaction: a conflict leaves it usable
            conn.execute(
                f"INSERT INTO wallets ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) {conflict}",  # noqa: S608
                (*params, row.credentials_ref),
            )
    except pg_errors.UniqueViolation as exc:
        what = "address" if "address" in (exc.diag.constraint_name or "") else "wallet id"
        raise WalletExistsError(f"wallet {row.wallet_id}: a wallet with this {what} already exists") from None


def load_wallet(conn: psycopg.Connection[Any], wallet_id: str, *, for_update: bool = False) -> WalletRow | None:
    """The row, or None. `for_update=True` locks it until the caller's transaction ends."""
    lock = " FOR UPDATE" if for_update else ""
    values = conn.execute(
        f"SELECT {_COLUMNS} FROM wallets WHERE wallet_id = %s{lock}",  # noqa: S608
        (wallet_id,),
    ).fetchone()
    return None if values is None else _row(values)


def update_envelope(
    conn: psycopg.Connection[Any],
    wallet_id: str,
    envelope: KeyEnvelope,
    *,
    expected: KeyEnvelope | None = None,
) -> None:
    """Replace the wallet's envelope in one statement.

    With `expected`, only if the stored envelope is still exactly that one (compare-and-swap, so
    two concurrent rotations cannot silently overwrite each other). Raises `WalletNotFoundError`
    when no row matched.
    """
    sql = (
        "UPDATE wallets SET kms_key_id = %s, wrapped_data_key = %s, key_nonce = %s, key_ciphertext = %s,"
        " updated_at = now() WHERE wallet_id = %s"
    )
    params: list[Any] = [*_envelope_params(envelope), wallet_id]
    if expected is not None:
        sql += " AND kms_key_id = %s AND wrapped_data_key = %s AND key_nonce = %s AND key_ciphertext = %s"
        params.extend(_envelope_params(expected))
    if conn.execute(sql, params).rowcount != 1:
        raise WalletNotFoundError(f"wallet {wallet_id}: not found or its envelope changed meanwhile")


def set_credentials_ref(conn: psycopg.Connection[Any], wallet_id: str, credentials_ref: str | None) -> None:
    """Point the wallet at the Secrets Manager secret holding its CLOB API credentials."""
    cur = conn.execute(
        "UPDATE wallets SET credentials_ref = %s, updated_at = now() WHERE wallet_id = %s",
        (credentials_ref, wallet_id),
    )
    if cur.rowcount != 1:
        raise WalletNotFoundError(f"wallet {wallet_id}: not found")


__all__ = [
    "WalletExistsError",
    "WalletNotFoundError",
    "WalletRow",
    "load_wallet",
    "save_wallet",
    "set_credentials_ref",
    "update_envelope",
    "validate_wallet_id",
]
