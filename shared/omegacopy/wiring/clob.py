"""The CLOB client of the functions that trade or redeem (executor, reconciler, settlement)."""

from __future__ import annotations

from omegacopy.adapters.clob_exchanges import ClobExchanges
from omegacopy.config import ExecutorEnv, SettlementEnv
from omegacopy.ports import KeyVault


def clob_exchanges(env: ExecutorEnv | SettlementEnv, identities: KeyVault) -> ClobExchanges:
    """One client per wallet, its API credentials read by name under the environment's prefix."""
    return ClobExchanges(
        env.clob_url,
        credentials_prefix=env.clob_credentials_prefix,
        identities=identities,
        chain_id=env.chain_id,
        timeout_s=env.http_timeout_s,
    )
