"""Small builders for OWRR inputs (positions + lifetime metrics of one category)."""

from __future__ import annotations

from collections.abc import Sequence

from omegacopy.domain.owrr import WalletMetric, WalletPosition

CATEGORY = "politics"

# (shares, avg_entry, omega) per wallet
Spec = tuple[float, float, float | None]

# The worked example of docs/owrr.md.
WORKED_YES: list[Spec] = [(1000, 0.60, 2.0), (400, 0.55, 1.2), (250, 0.70, 3.1)]
WORKED_NO: list[Spec] = [(800, 0.40, 1.5), (300, 0.35, 0.9), (120, 0.45, 2.2)]


def position(wallet: str, side: str, shares: float, avg: float, value: float | None = None) -> WalletPosition:
    return WalletPosition(wallet, side, shares, avg, shares * avg if value is None else value)


def metric(
    wallet: str,
    omega: float | None,
    bets: int | None = 25,
    category: str = CATEGORY,
    window: str = "lifetime",
) -> WalletMetric:
    return WalletMetric(wallet, category, window, omega, bets)


def market(yes: Sequence[Spec], no: Sequence[Spec], bets: int = 25) -> tuple[list[WalletPosition], list[WalletMetric]]:
    """Wallets y0.. and n0..; position value = shares × avg so the list order is not the ranking."""
    positions: list[WalletPosition] = []
    metrics: list[WalletMetric] = []
    for side, specs, prefix in (("YES", yes, "0xy"), ("NO", no, "0xn")):
        for i, (shares, avg, omega) in enumerate(specs):
            wallet = f"{prefix}{i:02d}"
            positions.append(position(wallet, side, shares, avg))
            metrics.append(metric(wallet, omega, bets))
    return positions, metrics


def unit_votes(risks: Sequence[float]) -> list[Spec]:
    """Wallets whose vote is exactly sqrt(risk): ω 1, entry 0.5 (risk = shares × 0.5 on either side)."""
    return [(2 * r, 0.5, 1.0) for r in risks]
