"""What Polymarket publishes, as OmegaCopy reads it: markets, trades, holders, positions, boards.

Validated records only: the adapter that reads Gamma or the Data API turns every wire row into
one of these or into an `InvalidRecord` with its reason. Money is Decimal, token ids are decimal
strings, wallet addresses are lower-case hex, times are aware UTC datetimes.

Outcomes are kept by index with their names ("Yes"/"No", "Up"/"Down", team names). The binary
sides the monitor and OWRR speak of map from the index: outcome 0 is the YES side, outcome 1 the
NO side (the order of Gamma's `outcomes` and `clobTokenIds`, which line up by index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from omegacopy.domain.models import Outcome, TradeAction

YES_INDEX = 0
NO_INDEX = 1


def side_of_index(index: int) -> Outcome | None:
    """The binary side of an outcome index; None for an index a binary market does not have."""
    if index == YES_INDEX:
        return Outcome.YES
    if index == NO_INDEX:
        return Outcome.NO
    return None


@dataclass(frozen=True, slots=True)
class OutcomeToken:
    index: int
    name: str  # as Gamma labels it: "Yes", "Up", a team name
    token_id: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a market settled: the payout per share of each outcome, by index (1/0, or a split)."""

    payouts: tuple[Decimal, ...]
    resolved_at: datetime | None

    @property
    def winning_index(self) -> int | None:
        """The outcome that paid in full; None for a split payout."""
        winners = [i for i, p in enumerate(self.payouts) if p == 1]
        return winners[0] if len(winners) == 1 else None


@dataclass(frozen=True, slots=True)
class MarketRecord:
    """One market of the `markets` dimension (Gamma)."""

    condition_id: str  # lower-case 0x hex
    question: str
    category: str | None  # lower-case; None when neither Gamma's category nor its tags name one
    outcomes: tuple[OutcomeToken, ...]
    neg_risk: bool
    tick_size: Decimal | None
    closed: bool
    resolution: Resolution | None  # set once the market has resolved
    end_date: datetime | None = None
    slug: str = ""

    def token(self, index: int) -> OutcomeToken | None:
        for o in self.outcomes:
            if o.index == index:
                return o
        return None

    def index_of_token(self, token_id: str) -> int | None:
        for o in self.outcomes:
            if o.token_id == token_id:
                return o.index
        return None


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One fill of one wallet, as the Data API's trade feed reports it.

    `trade_id` is ours (the API exposes none): stable for the same fill whoever reads it, and
    distinct for two equal fills of one transaction.
    """

    trade_id: str
    wallet: str
    condition_id: str
    token_id: str
    outcome_index: int
    outcome: str
    action: TradeAction  # BUY | SELL from this wallet's side
    shares: Decimal
    price: Decimal
    traded_at: datetime
    tx_hash: str


@dataclass(frozen=True, slots=True)
class HolderPosition:
    """One of a market's largest holders of one outcome token (Data API holders, with P&L)."""

    condition_id: str
    token_id: str
    outcome_index: int
    wallet: str
    shares: Decimal
    avg_price: Decimal | None  # None: the API could not price the entry


class PositionStatus(StrEnum):
    OPEN = "OPEN"
    REDEEMABLE = "REDEEMABLE"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class PublicPosition:
    """One wallet's position in one outcome token (Data API positions), what omega is computed from."""

    wallet: str
    condition_id: str
    token_id: str
    outcome_index: int
    status: PositionStatus
    size: Decimal  # shares held now (~0 once closed)
    avg_price: Decimal
    total_bought: Decimal  # shares bought over the position's life
    realized_pnl: Decimal  # cumulative, USD
    unrealized_pnl: Decimal  # at the current price (the payout once the market resolved)
    fees: Decimal  # entry fees paid, USD
    last_event_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    wallet: str
    pnl: Decimal
    volume: Decimal
    name: str


@dataclass(frozen=True, slots=True)
class InvalidRecord:
    """A wire row that failed validation: kept with its reason, never silently dropped."""

    source: str  # e.g. "data_api.trades", "gamma.markets"
    key: str  # what identifies it as far as it could be read
    reason: str
