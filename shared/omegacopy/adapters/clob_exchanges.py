"""One CLOB client per follower wallet, with that wallet's API credentials from Secrets Manager.

Clients are kept for the container's life (keep-alive connections, cached market info, the
per-signer token bucket); credentials are cached by Powertools with a max age, so a rotated
secret is picked up without a redeploy, and at once after a 401 (the client evicts them and reads
the secret again, bypassing the cache).
"""

from __future__ import annotations

from typing import Any

import httpx

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob.resilience import SignerRateLimiter
from omegacopy.adapters.clob_credentials import credentials_secret_name, load_credentials
from omegacopy.ports import KeyVault


class ClobExchanges:
    def __init__(
        self,
        base_url: str,
        *,
        credentials_prefix: str,
        identities: KeyVault,
        chain_id: int = 137,
        timeout_s: float = 5.0,
        max_clock_skew_s: float = 5.0,
        secrets_provider: Any = None,
        rate_limiter: SignerRateLimiter | None = None,
    ) -> None:
        self._base_url = base_url
        self._prefix = credentials_prefix
        self._identities = identities
        self._chain_id = chain_id
        self._timeout = httpx.Timeout(connect=min(2.0, timeout_s), read=timeout_s, write=timeout_s, pool=1.0)
        self._max_clock_skew_s = max_clock_skew_s
        self._provider = secrets_provider
        self._rate_limiter = rate_limiter  # one per-signer bucket shared by every client of this process
        self._clients: dict[str, ClobClient] = {}

    def for_wallet(self, wallet_id: str) -> ClobClient:
        client = self._clients.get(wallet_id)
        if client is None:
            identity = self._identities.identity(wallet_id)
            name = credentials_secret_name(self._prefix, wallet_id)
            creds = load_credentials(name, provider=self._provider)
            client = ClobClient(
                self._base_url,
                address=identity.address,
                credentials=creds,
                refresh_credentials=lambda: load_credentials(name, force_fetch=True, provider=self._provider),
                chain_id=self._chain_id,
                signature_type=identity.signature_type,
                timeout=self._timeout,
                max_clock_skew_s=self._max_clock_skew_s,
                rate_limiter=self._rate_limiter,
            )
            self._clients[wallet_id] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
