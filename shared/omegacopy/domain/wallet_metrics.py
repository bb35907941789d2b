"""A wallet's track record per category, computed by us from its positions (docs/data.md).

The metric OWRR weighs a wallet by is its omega in the market's category: gross gains over gross
losses across its *resolved* positions, net of fees. A position counts once its market has
resolved; one sold earlier counts at the P&L it realized, one still held counts at its payout.

Where the original analytics product's choices were odd, ours differ on purpose:
- a wallet with gains and no losses gets the cap (99999.9999, which OWRR clamps to 5), not NULL
  (which OWRR read as a neutral 1.0);
- omega is NULL only when the wallet has no resolved position in the category and window;
- `resolved_bets` counts positions (one per outcome token held), not trade rows;
- nothing won and nothing lost (every resolved position flat) is a neutral 1.0, not 0/0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from omegacopy.domain.public_data import MarketRecord, PublicPosition

OMEGA_CAP: Final = Decimal("99999.9999")
OMEGA_PLACES: Final = Decimal("0.0001")
CENT_PLACES: Final = Decimal("0.000001")
NEUTRAL_OMEGA: Final = Decimal("1")
OVERALL: Final = "overall"  # every resolved position, whatever its market's category
LIFETIME: Final = "lifetime"
WINDOW_DAYS: Final = {"30d": 30, "90d": 90}
WINDOWS: Final = (LIFETIME, *WINDOW_DAYS)
_ZERO: Final = Decimal("0")


@dataclass(frozen=True, slots=True)
class ResolvedPosition:
    """One position whose market has resolved, with the P&L it ended with (net of fees)."""

    wallet: str
    category: str | None
    condition_id: str
    token_id: str
    pnl_usd: Decimal
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class CategoryMetrics:
    """One row of `wallet_metrics_by_category`."""

    wallet: str
    category: str
    window: str
    omega_net: Decimal | None
    resolved_bets: int
    wins: int
    losing_bets: int
    gains_usd: Decimal
    losses_usd: Decimal
    last_active: datetime | None

    @property
    def realized_pnl_usd(self) -> Decimal:
        return self.gains_usd - self.losses_usd

    @property
    def win_rate(self) -> Decimal | None:
        return None if self.resolved_bets == 0 else Decimal(self.wins) / Decimal(self.resolved_bets)


def position_pnl(position: PublicPosition, market: MarketRecord) -> Decimal | None:
    """The P&L a position ended with, net of entry fees; None while its market is unresolved.

    Shares still held pay the market's payout for their outcome; what was sold earlier is already
    in `realized_pnl`. The API's P&L figures exclude entry fees, so they are subtracted once.
    """
    resolution = market.resolution
    if resolution is None:
        return None
    index = position.outcome_index
    payout = resolution.payouts[index] if 0 <= index < len(resolution.payouts) else _ZERO
    held = position.size if position.size > 0 else _ZERO
    held_pnl = held * (payout - position.avg_price)
    return position.realized_pnl + held_pnl - position.fees


def resolved_positions(
    positions: Iterable[PublicPosition], markets: Mapping[str, MarketRecord]
) -> list[ResolvedPosition]:
    """The positions of resolved markets, one per (wallet, token) (the latest row wins)."""
    latest: dict[tuple[str, str], PublicPosition] = {}
    for p in positions:
        key = (p.wallet.lower(), p.token_id)
        held = latest.get(key)
        if held is None or _newer(p, held):
            latest[key] = p
    out: list[ResolvedPosition] = []
    for (wallet, token_id), p in latest.items():
        market = markets.get(p.condition_id.lower())
        if market is None:
            continue
        pnl = position_pnl(p, market)
        if pnl is None:
            continue
        resolved_at = market.resolution.resolved_at if market.resolution else None
        out.append(ResolvedPosition(wallet, market.category, p.condition_id.lower(), token_id, pnl,
                                    resolved_at or p.last_event_at))  # fmt: skip
    return out


def _newer(a: PublicPosition, b: PublicPosition) -> bool:
    if a.last_event_at is None:
        return False
    return b.last_event_at is None or a.last_event_at > b.last_event_at


def wallet_metrics(
    wallet: str,
    resolved: Sequence[ResolvedPosition],
    *,
    now: datetime,
    categories: Iterable[str] = (),
    last_active: datetime | None = None,
) -> list[CategoryMetrics]:
    """Every (category, window) row of one wallet, plus `overall`, in one pass over its positions.

    `categories` adds rows for categories the wallet trades in without a resolved position there
    yet (they carry NULL omega and 0 bets: computed, nothing resolved).
    """
    wallet = wallet.lower()
    since = {window: now - timedelta(days=days) for window, days in WINDOW_DAYS.items()}
    tally: dict[tuple[str, str], _Tally] = {}
    for c in categories:
        if c:
            for window in WINDOWS:
                tally.setdefault((c.lower(), window), _Tally())
    for window in WINDOWS:
        tally.setdefault((OVERALL, window), _Tally())
    seen: set[str] = set()
    for p in resolved:
        windows = [LIFETIME]
        if p.resolved_at is not None:
            windows.extend(w for w, start in since.items() if p.resolved_at >= start)
        category = p.category.lower() if p.category else None
        for bucket in (OVERALL, category) if category else (OVERALL,):
            for window in windows:
                t = tally.get((bucket, window))
                if t is None:
                    t = tally[(bucket, window)] = _Tally()
                t.add(p.pnl_usd)
        if category:
            seen.add(category)
    for category in seen:  # a category seen only in a window still gets all its windows
        for window in WINDOWS:
            tally.setdefault((category, window), _Tally())
    order = {w: i for i, w in enumerate(WINDOWS)}
    keys = sorted(tally, key=lambda k: (k[0] == OVERALL, k[0], order[k[1]]))
    return [tally[k].row(wallet, k[0], k[1], last_active) for k in keys]


class _Tally:
    __slots__ = ("bets", "gains", "losing", "losses", "wins")

    def __init__(self) -> None:
        self.gains = _ZERO
        self.losses = _ZERO
        self.bets = self.wins = self.losing = 0

    def add(self, pnl: Decimal) -> None:
        self.bets += 1
        if pnl > 0:
            self.gains += pnl
            self.wins += 1
        elif pnl < 0:
            self.losses -= pnl
            self.losing += 1

    def row(self, wallet: str, category: str, window: str, last_active: datetime | None) -> CategoryMetrics:
        return CategoryMetrics(
            wallet=wallet,
            category=category,
            window=window,
            omega_net=omega(self.gains, self.losses, self.bets),
            resolved_bets=self.bets,
            wins=self.wins,
            losing_bets=self.losing,
            gains_usd=self.gains.quantize(CENT_PLACES, rounding=ROUND_HALF_EVEN),
            losses_usd=self.losses.quantize(CENT_PLACES, rounding=ROUND_HALF_EVEN),
            last_active=last_active,
        )


def summarize(
    wallet: str, category: str, window: str, positions: Sequence[ResolvedPosition], last_active: datetime | None
) -> CategoryMetrics:
    """One row from its positions (what `wallet_metrics` computes for each category and window)."""
    t = _Tally()
    for p in positions:
        t.add(p.pnl_usd)
    return t.row(wallet, category, window, last_active)


def omega(gains: Decimal, losses: Decimal, resolved_bets: int) -> Decimal | None:
    """Gross gains over gross losses, capped; see the module docstring for the edge cases."""
    if resolved_bets == 0:
        return None
    if losses == 0:
        return OMEGA_CAP if gains > 0 else NEUTRAL_OMEGA
    return min(OMEGA_CAP, (gains / losses).quantize(OMEGA_PLACES, rounding=ROUND_HALF_EVEN))
