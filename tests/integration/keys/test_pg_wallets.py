"""Wallet rows in PostgreSQL: round trip, conflicts, compare-and-swap envelope updates."""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg
import pytest

from omegacopy.adapters.pg_wallets import (
    WalletExistsError,
    WalletNotFoundError,
    load_wallet,
    save_wallet,
    set_credentials_ref,
    update_envelope,
)
from omegacopy.adapters.wallet_keys import KeyUnwrapError, KmsKeyUnwrapper, rewrap
from omegacopy.domain.signer import recover_address

from .conftest import Wallet, make_wallet

DIGEST = b"\x11" * 32


def test_save_and_load_round_trip(pg: psycopg.Connection[Any], kms: Any, wallet: Wallet) -> None:
    row = dataclasses.replace(wallet.row, credentials_ref="omegacopy/test/clob/" + wallet.row.wallet_id)
    save_wallet(pg, row)
    loaded = load_wallet(pg, row.wallet_id)
    assert loaded == row
    assert loaded is not None and loaded.address == wallet.address.lower()
    with KmsKeyUnwrapper(kms).signer_for(loaded) as signer:
        assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == wallet.address
    assert load_wallet(pg, "nobody") is None


def test_rows_are_normalised_and_validated(wallet: Wallet) -> None:
    row = dataclasses.replace(wallet.row, address=wallet.address.upper().replace("0X", "0x"))
    assert row.address == wallet.address.lower()
    with pytest.raises(ValueError, match="signature_type"):
        dataclasses.replace(wallet.row, signature_type=4)
    with pytest.raises(ValueError, match="funder"):
        dataclasses.replace(wallet.row, funder="0x1234")
    with pytest.raises(ValueError, match="wallet id"):
        dataclasses.replace(wallet.row, wallet_id="")


def test_existing_wallet_id_or_address_is_refused(pg: psycopg.Connection[Any], kms: Any, kms_key: str) -> None:
    first = make_wallet(kms, kms_key)
    save_wallet(pg, first.row)
    second = make_wallet(kms, kms_key, wallet_id=first.row.wallet_id)
    with pytest.raises(WalletExistsError, match="wallet id"):
        save_wallet(pg, second.row)
    with pytest.raises(WalletExistsError, match="address"):
        save_wallet(pg, dataclasses.replace(first.row, wallet_id="another-id"))
    # replace=True overwrites; a None credentials_ref keeps the stored one
    set_credentials_ref(pg, first.row.wallet_id, "omegacopy/test/clob/x")
    save_wallet(pg, second.row, replace=True)
    loaded = load_wallet(pg, first.row.wallet_id)
    assert loaded is not None
    assert loaded.address == second.row.address
    assert loaded.envelope == second.row.envelope
    assert loaded.credentials_ref == "omegacopy/test/clob/x"


def test_save_inside_a_transaction_leaves_it_usable_after_a_conflict(pg_url: str, kms: Any, wallet: Wallet) -> None:
    with psycopg.connect(pg_url) as conn:
        save_wallet(conn, wallet.row)
        with pytest.raises(WalletExistsError):
            save_wallet(conn, wallet.row)
        assert load_wallet(conn, wallet.row.wallet_id) is not None  # the outer transaction survived


def test_update_envelope_is_compare_and_swap(pg: psycopg.Connection[Any], kms: Any, wallet: Wallet) -> None:
    save_wallet(pg, wallet.row)
    old = wallet.row.envelope
    assert old is not None
    new_key = kms.create_key()["KeyMetadata"]["Arn"]
    first = rewrap(kms, old, new_key, wallet_id=wallet.row.wallet_id, address=wallet.row.address)
    second = rewrap(kms, old, new_key, wallet_id=wallet.row.wallet_id, address=wallet.row.address)
    update_envelope(pg, wallet.row.wallet_id, first, expected=old)
    with pytest.raises(WalletNotFoundError, match="changed meanwhile"):
        update_envelope(pg, wallet.row.wallet_id, second, expected=old)  # a concurrent rotation lost
    loaded = load_wallet(pg, wallet.row.wallet_id)
    assert loaded is not None and loaded.envelope == first
    with pytest.raises(WalletNotFoundError):
        update_envelope(pg, "nobody", first)


def test_swapped_rows_in_the_database_are_refused(pg: psycopg.Connection[Any], kms: Any, kms_key: str) -> None:
    a = make_wallet(kms, kms_key)
    b = make_wallet(kms, kms_key)
    save_wallet(pg, a.row)
    save_wallet(pg, b.row)
    assert a.row.envelope is not None
    pg.execute(
        "UPDATE wallets SET kms_key_id = %s, wrapped_data_key = %s, key_nonce = %s, key_ciphertext = %s"
        " WHERE wallet_id = %s",
        (
            a.row.envelope.kms_key_id,
            a.row.envelope.wrapped_data_key,
            a.row.envelope.nonce,
            a.row.envelope.ciphertext,
            b.row.wallet_id,
        ),
    )
    stored_b = load_wallet(pg, b.row.wallet_id)
    assert stored_b is not None
    signatures: list[bytes] = []
    with (
        pytest.raises(KeyUnwrapError, match=f"wallet {b.row.wallet_id}: envelope rejected"),
        KmsKeyUnwrapper(kms).signer_for(stored_b) as signer,
    ):
        signatures.append(signer.sign_digest(DIGEST))
    assert signatures == []
