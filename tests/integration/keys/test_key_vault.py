"""The executor's KeyVault port over PostgreSQL + KMS."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from omegacopy.adapters.key_vault import PgKmsKeyVault
from omegacopy.adapters.pg_wallets import WalletNotFoundError, save_wallet
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.signer import recover_address

from .conftest import make_wallet

DIGEST = b"\x11" * 32


def test_key_vault_port(pg: psycopg.Connection[Any], pg_url: str, kms: Any, kms_key: str) -> None:
    w = make_wallet(kms, kms_key, signature_type=2)
    save_wallet(pg, w.row)
    vault = PgKmsKeyVault(pg_url, kms)
    try:
        identity = vault.identity(w.row.wallet_id)
        assert identity.address == w.address
        assert identity.funder == to_checksum_address(w.row.funder)
        assert identity.signature_type == 2
        with vault.signer(w.row.wallet_id) as signer:
            assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == w.address
        with pytest.raises(WalletNotFoundError):
            vault.identity("nobody")
        with pytest.raises(WalletNotFoundError), vault.signer("nobody"):
            pytest.fail("no signer for an unknown wallet")
        assert repr(vault) == "PgKmsKeyVault()"
    finally:
        vault.close()
