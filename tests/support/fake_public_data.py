"""An in-memory `PublicData` for fast use-case tests of the indexer (the adapters are tested against
the public-API emulator over HTTP). It pages like the API, newest first, and can run out of budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from omegacopy.domain.public_data import (
    HolderPosition,
    InvalidRecord,
    LeaderboardEntry,
    MarketRecord,
    PositionStatus,
    PublicPosition,
    PublicTrade,
)
from omegacopy.ports import BudgetExhaustedError, Page


@dataclass
class FakePublicData:
    trades: list[PublicTrade] = field(default_factory=list)
    markets_by_id: dict[str, MarketRecord] = field(default_factory=dict)
    holders_by_market: dict[str, list[HolderPosition]] = field(default_factory=dict)
    positions: list[PublicPosition] = field(default_factory=list)
    board: list[LeaderboardEntry] = field(default_factory=list)
    invalid_trades: list[InvalidRecord] = field(default_factory=list)
    page_size: int = 3
    budget: int | None = None  # requests left; None = unlimited
    calls: Counter[str] = field(default_factory=Counter)

    def _spend(self, route: str) -> None:
        if self.budget is not None:
            if self.budget <= 0:
                raise BudgetExhaustedError("request budget spent")
            self.budget -= 1
        self.calls[route] += 1

    def _pages(self, route: str, rows: Sequence[object], cursor: str | None) -> Iterator[Page[object]]:
        offset = int(cursor) if cursor else 0
        while True:
            self._spend(route)
            chunk = rows[offset : offset + self.page_size]
            offset += len(chunk)
            nxt = str(offset) if offset < len(rows) else None
            yield Page(tuple(chunk), (), nxt)
            if nxt is None:
                return

    def wallet_trades(
        self, wallet: str, *, start: datetime | None, cursor: str | None = None
    ) -> Iterator[Page[PublicTrade]]:
        rows = sorted(
            (t for t in self.trades if t.wallet == wallet.lower() and (start is None or t.traded_at >= start)),
            key=lambda t: (t.traded_at, t.trade_id),
            reverse=True,
        )
        first = True
        for page in self._pages("trades", rows, cursor):
            invalid = tuple(i for i in self.invalid_trades if i.key.startswith(wallet.lower())) if first else ()
            first = False
            yield Page(page.rows, invalid, page.next_cursor)  # type: ignore[arg-type]

    def wallet_market_trades(self, wallet: str, condition_id: str) -> Page[PublicTrade]:
        self._spend("trades")
        rows = [t for t in self.trades if t.wallet == wallet.lower() and t.condition_id == condition_id]
        return Page(tuple(rows), (), None)

    def markets(self, condition_ids: Sequence[str]) -> Page[MarketRecord]:
        self._spend("markets")
        return Page(tuple(self.markets_by_id[c] for c in condition_ids if c in self.markets_by_id), (), None)

    def holders(self, condition_id: str) -> Page[HolderPosition]:
        self._spend("holders")
        return Page(tuple(self.holders_by_market.get(condition_id, ())), (), None)

    def wallet_positions(
        self, wallet: str, status: PositionStatus, *, since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[PublicPosition]]:
        def wanted(p: PublicPosition) -> bool:
            if p.wallet != wallet.lower():
                return False
            if since is not None and (p.last_event_at is None or p.last_event_at < since):
                return False
            if status is PositionStatus.CLOSED:
                return p.status is PositionStatus.CLOSED
            return p.status is not PositionStatus.CLOSED  # OPEN is the superset of what is still held

        rows = [p for p in self.positions if wanted(p)]
        yield from self._pages(f"positions:{status.value}", rows, cursor)  # type: ignore[misc]

    def top_markets(self, *, category: str | None, limit: int) -> Page[MarketRecord]:
        self._spend("markets")
        rows = [m for m in self.markets_by_id.values() if not m.closed and category in (None, m.category)]
        return Page(tuple(rows[:limit]), (), None)

    def leaderboard(self, *, category: str, period: str, limit: int) -> Page[LeaderboardEntry]:
        self._spend("leaderboard")
        return Page(tuple(self.board[:limit]), (), None)
