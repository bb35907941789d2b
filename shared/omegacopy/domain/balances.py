"""A wallet's balances at the exchange against what its strategies booked.

The exchange is the truth; the books (each strategy's cash and shares, summed per wallet) must
follow it. What a wallet held beyond the books when it was first checked (capital no strategy was
given) is its baseline; the drift is whatever moved since without the books moving with it: an
unbooked fill or fee, a transfer nobody recorded. One tolerance serves cash and shares alike: a
share is worth at most $1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from omegacopy.domain.money import to_micros

COLLATERAL: Final = "COLLATERAL"  # the asset name of pUSD; a token's is its token id


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    wallet_id: str
    asset: str  # COLLATERAL or a token id
    exchange_amount: Decimal  # pUSD or shares at the exchange
    booked_amount: Decimal  # what the wallet's strategies booked
    baseline: Decimal
    tolerance: Decimal

    @property
    def drift(self) -> Decimal:
        return to_micros(self.exchange_amount - self.booked_amount - self.baseline)

    @property
    def breached(self) -> bool:
        return abs(self.drift) > self.tolerance


def baseline_for(exchange_amount: Decimal, booked_amount: Decimal) -> Decimal:
    """A first check's baseline: what the wallet holds beyond the books (never less than nothing:
    a wallet short of its books is drift from the start, not a baseline)."""
    return max(Decimal(0), to_micros(exchange_amount - booked_amount))
