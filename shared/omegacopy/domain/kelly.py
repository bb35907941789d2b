"""Kelly sizing from a leader's measured edge in one category (sizing mode `kelly`).

From the leader's lifetime record in the trade's category (`wallet_metrics_by_category`,
docs/data.md):
- win rate p = wins / resolved_bets (a flat bet, neither won nor lost, counts as not won);
- payoff b = average win / average loss = (gains_usd / wins) / (losses_usd / losing_bets);
- full Kelly f* = p − (1 − p) / b, the share of the bankroll that maximises its growth.

A record without a single loss has an unbounded payoff: f* tends to p, which is used. A record
without a win has p = 0 and no edge. The strategy stakes `kelly_fraction` × f* of its cash (quarter
Kelly: 0.25), and the usual caps apply after that (`domain.decisions.size_entry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Final

from omegacopy.domain.money import ONE, ORDER_MATH_CONTEXT, ZERO, quantize

KELLY_STEP: Final = Decimal("0.000001")  # p, b and f* are kept to 6 places, rounded down (never overstated)
# products of counts and 6-place dollars stay far below 60 digits: computed exactly
_EXACT: Final = ORDER_MATH_CONTEXT


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """A leader's resolved bets in one category (lifetime), as the indexer measured them."""

    wallet: str
    category: str
    resolved_bets: int
    wins: int
    losing_bets: int
    gains_usd: Decimal
    losses_usd: Decimal


@dataclass(frozen=True, slots=True)
class KellyEstimate:
    win_rate: Decimal
    payoff: Decimal | None  # None: no loss yet, the payoff is unbounded
    full: Decimal  # f*, at most 1; zero or negative means no edge

    @property
    def has_edge(self) -> bool:
        return self.full > 0

    def details(self) -> dict[str, str]:
        return {
            "kelly_win_rate": str(self.win_rate),
            "kelly_payoff": "unbounded" if self.payoff is None else str(self.payoff),
            "kelly_full": str(self.full),
        }


@lru_cache(maxsize=4096)  # a leader's record is checked, then sized from, once per strategy following it
def kelly(record: TrackRecord) -> KellyEstimate:
    """f* of a record with at least one resolved bet (see the module docstring).

    With W wins and K losing bets of N, gains G and losses L: b = G·K / (W·L), and
    f* = W·(G·K − (N − W)·L) / (N·G·K) — one division, rounded down, so the sign is exact and f*
    is never overstated."""
    n, w, k = record.resolved_bets, record.wins, record.losing_bets
    if n <= 0:
        raise ValueError("a Kelly estimate needs at least one resolved bet")
    g, loss = record.gains_usd, record.losses_usd
    p = _ratio(Decimal(w), Decimal(n))
    if k == 0 or loss <= 0:
        payoff, full = None, p  # no loss yet: the limit of f* as the payoff grows without bound
    elif w == 0 or g <= 0:
        payoff, full = ZERO, -ONE  # nothing ever won: no edge at any win rate
    else:
        x = _EXACT
        payoff = _ratio(x.multiply(g, k), x.multiply(w, loss))
        edge = x.multiply(w, x.subtract(x.multiply(g, k), x.multiply(n - w, loss)))
        full = _ratio(edge, x.multiply(x.multiply(n, g), k))
    return KellyEstimate(p, payoff, min(full, ONE))


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator to 6 places, rounded down (from a 60-digit quotient: its error is
    far below the 6th place, and its sign is the exact one)."""
    return quantize(_EXACT.divide(numerator, denominator), KELLY_STEP, ROUND_FLOOR)
