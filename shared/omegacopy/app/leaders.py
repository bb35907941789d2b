"""Leader discovery: whom to follow, ranked by our own metrics, straight from the public APIs.

A wallet's card is computed the way the indexer computes `wallet_metrics_by_category` (the same
domain functions over the same positions), but needs no database: an operator can vet a wallet
before deploying anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from omegacopy.domain.public_data import MarketRecord, PositionStatus, PublicPosition
from omegacopy.domain.wallet_metrics import LIFETIME, OVERALL, CategoryMetrics, resolved_positions, wallet_metrics
from omegacopy.ports import PublicData

MARKET_BATCH = 50


@dataclass(frozen=True, slots=True)
class LeaderCard:
    wallet: str
    metrics: tuple[CategoryMetrics, ...]  # lifetime rows, one per category (and `overall`)
    positions: int
    invalid_rows: int

    def category(self, name: str) -> CategoryMetrics | None:
        for m in self.metrics:
            if m.category == name:
                return m
        return None


@dataclass(frozen=True, slots=True)
class Candidate:
    card: LeaderCard
    sources: tuple[str, ...]  # where the wallet was found: leaderboard:<period>, holders:<market>


class MarketCache:
    """Markets looked up once per command, in batches (many wallets share markets)."""

    def __init__(self, data: PublicData) -> None:
        self._data = data
        self._known: dict[str, MarketRecord] = {}
        self._missing: set[str] = set()

    def get(self, condition_ids: Iterable[str]) -> dict[str, MarketRecord]:
        ids = {c.lower() for c in condition_ids}
        wanted = sorted(ids - set(self._known) - self._missing)
        for i in range(0, len(wanted), MARKET_BATCH):
            batch = wanted[i : i + MARKET_BATCH]
            page = self._data.markets(batch)
            for m in page.rows:
                self._known[m.condition_id] = m
            self._missing.update(set(batch) - {m.condition_id for m in page.rows})
        return {c: self._known[c] for c in ids if c in self._known}


def leader_card(data: PublicData, wallet: str, *, now: datetime, markets: MarketCache | None = None) -> LeaderCard:
    wallet = wallet.lower()
    cache = markets or MarketCache(data)
    positions: list[PublicPosition] = []
    invalid = 0
    for status in (PositionStatus.OPEN, PositionStatus.CLOSED):
        for page in data.wallet_positions(wallet, status):
            positions.extend(page.rows)
            invalid += len(page.invalid)
    known = cache.get(p.condition_id for p in positions)
    resolved = resolved_positions(positions, known)
    categories = {m.category for m in known.values() if m.category}
    last_active = max((p.last_event_at for p in positions if p.last_event_at), default=None)
    rows = wallet_metrics(wallet, resolved, now=now, categories=categories, last_active=last_active)
    lifetime = tuple(m for m in rows if m.window == LIFETIME)
    return LeaderCard(wallet, lifetime, len(positions), invalid)


def candidates(data: PublicData, *, category: str | None, limit: int) -> dict[str, list[str]]:
    """Wallets worth a look: the category's P&L leaderboards (all time and this month) and the
    largest holders of its busiest open markets. Returns wallet -> where it was found."""
    found: dict[str, list[str]] = {}
    board = category or OVERALL
    for period in ("all", "month"):
        for entry in data.leaderboard(category=board, period=period, limit=limit).rows:
            found.setdefault(entry.wallet.lower(), []).append(f"leaderboard:{period}")
    for market in data.top_markets(category=category, limit=max(1, limit // 10)).rows:
        for holder in data.holders(market.condition_id).rows:
            found.setdefault(holder.wallet.lower(), []).append(f"holders:{market.slug or market.condition_id}")
    return found


def discover(
    data: PublicData,
    *,
    category: str | None,
    min_resolved: int,
    limit: int,
    now: datetime,
    max_candidates: int | None = None,
) -> list[Candidate]:
    """Candidates ranked by omega in the category (ties: realized P&L), those with at least
    `min_resolved` resolved positions there; at most `limit`."""
    pool = candidates(data, category=category, limit=max(limit, 25))
    wallets = sorted(pool, key=lambda w: (-len(pool[w]), w))[: max_candidates or limit * 4]
    cache = MarketCache(data)
    ranked: list[Candidate] = []
    key = (category or OVERALL).lower()
    for wallet in wallets:
        card = leader_card(data, wallet, now=now, markets=cache)
        m = card.category(key)
        if m is None or m.resolved_bets < min_resolved or m.omega_net is None:
            continue
        ranked.append(Candidate(card, tuple(pool[wallet])))
    ranked.sort(key=lambda c: _rank_key(c, key))
    return ranked[:limit]


def _rank_key(c: Candidate, category: str) -> tuple[object, ...]:
    m = c.card.category(category)
    assert m is not None and m.omega_net is not None
    return (-m.omega_net, -m.realized_pnl_usd, c.card.wallet)


def card_json(card: LeaderCard) -> dict[str, object]:
    """The `leaders show --json` contract: per category, omega (null only with no resolved
    position), resolved bets, gains, losses and realized P&L, as plain numbers."""
    return {
        "wallet": card.wallet,
        "categories": {
            m.category: {
                "omega_net": float(m.omega_net) if m.omega_net is not None else None,
                "resolved_bets": m.resolved_bets,
                "gains_usd": float(m.gains_usd),
                "losses_usd": float(m.losses_usd),
                "realized_pnl_usd": float(m.realized_pnl_usd),
            }
            for m in card.metrics
            if m.category != OVERALL  # a summary row, not a market category
        },
    }


__all__: Sequence[str] = ["Candidate", "LeaderCard", "MarketCache", "card_json", "discover", "leader_card"]
