"""The executor's `KeyVault`: wallet identity from PostgreSQL, a KMS-unwrapped signer per `with`.

Every `signer()` re-reads the row (a rotation takes effect at once) and unwraps the key for the
duration of the block only; nothing derived from the key is kept on the instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.adapters.pg_wallets import WalletNotFoundError, WalletRow, load_wallet
from omegacopy.adapters.wallet_keys import KmsKeyUnwrapper
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.signer import Signer
from omegacopy.ports import WalletIdentity


class PgKmsKeyVault:
    """`KeyVault` over the `wallets` table and KMS. One lazily opened autocommit connection."""

    def __init__(
        self,
        url: str,
        kms_client: Any,
        *,
        statement_timeout_ms: int = 5_000,
        connect_timeout_s: int = 5,
        unwrapper: KmsKeyUnwrapper | None = None,
    ) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)
        self._unwrapper = unwrapper or KmsKeyUnwrapper(kms_client)

    def __repr__(self) -> str:
        return "PgKmsKeyVault()"

    def _row(self, wallet_id: str) -> WalletRow:
        try:
            row = load_wallet(self._pg.get(), wallet_id)
        except psycopg.OperationalError:
            self.close()
            raise
        if row is None:
            raise WalletNotFoundError(f"wallet {wallet_id}: not found")
        return row

    def identity(self, wallet_id: str) -> WalletIdentity:
        row = self._row(wallet_id)
        return WalletIdentity(
            wallet_id=row.wallet_id,
            address=to_checksum_address(row.address),
            funder=to_checksum_address(row.funder),
            signature_type=row.signature_type,
        )

    @contextmanager
    def signer(self, wallet_id: str) -> Iterator[Signer]:
        """Raises `KeyUnwrapError` (retryable: `KeyServiceUnavailableError`) or `WalletNotFoundError`."""
        with self._unwrapper.signer_for(self._row(wallet_id)) as signer:
            yield signer

    def close(self) -> None:
        self._pg.close()
